//! `POST /api/v1/handoffs/{id}/notes`: add a note, maybe passing the
//! handoff, with the domain's rules for the body, the pass and the issue
//! links, as the note form (`web::handoffs::notes`) applies them.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::models::handoffs::{self, NewNote};
use crate::db::models::loaded::Loaded;
use crate::domain::handoff::parse_note_body;
use crate::error::AppError;
use crate::web::api::ApiUser;
use crate::web::api::contract::{self, ApiJson, schemas};
use crate::web::api::handoffs::json::{NoteJson, note_json};
use crate::web::api::handoffs::recipient;
use crate::web::respond::{ApiError, ErrorBody};
use crate::web::{AppState, parse_id};

/// A note to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNote {
    /// Markdown.
    #[schema(schema_with = schemas::note_body)]
    body: String,
    /// Pass the handoff to this username.
    #[serde(default)]
    #[schema(schema_with = schemas::recipient_or_null)]
    pass_to: Option<String>,
    /// GitLab issues to link (to the note and the handoff).
    #[serde(default)]
    #[schema(schema_with = schemas::note_issues)]
    issues: Vec<String>,
}

/// Add a note, maybe passing the handoff.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/notes", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    request_body = AddNote,
    responses((status = 201, body = NoteJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such handoff"),
        (status = 409, body = ErrorBody, description = "the handoff is resolved, or pass_to names no user, a viewer, or who holds it already"), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_note(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: ApiJson<AddNote>,
) -> Result<HttpResponse, ApiError> {
    let author = user.writer()?.clone();
    let id = parse_id(&path)?;
    let input = body.0;
    let note_body = contract::NOTE_BODY.check("body", &input.body)?;
    let note_body = parse_note_body("body", note_body)?;
    let pass_to = input
        .pass_to
        .as_deref()
        .map(|p| contract::recipient("pass_to", p))
        .transpose()?;
    let issues = contract::issues("issues", &input.issues, &state.settings.gitlab)?;
    let st = state.clone();
    let written = state
        .write(move |conn| {
            // An unknown handoff is a 404 before anything about the recipient.
            handoffs::find(conn, &id)?;
            let pass_to = match &pass_to {
                Some(name) => Some(recipient(conn, "pass_to", name)?),
                None => None,
            };
            let named = pass_to.as_ref().map(|u| u.username.clone());
            let note = handoffs::add_note(
                conn,
                &id,
                &author,
                NewNote {
                    body: note_body,
                    pass_to,
                    issues,
                },
                &st.settings.gitlab,
                &st.chat,
            )
            .map_err(|e| match (e, named) {
                // The handoff's state rules refuse a pass to whoever holds
                // it with nothing pending: well formed, so a conflict with
                // who holds it, said with their name.
                (AppError::Invalid { field, .. }, Some(name)) if field == "pass_to" => {
                    contract::conflict("pass_to", format!("{name} already holds this handoff"))
                }
                (other, _) => other,
            })?;
            Ok((id, note))
        })
        .await?;
    // Read back on the pool, not in the writer's batch.
    let st = state.clone();
    let note = state
        .db
        .run(move |conn| {
            let (id, note) = written;
            let h = handoffs::find(conn, &id)?;
            let people = [
                note.author_id.as_str(),
                note.pass_to_id.as_deref().unwrap_or_default(),
            ];
            let mut loaded = Loaded::links_and_people(conn, vec![h], &people)?;
            loaded.read_gitlab(conn, &st.settings.live)?;
            Ok(note_json(&note, &loaded.handoffs[0], &loaded, &st))
        })
        .await?;
    Ok(HttpResponse::Created().json(note))
}
