//! Signing in and out. For now: local mode (pick a user) only.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::users::{self, User};
use crate::error::AppError;
use crate::web::{AppState, Layout, SESSION_USER, Viewer, render_page, see_other};

/// Only a local path is a place to go after signing in (no open redirect).
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if local { next } else { "/" }
}

/// `?next=`.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    users: Vec<User>,
    next: String,
    error: Option<String>,
}

/// `GET /login`: pick a user (local mode).
pub async fn show_login(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref().unwrap_or("/")).to_owned();
    let st = state.clone();
    let (layout, users) = state
        .db
        .run(move |conn| {
            Ok((
                Layout::load(conn, &st, &viewer, "Sign in")?,
                users::list_active(conn)?,
            ))
        })
        .await?;
    render_page(
        &LoginPage {
            layout,
            users,
            next,
            error: None,
        },
        StatusCode::OK,
    )
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: sign in as the picked user (local mode).
pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    viewer: Viewer,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    if !state.local_mode {
        return Err(AppError::Forbidden(
            "picking a user is only for local mode".into(),
        ));
    }
    let LoginForm { username, next } = form.into_inner();
    let next = safe_next(&next).to_owned();
    let redirect_to = next.clone();
    let st = state.clone();
    let found = state
        .db
        .run(move |conn| {
            if let Some(user) = users::find_by_username(conn, username.trim())? {
                return Ok(Ok(user));
            }
            Ok(Err(LoginPage {
                layout: Layout::load(conn, &st, &viewer, "Sign in")?,
                users: users::list_active(conn)?,
                next,
                error: Some("there is no such user; pick one from the list".into()),
            }))
        })
        .await?;
    let user = match found {
        Ok(user) => user,
        Err(page) => return render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    };
    session.renew();
    session
        .insert(SESSION_USER, &user.id)
        .map_err(AppError::internal)?;
    tracing::info!(user = %user.username, method = "local", "signed in");
    Ok(see_other(&redirect_to))
}

/// `POST /logout`.
pub async fn logout(session: Session) -> HttpResponse {
    session.purge();
    see_other("/")
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
    }
}
