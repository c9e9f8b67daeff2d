//! `GET /api/v1/handoffs`: a page of handoffs, newest activity first.

use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::models::handoffs::{self, ListFilter};
use crate::db::models::loaded::Loaded;
use crate::domain::handoff::{Kind, Status};
use crate::domain::paging::{Cursor, MAX_PAGE_SIZE, PAGE_SIZE};
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::ApiUser;
use crate::web::api::contract::{self, IssueLink, schemas};
use crate::web::api::handoffs::json::{HandoffList, handoff_json};
use crate::web::respond::{ApiError, ErrorBody};

/// The filters of `GET /api/v1/handoffs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `open` (default), `resolved` or `all`.
    #[param(schema_with = schemas::status_filter)]
    status: Option<String>,
    /// `outage` or `perceived_data_loss`.
    #[param(schema_with = schemas::kind)]
    kind: Option<String>,
    /// Only handoffs that link this GitLab issue.
    #[param(value_type = Option<IssueLink>)]
    issue: Option<String>,
    /// How many to a page (see `schemas::limit`).
    #[param(schema_with = schemas::limit)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(schema_with = schemas::cursor)]
    cursor: Option<String>,
}

/// List handoffs, newest activity first.
#[utoipa::path(get, path = "/api/v1/handoffs", tag = "handoffs", params(ListParams),
    responses((status = 200, body = HandoffList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_handoffs(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<ListParams>,
) -> Result<web::Json<HandoffList>, ApiError> {
    let params = params.into_inner();
    let gitlab = &state.settings.gitlab;
    let status = match params.status.as_deref() {
        None => Some(Status::Open),
        Some(s) => match contract::one_of("status", s, &contract::status_filters())? {
            "all" => None,
            s => Some(Status::parse(s).map_err(|e| AppError::invalid("status", e))?),
        },
    };
    let kind = params
        .kind
        .as_deref()
        .map(|k| contract::one_of("kind", k, &contract::kinds()))
        .transpose()?
        .map(Kind::parse)
        .transpose()
        .map_err(|e| AppError::invalid("kind", e))?;
    let issue = params
        .issue
        .as_deref()
        .map(|i| contract::issue("issue", i, gitlab))
        .transpose()?;
    let limit = match params.limit.as_deref() {
        None => PAGE_SIZE,
        Some(l) => contract::int_param("limit", l, 1, MAX_PAGE_SIZE)?,
    };
    let after = params
        .cursor
        .as_deref()
        .map(|c| contract::CURSOR_TEXT.check("cursor", c))
        .transpose()?
        .map(Cursor::parse)
        .transpose()
        .map_err(|e| AppError::invalid("cursor", e))?
        .map(Cursor::into_parts);
    let filter = ListFilter {
        status,
        kind,
        issue,
        after,
        limit: limit + 1,
        ..ListFilter::default()
    };
    let st = state.clone();
    let list = state
        .db
        .run(move |conn| {
            let mut found = handoffs::list(conn, &filter)?;
            let more = found.len() as i64 > limit;
            found.truncate(limit as usize);
            let next_cursor = if more {
                found
                    .last()
                    .map(|h| Cursor::after(h.last_activity_at, &h.id).to_string())
            } else {
                None
            };
            let mut loaded = Loaded::load_list(conn, found, &[])?;
            loaded.read_gitlab(conn, &st.settings.live)?;
            Ok(HandoffList {
                handoffs: loaded
                    .handoffs
                    .iter()
                    .map(|h| handoff_json(h, &loaded, &st, None))
                    .collect(),
                next_cursor,
            })
        })
        .await?;
    Ok(web::Json(list))
}
