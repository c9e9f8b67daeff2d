//! `/api/v1/shifts` and `/api/v1/oncall`.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::future;
use crate::db::models::schedule::{self, OnCall};
use crate::db::models::shifts::{self, Shift, ShiftInput};
use crate::db::models::users::{self, User};
use crate::domain::rotation::Source;
use crate::domain::shift::{check_span, parse_rotation_role};
use crate::domain::time;
use crate::error::AppError;
use crate::web::api::contract::{self, ApiJson, rotation as rules, schemas};
use crate::web::api::{ApiUser, UserJson, ts};
use crate::web::respond::{ApiError, ErrorBody};
use crate::web::{AppState, parse_id};

/// The longest span one `GET /api/v1/shifts` may ask for.
const MAX_SPAN_DAYS: i64 = 92;

/// The rotation a derived shift comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotationRef {
    /// UUID.
    #[schema(schema_with = schemas::uuid)]
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A shift of the final schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftJson {
    /// The explicit shift's UUID; null for a derived one.
    #[schema(schema_with = rules::uuid_or_null)]
    pub id: Option<String>,
    /// A name that stays the same for the same shift (the feeds' UID).
    pub uid: String,
    /// `rotation` (derived) or `override` (explicit, wins over derived ones).
    #[schema(schema_with = rules::source_schema)]
    pub source: String,
    /// The rotation of a derived shift; null for an explicit one.
    pub rotation: Option<RotationRef>,
    /// Who is on call.
    pub username: String,
    /// The rotation role.
    pub role: String,
    /// RFC 3339 UTC.
    #[schema(schema_with = schemas::instant)]
    pub starts_at: String,
    /// RFC 3339 UTC.
    #[schema(schema_with = schemas::instant)]
    pub ends_at: String,
}

impl ShiftJson {
    /// A shift of the final schedule.
    pub fn scheduled(o: &OnCall) -> ShiftJson {
        let (id, source, rotation) = match &o.shift.source {
            Source::Override { shift_id } => (Some(shift_id.clone()), "override", None),
            Source::Rotation {
                rotation_id, name, ..
            } => (
                None,
                "rotation",
                Some(RotationRef {
                    id: rotation_id.clone(),
                    name: name.clone(),
                }),
            ),
        };
        ShiftJson {
            id,
            uid: o.shift.uid(),
            source: source.to_owned(),
            rotation,
            username: o.user.username.clone(),
            role: o.shift.role.clone(),
            starts_at: ts(o.shift.starts),
            ends_at: ts(o.shift.ends),
        }
    }

    fn new(shift: &Shift, user: &User) -> ShiftJson {
        ShiftJson {
            id: Some(shift.id.clone()),
            uid: format!("shift-{}@baton", shift.id),
            source: "override".to_owned(),
            rotation: None,
            username: user.username.clone(),
            role: shift.role.clone(),
            starts_at: ts(shift.starts()),
            ends_at: ts(shift.ends()),
        }
    }
}

/// Shifts in a span.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftList {
    /// The start of the span answered.
    #[schema(schema_with = schemas::instant)]
    pub from: String,
    /// The end of the span answered: `to` as asked, or 92 days after
    /// `from` when more was asked (ask again from here for the rest).
    #[schema(schema_with = schemas::instant)]
    pub to: String,
    /// Those of the final schedule that overlap the span (whole), by
    /// start: derived ones where no explicit shift of their role wins.
    pub shifts: Vec<ShiftJson>,
}

/// The span of `GET /api/v1/shifts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanParams {
    /// RFC 3339 (default now).
    #[param(schema_with = schemas::start)]
    from: Option<String>,
    /// RFC 3339; default seven days after `from` on the caller's local
    /// calendar (the same wall-clock time in their profile's zone). One
    /// answer covers at most 92 days: the answer's `to` says where it
    /// stopped. A `to` at or before `from` is an empty span.
    #[param(schema_with = schemas::end)]
    to: Option<String>,
}

/// The final schedule's shifts that overlap `[from, to)`, 92 days at most,
/// derived (`source: rotation`) and explicit (`source: override`) alike.
#[utoipa::path(get, path = "/api/v1/shifts", tag = "shifts", params(SpanParams),
    responses((status = 200, body = ShiftList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_shifts(
    state: web::Data<AppState>,
    user: ApiUser,
    params: web::Query<SpanParams>,
) -> Result<web::Json<ShiftList>, ApiError> {
    let from = match params.from.as_deref() {
        Some(f) => contract::instant("from", f)?,
        None => time::now(),
    };
    let to = match params.to.as_deref() {
        Some(t) => contract::instant("to", t)?,
        // A week is seven local days, not 168 hours.
        None => user.0.timezone.add_days(from, 7),
    };
    // A span longer than a query may cover is answered in part, and says so.
    let to = to.min(from + Duration::days(MAX_SPAN_DAYS)).max(from);
    let rows = if to > from {
        state
            .db
            .run(move |conn| schedule::between(conn, from, to))
            .await?
    } else {
        vec![]
    };
    Ok(web::Json(ShiftList {
        from: ts(from),
        to: ts(to),
        shifts: rows.iter().map(ShiftJson::scheduled).collect(),
    }))
}

/// A new shift.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShift {
    /// Who is on call.
    #[schema(schema_with = schemas::username)]
    username: String,
    /// The rotation role (`EOC`, `IMOC`, `CMOC`, …).
    #[schema(schema_with = schemas::rotation_role)]
    role: String,
    /// RFC 3339; kept to the second (a fraction of a second is dropped).
    #[schema(schema_with = schemas::start)]
    starts_at: String,
    /// RFC 3339, after `starts_at`, at most 14 days later; kept to the second.
    #[schema(schema_with = schemas::end)]
    ends_at: String,
}

/// Record a shift.
#[utoipa::path(post, path = "/api/v1/shifts", tag = "shifts", request_body = CreateShift,
    responses((status = 201, body = ShiftJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "username names no user, ends_at is not after starts_at or is more than 14 days later, or the person has an overlapping shift in this role"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_shift(
    state: web::Data<AppState>,
    user: ApiUser,
    body: ApiJson<CreateShift>,
) -> Result<HttpResponse, ApiError> {
    let me = user.writer()?.clone();
    let input = body.0;
    let username = contract::username("username", &input.username)?;
    let role = contract::ROLE_TEXT.check("role", &input.role)?;
    let role = parse_rotation_role(role).map_err(|e| AppError::invalid("role", e))?;
    // Shift times are kept to the second (a fraction is dropped), so that
    // the edit form, which shows seconds, gives back exactly what is stored.
    let starts_at = contract::instant("starts_at", &input.starts_at).map(time::whole_seconds)?;
    let ends_at = contract::instant("ends_at", &input.ends_at).map(time::whole_seconds)?;
    let shift = state
        .db
        .run(move |conn| {
            let user = users::find_by_username(conn, &username)?.ok_or_else(|| {
                contract::conflict("username", format!("there is no user {username}"))
            })?;
            // Each time is well formed alone; the pair is not a shift the
            // schedule can hold, as an overlapping one is not.
            check_span(starts_at, ends_at).map_err(|e| contract::conflict("ends_at", e))?;
            let input = ShiftInput {
                user_id: user.id.clone(),
                role,
                starts_at,
                ends_at,
            };
            let cause = format!("{} added an override shift", me.username);
            let shift = future::recording(conn, &cause, |conn| shifts::create(conn, &input))?;
            Ok(ShiftJson::new(&shift, &user))
        })
        .await?;
    Ok(HttpResponse::Created().json(shift))
}

/// Delete a shift.
#[utoipa::path(delete, path = "/api/v1/shifts/{id}", tag = "shifts", params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_shift(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cause = format!("{} deleted an override shift", user.writer()?.username);
    let id = parse_id(&path).map_err(|_| AppError::NotFound("no such shift".into()))?;
    state
        .db
        .run(move |conn| future::recording(conn, &cause, |conn| shifts::delete(conn, &id)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Someone on call.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallJson {
    /// The person, with their local time.
    pub user: UserJson,
    /// When their shift started.
    #[schema(schema_with = schemas::instant)]
    pub starts_at: String,
    /// When their shift ends.
    #[schema(schema_with = schemas::instant)]
    pub ends_at: String,
    /// `rotation` (derived) or `override` (explicit).
    #[schema(schema_with = rules::source_schema)]
    pub source: String,
}

/// The next shift in a role.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextJson {
    /// The person.
    pub user: UserJson,
    /// When their shift starts.
    #[schema(schema_with = schemas::instant)]
    pub starts_at: String,
}

/// One rotation role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleJson {
    /// The role.
    pub role: String,
    /// Who is on call at the instant (empty when nobody).
    pub on_call: Vec<OnCallJson>,
    /// The next shift to start.
    pub next: Option<NextJson>,
}

/// Who is on call at an instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallList {
    /// The instant this answers for.
    #[schema(schema_with = schemas::instant)]
    pub now: String,
    /// Every role with a current or upcoming shift (within 14 days), by name.
    pub roles: Vec<RoleJson>,
}

/// The instant of `GET /api/v1/oncall`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtParams {
    /// RFC 3339 (default now).
    #[param(schema_with = schemas::start)]
    at: Option<String>,
}

/// Who is on call at an instant (now by default), per role, from the final
/// schedule (rotations, overrides), with their time zone and local time.
#[utoipa::path(get, path = "/api/v1/oncall", tag = "shifts", params(AtParams),
    responses((status = 200, body = OnCallList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn oncall(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<AtParams>,
) -> Result<web::Json<OnCallList>, ApiError> {
    let now = match params.at.as_deref() {
        Some(a) => contract::instant("at", a)?,
        None => time::now(),
    };
    let roles = state
        .db
        .run(move |conn| schedule::on_call(conn, now))
        .await?;
    Ok(web::Json(OnCallList {
        now: ts(now),
        roles: roles
            .into_iter()
            .map(|r| RoleJson {
                on_call: r
                    .current
                    .iter()
                    .map(|o| OnCallJson {
                        user: UserJson::new(&o.user, now),
                        starts_at: ts(o.shift.starts),
                        ends_at: ts(o.shift.ends),
                        source: ShiftJson::scheduled(o).source,
                    })
                    .collect(),
                next: r.next.as_ref().map(|o| NextJson {
                    user: UserJson::new(&o.user, now),
                    starts_at: ts(o.shift.starts),
                }),
                role: r.role,
            })
            .collect(),
    }))
}
