//! `/api/v1/rotations`: a role's members and rhythm, from which shifts are
//! derived. A change to the rhythm or the members is a new plan from an
//! instant on (`from`, now by default, never earlier): the past is kept.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::models::future;
use crate::db::models::rotations::{self, Loaded, PlanInput, PlanRow};
use crate::domain::rotation::MAX_MEMBERS;
use crate::domain::shift::parse_rotation_role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::api::contract::{self, ApiJson, rotation as rules, schemas};
use crate::web::api::{ApiUser, ts};
use crate::web::respond::{ApiError, ErrorBody};
use crate::web::{AppState, parse_id};

/// One plan of a rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanJson {
    /// From when it is in force (until the next plan's).
    #[schema(schema_with = schemas::instant)]
    pub effective_from: String,
    /// The instant its shifts are counted from.
    #[schema(schema_with = schemas::instant)]
    pub starts_at: String,
    /// `12h`, `7d`, or daily hand-off times in UTC `00:00,08:00,16:00`.
    pub rhythm: String,
    /// Member usernames in order.
    pub members: Vec<String>,
}

/// A rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotationJson {
    /// UUID.
    #[schema(schema_with = schemas::uuid)]
    pub id: String,
    /// Its name.
    pub name: String,
    /// The rotation role of its shifts.
    pub role: String,
    /// The plan in force now (or the first, before it starts): its anchor.
    #[schema(schema_with = schemas::instant)]
    pub starts_at: String,
    /// The plan in force now: its rhythm.
    pub rhythm: String,
    /// The plan in force now: its members in order.
    pub members: Vec<String>,
    /// Every plan, by the instant it takes effect.
    pub plans: Vec<PlanJson>,
}

fn plan_json(conn: &mut DbConnection, plan: &PlanRow) -> Result<PlanJson, AppError> {
    Ok(PlanJson {
        effective_from: ts(time::from_db(plan.effective_from)),
        starts_at: ts(time::from_db(plan.starts_at)),
        rhythm: plan.rhythm.clone(),
        members: rotations::member_names(conn, plan)?
            .into_iter()
            .map(|u| u.username)
            .collect(),
    })
}

fn rotation_json(conn: &mut DbConnection, loaded: &Loaded) -> Result<RotationJson, AppError> {
    let plans = loaded
        .plans
        .iter()
        .map(|p| plan_json(conn, p))
        .collect::<Result<Vec<_>, _>>()?;
    let current = loaded
        .plan_at(time::now())
        .and_then(|p| loaded.plans.iter().position(|q| q.id == p.id))
        .and_then(|i| plans.get(i));
    Ok(RotationJson {
        id: loaded.rotation.id.clone(),
        name: loaded.rotation.name.clone(),
        role: loaded.rotation.role.clone(),
        starts_at: current.map(|p| p.starts_at.clone()).unwrap_or_default(),
        rhythm: current.map(|p| p.rhythm.clone()).unwrap_or_default(),
        members: current.map(|p| p.members.clone()).unwrap_or_default(),
        plans,
    })
}

/// Every rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotationList {
    /// By role and name.
    pub rotations: Vec<RotationJson>,
}

/// Every rotation, by role and name.
#[utoipa::path(get, path = "/api/v1/rotations", tag = "rotations",
    responses((status = 200, body = RotationList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_rotations(
    state: web::Data<AppState>,
    _user: ApiUser,
) -> Result<web::Json<RotationList>, ApiError> {
    let list = state
        .db
        .run(|conn| {
            let all = rotations::list(conn)?;
            all.iter()
                .map(|r| rotation_json(conn, r))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(web::Json(RotationList { rotations: list }))
}

/// A new rotation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "EOC follow the sun", "role": "EOC", "starts_at": "2026-11-29T00:00:00Z",
    "rhythm": "00:00,08:00,16:00", "members": ["alice", "bob"]}))]
pub struct CreateRotation {
    /// What people call it.
    #[schema(schema_with = rules::name_schema_required)]
    name: String,
    /// The rotation role of its shifts (`EOC`, `IMOC`, `CMOC`, …).
    #[schema(schema_with = schemas::rotation_role)]
    role: String,
    /// When its first shift starts (with hand-off times: the first of them at or after this).
    #[schema(schema_with = schemas::start)]
    starts_at: String,
    /// A fixed length (`12h`, `7d`, 1 hour to 14 days) or daily hand-off times in UTC (`00:00,08:00,16:00`).
    #[schema(schema_with = rules::rhythm_schema)]
    rhythm: String,
    /// Usernames in the order they take their shifts.
    #[schema(schema_with = rules::members_schema)]
    members: Vec<String>,
}

/// Each member's username as the document describes it, and the list's length.
fn check_member_names(names: &[String]) -> Result<(), AppError> {
    if names.len() > MAX_MEMBERS {
        return Err(AppError::invalid(
            "members",
            format!("a rotation has at most {MAX_MEMBERS} members"),
        ));
    }
    for (i, m) in names.iter().enumerate() {
        contract::USERNAME_TEXT.check(&members_field(Some(i)), m)?;
    }
    Ok(())
}

fn members_field(i: Option<usize>) -> String {
    match i {
        Some(i) => format!("members[{i}]"),
        None => "members".to_owned(),
    }
}

/// Make a rotation. An unknown member, an empty member list, hand-off
/// times out of order or a length out of range is a 422 naming the field.
#[utoipa::path(post, path = "/api/v1/rotations", tag = "rotations", request_body = CreateRotation,
    responses((status = 201, body = RotationJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_rotation(
    state: web::Data<AppState>,
    user: ApiUser,
    body: ApiJson<CreateRotation>,
) -> Result<HttpResponse, ApiError> {
    let me = user.writer()?.clone();
    let input = body.0;
    let name = rules::ROTATION_NAME
        .check("name", &input.name)?
        .trim()
        .to_owned();
    let role = contract::ROLE_TEXT.check("role", &input.role)?;
    let role = parse_rotation_role(role).map_err(|e| AppError::invalid("role", e))?;
    let starts_at = contract::instant("starts_at", &input.starts_at).map(time::whole_seconds)?;
    let rhythm = rules::rhythm("rhythm", &input.rhythm)?;
    check_member_names(&input.members)?;
    let json = state
        .db
        .run(move |conn| {
            let members = rotations::resolve_members(conn, &input.members, &members_field)?;
            let plan = PlanInput {
                starts_at,
                rhythm,
                members,
            };
            let cause = format!("{} made the rotation “{name}”", me.username);
            let made = future::recording(conn, &cause, |conn| {
                rotations::create(conn, &name, &role, &plan)
            })?;
            rotation_json(conn, &made)
        })
        .await?;
    Ok(HttpResponse::Created().json(json))
}

fn rotation_id(raw: &str) -> Result<String, AppError> {
    parse_id(raw).map_err(|_| AppError::NotFound("no such rotation".into()))
}

/// One rotation.
#[utoipa::path(get, path = "/api/v1/rotations/{id}", tag = "rotations", params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 200, body = RotationJson, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_rotation(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
) -> Result<web::Json<RotationJson>, ApiError> {
    let id = rotation_id(&path)?;
    let json = state
        .db
        .run(move |conn| {
            let loaded = rotations::find(conn, &id)?;
            rotation_json(conn, &loaded)
        })
        .await?;
    Ok(web::Json(json))
}

/// A change to a rotation: each field left out (or null) is kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "EOC around the world", "members": ["bob", "alice"], "from": "2026-12-01T00:00:00Z"}))]
pub struct PatchRotation {
    /// A new name.
    #[serde(default)]
    #[schema(schema_with = rules::name_schema_nullable)]
    name: Option<String>,
    /// A new role.
    #[serde(default)]
    #[schema(schema_with = rules::role_or_null)]
    role: Option<String>,
    /// A new anchor for the new plan.
    #[serde(default)]
    #[schema(schema_with = schemas::instant_or_null)]
    starts_at: Option<String>,
    /// A new rhythm for the new plan.
    #[serde(default)]
    #[schema(schema_with = rules::rhythm_or_null_schema)]
    rhythm: Option<String>,
    /// The new members, in order.
    #[serde(default)]
    #[schema(schema_with = rules::members_or_null_schema)]
    members: Option<Vec<String>>,
    /// From when a new rhythm, anchor or member list is in force: now by
    /// default; an earlier instant is taken as now (the past is kept).
    #[serde(default)]
    #[schema(schema_with = schemas::instant_or_null)]
    from: Option<String>,
}

/// Change a rotation: its name and role; its rhythm, anchor and members
/// from an instant on (never before now). 422 as for a new one.
#[utoipa::path(patch, path = "/api/v1/rotations/{id}", tag = "rotations", params(("id" = String, Path, format = Uuid, description = "UUID")),
    request_body = PatchRotation,
    responses((status = 200, body = RotationJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_rotation(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: ApiJson<PatchRotation>,
) -> Result<web::Json<RotationJson>, ApiError> {
    let me = user.writer()?.clone();
    let id = rotation_id(&path)?;
    let input = body.0;
    let name = match &input.name {
        Some(n) => Some(rules::ROTATION_NAME.check("name", n)?.trim().to_owned()),
        None => None,
    };
    let role = match &input.role {
        Some(r) => {
            let r = contract::ROLE_TEXT.check("role", r)?;
            Some(parse_rotation_role(r).map_err(|e| AppError::invalid("role", e))?)
        }
        None => None,
    };
    let starts_at = match &input.starts_at {
        Some(s) => Some(contract::instant("starts_at", s).map(time::whole_seconds)?),
        None => None,
    };
    let rhythm = match &input.rhythm {
        Some(r) => Some(rules::rhythm("rhythm", r)?),
        None => None,
    };
    if let Some(members) = &input.members {
        check_member_names(members)?;
    }
    let from = match &input.from {
        Some(f) => contract::instant("from", f)?,
        None => time::now(),
    };
    let json = state
        .db
        .run(move |conn| {
            let current = rotations::find(conn, &id)?;
            let members = match &input.members {
                Some(names) => Some(rotations::resolve_members(conn, names, &members_field)?),
                None => None,
            };
            let plan = if starts_at.is_some() || rhythm.is_some() || members.is_some() {
                let base = current
                    .plan_at(from.max(time::now()))
                    .ok_or_else(|| AppError::internal(format!("rotation {id} has no plan")))?;
                let base_plan = base.plan()?;
                let members = match members {
                    Some(m) => m,
                    None => rotations::member_names(conn, base)?,
                };
                Some(PlanInput {
                    starts_at: starts_at.unwrap_or(base_plan.starts_at),
                    rhythm: rhythm.unwrap_or(base_plan.rhythm),
                    members,
                })
            } else {
                None
            };
            let name = name.unwrap_or(current.rotation.name.clone());
            let role = role.unwrap_or(current.rotation.role.clone());
            let cause = format!("{} changed the rotation “{name}”", me.username);
            let changed = future::recording(conn, &cause, |conn| {
                rotations::update(conn, &id, &name, &role, plan.as_ref().map(|p| (from, p)))
            })?;
            rotation_json(conn, &changed)
        })
        .await?;
    Ok(web::Json(json))
}

/// Delete a rotation (its derived shifts go with it; explicit shifts stay).
#[utoipa::path(delete, path = "/api/v1/rotations/{id}", tag = "rotations", params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_rotation(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cause = format!("{} deleted a rotation", user.writer()?.username);
    let id = rotation_id(&path)?;
    state
        .db
        .run(move |conn| future::recording(conn, &cause, |conn| rotations::delete(conn, &id)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
