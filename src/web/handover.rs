//! `/handover`: the outgoing engineer passes everything they hold at once.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::db::DbConnection;
use crate::db::models::loaded::Loaded;
use crate::db::models::users::User;
use crate::db::models::{handoffs, handovers, schedule, shift_digest, users};
use crate::domain::handoff::{MAX_NOTE_BYTES, parse_note_body};
use crate::domain::handover::ShiftSpan;
use crate::domain::text::check_multiline;
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::views::{self, HandoffCard, UserOption};
use crate::web::{
    AppState, FormErrors, FormPairs, Layout, Viewer, field, keep_tz, render_page, see_other,
};

/// The note written on a handoff whose box was left empty.
const DEFAULT_NOTE: &str = "Handed over at shift change; no change since the last note.";

/// One held handoff with its note box.
pub struct Row {
    card: HandoffCard,
    note: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "handover.html")]
struct HandoverPage {
    layout: Layout,
    rows: Vec<Row>,
    recipients: Vec<UserOption>,
    pass_to: String,
    summary: String,
    role: Option<String>,
    /// The shift the summary was written from, as the page says it.
    summed_up: Option<String>,
    errors: FormErrors,
}

/// How long after a shift ended a handover still sums it up.
const JUST_ENDED: chrono::Duration = chrono::Duration::hours(24);

/// The part of `me`'s current or just-ended shift that a handover at `now`
/// sums up: from its start to its end, or to now while it goes on.
fn outgoing_shift(
    conn: &mut DbConnection,
    me: &User,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<ShiftSpan>, AppError> {
    Ok(schedule::latest_for_user(conn, &me.id, now)?
        .filter(|s| s.ends > now - JUST_ENDED)
        .map(|s| ShiftSpan {
            role: s.role,
            starts: s.starts,
            until: s.ends.min(now),
        }))
}

fn load_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    me: &User,
    posted: Option<(&FormPairs, FormErrors)>,
) -> Result<HandoverPage, AppError> {
    let now = time::now();
    let held = handoffs::list_held_by(conn, &me.id)?;
    let loaded = Loaded::load_list(conn, held, &[])?;
    let my_shift = schedule::latest_for_user(conn, &me.id, now)?;
    let suggested = match &my_shift {
        Some(s) => schedule::next_in_role(conn, &s.role, s.ends, &me.id)?,
        None => None,
    };
    let outgoing = outgoing_shift(conn, me, now)?;
    let summed_up = outgoing.as_ref().map(|s| {
        format!(
            "your {} shift, {} to {}",
            s.role,
            TimeView::new(s.starts, viewer.tz).text,
            TimeView::new(s.until, viewer.tz).text
        )
    });
    let (pass_to, summary, errors) = match &posted {
        Some((form, errors)) => (
            field(form, "pass_to").to_owned(),
            field(form, "summary").to_owned(),
            errors.clone(),
        ),
        None => (
            suggested.map(|u| u.username).unwrap_or_default(),
            match outgoing {
                Some(span) => {
                    let live = &state.settings.live;
                    shift_digest::digest(conn, span, live, &state.settings.gitlab)?
                        .markdown(viewer.tz)
                }
                None => String::new(),
            },
            FormErrors::default(),
        ),
    };
    let rows = loaded
        .handoffs
        .iter()
        .map(|h| {
            let name = format!("note_{}", h.id);
            Row {
                card: HandoffCard::new(h, &loaded, viewer, &state.settings.gitlab),
                note: posted
                    .as_ref()
                    .map(|(f, _)| field(f, &name).to_owned())
                    .unwrap_or_default(),
                error: errors.get(&name).map(str::to_owned),
            }
        })
        .collect();
    Ok(HandoverPage {
        layout: Layout::load(conn, state, viewer, "Hand over my shift")?,
        rows,
        recipients: views::recipients_for(conn, viewer)?,
        pass_to,
        summary,
        role: my_shift.map(|s| s.role),
        summed_up,
        errors,
    })
}

/// `GET /handover`.
pub async fn show_handover(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    let me = viewer.writer()?.clone();
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| load_page(conn, &st, &viewer, &me, None))
        .await?;
    render_page(&page, StatusCode::OK)
}

/// `POST /handover`: one submit passes every held handoff with its note.
pub async fn submit_handover(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let me = viewer.writer()?.clone();
    let chosen_tz = viewer.chosen_tz();
    let form = form.into_inner();
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let mut errors = FormErrors::default();
            let gitlab = &st.settings.gitlab;
            let to = match field(&form, "pass_to").trim() {
                "" => {
                    errors.add("pass_to", "name who takes over");
                    None
                }
                name => match users::find_recipient(conn, "pass_to", name) {
                    Ok(u) if u.id == me.id => {
                        errors.add("pass_to", "you cannot hand over to yourself");
                        None
                    }
                    Ok(u) => Some(u),
                    Err(e) => errors.absorb("pass_to", e).map(|_| None)?,
                },
            };
            let summary = field(&form, "summary").trim().to_owned();
            if summary.len() > MAX_NOTE_BYTES {
                errors.add("summary", "a summary is at most 64 KiB");
            } else if let Err(e) = check_multiline("the summary", &summary) {
                errors.add("summary", e);
            }
            let mut notes = vec![];
            for h in handoffs::list_held_by(conn, &me.id)? {
                let name = format!("note_{}", h.id);
                let text = field(&form, &name);
                let body = if text.trim().is_empty() {
                    DEFAULT_NOTE
                } else {
                    text
                };
                match parse_note_body(&name, body) {
                    Ok(body) => notes.push((h.id, body)),
                    Err(e) => errors.absorb(&name, e)?,
                }
            }
            if let (Some(to), true) = (&to, errors.is_empty()) {
                match handovers::hand_over(conn, &me, to, notes, &summary, gitlab, &st.chat) {
                    Ok(_) => return Ok(None),
                    Err(e) => errors.absorb("pass_to", e)?,
                }
            }
            Ok(Some(load_page(
                conn,
                &st,
                &viewer,
                &me,
                Some((&form, errors)),
            )?))
        })
        .await?;
    match result {
        None => Ok(see_other(&keep_tz("/", chosen_tz))),
        Some(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}
