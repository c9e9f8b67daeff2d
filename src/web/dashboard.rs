//! `/`: who is on call, what is waiting, every open handoff.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::db::models::{handoffs, handovers, shifts, users};
use crate::domain::markdown;
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::views::{DualTime, HandoffCard, Loaded, PersonView, sort_for_dashboard};
use crate::web::{AppState, Layout, Viewer};

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

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    roles: Vec<RoleRow>,
    waiting_for_you: Vec<HandoffCard>,
    cards: Vec<HandoffCard>,
    since: Option<TimeView>,
    activity: Vec<Activity>,
    handover: Option<HandoverView>,
}

/// `GET /`.
pub async fn show_dashboard(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<impl actix_web::Responder, AppError> {
    let st = state.clone();
    state
        .db
        .run(move |conn| {
            let layout = Layout::load(conn, &st, &viewer, "Dashboard")?;
            let gitlab = &st.settings.gitlab;
            let now = time::now();
            let roles = shifts::on_call(conn, now)?
                .into_iter()
                .map(|r| RoleRow {
                    current: r
                        .current
                        .iter()
                        .map(|(s, u)| {
                            (
                                PersonView::new(u, &viewer, now),
                                DualTime::new(s.ends(), &viewer, Some(u)),
                            )
                        })
                        .collect(),
                    next: r.next.as_ref().map(|(s, u)| {
                        (
                            PersonView::new(u, &viewer, now),
                            TimeView::new(s.starts(), viewer.tz),
                        )
                    }),
                    role: r.role,
                })
                .collect();

            let mut open = handoffs::list_open(conn)?;
            if viewer.user.is_none() {
                // Public read never shows a confidential handoff.
                open.retain(|h| !h.confidential);
            }
            let loaded = Loaded::load(conn, open, &[])?;
            let mut cards: Vec<HandoffCard> = loaded
                .handoffs
                .iter()
                .map(|h| HandoffCard::new(h, &loaded, &viewer, gitlab))
                .collect();
            sort_for_dashboard(&mut cards);
            let (waiting_for_you, cards): (Vec<_>, Vec<_>) =
                cards.into_iter().partition(HandoffCard::waiting_for_you);

            let mut since = None;
            let mut activity = vec![];
            if let Some(me) = &viewer.user
                && let Some(ended) = shifts::last_ended_for_user(conn, &me.id, now)?
            {
                since = Some(TimeView::new(ended, viewer.tz));
                let notes = handoffs::notes_since(conn, ended, 30)?;
                let authors: Vec<&str> =
                    notes.iter().map(|(n, _, _)| n.author_id.as_str()).collect();
                let people = users::find_many(conn, &authors)?;
                activity = notes
                    .iter()
                    .map(|(n, title, _)| Activity {
                        handoff_id: n.handoff_id.clone(),
                        title: title.clone(),
                        author: people
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
                        at: TimeView::new(time::from_db(n.created_at), viewer.tz),
                    })
                    .collect();
            }

            let handover = match handovers::recent(conn, 1)?.into_iter().next() {
                Some(h) => {
                    let people = users::find_many(conn, &[&h.from_user_id, &h.to_user_id])?;
                    let name = |id: &str| {
                        people
                            .get(id)
                            .map(|u| u.username.clone())
                            .unwrap_or_default()
                    };
                    Some(HandoverView {
                        from: name(&h.from_user_id),
                        to: name(&h.to_user_id),
                        count: h.handoff_count,
                        summary_html: markdown::render(&h.summary, gitlab),
                        at: TimeView::new(time::from_db(h.created_at), viewer.tz),
                    })
                }
                None => None,
            };
            Ok(DashboardPage {
                layout,
                roles,
                waiting_for_you,
                cards,
                since,
                activity,
                handover,
            })
        })
        .await
}
