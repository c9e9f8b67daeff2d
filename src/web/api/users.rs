//! `/api/v1/users/me`.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::users::{self, User};
use crate::domain::time::{self, Timezone};
use crate::domain::user::parse_display_name;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::contract::{self, ApiJson, schemas};
use crate::web::api::{ApiUser, UserJson};
use crate::web::respond::{ApiError, ErrorBody};

/// Your profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileJson {
    /// You, with your local time.
    #[serde(flatten)]
    pub user: UserJson,
    /// `viewer`, `responder` or `admin`.
    #[schema(schema_with = schemas::role)]
    pub role: String,
}

impl ProfileJson {
    fn new(user: &User) -> ProfileJson {
        ProfileJson {
            user: UserJson::new(user, time::now()),
            role: user.role.as_str().to_owned(),
        }
    }
}

/// Your profile.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users",
    responses((status = 200, body = ProfileJson, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_me(user: ApiUser) -> web::Json<ProfileJson> {
    web::Json(ProfileJson::new(&user.0))
}

/// A change to your profile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchMe {
    /// Display name.
    #[serde(default)]
    #[schema(schema_with = schemas::display_name_or_null)]
    name: Option<String>,
    /// IANA time zone, such as `Europe/Amsterdam`.
    #[serde(default)]
    #[schema(schema_with = schemas::zone_or_null)]
    timezone: Option<String>,
}

/// Change your display name or time zone.
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", request_body = PatchMe,
    responses((status = 200, body = ProfileJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_me(
    state: web::Data<AppState>,
    user: ApiUser,
    body: ApiJson<PatchMe>,
) -> Result<web::Json<ProfileJson>, ApiError> {
    let me = user.0;
    let body = body.0;
    let name = match &body.name {
        Some(n) => {
            let n = contract::DISPLAY_NAME.check("name", n)?;
            parse_display_name(n).map_err(|e| AppError::invalid("name", e))?
        }
        None => me.name.clone(),
    };
    let tz = match &body.timezone {
        Some(t) => {
            let t = contract::zone("timezone", t)?;
            Timezone::parse(t).map_err(|e| AppError::invalid("timezone", e))?
        }
        None => me.timezone,
    };
    let updated = state
        .db
        .run(move |conn| Ok(users::update_profile(conn, &me.id, &name, tz)?))
        .await?;
    Ok(web::Json(ProfileJson::new(&updated)))
}
