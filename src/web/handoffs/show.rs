//! The permalink of a handoff: its card, timeline and the forms that
//! change it, re-rendered with their errors when one comes back.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::db::DbConnection;
use crate::db::models::handoffs;
use crate::db::models::loaded::Loaded;
use crate::domain::handoff::{Status, Verification};
use crate::domain::issue_ref::IssueRef;
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::fragments::Fragments;
use crate::web::unfurl::Unfurl;
use crate::web::views::{self, DualTime, HandoffCard, IssueView, UserOption};
use crate::web::{AppState, FormErrors, Layout, Viewer, parse_id, render_page};

/// The values of the note form, kept when it comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct NoteForm {
    pub(super) body: String,
    pub(super) pass_to: String,
    pub(super) issues: String,
    pub(super) errors: FormErrors,
}

/// The values of the details form.
#[derive(Debug, Clone, Default)]
pub struct DetailsForm {
    pub(super) title: String,
    pub(super) severity: String,
    pub(super) issues: String,
    pub(super) confidential: bool,
    pub(super) scope: String,
    pub(super) recovery_point: String,
    pub(super) verification: String,
    pub(super) customers_notified: bool,
    pub(super) version: String,
    pub(super) errors: FormErrors,
}

/// The values of the resolve form.
#[derive(Debug, Clone, Default)]
pub struct ResolveForm {
    pub(super) body: String,
    pub(super) errors: FormErrors,
}

/// One note in the timeline, as `_note.html` shows it.
pub struct NoteView {
    id: String,
    author: String,
    written: DualTime,
    body_html: String,
    pass_to: Option<(String, DualTime)>,
    acknowledged: Option<TimeView>,
    resolves: bool,
    edited: Option<TimeView>,
    revisions: Vec<(String, TimeView)>,
    issues: Vec<IssueView>,
    /// What became of the chat messages this note caused.
    chat: Vec<String>,
}

/// A note as HTML, rendered once per change for every viewer who sees it
/// alike.
#[derive(Template)]
#[template(path = "_note.html")]
struct NoteHtml<'a> {
    n: &'a NoteView,
}

/// Who sees a note alike: the same note, zone, signed in or not, and
/// whether the viewer wrote it or was passed the handoff by it.
#[derive(PartialEq, Eq, Hash)]
struct NoteKey {
    index: usize,
    tz: &'static str,
    signed_in: bool,
    author: bool,
    passed_to: bool,
}

/// A note on the page: its HTML, and its edit form when it is the viewer's.
struct NoteRow<'a> {
    html: Arc<str>,
    id: &'a str,
    body: &'a str,
    mine: bool,
}

/// The data-loss record as shown.
pub struct DataLossView {
    scope: String,
    recovery_point: String,
    verification: &'static str,
    verification_value: &'static str,
    customers_notified: bool,
}

#[derive(Template)]
#[template(path = "handoff.html")]
struct HandoffPage<'a> {
    layout: Layout,
    card: HandoffCard,
    data_loss: Option<DataLossView>,
    notes: Vec<NoteRow<'a>>,
    events: Vec<crate::web::log::EventRow>,
    can_write: bool,
    can_acknowledge: bool,
    recipients: Vec<UserOption>,
    note_form: NoteForm,
    details_form: DetailsForm,
    resolve_form: ResolveForm,
    verifications: Vec<(&'static str, &'static str)>,
    unfurl: Unfurl,
}

fn details_form_of(h: &handoffs::Handoff, issues: &[IssueRef]) -> DetailsForm {
    let dl = h.data_loss();
    DetailsForm {
        title: h.title.clone(),
        severity: h.severity.get().to_string(),
        issues: issues
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        confidential: h.confidential,
        scope: dl
            .as_ref()
            .and_then(|d| d.scope.clone())
            .unwrap_or_default(),
        recovery_point: dl
            .as_ref()
            .and_then(|d| d.recovery_point.clone())
            .unwrap_or_default(),
        verification: dl
            .as_ref()
            .map(|d| d.verification.as_str())
            .unwrap_or("unverified")
            .to_owned(),
        customers_notified: dl.as_ref().is_some_and(|d| d.customers_notified),
        version: h.version.to_string(),
        errors: FormErrors::default(),
    }
}

/// What a handoff's page shows every viewer alike, loaded once per change
/// (`web::memo`).
pub struct Shared {
    /// The handoff (the only one loaded) with its links and people.
    loaded: Loaded,
    notes: Vec<handoffs::Note>,
    revisions: std::collections::HashMap<String, Vec<(String, chrono::NaiveDateTime)>>,
    /// Its chat messages.
    messages: Vec<crate::db::models::outbox::Row>,
    events: Vec<crate::db::models::events::LoadedEvent>,
    /// Everyone who can take a handoff.
    recipients: Vec<UserOption>,
    /// The notes as HTML.
    notes_html: Fragments<NoteKey>,
}

/// Loads handoff `id` with everything its page shows.
fn load_shared(conn: &mut DbConnection, state: &AppState, id: &str) -> Result<Shared, AppError> {
    let handoff = handoffs::find(conn, id)?;
    let notes = handoffs::notes_of(conn, id)?;
    let mut people: Vec<&str> = notes.iter().map(|n| n.author_id.as_str()).collect();
    people.extend(notes.iter().filter_map(|n| n.pass_to_id.as_deref()));
    let note_ids: Vec<&str> = notes.iter().map(|n| n.id.as_str()).collect();
    let revisions = handoffs::revisions_of(conn, &note_ids)?;
    let mut loaded = Loaded::load(conn, vec![handoff], &people)?;
    loaded.read_gitlab(conn, &state.settings.live)?;
    Ok(Shared {
        loaded,
        notes,
        revisions,
        messages: crate::db::models::outbox::for_handoff(conn, id)?,
        events: crate::db::models::events::for_handoff(conn, id)?,
        recipients: views::recipient_options(conn)?,
        notes_html: Fragments::default(),
    })
}

/// Loads what the page of handoff `id` is made of.
fn load_parts(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(Arc<Shared>, Layout), AppError> {
    let shared = state
        .memos
        .handoffs
        .get_or_load(&state.caches.changes, id.to_owned(), || {
            load_shared(conn, state, id)
        })?;
    let layout = Layout::load(conn, state, viewer, &shared.loaded.handoffs[0].title)?;
    Ok((shared, layout))
}

/// The page of handoff `id` for `viewer`, from memory when nothing changed
/// since it was loaded; forms that came back with errors replace the empty
/// ones.
async fn respond(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: String,
    forms: Forms,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let remembered = state
        .memos
        .handoffs
        .get(&state.caches.changes, &id)
        .and_then(|shared| {
            let layout = Layout::remembered(&state, &viewer, &shared.loaded.handoffs[0].title)?;
            Some((shared, layout))
        });
    let (shared, layout) = match remembered {
        Some(parts) => parts,
        None => {
            let st = state.clone();
            let viewer = viewer.clone();
            state
                .db
                .run(move |conn| load_parts(conn, &st, &viewer, &id))
                .await?
        }
    };
    let page = page(&state, &viewer, &shared, layout, forms)?;
    render_page(&page, status)
}

/// The forms of the page that came back with errors.
type Forms = (Option<NoteForm>, Option<DetailsForm>, Option<ResolveForm>);

/// The page of the loaded handoff, for `viewer`.
fn page<'a>(
    state: &AppState,
    viewer: &Viewer,
    shared: &'a Shared,
    layout: Layout,
    (note_form, details_form, resolve_form): Forms,
) -> Result<HandoffPage<'a>, AppError> {
    let gitlab = &state.settings.gitlab;
    let loaded = &shared.loaded;
    let h = &loaded.handoffs[0];
    if h.confidential && viewer.user.is_none() {
        // With public read on, a signed-out reader of a confidential handoff
        // is answered as if public read were off: sign in first. A chat
        // service unfurling the link so sees only the sign-in page's
        // "Baton handoff", exactly as for any other handoff.
        return Err(AppError::SignInRequired(viewer.path.clone()));
    }
    let notes = &shared.notes;
    let revisions = &shared.revisions;
    let card = HandoffCard::new(h, loaded, viewer, gitlab);
    let unfurl = Unfurl::of_handoff(
        &state.settings.public_url,
        &card,
        notes.last().map(|n| n.body.as_str()),
    );
    let user = |id: &str| loaded.user(id);
    let messages = &shared.messages;
    let chat_of = |note: &str| -> Vec<String> {
        messages
            .iter()
            .filter(|m| m.note_id.as_deref() == Some(note))
            .map(|m| chat_outcome(m, viewer.tz))
            .collect()
    };
    let signed_in = viewer.user.is_some();
    let note_view = |n: &handoffs::Note| NoteView {
        chat: chat_of(&n.id),
        id: n.id.clone(),
        author: user(&n.author_id)
            .map(|u| u.username.clone())
            .unwrap_or_default(),
        written: DualTime::new(time::from_db(n.created_at), viewer, user(&n.author_id)),
        body_html: n.body_html.clone(),
        pass_to: n.pass_to_id.as_deref().map(|to| {
            (
                user(to).map(|u| u.username.clone()).unwrap_or_default(),
                DualTime::new(time::from_db(n.created_at), viewer, user(to)),
            )
        }),
        acknowledged: n
            .acknowledged_at
            .map(|t| TimeView::new(time::from_db(t), viewer.tz)),
        resolves: n.resolves,
        edited: n
            .edited_at
            .map(|t| TimeView::new(time::from_db(t), viewer.tz)),
        revisions: revisions
            .get(&n.id)
            .into_iter()
            .flatten()
            .map(|(body, at)| (body.clone(), TimeView::new(time::from_db(*at), viewer.tz)))
            .collect(),
        issues: loaded
            .note_issues(h, &n.id)
            .iter()
            .map(|i| views::issue_view(loaded, i, gitlab, viewer))
            .collect(),
    };
    let notes = notes
        .iter()
        .enumerate()
        .map(|(index, n)| {
            let author = viewer.is(&n.author_id);
            let key = NoteKey {
                index,
                tz: viewer.tz.name(),
                signed_in,
                author,
                passed_to: n.pass_to_id.as_deref().is_some_and(|to| viewer.is(to)),
            };
            let html = shared
                .notes_html
                .get_or_render(key, || NoteHtml { n: &note_view(n) }.render())?;
            Ok(NoteRow {
                html,
                id: &n.id,
                body: &n.body,
                mine: author && h.status == Status::Open,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let can_write = viewer.user.as_ref().is_some_and(|u| u.role.can_write());
    Ok(HandoffPage {
        layout,
        data_loss: h.data_loss().map(|d| DataLossView {
            scope: d.scope.unwrap_or_default(),
            recovery_point: d.recovery_point.unwrap_or_default(),
            verification: d.verification.label(),
            verification_value: d.verification.as_str(),
            customers_notified: d.customers_notified,
        }),
        notes,
        events: shared
            .events
            .iter()
            .map(|e| crate::web::log::EventRow::new(e, viewer, state))
            .collect(),
        can_write,
        can_acknowledge: card.waiting_for_you(),
        recipients: if can_write {
            views::recipients_among(&shared.recipients, viewer)
        } else {
            vec![]
        },
        note_form: note_form.unwrap_or_default(),
        details_form: details_form.unwrap_or_else(|| details_form_of(h, &loaded.issues(h))),
        resolve_form: resolve_form.unwrap_or_default(),
        verifications: Verification::ALL
            .iter()
            .map(|v| (v.as_str(), v.label()))
            .collect(),
        card,
        unfurl,
    })
}

/// `GET /handoffs/{id}`: the permalink.
pub async fn show_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    respond(state, viewer, id, (None, None, None), StatusCode::OK).await
}

/// Re-renders the handoff page with a form's errors (422), or redirects.
pub(super) async fn answer(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: String,
    forms: Forms,
) -> Result<HttpResponse, AppError> {
    respond(state, viewer, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// A chat message's outcome in words: "pass sent to Slack", "pass retrying
/// (Slack) since 14:02 UTC: chat answered 500", "pass failed (Slack): …".
fn chat_outcome(m: &crate::db::models::outbox::Row, tz: crate::domain::time::Timezone) -> String {
    use crate::db::models::outbox::status;
    let what = match m.event.as_str() {
        "passed" => "pass",
        "acknowledged" => "acknowledgement",
        "escalated" => "escalation",
        "resolved" => "resolution",
        "opened" => "new handoff",
        "issue_closed" => "closed issue",
        other => other,
    };
    let target = match crate::domain::chat::ChatTarget::exact(&m.target) {
        Some(crate::domain::chat::ChatTarget::Slack) => "Slack",
        Some(crate::domain::chat::ChatTarget::Mattermost) => "Mattermost",
        None => m.target.as_str(),
    };
    let error = m.last_error.as_deref().unwrap_or("no answer");
    let since = TimeView::new(time::from_db(m.created_at), tz);
    match m.status.as_str() {
        status::DELIVERED => format!("{what} sent to {target}"),
        status::PENDING if m.attempts == 0 => format!("{what} waiting to be sent to {target}"),
        status::PENDING | status::SENDING if m.attempts > 1 || m.last_error.is_some() => {
            format!("{what} retrying ({target}) since {}: {error}", since.text)
        }
        status::PENDING | status::SENDING => format!("{what} being sent to {target}"),
        status::DEAD => format!("{what} failed ({target}): {error}"),
        _ => format!("{what} may not have reached {target}: {error}"),
    }
}
