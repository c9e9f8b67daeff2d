//! "Sign in with GitLab": the handlers of the OAuth 2 round trip (the
//! GitLab client itself is `integrations::gitlab`), limited to members of
//! the configured groups.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use serde::Deserialize;

use crate::db::models::audit;
use crate::db::models::users::{self, GitLabProfile};
use crate::domain::audit::{AuditAction, SignInMethod};
use crate::domain::handoff::Role;
use crate::error::AppError;
use crate::integrations::gitlab::{GitLabError, is_member};
use crate::web::auth::{NextQuery, safe_next, start_session};
use crate::web::identity::client_address;
use crate::web::{AppState, see_other};

const STATE: &str = "oauth_state";
const VERIFIER: &str = "oauth_verifier";
const NEXT: &str = "oauth_next";

/// The answer when GitLab does not answer.
fn unreachable_gitlab() -> AppError {
    AppError::Unavailable(
        "GitLab did not answer, so Baton cannot sign you in with it now. \
         If you have a break-glass account, sign in with its password."
            .into(),
    )
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
    let sign_in = oauth.authorize();
    let next = safe_next(query.next.as_deref().unwrap_or("/")).to_owned();
    session
        .insert(STATE, sign_in.state)
        .map_err(AppError::internal)?;
    session
        .insert(VERIFIER, sign_in.verifier)
        .map_err(AppError::internal)?;
    session.insert(NEXT, next).map_err(AppError::internal)?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, sign_in.url))
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

    let access = match oauth.exchange(code, verifier).await {
        Ok(token) => token,
        Err(GitLabError::Unreachable) => return Err(unreachable_gitlab()),
        Err(GitLabError::Refused(reason)) => return refuse(&state, "-", &address, reason).await,
    };
    let profile = match oauth.user(&access).await {
        Ok(profile) => profile,
        Err(GitLabError::Unreachable) => return Err(unreachable_gitlab()),
        Err(GitLabError::Refused(reason)) => return refuse(&state, "-", &address, reason).await,
    };
    if profile.state.as_deref().is_some_and(|s| s != "active") {
        let reason = format!("the GitLab account {} is not active", profile.username);
        return refuse(&state, &profile.username, &address, reason).await;
    }
    let groups = match oauth.groups(&access).await {
        Ok(groups) => groups,
        Err(GitLabError::Unreachable) => return Err(unreachable_gitlab()),
        Err(GitLabError::Refused(reason)) => {
            return refuse(&state, &profile.username, &address, reason).await;
        }
    };
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
    start_session(&state, &session, &user, SignInMethod::Gitlab, &address).await?;
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
                action: AuditAction::SignInFailed,
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
