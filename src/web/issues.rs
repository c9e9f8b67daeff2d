//! Linked GitLab issues as pages show them, from what Baton keeps of them
//! (pages never wait on GitLab): title, an open/closed badge and labels as
//! chips; "GitLab unavailable since 14:02" while GitLab fails; the open
//! outages nobody holds, each with a link to a pre-filled new-handoff form.
//!
//! Without an API token nothing here shows: links read as their reference
//! only, as before. A confidential GitLab issue never shows its title or
//! labels to a signed-out reader.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::config::GitLabLive;
use crate::db::DbConnection;
use crate::db::models::gitlab::{self as cache, CachedIssue, GitLabCache};
use crate::domain::handoff::MAX_TITLE_CHARS;
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::domain::labels::{self, LabelView};
use crate::domain::time::{TimeView, Timezone, human_duration};
use crate::error::AppError;

/// What a reader sees of `issue`: `None` when nothing is known, or when
/// it is confidential in GitLab and the reader is signed out.
pub fn live(cache: &GitLabCache, issue: &IssueRef, signed_in: bool) -> Option<LiveIssue> {
    let cached = cache.issues.get(&cache::key_of(issue))?;
    LiveIssue::of(cached, signed_in)
}

/// The "GitLab unavailable since" marker, in `zone`.
pub fn down(cache: &GitLabCache, zone: Timezone, now: DateTime<Utc>) -> Option<GitLabDown> {
    cache
        .unavailable_since
        .filter(|_| cache.reads)
        .map(|since| GitLabDown::new(since, zone, now))
}

/// A linked issue's title, state and labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveIssue {
    /// Title.
    pub title: String,
    /// Open in GitLab.
    pub open: bool,
    /// The labels, scoped ones in two parts.
    pub labels: Vec<LabelView>,
    /// Added to the current "WoW" milestone after the week started without
    /// ~unscheduled (the team's rule; not for ~outage).
    pub late_to_wow: bool,
}

impl LiveIssue {
    /// What `cached` shows a reader; `None` for an issue GitLab does not
    /// know, or a confidential one to a signed-out reader.
    pub fn of(cached: &CachedIssue, signed_in: bool) -> Option<LiveIssue> {
        if !cached.exists() || (cached.confidential && !signed_in) {
            return None;
        }
        Some(LiveIssue {
            title: cached.title.clone(),
            open: !cached.is_closed(),
            labels: cached.labels().iter().map(|l| LabelView::new(l)).collect(),
            late_to_wow: cached.added_to_wow_late(crate::domain::time::now()),
        })
    }
}

/// "GitLab unavailable since 14:02".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitLabDown {
    /// Since when, in the reader's zone.
    pub since: TimeView,
    /// The clock when that was in the last day, else the date and time.
    pub since_text: String,
}

impl GitLabDown {
    fn new(since: DateTime<Utc>, zone: Timezone, now: DateTime<Utc>) -> GitLabDown {
        let view = TimeView::new(since, zone);
        let since_text = if now - since < chrono::Duration::hours(20) {
            view.clock.clone()
        } else {
            view.text.clone()
        };
        GitLabDown {
            since: view,
            since_text,
        }
    }
}

/// An open outage nobody holds, as the dashboard lists it.
#[derive(Debug, Clone)]
pub struct UncoveredView {
    /// `group/project#123`.
    pub text: String,
    /// Its page.
    pub url: String,
    /// Title, state and labels (not for a confidential one, signed out).
    pub live: Option<LiveIssue>,
    /// How long it has been open, when known.
    pub age: String,
    /// The new-handoff form's fields: kind, title, severity, issues.
    pub prefill: Vec<(&'static str, String)>,
}

/// The open outages nobody holds, for a reader (`signed_in` or not) in
/// `zone`'s page: empty without an API token or watched projects.
pub fn uncovered(
    conn: &mut DbConnection,
    live: &GitLabLive,
    gitlab: &GitLab,
    signed_in: bool,
    now: DateTime<Utc>,
) -> Result<Vec<UncoveredView>, AppError> {
    if !live.reads_issues() || live.projects.is_empty() {
        return Ok(vec![]);
    }
    Ok(cache::uncovered(conn)?
        .iter()
        .filter_map(|issue| uncovered_view(issue, live, gitlab, signed_in, now))
        .collect())
}

fn uncovered_view(
    cached: &CachedIssue,
    live: &GitLabLive,
    gitlab: &GitLab,
    signed_in: bool,
    now: DateTime<Utc>,
) -> Option<UncoveredView> {
    let issue = cached.watched_now(live)?;
    let labels_of = cached.labels();
    let shown = LiveIssue::of(cached, signed_in);
    let mut prefill = vec![("issues", issue.to_string())];
    if let Some(kind) = labels::kind_of(&labels_of) {
        prefill.push(("kind", kind.as_str().to_owned()));
    }
    if let Some(severity) = labels::severity_of(&labels_of) {
        prefill.push(("severity", severity.to_string()));
    }
    if shown.is_some() {
        prefill.push((
            "title",
            cached.title.chars().take(MAX_TITLE_CHARS).collect(),
        ));
    }
    Some(UncoveredView {
        text: issue.to_string(),
        // Built from the reference, as every issue link is: never a URL
        // taken from a webhook's body.
        url: issue.url(gitlab),
        live: shown,
        age: cached
            .gitlab_created_at
            .map(|t| human_duration(now - crate::domain::time::from_db(t)))
            .unwrap_or_default(),
        prefill,
    })
}

/// What `GET /handoffs/new` may be given to pre-fill the form (the
/// dashboard's "Open a handoff" for an outage nobody holds).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Prefill {
    /// `outage` or `perceived_data_loss`.
    pub kind: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// 1 to 4.
    pub severity: Option<String>,
    /// Issue links, one per line.
    pub issues: Option<String>,
}
