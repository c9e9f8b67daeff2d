//! `GET /api/v1/handoffs/{id}`: one handoff with its notes.

use actix_web::web;

use crate::web::api::ApiUser;
use crate::web::api::handoffs::json::{HandoffJson, load_one};
use crate::web::respond::{ApiError, ErrorBody};
use crate::web::{AppState, parse_id};

/// One handoff with its notes, newest last.
#[utoipa::path(get, path = "/api/v1/handoffs/{id}", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 200, body = HandoffJson, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_handoff(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    let id = parse_id(&path)?;
    let st = state.clone();
    Ok(web::Json(
        state
            .db
            .run(move |conn| load_one(conn, &st, &id, true))
            .await?,
    ))
}
