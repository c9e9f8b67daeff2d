//! View models: what the pages show, shaped for templates from rows loaded
//! in a few queries (`db::models::loaded::Loaded`, which the JSON API reads
//! too).

use chrono::{DateTime, Utc};

use crate::db::DbConnection;
use crate::db::models::handoffs::Handoff;
use crate::db::models::loaded::Loaded;
use crate::db::models::users::{self, User};
use crate::domain::handoff::{Kind, Status};
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::domain::markdown;
use crate::domain::time::{self, TimeView, human_duration};
use crate::error::AppError;
use crate::web::Viewer;
use crate::web::issues::{self, GitLabDown, LiveIssue};

/// The longest excerpt a card shows (characters): a line of the card; the
/// excerpt stored with the handoff (and sent to chat) may be longer.
const CARD_EXCERPT_CHARS: usize = 120;

/// A GitLab issue link as shown.
#[derive(Debug, Clone)]
pub struct IssueView {
    /// `group/project#123`.
    pub text: String,
    /// The issue's URL.
    pub url: String,
    /// Its title, state and labels, when known and shown.
    pub live: Option<LiveIssue>,
}

impl IssueView {
    /// The link for `issue`, its reference only.
    pub fn new(issue: &IssueRef, gitlab: &GitLab) -> IssueView {
        IssueView {
            text: issue.to_string(),
            url: issue.url(gitlab),
            live: None,
        }
    }
}

/// The link of `issue`, with what `loaded` knows of it shown to `viewer`.
pub fn issue_view(
    loaded: &Loaded,
    issue: &IssueRef,
    gitlab: &GitLab,
    viewer: &Viewer,
) -> IssueView {
    IssueView {
        live: issues::live(&loaded.gitlab, issue, viewer.user.is_some()),
        ..IssueView::new(issue, gitlab)
    }
}

/// A person with their local time now.
#[derive(Debug, Clone)]
pub struct PersonView {
    /// Username.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Their zone.
    pub tz: String,
    /// Their local time now.
    pub now: TimeView,
    /// Whether this is the viewer.
    pub is_you: bool,
}

impl PersonView {
    /// `user` as `viewer` sees them at `now`.
    pub fn new(user: &User, viewer: &Viewer, now: DateTime<Utc>) -> PersonView {
        PersonView {
            username: user.username.clone(),
            name: user.name.clone(),
            tz: user.timezone.name().to_owned(),
            now: TimeView::new(now, user.timezone),
            is_you: viewer.is(&user.id),
        }
    }

    /// Someone who is no longer in the directory.
    fn unknown(now: DateTime<Utc>) -> PersonView {
        PersonView {
            username: "(unknown)".into(),
            name: "(unknown)".into(),
            tz: "UTC".into(),
            now: TimeView::new(now, time::Timezone::UTC),
            is_you: false,
        }
    }
}

/// An instant seen by the viewer, with the other party's local time beside
/// it when their zone differs.
#[derive(Debug, Clone)]
pub struct DualTime {
    /// In the viewer's zone.
    pub yours: TimeView,
    /// In the other person's zone, when different: (username, time, zone).
    pub theirs: Option<(String, TimeView, String)>,
}

impl DualTime {
    /// `at` for the viewer and for `other`.
    pub fn new(at: DateTime<Utc>, viewer: &Viewer, other: Option<&User>) -> DualTime {
        DualTime {
            yours: TimeView::new(at, viewer.tz),
            theirs: other
                .filter(|u| u.timezone != viewer.tz && !viewer.is(&u.id))
                .map(|u| {
                    (
                        u.username.clone(),
                        TimeView::new(at, u.timezone),
                        u.timezone.name().to_owned(),
                    )
                }),
        }
    }
}

/// A pass waiting for acknowledgement.
#[derive(Debug, Clone)]
pub struct PendingView {
    /// The named recipient.
    pub to: PersonView,
    /// When the pass was written, for the viewer and for the recipient.
    pub since: DualTime,
    /// How long it has waited.
    pub waited: String,
    /// Whether it escalated, and to whom: "2× · dave (IMOC on call)".
    pub escalated: Option<String>,
}

/// One handoff in a list or on the dashboard.
#[derive(Debug, Clone)]
pub struct HandoffCard {
    /// Id.
    pub id: String,
    /// `outage` or `perceived_data_loss` (CSS class).
    pub kind: &'static str,
    /// Label people read.
    pub kind_label: &'static str,
    /// 1–4.
    pub severity: i32,
    /// Title.
    pub title: String,
    /// `open` or `resolved`.
    pub status: &'static str,
    /// Confidential.
    pub confidential: bool,
    /// Linked issues.
    pub issues: Vec<IssueView>,
    /// Holder with local time now.
    pub holder: PersonView,
    /// A pending pass.
    pub pending: Option<PendingView>,
    /// Shift changes survived.
    pub carry_over: usize,
    /// The newest note, in plain text.
    pub excerpt: String,
    /// Opened, in the viewer's zone.
    pub created: TimeView,
    /// How long it has been open (or was).
    pub age: String,
    /// Last activity, in the viewer's zone.
    pub last_activity: TimeView,
    /// Whether the last activity is worth its own line: not when it is the
    /// pending pass, whose wait the card shows already.
    pub activity_shown: bool,
    /// Resolved, in the viewer's zone.
    pub resolved: Option<TimeView>,
    /// Open, and GitLab says a linked issue is closed: resolve it?
    pub issue_closed: bool,
    /// GitLab is failing: the titles shown are the last known ones.
    pub gitlab_down: Option<GitLabDown>,
}

impl HandoffCard {
    /// The card of `h`.
    pub fn new(h: &Handoff, loaded: &Loaded, viewer: &Viewer, gitlab: &GitLab) -> HandoffCard {
        let now = loaded.now;
        let person = |id: &str| {
            loaded
                .user(id)
                .map(|u| PersonView::new(u, viewer, now))
                .unwrap_or_else(|| PersonView::unknown(now))
        };
        let pending = h.pending_pass().map(|(to, since)| PendingView {
            to: person(to),
            since: DualTime::new(since, viewer, loaded.user(to)),
            waited: human_duration(now - since),
            escalated: loaded.escalations.get(&h.id).map(|e| {
                let whom =
                    e.to.as_ref()
                        .map(|u| u.username.as_str())
                        .unwrap_or("nobody");
                format!("{}× · last named {whom}", e.count)
            }),
        });
        let kind = h.kind;
        let issues = loaded.issues(h);
        HandoffCard {
            id: h.id.clone(),
            kind: kind.as_str(),
            kind_label: kind.label(),
            severity: h.severity.get(),
            title: h.title.clone(),
            status: h.status.as_str(),
            confidential: h.confidential,
            issue_closed: h.status == crate::domain::handoff::Status::Open
                && issues.iter().any(|i| loaded.gitlab.is_closed(i)),
            gitlab_down: issues::down(&loaded.gitlab, viewer.tz, now),
            issues: issues
                .iter()
                .map(|i| issue_view(loaded, i, gitlab, viewer))
                .collect(),
            holder: person(&h.holder_id),
            pending,
            carry_over: loaded.carry_over(h),
            excerpt: markdown::shorten(&h.latest_note_excerpt, CARD_EXCERPT_CHARS).into_owned(),
            created: TimeView::new(h.created(), viewer.tz),
            age: human_duration(h.carried_until(now) - h.created()),
            activity_shown: h.pending_since != Some(h.last_activity_at),
            last_activity: TimeView::within_day_of(
                now,
                time::from_db(h.last_activity_at),
                viewer.tz,
            ),
            resolved: h
                .resolved_at
                .map(|t| TimeView::new(time::from_db(t), viewer.tz)),
        }
    }

    /// Whether this card is waiting for the viewer's acknowledgement.
    pub fn waiting_for_you(&self) -> bool {
        self.pending.as_ref().is_some_and(|p| p.to.is_you)
    }
}

/// The order the dashboard shows `handoffs` in, as indexes: waiting passes
/// first (longest wait first), then severity, then age (oldest first).
pub fn dashboard_order(handoffs: &[Handoff], now: DateTime<Utc>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..handoffs.len()).collect();
    order.sort_by_cached_key(|&i| {
        let h = &handoffs[i];
        let waited = h
            .pending_pass()
            .map(|(_, since)| (now - since).num_seconds());
        (
            std::cmp::Reverse(waited.is_some()),
            std::cmp::Reverse(waited.unwrap_or(0)),
            h.severity.get(),
            h.created(),
        )
    });
    order
}

/// A card as HTML: the dashboard renders each once per change for every
/// viewer who sees it alike (`web::fragments`).
#[derive(askama::Template)]
#[template(path = "_card.html")]
pub struct CardHtml<'a> {
    /// The card.
    pub card: &'a HandoffCard,
}

/// The options of a "pass to" select: everyone who can take a handoff.
#[derive(Debug, Clone)]
pub struct UserOption {
    /// Username (the value).
    pub username: String,
    /// "Name (username, zone)".
    pub label: String,
}

/// Every active user who can take handoffs, as select options.
pub fn recipient_options(conn: &mut DbConnection) -> Result<Vec<UserOption>, AppError> {
    Ok(users::list_active(conn)?
        .into_iter()
        .filter(|u| u.role.can_write())
        .map(|u| UserOption {
            label: format!("{} ({}, {})", u.name, u.username, u.timezone),
            username: u.username,
        })
        .collect())
}

/// The people a handoff may be passed to by `viewer`: never the signed-in
/// user themself.
pub fn recipients_for(
    conn: &mut DbConnection,
    viewer: &Viewer,
) -> Result<Vec<UserOption>, AppError> {
    Ok(recipients_among(&recipient_options(conn)?, viewer))
}

/// Of `options`, those `viewer` may pass a handoff to: all but themself.
pub fn recipients_among(options: &[UserOption], viewer: &Viewer) -> Vec<UserOption> {
    let me = viewer.user.as_ref().map(|u| u.username.as_str());
    options
        .iter()
        .filter(|u| Some(u.username.as_str()) != me)
        .cloned()
        .collect()
}

/// The kinds, for forms.
pub fn kind_options() -> Vec<(&'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
}

/// The statuses, for filters.
pub fn status_options() -> Vec<&'static str> {
    Status::ALL.iter().map(|s| s.as_str()).collect()
}
