//! `POST /api/v1/handoffs/{id}/notes`: add a note, maybe passing the
//! handoff, with the domain's rules for the body, the pass and the issue
//! links, as the note form (`web::handoffs::notes`) applies them.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::models::handoffs::{self, NewNote, Rendered};
use crate::db::models::loaded::Loaded;
use crate::domain::handoff::parse_note_body;
use crate::error::AppError;
use crate::web::api::ApiUser;
use crate::web::api::contract::{self, ApiJson, schemas};
use crate::web::api::handoffs::json::{NoteJson, note_json};
use crate::web::api::handoffs::recipient;
use crate::web::cache::CallersUntouched;
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
    // Rendered here, on the worker, so that SQLite's single writer only writes.
    let rendered = Rendered::of(&note_body, &state.settings.gitlab);
    let st = state.clone();
    let writer = author.clone();
    let (written, pass_to) = state
        .write(move |conn| {
            let pass_to = match &pass_to {
                Some(name) => {
                    // An unknown handoff is a 404 before anything about the recipient.
                    handoffs::find(conn, &id)?;
                    Some(recipient(conn, "pass_to", name)?)
                }
                None => None,
            };
            let named = pass_to.clone();
            let written = handoffs::add_note(
                conn,
                &id,
                &writer,
                NewNote {
                    body: note_body,
                    pass_to,
                    issues,
                },
                rendered,
                &st.chat,
            )
            .map_err(|e| match (e, &named) {
                // The handoff's state rules refuse a pass to whoever holds
                // it with nothing pending: well formed, so a conflict with
                // who holds it, said with their name.
                (AppError::Invalid { field, .. }, Some(to)) if field == "pass_to" => {
                    let name = &to.username;
                    contract::conflict("pass_to", format!("{name} already holds this handoff"))
                }
                (other, _) => other,
            })?;
            Ok((written, named))
        })
        .await?;
    // The answer shows what the write stored; only what GitLab said of the
    // issues it links is read, on the pool, not in the writer's batch.
    let handoffs::Written {
        note,
        links,
        handoff,
    } = written;
    let mut loaded = Loaded::of_note(handoff, links, [author].into_iter().chain(pass_to));
    if !loaded.links.is_empty() && state.settings.live.reads_issues() {
        let st = state.clone();
        loaded = state
            .db
            .run(move |conn| {
                loaded.read_gitlab(conn, &st.settings.live)?;
                Ok(loaded)
            })
            .await?;
    }
    let json = note_json(&note, &loaded.handoffs[0], &loaded, &state);
    Ok(CallersUntouched::mark(HttpResponse::Created().json(json)))
}
