//! `/admin/users`: roles, deactivation, and the audit log, for admins.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::models::audit::{self, Entry};
use crate::db::models::users::{self, User};
use crate::domain::audit::AuditAction;
use crate::domain::handoff::Role;
use crate::domain::time::{self, TimeView};
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::identity::client_address;
use crate::web::{AppState, FormPairs, Layout, Viewer, field, render_page, see_other};

/// How many audit entries the page shows.
const AUDIT_ROWS: i64 = 200;

/// An audit entry as shown.
pub struct EntryView {
    at: TimeView,
    entry: Entry,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<User>,
    roles: Vec<Role>,
    me: String,
    audit: Vec<EntryView>,
}

/// `GET /admin/users`.
pub async fn show_users(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    viewer.admin()?;
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| {
            Ok(UsersPage {
                layout: Layout::load(conn, &st, &viewer, "Users")?,
                users: users::list_all(conn)?,
                roles: Role::ALL.to_vec(),
                me: viewer
                    .user
                    .as_ref()
                    .map(|u| u.username.clone())
                    .unwrap_or_default(),
                audit: audit::recent(conn, AUDIT_ROWS)?
                    .into_iter()
                    .map(|entry| EntryView {
                        at: TimeView::new(time::from_db(entry.at), viewer.tz),
                        entry,
                    })
                    .collect(),
            })
        })
        .await?;
    render_page(&page, StatusCode::OK)
}

/// The `{username}` of an admin path, parsed once: whatever does not parse
/// names no user (404).
fn user_in_path(segment: &str) -> Result<Username, AppError> {
    Username::parse(segment).map_err(|e| AppError::NotFound(format!("no such user: {e}")))
}

/// `POST /admin/users/{username}/role`.
pub async fn change_role(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let admin = viewer.admin()?.username.clone();
    let username = user_in_path(&path)?;
    let role = Role::parse(field(&form, "role")).map_err(|e| AppError::invalid("role", e))?;
    // Compared as parsed: `dave%20` is dave. The model refuses, besides,
    // to take the role from the last active admin, whoever asks.
    if username.as_str() == admin && role != Role::Admin {
        return Err(AppError::Conflict(
            "you cannot take away your own admin role; ask another admin".into(),
        ));
    }
    let address = client_address(&req);
    state
        .db
        .run(move |conn| {
            let before = users::set_role(conn, &username, role)?;
            let detail = format!("{} -> {}", before.role, role);
            let event = audit::Event {
                action: AuditAction::RoleChange,
                actor: &admin,
                subject: &username,
                address: &address,
                detail: &detail,
            };
            Ok(audit::record(conn, event)?)
        })
        .await?;
    Ok(see_other(&viewer.keep_tz("/admin/users")))
}

/// `POST /admin/users/{username}/active`: `active=0` deactivates (their
/// sessions and tokens stop at once), `active=1` reactivates.
pub async fn change_active(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let admin = viewer.admin()?.username.clone();
    let username = user_in_path(&path)?;
    let active = match field(&form, "active") {
        "1" => true,
        "0" => false,
        other => {
            return Err(AppError::invalid(
                "active",
                format!("active is 0 or 1, not {other:?}"),
            ));
        }
    };
    if username.as_str() == admin && !active {
        return Err(AppError::Conflict("you cannot deactivate yourself".into()));
    }
    let address = client_address(&req);
    state
        .db
        .run(move |conn| {
            users::set_active(conn, &username, active)?;
            let action = if active {
                AuditAction::Reactivate
            } else {
                AuditAction::Deactivate
            };
            let event = audit::Event {
                action,
                actor: &admin,
                subject: &username,
                address: &address,
                detail: "",
            };
            Ok(audit::record(conn, event)?)
        })
        .await?;
    Ok(see_other(&viewer.keep_tz("/admin/users")))
}

/// `POST /admin/users/{username}/gitlab`: links the user to the GitLab
/// account `gitlab_id`, so that a GitLab sign-in with it is theirs.
pub async fn link_gitlab(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let admin = viewer.admin()?.username.clone();
    let username = user_in_path(&path)?;
    let gitlab_id = users::parse_gitlab_id(field(&form, "gitlab_id"))
        .map_err(|e| AppError::invalid("gitlab_id", e))?;
    let address = client_address(&req);
    state
        .db
        .run(move |conn| {
            let user = users::link_gitlab(conn, &username, gitlab_id)?;
            let detail = format!("GitLab user {gitlab_id}");
            let event = audit::Event {
                action: AuditAction::GitlabLink,
                actor: &admin,
                subject: &user.username,
                address: &address,
                detail: &detail,
            };
            Ok(audit::record(conn, event)?)
        })
        .await?;
    Ok(see_other("/admin/users"))
}
