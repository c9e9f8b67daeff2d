//! `PATCH /api/v1/handoffs/{id}`: change a handoff's details against the
//! version last read, with the domain's rules for each value, as the
//! details form (`web::handoffs::details`) applies them.

use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::models::handoffs::{self, DataLoss, Patch};
use crate::domain::handoff::{Severity, parse_title};
use crate::domain::handoff_input::check_data_loss_kind;
use crate::error::AppError;
use crate::web::api::ApiUser;
use crate::web::api::contract::{self, ApiJson, Int, schemas};
use crate::web::api::handoffs::data_loss::DataLossInput;
use crate::web::api::handoffs::json::{HandoffJson, load_one};
use crate::web::respond::{ApiError, ErrorBody};
use crate::web::{AppState, parse_id};

/// A change to a handoff; `version` is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchHandoff {
    /// The version the change is made against (from the last read).
    #[schema(schema_with = schemas::version)]
    version: Int,
    /// New title.
    #[serde(default)]
    #[schema(schema_with = schemas::title_or_null)]
    title: Option<String>,
    /// New severity.
    #[serde(default)]
    #[schema(schema_with = schemas::severity_or_null)]
    severity: Option<Int>,
    /// The new full list of the handoff's issue links.
    #[serde(default)]
    #[schema(schema_with = schemas::handoff_issues_or_null)]
    issues: Option<Vec<String>>,
    /// New confidential flag.
    #[serde(default)]
    confidential: Option<bool>,
    /// Data-loss fields to change (a perceived_data_loss handoff only; on
    /// an outage, a 409).
    #[serde(default)]
    data_loss: Option<DataLossInput>,
}

/// Change title, severity, issues, confidential flag or data-loss fields.
#[utoipa::path(patch, path = "/api/v1/handoffs/{id}", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    request_body = PatchHandoff,
    responses((status = 200, body = HandoffJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "a stale version, or data_loss on an outage"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: ApiJson<PatchHandoff>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    user.writer()?;
    let id = parse_id(&path)?;
    let input = body.0;
    let version = contract::int_in("version", input.version, 1, i64::from(i32::MAX))?;
    let version = i32::try_from(version).map_err(|_| AppError::invalid("version", "too large"))?;
    let gitlab = &state.settings.gitlab;
    if let Some(d) = &input.data_loss {
        d.check()?;
    }
    let (min, max) = contract::severity_range();
    let mut patch = Patch {
        version,
        title: input
            .title
            .as_deref()
            .map(|t| contract::TITLE.check("title", t))
            .transpose()?
            .map(parse_title)
            .transpose()
            .map_err(|e| AppError::invalid("title", e))?,
        severity: input
            .severity
            .map(|s| contract::int_in("severity", s, min, max))
            .transpose()?
            .map(Severity::new)
            .transpose()
            .map_err(|e| AppError::invalid("severity", e))?,
        issues: input
            .issues
            .as_deref()
            .map(|i| contract::issues("issues", i, gitlab))
            .transpose()?,
        confidential: input.confidential,
        data_loss: None,
    };
    let st = state.clone();
    let updated = state
        .write(move |conn| {
            if let Some(d) = input.data_loss {
                let current = handoffs::find(conn, &id)?;
                // The request is well formed; this handoff's kind is what
                // the domain refuses it for: a conflict, naming the field.
                check_data_loss_kind(current.kind).map_err(|e| {
                    contract::conflict(
                        "data_loss",
                        format!("this handoff is an outage; {}", e.message()),
                    )
                })?;
                let record = current.data_loss().unwrap_or_else(DataLoss::unverified);
                patch.data_loss = Some(d.apply(record)?);
            }
            handoffs::update(conn, &id, patch)?;
            load_one(conn, &st, &id, false)
        })
        .await?;
    Ok(web::Json(updated))
}
