//! `/log`: the shift log. Production events newest first, in the viewer's
//! zone, narrowed by kind, author, local day and issue, with a one-line
//! form at the top ("what just happened").

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::DbConnection;
use crate::db::models::events::{self, EventFilter, LoadedEvent};
use crate::db::models::users;
use crate::domain::event::{EventDraft, EventKind};
use crate::domain::handoff_input::split_issue_list;
use crate::domain::time::{self, TimeView, add_days, parse_date};
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::views::IssueView;
use crate::web::{AppState, FormErrors, FormPairs, Layout, Viewer, field, render_page, see_other};

/// How many events one page shows.
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
    tz: String,
}

#[derive(Template)]
#[template(path = "log.html")]
struct LogPage {
    layout: Layout,
    rows: Vec<EventRow>,
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
    if !query.kind.is_empty() {
        match EventKind::parse(&query.kind) {
            Ok(k) => filter.kind = Some(k),
            Err(_) => filter_errors.add("f_kind", "choose change or incident"),
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
    let found = if nobody || !filter_errors.is_empty() {
        vec![]
    } else {
        events::list(conn, &filter, PAGE)?
    };
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
        rows: found
            .iter()
            .map(|e| EventRow::new(e, viewer, state))
            .collect(),
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
