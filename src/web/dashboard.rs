//! `/`: who is on call, what is waiting, every open handoff.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::db::DbConnection;
use crate::db::models::handoffs::{IssueMatch, ListFilter};
use crate::db::models::handovers::Handover;
use crate::db::models::loaded::Loaded;
use crate::db::models::{handoffs, handovers, schedule, users};
use crate::domain::handoff::Status;
use crate::domain::markdown;
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::fragments::Fragments;
use crate::web::issues::{self, GitLabDown, UncoveredView};
use crate::web::label_filter::{ActiveFilter, PageFilter};
use crate::web::views::{CardHtml, DualTime, HandoffCard, PersonView, dashboard_order};
use crate::web::{AppState, FormErrors, Layout, Viewer, render_page};

/// One rotation role on the dashboard.
pub struct RoleRow {
    role: String,
    current: Vec<(PersonView, DualTime)>,
    next: Option<(PersonView, TimeView)>,
}

/// One entry of "since your last shift ended".
#[derive(Clone)]
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

/// A card on the dashboard: its HTML, rendered once per change for every
/// viewer who sees it alike.
struct DashCard<'a> {
    html: Arc<str>,
    id: &'a str,
    title: &'a str,
}

/// Who sees a card alike: the same card, zone, signed in or not, and
/// whether the viewer holds it or is named to take it.
#[derive(PartialEq, Eq, Hash)]
struct CardKey {
    index: usize,
    tz: &'static str,
    signed_in: bool,
    holds: bool,
    named: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    layout: Layout,
    roles: Vec<RoleRow>,
    waiting_for_you: Vec<DashCard<'a>>,
    cards: Vec<DashCard<'a>>,
    since: Option<TimeView>,
    activity: Vec<Activity>,
    /// More happened than the activity shows: the log has it all.
    more_in_log: bool,
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

/// The newest notes shown since the viewer's last shift; `/log` has all.
const ACTIVITY_SHOWN: i64 = 12;

/// What every viewer's dashboard shows alike, loaded once per change
/// (`web::memo`) unless the page is filtered.
pub struct Shared {
    /// Every open handoff (confidential ones too) with what its card shows.
    loaded: Loaded,
    /// Open issues nobody handed off.
    uncovered: Vec<UncoveredView>,
    /// The newest shift handover, and its summary as HTML.
    handover: Option<(Handover, String)>,
    /// The open handoffs in the order the dashboard shows them.
    order: Vec<usize>,
    /// The cards as HTML.
    cards: Fragments<CardKey>,
}

/// What only one viewer's dashboard shows, in their zone, loaded once per
/// change.
#[derive(Clone, Default)]
pub struct Personal {
    since: Option<TimeView>,
    activity: Vec<Activity>,
    cover: crate::web::cover::DashboardCover,
    drill_warning: Option<String>,
}

/// Loads the open handoffs (those linking `wanted` issues, when given).
fn load_shared(
    conn: &mut DbConnection,
    st: &AppState,
    signed_in: bool,
    wanted: Option<&IssueMatch>,
) -> Result<Shared, AppError> {
    let open = match wanted {
        Some(wanted) => {
            let filter = ListFilter {
                status: Some(Status::Open),
                issues: Some(wanted.clone()),
                limit: i64::MAX,
                ..ListFilter::default()
            };
            handoffs::list(conn, &filter)?
        }
        None => handoffs::list_open(conn)?,
    };
    let handover = handovers::recent(conn, 1)?.into_iter().next();
    let people: Vec<&str> = handover
        .iter()
        .flat_map(|h| [h.from_user_id.as_str(), h.to_user_id.as_str()])
        .collect();
    let mut loaded = Loaded::load_open(conn, open, &people)?;
    loaded.read_gitlab(conn, &st.settings.live)?;
    let uncovered = issues::uncovered(
        conn,
        &st.settings.live,
        &st.settings.gitlab,
        signed_in,
        loaded.now,
    )?;
    let handover = handover.map(|h| {
        let summary = markdown::render(&h.summary, &st.settings.gitlab);
        (h, summary)
    });
    Ok(Shared {
        order: dashboard_order(&loaded.handoffs, loaded.now),
        loaded,
        uncovered,
        handover,
        cards: Fragments::default(),
    })
}

/// Loads what the signed-in `viewer` alone is shown.
fn load_personal(conn: &mut DbConnection, viewer: &Viewer) -> Result<Personal, AppError> {
    let Some(me) = &viewer.user else {
        return Ok(Personal::default());
    };
    let now = time::now();
    let mut since = None;
    let mut activity = vec![];
    if let Some(ended) = schedule::last_ended_for_user(conn, &me.id, now)? {
        since = Some(TimeView::new(ended, viewer.tz));
        let notes = handoffs::notes_since(conn, ended, ACTIVITY_SHOWN)?;
        let authors: Vec<&str> = notes.iter().map(|n| n.author_id.as_str()).collect();
        let authors = users::find_many(conn, &authors)?;
        activity = notes
            .iter()
            .map(|n| Activity {
                handoff_id: n.handoff_id.clone(),
                title: n.title.clone(),
                author: authors
                    .get(&n.author_id)
                    .map(|u| u.username.clone())
                    .unwrap_or_default(),
                what: if n.resolves {
                    "resolved"
                } else if n.pass_to_id.is_some() {
                    "passed"
                } else {
                    "added a note to"
                },
                at: TimeView::within_day_of(now, time::from_db(n.created_at), viewer.tz),
            })
            .collect();
    }
    Ok(Personal {
        since,
        activity,
        cover: crate::web::cover::dashboard(conn, viewer, now)?,
        drill_warning: crate::web::drills::warning_for(conn, viewer)?,
    })
}

/// `GET /?label=&milestone=`.
pub async fn show_dashboard(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let mut errors = FormErrors::default();
    let by_issue = PageFilter::read(
        req.query_string(),
        &query.milestone,
        &state.settings.live,
        viewer.user.is_some(),
        &mut errors,
    );
    let signed_in = viewer.user.is_some();
    let memos = &state.memos;
    let changes = &state.caches.changes;
    let personal_key = viewer
        .user
        .as_ref()
        .map(|u| (u.id.clone(), viewer.tz.name().to_owned()));
    // Everything from memory when nothing changed since the last look.
    let remembered = (
        memos.on_call.get(changes, &()),
        memos.dashboard.get(changes, &signed_in),
        personal_key
            .as_ref()
            .map(|k| memos.personal.get(changes, k))
            .unwrap_or_else(|| Some(Default::default())),
        memos.notices_of(changes, &viewer),
    );
    let (on_call, shared, personal, notices) = match remembered {
        (Some(o), Some(s), Some(p), Some(n)) if by_issue.wanted.is_none() => (o, s, p, n),
        _ => {
            let st = state.clone();
            let wanted = errors.is_empty().then(|| by_issue.wanted.clone()).flatten();
            let viewer = viewer.clone();
            state
                .db
                .run(move |conn| {
                    let memos = &st.memos;
                    let changes = &st.caches.changes;
                    let on_call = memos.on_call_now(conn, changes)?;
                    let shared = match &wanted {
                        Some(w) => Arc::new(load_shared(conn, &st, signed_in, Some(w))?),
                        None => memos.dashboard.get_or_load(changes, signed_in, || {
                            load_shared(conn, &st, signed_in, None)
                        })?,
                    };
                    let personal = match personal_key {
                        Some(key) => memos
                            .personal
                            .get_or_load(changes, key, || load_personal(conn, &viewer))?,
                        None => Default::default(),
                    };
                    let notices = memos.notices_for(conn, changes, &viewer)?;
                    Ok((on_call, shared, personal, notices))
                })
                .await?
        }
    };
    let on_call = (on_call.roles.as_slice(), on_call.now);
    let page = dashboard_page(
        &state, &viewer, on_call, &shared, &personal, errors, &by_issue,
    )?;
    let page = DashboardPage {
        layout: page.layout.with_notices_shown(&notices, &viewer),
        ..page
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_page(&page, status)
}

/// The page from what was loaded, for `viewer`.
fn dashboard_page<'a>(
    st: &AppState,
    viewer: &Viewer,
    (on_call, now): (&[schedule::RoleOnCall], DateTime<Utc>),
    shared: &'a Shared,
    personal: &Personal,
    errors: FormErrors,
    by_issue: &PageFilter,
) -> Result<DashboardPage<'a>, AppError> {
    let gitlab = &st.settings.gitlab;
    // The page's own table says who is on call, and until when: the strip
    // at the top would say it again.
    let layout = Layout::with_roles(st, viewer, "Dashboard", on_call, now).without_oncall_strip();
    let roles = on_call
        .iter()
        .map(|r| RoleRow {
            current: r
                .current
                .iter()
                .map(|o| {
                    (
                        PersonView::new(&o.user, viewer, now),
                        DualTime::new(o.shift.ends, viewer, Some(&o.user)),
                    )
                })
                .collect(),
            next: r.next.as_ref().map(|o| {
                (
                    PersonView::new(&o.user, viewer, now),
                    TimeView::new(o.shift.starts, viewer.tz),
                )
            }),
            role: r.role.clone(),
        })
        .collect();

    let loaded = &shared.loaded;
    let signed_in = viewer.user.is_some();
    let mut waiting_for_you = vec![];
    let mut cards = vec![];
    // A page whose filter has errors shows no cards.
    let shown: &[usize] = if errors.is_empty() {
        &shared.order
    } else {
        &[]
    };
    for &index in shown {
        let h = &loaded.handoffs[index];
        // Public read never shows a confidential handoff.
        if h.confidential && !signed_in {
            continue;
        }
        let named = h.pending_pass().is_some_and(|(to, _)| viewer.is(to));
        let key = CardKey {
            index,
            tz: viewer.tz.name(),
            signed_in,
            holds: viewer.is(&h.holder_id),
            named,
        };
        let html = shared.cards.get_or_render(key, || {
            CardHtml {
                card: &HandoffCard::new(h, loaded, viewer, gitlab),
            }
            .render()
        })?;
        let card = DashCard {
            html,
            id: &h.id,
            title: &h.title,
        };
        if named {
            waiting_for_you.push(card);
        } else {
            cards.push(card);
        }
    }
    let username = |id: &str| {
        loaded
            .user(id)
            .map(|u| u.username.clone())
            .unwrap_or_default()
    };
    let handover = shared.handover.as_ref().map(|(h, summary)| HandoverView {
        from: username(&h.from_user_id),
        to: username(&h.to_user_id),
        count: h.handoff_count,
        summary_html: summary.clone(),
        at: TimeView::within_day_of(loaded.now, time::from_db(h.created_at), viewer.tz),
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
        drill_warning: personal.drill_warning.clone(),
        cover: personal.cover.clone(),
        layout,
        roles,
        waiting_for_you,
        cards,
        since: personal.since.clone(),
        activity: personal.activity.clone(),
        more_in_log: personal.activity.len() as i64 >= ACTIVITY_SHOWN,
        handover,
        uncovered: shared.uncovered.clone(),
        gitlab_down: issues::down(&loaded.gitlab, viewer.tz, loaded.now),
    })
}
