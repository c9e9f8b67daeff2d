//! `/log`: the shift log. Production events and shift handovers newest
//! first, in the viewer's zone, narrowed by kind, author, local day and
//! issue, a page at a time, with a one-line form at the top ("what just
//! happened").

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::db::DbConnection;
use crate::db::models::events::{self, EventFilter, LoadedEvent};
use crate::db::models::handovers::{self, HandoverFilter, LoadedHandover};
use crate::db::models::users;
use crate::domain::event::{EventDraft, EventKind};
use crate::domain::handoff_input::split_issue_list;
use crate::domain::markdown;
use crate::domain::paging::Cursor;
use crate::domain::time::{self, TimeView, add_days, parse_date};
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::views::IssueView;
use crate::web::{
    AppState, FormErrors, FormPairs, Layout, Viewer, encode_query, field, render_page, see_other,
};

/// How many entries one page shows.
const PAGE: i64 = 200;

/// One event as the log shows it.
pub struct EventRow {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub body_html: String,
    pub author: String,
    pub at: TimeView,
    pub issues: Vec<IssueView>,
    pub handoff_id: Option<String>,
    pub corrects: Option<String>,
}

impl EventRow {
    /// `loaded` as `viewer` reads it.
    pub fn new(loaded: &LoadedEvent, viewer: &Viewer, state: &AppState) -> EventRow {
        let e = &loaded.event;
        EventRow {
            id: e.id.clone(),
            kind: e.kind.as_str(),
            title: e.title.clone(),
            body_html: e.body_html.clone(),
            author: loaded.author.name.clone(),
            at: TimeView::new(e.occurred(), viewer.tz),
            issues: loaded
                .issues
                .iter()
                .map(|i| IssueView::new(i, &state.settings.gitlab))
                .collect(),
            handoff_id: e.handoff_id.clone(),
            corrects: e.corrects_id.clone(),
        }
    }
}

/// One handover as the log shows it.
pub struct HandoverRow {
    pub id: String,
    pub from: String,
    pub to: String,
    pub at: TimeView,
    pub count: i32,
    pub summary_html: String,
}

impl HandoverRow {
    /// `loaded` as `viewer` reads it.
    fn new(loaded: &LoadedHandover, viewer: &Viewer, state: &AppState) -> HandoverRow {
        let h = &loaded.handover;
        HandoverRow {
            id: h.id.clone(),
            from: loaded.from.name.clone(),
            to: loaded.to.name.clone(),
            at: TimeView::new(time::from_db(h.created_at), viewer.tz),
            count: h.handoff_count,
            summary_html: if h.summary.is_empty() {
                String::new()
            } else {
                markdown::render(&h.summary, &state.settings.gitlab)
            },
        }
    }
}

/// One line of the log.
pub enum Entry {
    /// A production event.
    Event(EventRow),
    /// A shift handover.
    Handover(HandoverRow),
}

/// What the kind filter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    Everything,
    Events(EventKind),
    Handovers,
}

/// The filters of `/log`, as given.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    issue: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    tz: String,
}

impl LogQuery {
    /// The link to the page after `cursor` with the same filters.
    fn next_page(&self, cursor: &Cursor) -> String {
        let mut link = format!("/log?cursor={}", encode_query(&cursor.to_string()));
        for (name, value) in [
            ("kind", &self.kind),
            ("author", &self.author),
            ("day", &self.day),
            ("issue", &self.issue),
            ("tz", &self.tz),
        ] {
            if !value.is_empty() {
                link.push_str(&format!("&{name}={}", encode_query(value)));
            }
        }
        link
    }
}

#[derive(Template)]
#[template(path = "log.html")]
struct LogPage {
    layout: Layout,
    entries: Vec<Entry>,
    /// The link to the next (older) page, if there is one.
    older: Option<String>,
    query: LogQuery,
    filter_errors: FormErrors,
    kind: String,
    title: String,
    issues: String,
    errors: FormErrors,
}

fn load_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    query: LogQuery,
    posted: Option<(&FormPairs, FormErrors)>,
) -> Result<LogPage, AppError> {
    let mut filter_errors = FormErrors::default();
    let mut filter = EventFilter::default();
    let mut nobody = false;
    let only = match query.kind.as_str() {
        "" => Only::Everything,
        "handover" => Only::Handovers,
        kind => match EventKind::parse(kind) {
            Ok(k) => Only::Events(k),
            Err(_) => {
                filter_errors.add("f_kind", "choose change, incident or handover");
                Only::Everything
            }
        },
    };
    if let Only::Events(k) = only {
        filter.kind = Some(k);
    }
    if !query.cursor.is_empty() {
        match Cursor::parse(&query.cursor) {
            Ok(c) => filter.before = Some(c),
            Err(e) => filter_errors.add("f_cursor", e),
        }
    }
    if !query.author.trim().is_empty() {
        match query.author.trim().parse::<Username>() {
            Ok(name) => match users::find_by_username(conn, &name)? {
                Some(u) => filter.author_id = Some(u.id),
                None => nobody = true,
            },
            Err(e) => filter_errors.add("f_author", e),
        }
    }
    if !query.day.is_empty() {
        match parse_date(&query.day) {
            Ok(date) => {
                filter.from = Some(viewer.tz.start_of_day(date));
                filter.to = Some(viewer.tz.start_of_day(add_days(date, 1)));
            }
            Err(e) => filter_errors.add("f_day", e),
        }
    }
    if !query.issue.trim().is_empty() {
        match crate::domain::issue_ref::IssueRef::parse(query.issue.trim(), &state.settings.gitlab)
        {
            Ok(i) => filter.issue = Some(i),
            Err(e) => filter_errors.add("f_issue", e),
        }
    }
    let mut entries: Vec<(NaiveDateTime, String, Entry)> = vec![];
    if !nobody && filter_errors.is_empty() {
        if only != Only::Handovers {
            for e in events::list(conn, &filter, PAGE + 1)? {
                let key = (e.event.occurred_at, e.event.id.clone());
                entries.push((key.0, key.1, Entry::Event(EventRow::new(&e, viewer, state))));
            }
        }
        // A handover links no issue: an issue filter leaves them out.
        if matches!(only, Only::Everything | Only::Handovers) && filter.issue.is_none() {
            let handover_filter = HandoverFilter {
                from_user_id: filter.author_id.clone(),
                from: filter.from,
                to: filter.to,
                before: filter.before.clone(),
            };
            for h in handovers::list(conn, &handover_filter, PAGE + 1)? {
                let key = (h.handover.created_at, h.handover.id.clone());
                entries.push((
                    key.0,
                    key.1,
                    Entry::Handover(HandoverRow::new(&h, viewer, state)),
                ));
            }
        }
    }
    entries.sort_by(|a, b| (&b.0, &b.1).cmp(&(&a.0, &a.1)));
    let older = (entries.len() > PAGE as usize)
        .then(|| entries.get(PAGE as usize - 1))
        .flatten()
        .map(|(at, id, _)| query.next_page(&Cursor::after(*at, id)));
    entries.truncate(PAGE as usize);
    let (kind, title, issues, errors) = match posted {
        Some((form, errors)) => (
            field(form, "kind").to_owned(),
            field(form, "title").to_owned(),
            field(form, "issues").to_owned(),
            errors,
        ),
        None => (
            "change".into(),
            String::new(),
            String::new(),
            FormErrors::default(),
        ),
    };
    Ok(LogPage {
        layout: Layout::load(conn, state, viewer, "Shift log")?,
        entries: entries.into_iter().map(|(_, _, e)| e).collect(),
        older,
        query,
        filter_errors,
        kind,
        title,
        issues,
        errors,
    })
}

/// `GET /log`.
pub async fn show_log(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| load_page(conn, &st, &viewer, query, None))
        .await?;
    let status = if page.filter_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_page(&page, status)
}

/// `POST /log`: the quick form writes an event that happened now.
pub async fn create_event(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let me = viewer.writer()?.clone();
    let location = viewer.keep_tz("/log");
    let form = form.into_inner();
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let gitlab = &st.settings.gitlab;
            let draft = EventDraft {
                kind: field(&form, "kind"),
                title: field(&form, "title"),
                body: "",
                issues: split_issue_list(field(&form, "issues")),
                occurred_at: None,
            };
            let mut errors = FormErrors::default();
            match draft.check(time::now(), gitlab) {
                Ok(input) => {
                    events::create(conn, &me, &input, None, None, gitlab)?;
                    return Ok(None);
                }
                Err(e) => errors.absorb("title", e)?,
            }
            Ok(Some(load_page(
                conn,
                &st,
                &viewer,
                LogQuery::default(),
                Some((&form, errors)),
            )?))
        })
        .await?;
    match result {
        None => Ok(see_other(&location)),
        Some(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}
