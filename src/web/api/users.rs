//! `/api/v1/users/me`.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use diesel::Connection;

use crate::db::models::chat_handles;
use crate::db::models::users::{self, User};
use crate::domain::chat::parse_handle;
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
    /// Your chat handle (a Slack member id or a Mattermost username):
    /// chat messages mention it instead of your name. Null when none.
    pub chat_handle: Option<String>,
}

impl ProfileJson {
    fn new(user: &User, chat_handle: Option<String>) -> ProfileJson {
        ProfileJson {
            user: UserJson::new(user, time::now()),
            role: user.role.as_str().to_owned(),
            chat_handle,
        }
    }
}

/// Your profile.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users",
    responses((status = 200, body = ProfileJson, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_me(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<web::Json<ProfileJson>, ApiError> {
    let me = user.0;
    let id = me.id.clone();
    let handle = state
        .db
        .run(move |conn| Ok(chat_handles::of(conn, &id)?))
        .await?;
    Ok(web::Json(ProfileJson::new(&me, handle)))
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
    /// Your chat handle; an empty string removes it.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 64, pattern = "^@?[A-Za-z0-9._-]*$", examples("U024BE7LH"))]
    chat_handle: Option<String>,
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
    let handle = match &body.chat_handle {
        Some(h) => Some(parse_handle(h).map_err(|e| AppError::invalid("chat_handle", e))?),
        None => None,
    };
    let (updated, handle) = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let updated = users::update_profile(conn, &me.id, &name, tz)?;
                if let Some(handle) = &handle {
                    chat_handles::set(conn, &me.id, handle.as_deref())?;
                }
                let handle = chat_handles::of(conn, &me.id)?;
                Ok::<_, AppError>((updated, handle))
            })
        })
        .await?;
    Ok(web::Json(ProfileJson::new(&updated, handle)))
}
