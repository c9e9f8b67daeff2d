//! Signing in and out: the sign-in page, local mode's user picker,
//! break-glass passwords, and the server-side session every method starts.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Duration;
use serde::Deserialize;

use crate::db::models::signin_attempts::{self, Limits};
use crate::db::models::users::{self, User};
use crate::db::models::{audit, sessions};
use crate::domain::audit::{AuditAction, SignInMethod};
use crate::domain::user::Username;
use crate::domain::{password, time};
use crate::error::AppError;
use crate::web::identity::{Identity, SESSION_ID, SESSION_USER, client_address};
use crate::web::unfurl::{self, Unfurl};
use crate::web::{AppState, FormPairs, Layout, Viewer, field, render_page, see_other};

/// Password checks allowed (under way or failed) within 15 minutes: 5 for
/// one account from one address, 50 for one account from everywhere. The
/// README states them.
pub const PASSWORD_LIMITS: Limits = Limits {
    per_account_and_address: 5,
    per_account: 50,
    window: Duration::minutes(15),
};

/// Only a local path is a place to go after signing in (no open redirect).
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if local { next } else { "/" }
}

/// `?next=`.
#[derive(Deserialize)]
pub struct NextQuery {
    /// Where to go after signing in.
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    users: Vec<User>,
    gitlab: bool,
    gitlab_host: String,
    next: String,
    username: String,
    error: Option<String>,
    /// The link preview when `next` is a handoff permalink: "Baton handoff", no content.
    unfurl: Option<Unfurl>,
}

fn login_page(
    state: &AppState,
    layout: Layout,
    users: Vec<User>,
    next: &str,
    username: &str,
    error: Option<String>,
) -> LoginPage {
    LoginPage {
        layout,
        users: if state.local_mode { users } else { vec![] },
        gitlab: state.gitlab.is_some(),
        gitlab_host: state.settings.gitlab.host().to_owned(),
        next: safe_next(next).to_owned(),
        username: username.to_owned(),
        error,
        unfurl: unfurl::handoff_id_in(safe_next(next))
            .map(|id| Unfurl::generic(&state.settings.public_url, &id)),
    }
}

async fn load_login(
    state: &web::Data<AppState>,
    viewer: Viewer,
    next: String,
    username: String,
    error: Option<String>,
) -> Result<LoginPage, AppError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let layout = Layout::load(conn, &st, &viewer, "Sign in")?;
            let users = if st.local_mode {
                users::list_active(conn)?
            } else {
                vec![]
            };
            Ok(login_page(&st, layout, users, &next, &username, error))
        })
        .await
}

/// `GET /login`.
pub async fn show_login(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = query.into_inner().next.unwrap_or_else(|| "/".into());
    let page = load_login(&state, viewer, next, String::new(), None).await?;
    render_page(&page, StatusCode::OK)
}

/// Starts a server-side session for `user` in this browser and records the sign-in.
pub async fn start_session(
    state: &AppState,
    session: &Session,
    user: &User,
    method: SignInMethod,
    address: &str,
) -> Result<(), AppError> {
    let (user_id, username, address) = (user.id.clone(), user.username.clone(), address.to_owned());
    let session_id = state
        .db
        .run(move |conn| {
            let id = sessions::create(conn, &user_id, method)?;
            let event = audit::Event {
                action: AuditAction::SignIn,
                actor: &username,
                subject: &username,
                address: &address,
                detail: method.as_str(),
            };
            audit::record(conn, event)?;
            Ok(id)
        })
        .await?;
    // A new cookie for a new privilege level (no session fixation); the CSRF
    // token starts over with it.
    session.clear();
    session.renew();
    session
        .insert(SESSION_USER, &user.id)
        .map_err(AppError::internal)?;
    session
        .insert(SESSION_ID, session_id)
        .map_err(AppError::internal)?;
    // The cookie set now is complete: pages read it without changing it.
    crate::web::csrf::token(session);
    crate::web::identity::renew_cookie(session);
    Ok(())
}

/// `POST /login`: local mode's user picker.
pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    viewer: Viewer,
    req: HttpRequest,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    if !state.local_mode {
        return Err(AppError::Forbidden(
            "picking a user is only for local mode; sign in with GitLab or a break-glass password"
                .into(),
        ));
    }
    let username = field(&form, "username").trim().to_owned();
    let next = safe_next(field(&form, "next")).to_owned();
    let name = username.clone();
    let user = state
        .db
        .run(move |conn| match Username::parse(&name) {
            Ok(name) => Ok(users::find_by_username(conn, &name)?),
            Err(_) => Ok(None),
        })
        .await?;
    let Some(user) = user else {
        let error = Some("there is no such user; pick one from the list".into());
        let page = load_login(&state, viewer, next, username, error).await?;
        return render_page(&page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    start_session(
        &state,
        &session,
        &user,
        SignInMethod::Local,
        &client_address(&req),
    )
    .await?;
    Ok(see_other(&next))
}

/// `POST /login/password`: a break-glass account signs in while GitLab is
/// down. Each check is claimed against [`PASSWORD_LIMITS`] before the
/// password is verified, so no more checks run than the limits allow.
pub async fn login_with_password(
    state: web::Data<AppState>,
    session: Session,
    viewer: Viewer,
    req: HttpRequest,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let username = field(&form, "username").trim().to_owned();
    let secret = field(&form, "password").to_owned();
    let next = safe_next(field(&form, "next")).to_owned();
    // What cannot be a username names no account: no password is checked,
    // and the raw text reaches no query.
    let account = match Username::parse(&username) {
        Ok(account) => account,
        Err(e) => {
            let page = load_login(&state, viewer, next, username, Some(e)).await?;
            return render_page(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let address = client_address(&req);
    let (name, addr) = (username.clone(), address.clone());
    let claimed = state
        .db
        .run(move |conn| {
            let now = time::now();
            signin_attempts::forget_before(conn, PASSWORD_LIMITS.window, now)?;
            if signin_attempts::claim(conn, &name, &addr, PASSWORD_LIMITS, now)?.is_none() {
                let event = audit::Event { action: AuditAction::SignInFailed, actor: "-", subject: &name, address: &addr, detail: "password: rate limited" };
                audit::record(conn, event)?;
                return Err(AppError::RateLimited(
                    "too many failed sign-ins for this account from this address (or from everywhere); wait 15 minutes and try again".into(),
                ));
            }
            Ok(users::find_by_username(conn, &account)?)
        })
        .await?;
    // Verified off the database connection: Argon2 takes its time on purpose.
    let stored = claimed.as_ref().and_then(|u| u.password_hash.clone());
    let verified = web::block(move || password::verify(&secret, stored.as_deref())).await?;
    let user = claimed.filter(|_| verified);
    let (name, addr, ok) = (username.clone(), address.clone(), user.is_some());
    state
        .db
        .run(move |conn| {
            if ok {
                return Ok(signin_attempts::succeeded(conn, &name, &addr)?);
            }
            let event = audit::Event {
                action: AuditAction::SignInFailed,
                actor: "-",
                subject: &name,
                address: &addr,
                detail: "password: wrong username or password",
            };
            Ok(audit::record(conn, event)?)
        })
        .await?;
    let Some(user) = user else {
        let error = Some("wrong username or password".into());
        let page = load_login(&state, viewer, next, username, error).await?;
        return render_page(&page, StatusCode::UNAUTHORIZED);
    };
    start_session(&state, &session, &user, SignInMethod::Password, &address).await?;
    Ok(see_other(&next))
}

/// `POST /logout`: ends the session here and on the server.
pub async fn logout(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let identity = actix_web::HttpMessage::extensions(&req)
        .get::<Identity>()
        .cloned()
        .unwrap_or_default();
    if let Some(id) = identity.session_id {
        state
            .db
            .run(move |conn| Ok(sessions::end(conn, &id)?))
            .await?;
    }
    session.purge();
    Ok(see_other("/login"))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/handoffs/1"), "/handoffs/1");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("/a\\b"), "/");
    }
}
