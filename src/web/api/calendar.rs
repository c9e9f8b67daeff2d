//! `GET /api/v1/shifts.ics`: the final schedule as an iCalendar feed.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::models::{schedule, users};
use crate::domain::ics::{AHEAD_DAYS, FeedShift, feed};
use crate::domain::shift::parse_rotation_role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::ApiUser;
use crate::web::api::contract::{self, schemas};
use crate::web::respond::{ApiError, ErrorBody};

/// What the feed holds.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// RFC 3339 (default now).
    #[param(schema_with = schemas::start)]
    from: Option<String>,
    /// RFC 3339 (default 366 days after `from`; at most 400 days after it).
    #[param(schema_with = schemas::end)]
    to: Option<String>,
    /// Only this person's shifts (a username).
    #[param(schema_with = schemas::username)]
    user: Option<String>,
    /// Only this rotation role.
    #[param(schema_with = schemas::rotation_role)]
    role: Option<String>,
}

/// The final schedule (rotations and overrides) as an iCalendar feed (RFC
/// 5545): a stable UID per shift, SEQUENCE that grows when it changes, UTC
/// times, TRANSP:TRANSPARENT. A user who does not exist is a 422 on `user`.
#[utoipa::path(get, path = "/api/v1/shifts.ics", tag = "shifts", params(FeedParams),
    responses((status = 200, description = "the feed", content_type = "text/calendar", body = String),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn shifts_ics(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    let from = match params.from.as_deref() {
        Some(f) => contract::instant("from", f)?,
        None => time::now(),
    };
    let to = match params.to.as_deref() {
        Some(t) => contract::instant("to", t)?,
        None => from + Duration::days(AHEAD_DAYS),
    };
    let username = match params.user.as_deref() {
        Some(u) => Some(contract::username("user", u)?),
        None => None,
    };
    let role = match params.role.as_deref() {
        Some(r) => {
            let r = contract::ROLE_TEXT.check("role", r)?;
            Some(parse_rotation_role(r).map_err(|e| AppError::invalid("role", e))?)
        }
        None => None,
    };
    let public_url = state.settings.public_url.clone();
    let body = state
        .db
        .run(move |conn| {
            let user_id = match &username {
                Some(name) => Some(
                    users::find_by_username(conn, name)?
                        .ok_or_else(|| {
                            AppError::invalid("user", format!("there is no user {name}"))
                        })?
                        .id,
                ),
                None => None,
            };
            let mut shifts = schedule::between(conn, from, to)?;
            shifts.retain(|o| {
                user_id.as_ref().is_none_or(|id| *id == o.user.id)
                    && role.as_ref().is_none_or(|r| *r == o.shift.role)
            });
            let events: Vec<FeedShift<'_>> =
                shifts.iter().map(schedule::OnCall::feed_shift).collect();
            Ok(feed(&events, &public_url, "Baton shifts"))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .body(body))
}
