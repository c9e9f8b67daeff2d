//! `/`: who is on call, what is waiting, every open handoff.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::models::handoffs::ListFilter;
use crate::db::models::loaded::Loaded;
use crate::db::models::{handoffs, handovers, schedule};
use crate::domain::handoff::Status;
use crate::domain::markdown;
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::issues::{self, GitLabDown, UncoveredView};
use crate::web::label_filter::{ActiveFilter, PageFilter};
use crate::web::views::{DualTime, HandoffCard, PersonView, sort_for_dashboard};
use crate::web::{AppState, FormErrors, Layout, Viewer, render_page};

/// One rotation role on the dashboard.
pub struct RoleRow {
    role: String,
    current: Vec<(PersonView, DualTime)>,
    next: Option<(PersonView, TimeView)>,
}

/// One entry of "since your last shift ended".
pub struct Activity {
    handoff_id: String,
    title: String,
    author: String,
    what: &'static str,
    at: TimeView,
}

/// The newest handover summary.
pub struct HandoverView {
    from: String,
    to: String,
    count: i32,
    summary_html: String,
    at: TimeView,
}

/// The dashboard's filter: `?milestone=` (and `?label=`, repeatable, read
/// from the query string).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    milestone: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    roles: Vec<RoleRow>,
    waiting_for_you: Vec<HandoffCard>,
    cards: Vec<HandoffCard>,
    since: Option<TimeView>,
    activity: Vec<Activity>,
    handover: Option<HandoverView>,
    uncovered: Vec<UncoveredView>,
    gitlab_down: Option<GitLabDown>,
    drill_warning: Option<String>,
    errors: FormErrors,
    active: Vec<ActiveFilter>,
    reads_issues: bool,
    filter_labels: Vec<String>,
    filter_milestone: String,
    /// Cover wanted soon in the viewer's roles, and their own requests.
    cover: crate::web::cover::DashboardCover,
}

/// `GET /?label=&milestone=`.
pub async fn show_dashboard(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    let query_string = req.query_string().to_owned();
    let page = state
        .db
        .run(move |conn| {
            let gitlab = &st.settings.gitlab;
            let now = time::now();
            let on_call = schedule::on_call(conn, now)?;
            let layout = Layout::with_roles(&st, &viewer, "Dashboard", &on_call, now)
                .with_notices(conn, &viewer)?;
            let roles = on_call
                .into_iter()
                .map(|r| RoleRow {
                    current: r
                        .current
                        .iter()
                        .map(|o| {
                            (
                                PersonView::new(&o.user, &viewer, now),
                                DualTime::new(o.shift.ends, &viewer, Some(&o.user)),
                            )
                        })
                        .collect(),
                    next: r.next.as_ref().map(|o| {
                        (
                            PersonView::new(&o.user, &viewer, now),
                            TimeView::new(o.shift.starts, viewer.tz),
                        )
                    }),
                    role: r.role,
                })
                .collect();

            // The activity and the last handover first, so that their people
            // are loaded with the handoffs' people in one query.
            let mut since = None;
            let mut notes = vec![];
            if let Some(me) = &viewer.user
                && let Some(ended) = schedule::last_ended_for_user(conn, &me.id, now)?
            {
                since = Some(TimeView::new(ended, viewer.tz));
                notes = handoffs::notes_since(conn, ended, 30)?;
            }
            let last_handover = handovers::recent(conn, 1)?.into_iter().next();
            let mut people: Vec<&str> = notes.iter().map(|n| n.author_id.as_str()).collect();
            if let Some(h) = &last_handover {
                people.push(&h.from_user_id);
                people.push(&h.to_user_id);
            }

            let mut errors = FormErrors::default();
            let by_issue = PageFilter::read(
                &query_string,
                &query.milestone,
                &st.settings.live,
                viewer.user.is_some(),
                &mut errors,
            );
            let mut open = if !errors.is_empty() {
                vec![]
            } else if let Some(wanted) = &by_issue.wanted {
                let filter = ListFilter {
                    status: Some(Status::Open),
                    issues: Some(wanted.clone()),
                    limit: i64::MAX,
                    ..ListFilter::default()
                };
                handoffs::list(conn, &filter)?
            } else {
                handoffs::list_open(conn)?
            };
            if viewer.user.is_none() {
                // Public read never shows a confidential handoff.
                open.retain(|h| !h.confidential);
            }
            let mut loaded = Loaded::load_open(conn, open, &people)?;
            loaded.read_gitlab(conn, &st.settings.live)?;
            let uncovered =
                issues::uncovered(conn, &st.settings.live, gitlab, viewer.user.is_some(), now)?;
            let gitlab_down = issues::down(&loaded.gitlab, viewer.tz, now);
            let mut cards: Vec<HandoffCard> = loaded
                .handoffs
                .iter()
                .map(|h| HandoffCard::new(h, &loaded, &viewer, gitlab))
                .collect();
            sort_for_dashboard(&mut cards);
            let (waiting_for_you, cards): (Vec<_>, Vec<_>) =
                cards.into_iter().partition(HandoffCard::waiting_for_you);

            let username = |id: &str| {
                loaded
                    .user(id)
                    .map(|u| u.username.clone())
                    .unwrap_or_default()
            };
            let activity = notes
                .iter()
                .map(|n| Activity {
                    handoff_id: n.handoff_id.clone(),
                    title: n.title.clone(),
                    author: username(&n.author_id),
                    what: if n.resolves {
                        "resolved"
                    } else if n.pass_to_id.is_some() {
                        "passed"
                    } else {
                        "added a note to"
                    },
                    at: TimeView::new(time::from_db(n.created_at), viewer.tz),
                })
                .collect();
            let handover = last_handover.map(|h| HandoverView {
                from: username(&h.from_user_id),
                to: username(&h.to_user_id),
                count: h.handoff_count,
                summary_html: markdown::render(&h.summary, gitlab),
                at: TimeView::new(time::from_db(h.created_at), viewer.tz),
            });
            let tz: Vec<(&'static str, String)> = match viewer.tz_query().is_empty() {
                true => vec![],
                false => vec![("tz", viewer.tz.name().to_owned())],
            };
            Ok(DashboardPage {
                active: by_issue.active("/", &tz),
                reads_issues: st.settings.live.reads_issues(),
                filter_labels: by_issue.labels.clone(),
                filter_milestone: by_issue.milestone.clone(),
                errors,
                drill_warning: crate::web::drills::warning_for(conn, &viewer)?,
                cover: crate::web::cover::dashboard(conn, &viewer, now)?,
                layout,
                roles,
                waiting_for_you,
                cards,
                since,
                activity,
                handover,
                uncovered,
                gitlab_down,
            })
        })
        .await?;
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_page(&page, status)
}
