//! `POST /api/v1/handoffs`: open a handoff, held by the caller, with its
//! first note (and maybe a pass). Each value is checked as the document
//! describes it, then parsed by the domain's rules, the same ones the
//! new-handoff form applies (`web::handoffs::new`).

use actix_web::{HttpResponse, http::header, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::models::handoffs::{self, DataLoss, NewHandoff, NewNote};
use crate::domain::handoff::{Kind, Severity, parse_note_body, parse_title};
use crate::domain::handoff_input::{check_data_loss_kind, check_first_pass};
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::ApiUser;
use crate::web::api::contract::{self, ApiJson, Int, schemas};
use crate::web::api::handoffs::data_loss::DataLossInput;
use crate::web::api::handoffs::json::{HandoffJson, load_one};
use crate::web::api::handoffs::recipient;
use crate::web::respond::{ApiError, ErrorBody};

/// The first note of a new handoff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstNote {
    /// Markdown.
    #[schema(schema_with = schemas::note_body)]
    body: String,
    /// Pass the handoff to this username.
    #[serde(default)]
    #[schema(schema_with = schemas::recipient_or_null)]
    pass_to: Option<String>,
}

/// A new handoff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHandoff {
    /// `outage` or `perceived_data_loss`.
    #[schema(schema_with = schemas::kind)]
    kind: String,
    /// One line.
    #[schema(schema_with = schemas::title)]
    title: String,
    /// The severity.
    #[schema(schema_with = schemas::severity)]
    severity: Int,
    /// GitLab issue links in any accepted form.
    #[serde(default)]
    #[schema(schema_with = schemas::handoff_issues)]
    issues: Vec<String>,
    /// The first note.
    note: FirstNote,
    /// Hide from signed-out readers and unfurls.
    #[serde(default)]
    confidential: bool,
    /// For `perceived_data_loss` only (an outage takes null or nothing).
    #[serde(default)]
    data_loss: Option<DataLossInput>,
}

/// Open a handoff, held by the caller.
#[utoipa::path(post, path = "/api/v1/handoffs", tag = "handoffs", request_body = CreateHandoff,
    responses((status = 201, body = HandoffJson, headers(("Location" = String, description = "the handoff's API URL"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "note.pass_to names no user, a viewer, or the caller (who holds the handoff they open)"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    body: ApiJson<CreateHandoff>,
) -> Result<HttpResponse, ApiError> {
    let author = user.writer()?.clone();
    let input = body.0;
    let gitlab = &state.settings.gitlab;
    let kind = contract::one_of("kind", &input.kind, &contract::kinds())?;
    let kind = Kind::parse(kind).map_err(|e| AppError::invalid("kind", e))?;
    let title = contract::TITLE.check("title", &input.title)?;
    let title = parse_title(title).map_err(|e| AppError::invalid("title", e))?;
    let (min, max) = contract::severity_range();
    let severity = contract::int_in("severity", input.severity, min, max)?;
    let severity = Severity::new(severity).map_err(|e| AppError::invalid("severity", e))?;
    let issues = contract::issues("issues", &input.issues, gitlab)?;
    let body = contract::NOTE_BODY.check("note.body", &input.note.body)?;
    let body = parse_note_body("note.body", body)?;
    let pass_to = input
        .note
        .pass_to
        .as_deref()
        .map(|p| contract::recipient("note.pass_to", p))
        .transpose()?;
    let data_loss = match input.data_loss {
        Some(d) => {
            d.check()?;
            check_data_loss_kind(kind)?;
            Some(d.apply(DataLoss::unverified())?)
        }
        None => (kind == Kind::PerceivedDataLoss).then(DataLoss::unverified),
    };
    let st = state.clone();
    let created = state
        .write(move |conn| {
            let pass_to = match &pass_to {
                Some(name) => Some(recipient(conn, "note.pass_to", name)?),
                None => None,
            };
            // Well formed, but a pass from the holder to the holder changes
            // nothing: the domain refuses it, and here it is a conflict
            // with who holds the handoff, said to the client.
            check_first_pass(&author.id, pass_to.as_ref().map(|u| u.id.as_str())).map_err(
                |_| {
                    contract::conflict(
                        "note.pass_to",
                        "you hold a handoff you open; pass it to someone else",
                    )
                },
            )?;
            let new = NewHandoff {
                kind,
                title,
                severity,
                confidential: input.confidential,
                issues,
                data_loss,
                note: NewNote {
                    body,
                    pass_to,
                    issues: vec![],
                },
            };
            let h = handoffs::create(conn, &author, new, &st.settings.gitlab, &st.chat)?;
            load_one(conn, &st, &h.id, true)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/handoffs/{}", created.id)))
        .json(created))
}
