//! The note forms of a handoff: add, edit, acknowledge and resolve.

use actix_web::{HttpResponse, web};

use crate::db::models::handoffs::{self, NewNote, Rendered};
use crate::domain::handoff::parse_note_body;
use crate::domain::handoff_input::parse_issue_list;
use crate::error::AppError;
use crate::web::cache::CallersUntouched;
use crate::web::handoffs::recipient;
use crate::web::handoffs::show::{NoteForm, ResolveForm, answer};
use crate::web::{AppState, FormErrors, FormPairs, Viewer, field, parse_id, see_other};

/// `POST /handoffs/{id}/notes`: add a note, maybe passing the handoff.
pub async fn create_note(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let author = viewer.writer()?.clone();
    let mut note_form = NoteForm {
        body: field(&form, "body").to_owned(),
        pass_to: field(&form, "pass_to").to_owned(),
        issues: field(&form, "issues").to_owned(),
        errors: FormErrors::default(),
    };
    let st = state.clone();
    let hid = id.clone();
    let form_copy = note_form.clone();
    let result = state
        .write(move |conn| {
            let gitlab = &st.settings.gitlab;
            let mut errors = FormErrors::default();
            let body = match parse_note_body("body", &form_copy.body) {
                Ok(b) => Some(b),
                Err(e) => errors.absorb("body", e).map(|_| None)?,
            };
            let pass_to = recipient(conn, &mut errors, "pass_to", &form_copy.pass_to)?;
            let issues = errors.check("issues", parse_issue_list(&form_copy.issues, gitlab));
            if let (Some(body), Some(issues), true) = (body, issues, errors.is_empty()) {
                let rendered = Rendered::of(&body, gitlab);
                let note = NewNote {
                    body,
                    pass_to,
                    issues,
                };
                match handoffs::add_note(conn, &hid, &author, note, rendered, &st.chat) {
                    Ok(written) => return Ok(Ok(written.note.id)),
                    Err(e) => errors.absorb("body", e)?,
                }
            }
            Ok(Err(errors))
        })
        .await?;
    match result {
        Ok(note_id) => Ok(CallersUntouched::mark(see_other(
            &viewer.keep_tz(&format!("/handoffs/{id}#note-{note_id}")),
        ))),
        Err(errors) => {
            note_form.errors = errors;
            answer(state, viewer, id, (Some(note_form), None, None)).await
        }
    }
}

/// `POST /handoffs/{id}/acknowledge`: "I have it".
pub async fn acknowledge_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let user = viewer.writer()?.clone();
    let hid = id.clone();
    let notify = state.chat.clone();
    state
        .write(move |conn| handoffs::acknowledge(conn, &hid, &user, &notify))
        .await?;
    Ok(see_other(&viewer.keep_tz(&format!("/handoffs/{id}"))))
}

/// `POST /handoffs/{id}/resolve`: resolve with a closing note.
pub async fn resolve_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let author = viewer.writer()?.clone();
    let mut resolve_form = ResolveForm {
        body: field(&form, "body").to_owned(),
        errors: FormErrors::default(),
    };
    let st = state.clone();
    let hid = id.clone();
    let body = resolve_form.body.clone();
    let result = state
        .write(move |conn| {
            let mut errors = FormErrors::default();
            let outcome = parse_note_body("body", &body)
                .map_err(AppError::from)
                .and_then(|body| {
                    handoffs::resolve(conn, &hid, &author, body, &st.settings.gitlab, &st.chat)
                });
            match outcome {
                Ok(_) => Ok(None),
                Err(e) => errors.absorb("body", e).map(|_| Some(errors)),
            }
        })
        .await?;
    match result {
        None => Ok(see_other(&viewer.keep_tz(&format!("/handoffs/{id}")))),
        Some(errors) => {
            resolve_form.errors = errors;
            answer(state, viewer, id, (None, None, Some(resolve_form))).await
        }
    }
}

/// `POST /handoffs/{id}/notes/{note_id}`: edit one's own note; the earlier
/// text stays in its history.
pub async fn edit_note(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_note) = path.into_inner();
    let id = parse_id(&raw_id)?;
    let note_id = parse_id(&raw_note)?;
    let author = viewer.writer()?.clone();
    let body = parse_note_body("body", field(&form, "body"))?;
    let st = state.clone();
    let hid = id.clone();
    let nid = note_id.clone();
    state
        .write(move |conn| {
            handoffs::edit_note(conn, &hid, &nid, &author, body, &st.settings.gitlab)
        })
        .await?;
    Ok(see_other(
        &viewer.keep_tz(&format!("/handoffs/{id}#note-{note_id}")),
    ))
}
