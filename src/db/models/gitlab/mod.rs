//! What Baton knows of GitLab: its issues as last read (`issues`), whether
//! GitLab answers (`status`), and the webhook deliveries already applied
//! (`deliveries`).
//!
//! Issues are keyed by the project path in lower case (GitLab's paths are
//! case-insensitive, and a link keeps the case it was written in) and the
//! issue number.

mod deliveries;
mod issues;
mod labels_table;
mod status;

pub use deliveries::{prune_deliveries, record_delivery};
pub use issues::{
    IssueData, MISSING, find_many, linked_to_open_handoffs, record_activity, refresh_candidates,
    store, store_inventory, uncovered, watched_open,
};
pub use status::{GitLabStatus, mark_available, mark_unavailable, status};

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::config::GitLabLive;
use crate::db::DbConnection;
use crate::error::AppError;

use crate::db::schema::gitlab_issues;
use crate::domain::issue_ref::IssueRef;
use crate::domain::time;
use crate::domain::{issue_filter, labels};

/// The key of an issue in the cache: the project path in lower case, and
/// the issue number.
pub type IssueKey = (String, i64);

/// The key of `project`#`iid`.
pub fn key(project: &str, iid: u64) -> IssueKey {
    (
        project.to_lowercase(),
        i64::try_from(iid).unwrap_or(i64::MAX),
    )
}

/// The key of a parsed reference.
pub fn key_of(issue: &IssueRef) -> IssueKey {
    key(issue.project(), issue.iid())
}

/// An issue as last read from GitLab (or told by its webhook).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = gitlab_issues, treat_none_as_default_value = false)]
pub struct CachedIssue {
    /// The project path, in lower case.
    pub project: String,
    /// The issue number.
    pub iid: i64,
    /// Title (empty when GitLab said there is no such issue).
    pub title: String,
    /// `opened`, `closed`, or [`MISSING`] (GitLab answered 404).
    pub state: String,
    /// Label names, as a JSON array.
    pub labels: String,
    /// The milestone's title, when known.
    pub milestone: Option<String>,
    /// Assignees' usernames, as a JSON array.
    pub assignees: String,
    /// Confidential in GitLab.
    pub confidential: bool,
    /// Its page on GitLab.
    pub web_url: String,
    /// Opened in GitLab.
    pub gitlab_created_at: Option<NaiveDateTime>,
    /// Last changed in GitLab.
    pub gitlab_updated_at: Option<NaiveDateTime>,
    /// When Baton last learnt its state.
    pub fetched_at: NaiveDateTime,
    /// The newest comment on it (from the webhook).
    pub last_activity_at: Option<NaiveDateTime>,
    /// In the watched projects with a watch label (see
    /// `BATON_GITLAB_WATCH_LABELS`).
    pub watched: bool,
    /// The milestone's id, when known.
    pub milestone_id: Option<i64>,
    /// The milestone's start (its `start_date`, 00:00 UTC), when it has one.
    pub milestone_starts_at: Option<NaiveDateTime>,
    /// When the issue was added to its milestone, when known.
    pub milestone_added_at: Option<NaiveDateTime>,
}

impl CachedIssue {
    /// Its reference, if it is watched as configured now (the `watched` flag
    /// was set under the configuration of its time), with the project path
    /// as configured.
    pub fn watched_now(&self, live: &GitLabLive) -> Option<IssueRef> {
        let project = live
            .projects
            .iter()
            .find(|p| p.eq_ignore_ascii_case(&self.project))?;
        if !labels::carries_any(&self.labels(), &live.watch_labels) {
            return None;
        }
        IssueRef::new(project, self.iid.unsigned_abs()).ok()
    }

    /// The label names.
    pub fn labels(&self) -> Vec<String> {
        serde_json::from_str(&self.labels).unwrap_or_default()
    }

    /// The assignees' usernames.
    pub fn assignees(&self) -> Vec<String> {
        serde_json::from_str(&self.assignees).unwrap_or_default()
    }

    /// Whether GitLab knows the issue (it did not answer 404).
    pub fn exists(&self) -> bool {
        self.state != MISSING
    }

    /// Whether it is open in GitLab.
    pub fn is_open(&self) -> bool {
        self.state == "opened"
    }

    /// Whether it is closed in GitLab.
    pub fn is_closed(&self) -> bool {
        self.state == "closed"
    }

    /// Its severity from a `severity::N` label.
    pub fn severity(&self) -> Option<u8> {
        labels::severity_of(&self.labels())
    }

    /// Whether it was added to the current "WoW" milestone after the week
    /// started without ~unscheduled (see [`issue_filter::added_to_wow_late`]).
    pub fn added_to_wow_late(&self, now: DateTime<Utc>) -> bool {
        issue_filter::added_to_wow_late(
            self.milestone.as_deref(),
            &self.labels(),
            self.milestone_added_at.map(time::from_db),
            self.milestone_starts_at.map(time::from_db),
            now,
        )
    }

    /// Its key.
    pub fn key(&self) -> IssueKey {
        (self.project.clone(), self.iid)
    }
}

/// What Baton knows of the GitLab issues a page links, loaded in one query
/// (empty without an API token).
#[derive(Debug, Clone, Default)]
pub struct GitLabCache {
    /// Whether issues are read from GitLab at all.
    pub reads: bool,
    /// The cached issues, by key.
    pub issues: HashMap<IssueKey, CachedIssue>,
    /// Since when GitLab has been failing, if it is.
    pub unavailable_since: Option<DateTime<Utc>>,
}

impl GitLabCache {
    /// Loads the issues of `keys` and GitLab's status, when `live` reads issues.
    pub fn load(
        conn: &mut DbConnection,
        live: &GitLabLive,
        keys: &[IssueKey],
    ) -> Result<GitLabCache, AppError> {
        if !live.reads_issues() {
            return Ok(GitLabCache::default());
        }
        Ok(GitLabCache {
            reads: true,
            issues: find_many(conn, keys)?,
            unavailable_since: status(conn)?.unavailable_since(),
        })
    }

    /// Whether GitLab says `issue` is closed.
    pub fn is_closed(&self, issue: &IssueRef) -> bool {
        self.issues
            .get(&key_of(issue))
            .is_some_and(CachedIssue::is_closed)
    }
}
