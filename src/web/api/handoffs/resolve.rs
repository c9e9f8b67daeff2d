//! `POST /api/v1/handoffs/{id}/resolve`: resolve with a closing note, whose
//! body keeps the domain's rules for a note.

use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::models::handoffs;
use crate::domain::handoff::parse_note_body;
use crate::web::api::ApiUser;
use crate::web::api::contract::{self, ApiJson, schemas};
use crate::web::api::handoffs::json::{HandoffJson, load_one};
use crate::web::respond::{ApiError, ErrorBody};
use crate::web::{AppState, parse_id};

/// A closing note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveHandoff {
    /// Markdown.
    #[schema(schema_with = schemas::note_body)]
    body: String,
}

/// Resolve with a closing note.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/resolve", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    request_body = ResolveHandoff,
    responses((status = 200, body = HandoffJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already resolved"), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: ApiJson<ResolveHandoff>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    let author = user.writer()?.clone();
    let id = parse_id(&path)?;
    let note_body = contract::NOTE_BODY.check("body", &body.0.body)?;
    let note_body = parse_note_body("body", note_body)?;
    let st = state.clone();
    let h = state
        .write(move |conn| {
            handoffs::resolve(conn, &id, &author, note_body, &st.settings.gitlab, &st.chat)?;
            load_one(conn, &st, &id, false)
        })
        .await?;
    Ok(web::Json(h))
}
