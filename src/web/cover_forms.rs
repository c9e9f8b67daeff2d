//! The cover request forms: ask (`POST /cover-requests`), take or, an
//! admin, assign (`POST /cover-requests/{id}/take`), cancel. A form with
//! errors comes back as the shifts page with them beside its fields; a
//! refused take or cancel as the shifts page saying why.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};

use crate::db::DbConnection;
use crate::db::models::cover;
use crate::db::models::users::{self, User};
use crate::domain::handoff::Role;
use crate::domain::shift::parse_rotation_role;
use crate::domain::time::{self, Timezone};
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::auth::safe_next;
use crate::web::cover::{CoverForm, section};
use crate::web::{AppState, FormPairs, Viewer, field, parse_id, see_other};

/// What a cover form asks: for whom, the role, the span.
type Asked = (User, String, DateTime<Utc>, DateTime<Utc>);

/// Reads the cover form: the times are wall-clock times in `zone`.
fn parse_form(
    conn: &mut DbConnection,
    form: &FormPairs,
    zone: Timezone,
    me: &User,
) -> Result<(CoverForm, Option<Asked>), AppError> {
    let mut kept = CoverForm {
        role: field(form, "role").to_owned(),
        starts_at: field(form, "starts_at").to_owned(),
        ends_at: field(form, "ends_at").to_owned(),
        requester: field(form, "requester").trim().to_owned(),
        ..CoverForm::default()
    };
    let errors = &mut kept.errors;
    let role = errors.check("role", parse_rotation_role(&kept.role));
    let starts = errors.check("starts_at", time::parse_local(&kept.starts_at, zone));
    let ends = errors.check("ends_at", time::parse_local(&kept.ends_at, zone));
    let requester = if kept.requester.is_empty() || kept.requester == me.username {
        Some(me.clone())
    } else if me.role != Role::Admin {
        errors.add("requester", "only an admin asks for cover for someone else");
        None
    } else {
        match Username::parse(&kept.requester) {
            Ok(name) => match users::find_by_username(conn, &name)? {
                Some(u) if u.active => Some(u),
                _ => {
                    errors.add("requester", format!("there is no active user {name}"));
                    None
                }
            },
            Err(e) => {
                errors.add("requester", e);
                None
            }
        }
    };
    let input = match (requester, role, starts, ends, errors.is_empty()) {
        (Some(u), Some(r), Some(s), Some(e), true) => Some((u, r, s, e)),
        _ => None,
    };
    Ok((kept, input))
}

fn form_zone(form: &FormPairs, viewer: &Viewer) -> Result<Timezone, AppError> {
    match field(form, "tz").trim() {
        "" => Ok(viewer.tz),
        name => Timezone::parse(name).map_err(|e| AppError::invalid("tz", e)),
    }
}

/// `POST /cover-requests`: ask for cover.
pub async fn create_cover_request(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let me = viewer.writer()?.clone();
    let zone = form_zone(&form, &viewer)?;
    let location = viewer.keep_tz("/shifts#cover-h");
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let (mut kept, input) = parse_form(conn, &form, zone, &me)?;
            if let Some((requester, role, starts, ends)) = input {
                match cover::create(conn, &requester, &me, &role, (starts, ends)) {
                    Ok(_) => return Ok(None),
                    Err(e) => kept.errors.absorb("starts_at", e)?,
                }
            }
            let mut section = section(conn, &viewer, time::now())?;
            section.form = kept;
            section.tz = zone.name().to_owned();
            Ok(Some(crate::web::shifts::page_with_cover(
                conn, &st, &viewer, section,
            )?))
        })
        .await?;
    match result {
        None => Ok(see_other(&location)),
        Some(html) => Ok(html_response(html, StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

fn html_response(html: String, status: StatusCode) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html)
}

fn cover_id(raw: &str) -> Result<String, AppError> {
    parse_id(raw).map_err(|_| AppError::NotFound("no such cover request".into()))
}

/// A refused take or cancel: the shifts page saying why, with the
/// refusal's status; any other error passes on.
fn refused(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    error: AppError,
) -> Result<(String, StatusCode), AppError> {
    let message = match &error {
        AppError::Invalid { message, .. }
        | AppError::ConflictAt { message, .. }
        | AppError::Conflict(message)
        | AppError::Forbidden(message) => message.clone(),
        _ => return Err(error),
    };
    let mut section = section(conn, viewer, time::now())?;
    section.problem = Some(message);
    let html = crate::web::shifts::page_with_cover(conn, state, viewer, section)?;
    Ok((html, error.status()))
}

/// `POST /cover-requests/{id}/take`: take it (or, an admin, assign it to
/// the member chosen in `username`); back to `next`.
pub async fn take_cover_request(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let me = viewer.writer()?.clone();
    let id = cover_id(&path)?;
    let next = viewer.keep_tz(safe_next(field(&form, "next")));
    let assignee = field(&form, "username").trim().to_owned();
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let assignee = if assignee.is_empty() {
                None
            } else {
                let name = Username::parse(&assignee).map_err(|e| AppError::invalid("username", e));
                match name.and_then(|n| {
                    users::find_by_username(conn, &n)?.ok_or_else(|| {
                        AppError::invalid("username", format!("there is no user {n}"))
                    })
                }) {
                    Ok(u) => Some(u),
                    Err(e) => return refused(conn, &st, &viewer, e).map(Some),
                }
            };
            match cover::take(conn, &st.chat, &id, &me, assignee.as_ref()) {
                Ok(_) => Ok(None),
                Err(e) => refused(conn, &st, &viewer, e).map(Some),
            }
        })
        .await?;
    match result {
        None => {
            state.chat.bell.ring();
            Ok(see_other(&next))
        }
        Some((html, status)) => Ok(html_response(html, status)),
    }
}

/// `POST /cover-requests/{id}/cancel`: the requester (or an admin) withdraws it.
pub async fn cancel_cover_request(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let me = viewer.writer()?.clone();
    let id = cover_id(&path)?;
    let next = viewer.keep_tz(safe_next(field(&form, "next")));
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| match cover::cancel(conn, &id, &me) {
            Ok(_) => Ok(None),
            Err(e) => refused(conn, &st, &viewer, e).map(Some),
        })
        .await?;
    match result {
        None => Ok(see_other(&next)),
        Some((html, status)) => Ok(html_response(html, status)),
    }
}
