//! "Sign in with GitLab": OAuth 2 authorization code with PKCE, limited to
//! members of the configured groups.

use std::time::Duration;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::Settings;
use crate::db::models::audit;
use crate::db::models::users::{self, GitLabProfile};
use crate::domain::handoff::Role;
use crate::error::AppError;
use crate::web::auth::{NextQuery, safe_next, start_session};
use crate::web::identity::client_address;
use crate::web::{AppState, see_other};

const STATE: &str = "oauth_state";
const VERIFIER: &str = "oauth_verifier";
const NEXT: &str = "oauth_next";

/// The most pages of groups read for one sign-in (100 groups a page).
const MAX_GROUP_PAGES: u32 = 20;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The configured GitLab application and an HTTP client for it.
pub struct OAuthClient {
    client: Client,
    http: oauth2::reqwest::Client,
    api: String,
    allowed_groups: Vec<String>,
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

    /// GETs a GitLab API path as the signed-in user; also returns the next page number.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<(T, Option<u32>), AppError> {
        let res = self
            .http
            .get(format!("{}{path}", self.api))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unreachable_gitlab(&e))?;
        let status = res.status();
        if !status.is_success() {
            tracing::warn!(%status, path, "GitLab API refused a sign-in request");
            return Err(AppError::Forbidden(format!(
                "GitLab answered {status} when Baton read your profile; sign-in refused"
            )));
        }
        let next = res
            .headers()
            .get("x-next-page")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = res.bytes().await.map_err(|e| unreachable_gitlab(&e))?;
        let value = serde_json::from_slice(&body).map_err(|e| {
            tracing::warn!(error = %e, path, "GitLab API answer not understood");
            AppError::Forbidden("GitLab's answer could not be read; sign-in refused".into())
        })?;
        Ok((value, next))
    }

    /// The full paths of every group the user belongs to (directly or by inheritance).
    async fn groups(&self, token: &str) -> Result<Vec<String>, AppError> {
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
}

fn unreachable_gitlab(e: &dyn std::fmt::Display) -> AppError {
    tracing::warn!(error = %e, "GitLab unreachable during sign-in");
    AppError::Unavailable(
        "GitLab did not answer, so Baton cannot sign you in with it now. \
         If you have a break-glass account, sign in with its password."
            .into(),
    )
}

#[derive(Deserialize)]
struct GitLabUser {
    id: i64,
    username: String,
    name: String,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
struct GitLabGroup {
    full_path: String,
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

/// `GET /auth/gitlab?next=`: off to GitLab, with a fresh state and PKCE verifier.
pub async fn start_sign_in(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let oauth = state.gitlab.as_ref().ok_or_else(|| {
        AppError::NotFound("GitLab sign-in is not configured: this Baton runs in local mode".into())
    })?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = oauth
        .client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read_user".into()))
        .add_scope(Scope::new("read_api".into()))
        .set_pkce_challenge(challenge)
        .url();
    let next = safe_next(query.next.as_deref().unwrap_or("/")).to_owned();
    session
        .insert(STATE, csrf.secret())
        .map_err(AppError::internal)?;
    session
        .insert(VERIFIER, verifier.secret())
        .map_err(AppError::internal)?;
    session.insert(NEXT, next).map_err(AppError::internal)?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .finish())
}

/// What GitLab sends back.
#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/gitlab/callback`: check the state, exchange the code with the
/// PKCE verifier, read the profile and groups, and sign in a member.
pub async fn finish_sign_in(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    query: web::Query<Callback>,
) -> Result<HttpResponse, AppError> {
    let oauth = state.gitlab.as_ref().ok_or_else(|| {
        AppError::NotFound("GitLab sign-in is not configured: this Baton runs in local mode".into())
    })?;
    let address = client_address(&req);
    // The state and verifier are good for one callback only.
    let expected = session.remove_as::<String>(STATE).and_then(Result::ok);
    let verifier = session.remove_as::<String>(VERIFIER).and_then(Result::ok);
    let next = session
        .remove_as::<String>(NEXT)
        .and_then(Result::ok)
        .unwrap_or_else(|| "/".into());

    let checked = match (&query.error, &expected, &query.state, &query.code, verifier) {
        (Some(error), ..) => Err(format!("GitLab did not authorize the sign-in ({error})")),
        (None, Some(expected), Some(sent), Some(code), Some(verifier)) if expected == sent => Ok((code.clone(), verifier)),
        (None, _, _, None, _) => Err("GitLab sent no code".into()),
        _ => Err("this sign-in was not started from this browser (its state is missing or does not match); start again".into()),
    };
    let (code, verifier) = match checked {
        Ok(v) => v,
        Err(reason) => return refuse(&state, "-", &address, reason).await,
    };

    let token = oauth
        .client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&oauth.http)
        .await;
    let token = match token {
        Ok(t) => t,
        Err(RequestTokenError::ServerResponse(r)) => {
            let reason = format!(
                "GitLab refused the sign-in code ({}): it may be used already or expired; start again",
                r.error()
            );
            return refuse(&state, "-", &address, reason).await;
        }
        Err(RequestTokenError::Request(e)) => return Err(unreachable_gitlab(&e)),
        Err(e) => {
            // A redirect from the token endpoint surfaces here as an empty error response.
            tracing::warn!(error = %e, "GitLab token exchange failed");
            return refuse(
                &state,
                "-",
                &address,
                "GitLab's token endpoint gave no usable answer".into(),
            )
            .await;
        }
    };
    let access = token.access_token().secret();
    let (profile, _): (GitLabUser, _) = oauth.get("/user", access).await?;
    if profile.state.as_deref().is_some_and(|s| s != "active") {
        let reason = format!("the GitLab account {} is not active", profile.username);
        return refuse(&state, &profile.username, &address, reason).await;
    }
    let groups = oauth.groups(access).await?;
    if !is_member(&groups, &oauth.allowed_groups) {
        let reason = format!(
            "the GitLab account {} is not a member of {}, so it cannot sign in to this Baton",
            profile.username,
            oauth.allowed_groups.join(", ")
        );
        return refuse(&state, &profile.username, &address, reason).await;
    }
    let profile = GitLabProfile {
        id: profile.id,
        username: profile.username,
        name: profile.name,
    };
    let username = profile.username.clone();
    let user = state
        .db
        .run(move |conn| users::sign_in_from_gitlab(conn, &profile, Role::Responder))
        .await;
    let user = match user {
        Ok(u) => u,
        Err(AppError::Forbidden(reason)) => {
            return refuse(&state, &username, &address, reason).await;
        }
        Err(e) => return Err(e),
    };
    start_session(&state, &session, &user, "gitlab", &address).await?;
    Ok(see_other(safe_next(&next)))
}

/// Records a refused sign-in and answers with the reason; no session is made.
async fn refuse(
    state: &AppState,
    subject: &str,
    address: &str,
    reason: String,
) -> Result<HttpResponse, AppError> {
    let (subject, address, detail) = (
        subject.to_owned(),
        address.to_owned(),
        format!("gitlab: {reason}"),
    );
    state
        .db
        .run(move |conn| {
            let event = audit::Event {
                action: "signin_failed",
                actor: "-",
                subject: &subject,
                address: &address,
                detail: &detail,
            };
            Ok(audit::record(conn, event)?)
        })
        .await?;
    Err(AppError::Forbidden(format!("Sign-in refused: {reason}.")))
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
