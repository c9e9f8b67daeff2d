//! The OAuth 2 application Baton signs people in with (authorization code
//! with PKCE) and the REST API v4 calls a sign-in makes: the user's profile
//! and the groups they belong to, page by page.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::Settings;

/// The most pages of groups read for one sign-in (100 groups a page).
const MAX_GROUP_PAGES: u32 = 20;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// What went wrong talking to GitLab; the message is for a person and
/// never holds a code or token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitLabError {
    /// GitLab did not answer (refused, timed out, or the connection broke).
    Unreachable,
    /// GitLab answered, and the answer means no.
    Refused(String),
}

/// A sign-in started: where to send the browser, and what to keep in its
/// session for the callback.
pub struct Authorization {
    /// GitLab's authorization page for this sign-in.
    pub url: String,
    /// The `state` GitLab must send back.
    pub state: String,
    /// The PKCE verifier the code is exchanged with.
    pub verifier: String,
}

/// A GitLab user as the API describes them.
#[derive(Debug, Clone, Deserialize)]
pub struct GitLabUser {
    /// GitLab's numeric user id.
    pub id: i64,
    /// Username on GitLab.
    pub username: String,
    /// Display name on GitLab.
    pub name: String,
    /// `active`, `blocked`, …
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Deserialize)]
struct GitLabGroup {
    full_path: String,
}

/// The configured GitLab application and an HTTP client for it.
pub struct OAuthClient {
    client: Client,
    http: oauth2::reqwest::Client,
    api: String,
    /// Full paths of the groups whose members may sign in.
    pub allowed_groups: Vec<String>,
}

impl OAuthClient {
    /// The client for `settings`, or `None` in local mode.
    pub fn new(settings: &Settings) -> Result<Option<OAuthClient>, String> {
        let Some(oauth) = &settings.oauth else {
            return Ok(None);
        };
        let base = settings.gitlab.base_url();
        let client = BasicClient::new(ClientId::new(oauth.client_id.clone()))
            .set_client_secret(ClientSecret::new(oauth.client_secret.expose().to_owned()))
            .set_auth_uri(
                AuthUrl::new(format!("{base}/oauth/authorize")).map_err(|e| e.to_string())?,
            )
            .set_token_uri(TokenUrl::new(format!("{base}/oauth/token")).map_err(|e| e.to_string())?)
            .set_redirect_uri(
                RedirectUrl::new(format!("{}/auth/gitlab/callback", settings.public_url))
                    .map_err(|e| e.to_string())?,
            );
        // No redirects: a token endpoint that redirects is misconfigured, and
        // following it could send the code elsewhere.
        let http = oauth2::reqwest::Client::builder()
            .redirect(oauth2::reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Some(OAuthClient {
            client,
            http,
            api: format!("{base}/api/v4"),
            allowed_groups: oauth.allowed_groups.clone(),
        }))
    }

    /// Starts a sign-in: a fresh state and PKCE verifier, and GitLab's
    /// authorization page asking for `read_user` and `read_api`.
    pub fn authorize(&self) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("read_user".into()))
            .add_scope(Scope::new("read_api".into()))
            .set_pkce_challenge(challenge)
            .url();
        Authorization {
            url: url.to_string(),
            state: state.secret().to_owned(),
            verifier: verifier.secret().to_owned(),
        }
    }

    /// Exchanges the callback's code, with the sign-in's PKCE verifier, for
    /// an access token.
    pub async fn exchange(&self, code: String, verifier: String) -> Result<String, GitLabError> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await;
        match token {
            Ok(t) => Ok(t.access_token().secret().to_owned()),
            Err(RequestTokenError::ServerResponse(r)) => Err(GitLabError::Refused(format!(
                "GitLab refused the sign-in code ({}): it may be used already or expired; start again",
                r.error()
            ))),
            Err(RequestTokenError::Request(e)) => Err(unreachable(&e)),
            Err(e) => {
                // A redirect from the token endpoint surfaces here as an empty error response.
                tracing::warn!(error = %e, "GitLab token exchange failed");
                Err(GitLabError::Refused(
                    "GitLab's token endpoint gave no usable answer".into(),
                ))
            }
        }
    }

    /// The signed-in user's profile (`GET /user`).
    pub async fn user(&self, token: &str) -> Result<GitLabUser, GitLabError> {
        Ok(self.get("/user", token).await?.0)
    }

    /// The full paths of every group the user belongs to, directly or by
    /// inheritance (`GET /groups`, following `x-next-page`).
    pub async fn groups(&self, token: &str) -> Result<Vec<String>, GitLabError> {
        let mut paths = vec![];
        let mut page = 1;
        loop {
            let path = format!("/groups?min_access_level=10&per_page=100&page={page}");
            let (groups, next): (Vec<GitLabGroup>, _) = self.get(&path, token).await?;
            paths.extend(groups.into_iter().map(|g| g.full_path));
            match next {
                Some(n) if n > page && n <= MAX_GROUP_PAGES => page = n,
                _ => return Ok(paths),
            }
        }
    }

    /// GETs an API path as the signed-in user; also returns the next page number.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<(T, Option<u32>), GitLabError> {
        let res = self
            .http
            .get(format!("{}{path}", self.api))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unreachable(&e))?;
        let status = res.status();
        if !status.is_success() {
            tracing::warn!(%status, path, "GitLab API refused a sign-in request");
            return Err(GitLabError::Refused(format!(
                "GitLab answered {status} when Baton read your profile"
            )));
        }
        let next = res
            .headers()
            .get("x-next-page")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = res.bytes().await.map_err(|e| unreachable(&e))?;
        let value = serde_json::from_slice(&body).map_err(|e| {
            tracing::warn!(error = %e, path, "GitLab API answer not understood");
            GitLabError::Refused("GitLab's answer could not be read".into())
        })?;
        Ok((value, next))
    }
}

fn unreachable(e: &dyn std::fmt::Display) -> GitLabError {
    tracing::warn!(error = %e, "GitLab unreachable");
    GitLabError::Unreachable
}

/// Whether membership of `groups` admits someone, given the `allowed` group
/// paths: the same group, a subgroup of one, or a parent of one (whose
/// members inherit membership of its subgroups).
pub fn is_member(groups: &[String], allowed: &[String]) -> bool {
    let under = |path: &str, parent: &str| {
        path.len() > parent.len()
            && path[..parent.len()].eq_ignore_ascii_case(parent)
            && path.as_bytes()[parent.len()] == b'/'
    };
    groups.iter().any(|g| {
        allowed
            .iter()
            .any(|a| g.eq_ignore_ascii_case(a) || under(g, a) || under(a, g))
    })
}

#[cfg(test)]
mod tests {
    use super::is_member;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn members_of_an_allowed_group_its_subgroups_or_its_parents_are_admitted() {
        let allowed = v(&["gitlab-com/gl-infra"]);
        assert!(is_member(&v(&["gitlab-com/gl-infra"]), &allowed));
        assert!(is_member(
            &v(&["gitlab-com/gl-infra/production-engineering"]),
            &allowed
        ));
        assert!(
            is_member(&v(&["gitlab-com"]), &allowed),
            "inherited from the parent"
        );
        assert!(
            is_member(&v(&["GitLab-com/GL-infra"]), &allowed),
            "paths are case-insensitive"
        );
        assert!(!is_member(&v(&["gitlab-com/gl-infra-other"]), &allowed));
        assert!(!is_member(&v(&["gitlab-org"]), &allowed));
        assert!(!is_member(&[], &allowed));
    }
}
