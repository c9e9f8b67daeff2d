//! `POST /api/v1/handoffs/{id}/acknowledge`: "I have it".

use actix_web::web;

use crate::db::models::handoffs;
use crate::web::api::ApiUser;
use crate::web::api::handoffs::json::{HandoffJson, load_one};
use crate::web::respond::{ApiError, ErrorBody};
use crate::web::{AppState, parse_id};

/// The pending recipient takes the handoff.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/acknowledge", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 200, body = HandoffJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a viewer, or not the pending recipient"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "nothing is pending")),
    security(("bearer" = [])))]
pub async fn acknowledge_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    let me = user.writer()?.clone();
    let id = parse_id(&path)?;
    let st = state.clone();
    let h = state
        .write(move |conn| {
            handoffs::acknowledge(conn, &id, &me, &st.chat)?;
            load_one(conn, &st, &id, false)
        })
        .await?;
    Ok(web::Json(h))
}
