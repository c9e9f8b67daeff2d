//! `/api/v1/cover-requests`: "cover me in EOC on Tuesday 14:00–18:00".
//! Another member of the role takes it (which writes the override shift
//! and tells the requester in chat and on their pages); an admin takes it
//! or assigns it to someone; the requester cancels an open one.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;
use utoipa::{IntoParams, ToSchema};

use crate::db::DbConnection;
use crate::db::models::cover::{self, CoverRequest};
use crate::db::models::users::{self, User};
use crate::domain::cover::CoverStatus;
use crate::domain::handoff::Role;
use crate::domain::shift::parse_rotation_role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::api::contract::{self, ApiJson, schemas};
use crate::web::api::{ApiUser, ts};
use crate::web::respond::{ApiError, ErrorBody};
use crate::web::{AppState, parse_id};

/// A cover request.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverRequestJson {
    /// UUID.
    #[schema(schema_with = schemas::uuid)]
    pub id: String,
    /// The rotation role.
    pub role: String,
    /// Who wants cover.
    #[schema(schema_with = schemas::username)]
    pub requester: String,
    /// RFC 3339 UTC.
    #[schema(schema_with = schemas::instant)]
    pub starts_at: String,
    /// RFC 3339 UTC.
    #[schema(schema_with = schemas::instant)]
    pub ends_at: String,
    /// `open`, `taken` or `cancelled`.
    #[schema(schema_with = status_schema)]
    pub status: String,
    /// Who covers (null until taken).
    pub taken_by: Option<String>,
    /// When it was taken.
    #[schema(schema_with = schemas::instant_or_null)]
    pub taken_at: Option<String>,
    /// The admin who chose the taker, if one did.
    pub assigned_by: Option<String>,
    /// The override shift taking it wrote (`DELETE /api/v1/shifts/{id}` undoes it).
    #[schema(schema_with = crate::web::api::contract::rotation::uuid_or_null)]
    pub shift_id: Option<String>,
    /// When it was asked for.
    #[schema(schema_with = schemas::instant)]
    pub created_at: String,
}

fn status_names() -> Vec<&'static str> {
    CoverStatus::ALL.iter().map(|s| s.as_str()).collect()
}

fn status_schema() -> Object {
    contract::enum_schema(&status_names(), false, "open, taken or cancelled")
}

fn status_filter_schema() -> Object {
    let mut names = status_names();
    names.push("all");
    contract::enum_schema(&names, false, "open (the default), taken, cancelled or all")
}

/// The start of a cover: ahead of now.
fn cover_start() -> Object {
    contract::instant_schema(
        false,
        "RFC 3339 with any offset; may lie in the past (cover recorded afterwards)",
        Some("2031-03-04T14:00:00Z"),
    )
}

/// The end of a cover.
fn cover_end() -> Object {
    contract::instant_schema(
        false,
        "RFC 3339 with any offset; after starts_at, at most 14 days later",
        Some("2031-03-04T18:00:00+00:00"),
    )
}

fn username_or_null() -> Object {
    contract::USERNAME_TEXT.schema(true)
}

impl CoverRequestJson {
    /// `r` with the people it names.
    pub fn new(r: &CoverRequest, people: &HashMap<String, User>) -> CoverRequestJson {
        let name = |id: &str| {
            people
                .get(id)
                .map(|u| u.username.clone())
                .unwrap_or_default()
        };
        CoverRequestJson {
            id: r.id.clone(),
            role: r.role.clone(),
            requester: name(&r.requester_id),
            starts_at: ts(r.starts()),
            ends_at: ts(r.ends()),
            status: r.status.clone(),
            taken_by: r.taken_by_id.as_deref().map(name),
            taken_at: r.taken_at.map(|t| ts(time::from_db(t))),
            assigned_by: r.assigned_by_id.as_deref().map(name),
            shift_id: r.shift_id.clone(),
            created_at: ts(time::from_db(r.created_at)),
        }
    }
}

fn one_json(conn: &mut DbConnection, r: &CoverRequest) -> Result<CoverRequestJson, AppError> {
    let mut people = cover::people(conn, std::slice::from_ref(r))?;
    if let Some(a) = &r.assigned_by_id {
        people.extend(users::find_many(conn, &[a.as_str()])?);
    }
    Ok(CoverRequestJson::new(r, &people))
}

/// Cover requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverRequestList {
    /// Those not over yet, by start.
    pub cover_requests: Vec<CoverRequestJson>,
}

/// The filters of `GET /api/v1/cover-requests`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverParams {
    /// `open` (the default), `taken`, `cancelled` or `all`.
    #[param(schema_with = status_filter_schema)]
    status: Option<String>,
    /// Only this rotation role's.
    #[param(schema_with = schemas::rotation_role)]
    role: Option<String>,
}

/// Cover requests that are not over yet (ending after now), by start: open
/// ones by default.
#[utoipa::path(get, path = "/api/v1/cover-requests", tag = "shifts", params(CoverParams),
    responses((status = 200, body = CoverRequestList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_cover_requests(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<CoverParams>,
) -> Result<web::Json<CoverRequestList>, ApiError> {
    let mut names = status_names();
    names.push("all");
    let status = match params.status.as_deref() {
        None => Some(CoverStatus::Open),
        Some(s) => CoverStatus::exact(contract::one_of("status", s, &names)?),
    };
    let role = match params.role.as_deref() {
        Some(r) => Some(contract::ROLE_TEXT.check("role", r)?.trim().to_owned()),
        None => None,
    };
    let list = state
        .db
        .run(move |conn| {
            let rows = cover::upcoming(conn, time::now(), status, role.as_deref(), 500)?;
            let mut people = cover::people(conn, &rows)?;
            let admins: Vec<&str> = rows
                .iter()
                .filter_map(|r| r.assigned_by_id.as_deref())
                .collect();
            people.extend(users::find_many(conn, &admins)?);
            Ok(rows
                .iter()
                .map(|r| CoverRequestJson::new(r, &people))
                .collect())
        })
        .await?;
    Ok(web::Json(CoverRequestList {
        cover_requests: list,
    }))
}

/// A new cover request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCoverRequest {
    /// The rotation role to be covered in (`EOC`, …); the requester is a member of it.
    #[schema(schema_with = schemas::rotation_role)]
    role: String,
    /// When the cover starts (may lie in the past: cover recorded afterwards).
    #[schema(schema_with = cover_start)]
    starts_at: String,
    /// When it ends: after `starts_at`, at most 14 days later.
    #[schema(schema_with = cover_end)]
    ends_at: String,
    /// Whom it is for: yourself (the default), or, for an admin, someone who is absent.
    #[serde(default)]
    #[schema(schema_with = username_or_null)]
    requester: Option<String>,
}

/// Ask for cover. 422 naming the field: `ends_at` not after `starts_at` or
/// more than 14 days later, a `role` nobody (or not
/// the requester) is a member of. 403: `requester` names someone else and
/// the caller is not an admin. 409: `requester` names no active user, or the
/// requester has an open request of the role that overlaps.
#[utoipa::path(post, path = "/api/v1/cover-requests", tag = "shifts", request_body = CreateCoverRequest,
    responses((status = 201, body = CoverRequestJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_cover_request(
    state: web::Data<AppState>,
    user: ApiUser,
    body: ApiJson<CreateCoverRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    let role = contract::ROLE_TEXT.check("role", &input.role)?;
    let role = parse_rotation_role(role).map_err(|e| AppError::invalid("role", e))?;
    let starts = contract::instant("starts_at", &input.starts_at).map(time::whole_seconds)?;
    let ends = contract::instant("ends_at", &input.ends_at).map(time::whole_seconds)?;
    let requester = match &input.requester {
        Some(r) => Some(contract::username("requester", r)?),
        None => None,
    };
    let me = user.writer()?.clone();
    let json = state
        .db
        .run(move |conn| {
            let requester = match requester {
                Some(name) if name.as_str() != me.username => {
                    if me.role != Role::Admin {
                        return Err(AppError::Forbidden(
                            "only an admin asks for cover for someone else".into(),
                        ));
                    }
                    match users::find_by_username(conn, &name)? {
                        Some(u) if u.active => u,
                        _ => {
                            return Err(contract::conflict(
                                "requester",
                                format!("there is no active user {name}"),
                            ));
                        }
                    }
                }
                _ => me.clone(),
            };
            let made = cover::create(conn, &requester, &me, &role, (starts, ends))?;
            one_json(conn, &made)
        })
        .await?;
    Ok(HttpResponse::Created().json(json))
}

/// Taking a cover request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeCoverRequest {
    /// Who covers: yourself (the default, send `{}`), or, for an admin, the
    /// member they assign it to.
    #[serde(default)]
    #[schema(schema_with = username_or_null)]
    username: Option<String>,
}

fn cover_id(raw: &str) -> Result<String, AppError> {
    parse_id(raw).map_err(|_| AppError::NotFound("no such cover request".into()))
}

/// Take a cover request (send `{}`), or, as an admin, assign it to
/// `username`: the override shift is written, the requester's own explicit
/// shifts of the role give way for the span, and the requester is told in
/// chat and on their pages. 403: not a member of the role (admins may), or
/// naming someone else without being an admin. 409: taken already,
/// cancelled, over, your own request, `username` names no user, or the
/// taker has an overlapping shift in the role.
#[utoipa::path(post, path = "/api/v1/cover-requests/{id}/take", tag = "shifts",
    params(("id" = String, Path, format = Uuid, description = "UUID")), request_body = TakeCoverRequest,
    responses((status = 200, body = CoverRequestJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn take_cover_request(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: ApiJson<TakeCoverRequest>,
) -> Result<web::Json<CoverRequestJson>, ApiError> {
    let id = cover_id(&path)?;
    let assignee = match &body.0.username {
        Some(u) => Some(contract::username("username", u)?),
        None => None,
    };
    let me = user.writer()?.clone();
    let st = state.clone();
    let json = state
        .db
        .run(move |conn| {
            let assignee = match assignee {
                Some(name) => Some(users::find_by_username(conn, &name)?.ok_or_else(|| {
                    contract::conflict("username", format!("there is no user {name}"))
                })?),
                None => None,
            };
            let taken = cover::take(conn, &st.chat, &id, &me, assignee.as_ref())?;
            one_json(conn, &taken)
        })
        .await?;
    state.chat.bell.ring();
    Ok(web::Json(json))
}

/// Cancel an open cover request: its requester, whoever asked for them, or
/// an admin (else 403); 409 when it is not open.
#[utoipa::path(post, path = "/api/v1/cover-requests/{id}/cancel", tag = "shifts",
    params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 200, body = CoverRequestJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel_cover_request(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<web::Json<CoverRequestJson>, ApiError> {
    let id = cover_id(&path)?;
    let me = user.writer()?.clone();
    let json = state
        .db
        .run(move |conn| {
            let done = cover::cancel(conn, &id, &me)?;
            one_json(conn, &done)
        })
        .await?;
    Ok(web::Json(json))
}
