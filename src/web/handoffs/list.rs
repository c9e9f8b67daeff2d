//! The list of handoffs with its filters: open handoffs, or history.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::handoffs::{self, ListFilter};
use crate::db::models::loaded::Loaded;
use crate::db::models::users;
use crate::domain::handoff::{Kind, Severity, Status};
use crate::domain::issue_ref::IssueRef;
use crate::domain::paging::{Cursor, PAGE_SIZE};
use crate::domain::text::check_line;
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::label_filter::{self, ActiveFilter, PageFilter};
use crate::web::views::{self, HandoffCard, UserOption};
use crate::web::{AppState, FormErrors, Layout, Viewer, render_page};

/// The filters of the list page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    issue: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    milestone: String,
    #[serde(default)]
    cursor: String,
    /// Every `label` of the query string (read from it, as it repeats).
    #[serde(skip)]
    labels: Vec<String>,
}

#[derive(Template)]
#[template(path = "handoffs.html")]
struct ListPage {
    layout: Layout,
    query: ListQuery,
    errors: FormErrors,
    cards: Vec<HandoffCard>,
    next_link: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<&'static str>,
    holders: Vec<UserOption>,
    active: Vec<ActiveFilter>,
    reads_issues: bool,
    filter_labels: Vec<String>,
    filter_milestone: String,
}

/// `GET /handoffs?status=&kind=&severity=&issue=&label=&milestone=&holder=&q=`:
/// open handoffs, or history with `status=resolved`.
pub async fn list_handoffs(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let mut query = query.into_inner();
    query.labels = label_filter::labels_in(req.query_string());
    let st = state.clone();
    let (page, failed) = state
        .db
        .run(move |conn| {
            let gitlab = &st.settings.gitlab;
            let mut errors = FormErrors::default();
            let mut filter = ListFilter {
                limit: PAGE_SIZE + 1,
                ..ListFilter::default()
            };
            filter.status = match query.status.as_str() {
                "" => Some(Status::Open),
                "all" => None,
                s => errors.check("status", Status::parse(s)),
            };
            if !query.kind.is_empty() {
                filter.kind = errors.check("kind", Kind::parse(&query.kind));
            }
            if !query.severity.is_empty() {
                filter.severity = errors.check("severity", Severity::parse(&query.severity));
            }
            if !query.issue.trim().is_empty() {
                filter.issue = errors.check("issue", IssueRef::parse(&query.issue, gitlab));
            }
            let by_issue = PageFilter::read(
                &label_query(&query),
                &query.milestone,
                &st.settings.live,
                viewer.user.is_some(),
                &mut errors,
            );
            filter.issues = by_issue.wanted.clone();
            if !query.holder.is_empty() {
                match Username::parse(&query.holder) {
                    Ok(name) => match users::find_by_username(conn, &name)? {
                        Some(u) => filter.holder_id = Some(u.id),
                        None => errors.add("holder", format!("there is no user {name}")),
                    },
                    Err(e) => errors.add("holder", e),
                }
            }
            if !query.q.trim().is_empty() {
                filter.text = errors.check(
                    "q",
                    check_line("the search text", query.q.trim())
                        .map(|_| query.q.trim().to_owned()),
                );
            }
            if !query.cursor.is_empty() {
                filter.after = errors.check(
                    "cursor",
                    Cursor::parse(&query.cursor).map(Cursor::into_parts),
                );
            }
            let found = if errors.is_empty() {
                handoffs::list(conn, &filter)?
            } else {
                vec![]
            };
            let found: Vec<_> = found
                .into_iter()
                .filter(|h| viewer.user.is_some() || !h.confidential)
                .collect();
            let more = found.len() as i64 > PAGE_SIZE;
            let found: Vec<_> = found.into_iter().take(PAGE_SIZE as usize).collect();
            let next_link = match (more, found.last()) {
                (true, Some(last)) => {
                    let mut q = query.clone();
                    q.cursor = Cursor::after(last.last_activity_at, &last.id).to_string();
                    Some(list_link(&q))
                }
                _ => None,
            };
            let mut loaded = Loaded::load_list(conn, found, &[])?;
            loaded.read_gitlab(conn, &st.settings.live)?;
            let cards = loaded
                .handoffs
                .iter()
                .map(|h| HandoffCard::new(h, &loaded, &viewer, gitlab))
                .collect();
            let title = if filter.status == Some(Status::Resolved) {
                "History"
            } else {
                "Handoffs"
            };
            let failed = !errors.is_empty();
            let active = by_issue.active("/handoffs", &other_pairs(&query));
            Ok((
                ListPage {
                    layout: Layout::load(conn, &st, &viewer, title)?,
                    query,
                    errors,
                    cards,
                    next_link,
                    active,
                    filter_labels: by_issue.labels.clone(),
                    filter_milestone: by_issue.milestone.clone(),
                    reads_issues: st.settings.live.reads_issues(),
                    kinds: views::kind_options(),
                    statuses: views::status_options(),
                    holders: views::recipient_options(conn)?,
                },
                failed,
            ))
        })
        .await?;
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_page(&page, status)
}

/// The query's labels as a query string (for [`PageFilter::read`]).
fn label_query(q: &ListQuery) -> String {
    label_filter::link("", &label_pairs(q))
        .trim_start_matches('?')
        .to_owned()
}

fn label_pairs(q: &ListQuery) -> Vec<(&'static str, String)> {
    q.labels.iter().map(|l| ("label", l.clone())).collect()
}

/// The filters other than label and milestone, and no cursor.
fn other_pairs(q: &ListQuery) -> Vec<(&'static str, String)> {
    vec![
        ("status", q.status.clone()),
        ("kind", q.kind.clone()),
        ("severity", q.severity.clone()),
        ("issue", q.issue.clone()),
        ("holder", q.holder.clone()),
        ("q", q.q.clone()),
    ]
}

/// The URL of the list page with these filters.
fn list_link(q: &ListQuery) -> String {
    let mut pairs = other_pairs(q);
    pairs.extend(label_pairs(q));
    pairs.push(("milestone", q.milestone.clone()));
    pairs.push(("cursor", q.cursor.clone()));
    label_filter::link("/handoffs", &pairs)
}
