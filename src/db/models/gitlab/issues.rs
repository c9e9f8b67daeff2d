//! The cached issues: storing what GitLab said (never older over newer),
//! and the questions pages and the refresher ask of them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::{CachedIssue, IssueKey, key};
use crate::db::models::outbox::{Notify, events};
use crate::db::schema::{gitlab_issues, gitlab_status, handoffs, issue_links};
use crate::db::{DbConnection, on_backend};
use crate::domain::handoff::Status;
use crate::domain::time;

/// The state of an issue GitLab answered 404 for.
pub const MISSING: &str = "missing";

/// An issue as GitLab describes it, to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueData {
    /// The project path (any case).
    pub project: String,
    /// The issue number.
    pub iid: u64,
    /// Title.
    pub title: String,
    /// `opened`, `closed` or [`MISSING`].
    pub state: String,
    /// Label names.
    pub labels: Vec<String>,
    /// The milestone's title.
    pub milestone: Option<String>,
    /// Assignees' usernames.
    pub assignees: Vec<String>,
    /// Confidential in GitLab.
    pub confidential: bool,
    /// Its page.
    pub web_url: String,
    /// Opened in GitLab.
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed in GitLab.
    pub updated_at: Option<DateTime<Utc>>,
    /// When Baton learnt this (an old instant asks for it to be read again).
    pub fetched_at: DateTime<Utc>,
    /// In the watched projects with a watch label.
    pub watched: bool,
    /// The milestone's id.
    pub milestone_id: Option<u64>,
    /// The milestone's start (`start_date`, 00:00 UTC).
    pub milestone_starts_at: Option<DateTime<Utc>>,
    /// When the issue was added to its milestone; `None` keeps what is
    /// known of the same milestone.
    pub milestone_added_at: Option<DateTime<Utc>>,
}

impl IssueData {
    /// What is kept of an issue GitLab says does not exist (or that the
    /// token may not see): only that.
    pub fn missing(project: &str, iid: u64, at: DateTime<Utc>) -> IssueData {
        IssueData {
            project: project.to_owned(),
            iid,
            title: String::new(),
            state: MISSING.into(),
            labels: vec![],
            milestone: None,
            assignees: vec![],
            confidential: false,
            web_url: String::new(),
            created_at: None,
            updated_at: None,
            fetched_at: at,
            watched: false,
            milestone_id: None,
            milestone_starts_at: None,
            milestone_added_at: None,
        }
    }

    fn row(&self) -> CachedIssue {
        let (project, iid) = key(&self.project, self.iid);
        let json = |items: &[String]| serde_json::to_string(items).unwrap_or_else(|_| "[]".into());
        CachedIssue {
            project,
            iid,
            title: self.title.clone(),
            state: self.state.clone(),
            labels: json(&self.labels),
            milestone: self.milestone.clone(),
            assignees: json(&self.assignees),
            confidential: self.confidential,
            web_url: self.web_url.clone(),
            gitlab_created_at: self.created_at.map(time::to_db),
            gitlab_updated_at: self.updated_at.map(time::to_db),
            fetched_at: time::to_db(self.fetched_at),
            last_activity_at: None,
            watched: self.watched,
            milestone_id: self
                .milestone_id
                .map(|id| i64::try_from(id).unwrap_or(i64::MAX)),
            milestone_starts_at: self.milestone_starts_at.map(time::to_db),
            milestone_added_at: self.milestone_added_at.map(time::to_db),
        }
    }
}

/// Inserts or updates one issue, unless the stored one is newer in GitLab
/// (a late webhook delivery, or a read that crossed one).
macro_rules! upsert {
    ($c:expr, $row:expr) => {{
        use crate::db::schema::gitlab_issues::dsl::*;
        use diesel::query_dsl::methods::FilterDsl as _;
        diesel::insert_into(gitlab_issues)
            .values($row)
            .on_conflict((project, iid))
            .do_update()
            .set((
                title.eq(excluded(title)),
                state.eq(excluded(state)),
                labels.eq(excluded(labels)),
                milestone.eq(excluded(milestone)),
                assignees.eq(excluded(assignees)),
                confidential.eq(excluded(confidential)),
                web_url.eq(excluded(web_url)),
                gitlab_created_at.eq(excluded(gitlab_created_at)),
                gitlab_updated_at.eq(excluded(gitlab_updated_at)),
                fetched_at.eq(excluded(fetched_at)),
                watched.eq(excluded(watched)),
                milestone_id.eq(excluded(milestone_id)),
                milestone_starts_at.eq(excluded(milestone_starts_at)),
                milestone_added_at.eq(excluded(milestone_added_at)),
            ))
            .filter(
                gitlab_updated_at
                    .is_null()
                    .or(excluded(gitlab_updated_at).is_null())
                    .or(excluded(gitlab_updated_at)
                        .ge(gitlab_updated_at)
                        .assume_not_null()),
            )
            .execute($c)
    }};
}

/// Stores `issues` in one transaction (one commit, so kept pages are made
/// again once); an issue GitLab changed later than what is offered keeps
/// what it has. An issue seen closed that was open tells chat, through
/// `notify`, about each open handoff that links it.
pub fn store(conn: &mut DbConnection, issues: &[IssueData], notify: &Notify) -> QueryResult<()> {
    if issues.is_empty() {
        return Ok(());
    }
    conn.transaction(|conn| write(conn, issues, notify))?;
    notify.bell.ring();
    Ok(())
}

/// Writes `issues` and their labels (inside the caller's transaction).
/// What an issue's milestone leaves unknown (the title, start or time it
/// was added, which a webhook does not tell) is kept from what is stored of
/// the same milestone.
fn write(conn: &mut DbConnection, issues: &[IssueData], notify: &Notify) -> QueryResult<()> {
    let keys: Vec<IssueKey> = issues.iter().map(|i| key(&i.project, i.iid)).collect();
    let known = find_many(conn, &keys)?;
    for issue in issues {
        let mut row = issue.row();
        if let Some(old) = known.get(&row.key())
            && row.milestone_id.is_some()
            && old.milestone_id == row.milestone_id
        {
            row.milestone = row.milestone.or_else(|| old.milestone.clone());
            row.milestone_starts_at = row.milestone_starts_at.or(old.milestone_starts_at);
            row.milestone_added_at = row.milestone_added_at.or(old.milestone_added_at);
        }
        let written = on_backend!(conn, |c| upsert!(c, &row))?;
        if written > 0 {
            super::labels_table::replace(conn, &row.project, row.iid, &issue.labels)?;
            let was_open = known.get(&row.key()).is_some_and(CachedIssue::is_open);
            if was_open && row.is_closed() {
                events::issue_closed(conn, notify, &row.project, row.iid)?;
            }
        }
    }
    Ok(())
}

/// Stores a fresh inventory in one transaction: `issues` (each marked
/// watched or not by the caller), and, for each project in `complete` (read
/// to the last page, lower case), every other issue stored as watched is
/// watched no more (closed, or its watch label removed). Notes the time of
/// the inventory.
pub fn store_inventory(
    conn: &mut DbConnection,
    issues: &[IssueData],
    complete: &[String],
    at: DateTime<Utc>,
    notify: &Notify,
) -> QueryResult<()> {
    let rows: Vec<CachedIssue> = issues.iter().map(IssueData::row).collect();
    conn.transaction(|conn| {
        write(conn, issues, notify)?;
        on_backend!(conn, |c| {
            for project in complete {
                let listed: Vec<i64> = rows
                    .iter()
                    .filter(|r| &r.project == project)
                    .map(|r| r.iid)
                    .collect();
                diesel::update(
                    gitlab_issues::table
                        .filter(gitlab_issues::project.eq(project))
                        .filter(gitlab_issues::watched.eq(true))
                        .filter(gitlab_issues::iid.ne_all(&listed)),
                )
                .set(gitlab_issues::watched.eq(false))
                .execute(c)?;
            }
            super::status::ensure_status_row!(c)?;
            diesel::update(gitlab_status::table.filter(gitlab_status::name.eq(super::status::ROW)))
                .set(gitlab_status::inventory_at.eq(Some(time::to_db(at))))
                .execute(c)?;
            QueryResult::Ok(())
        })
    })?;
    notify.bell.ring();
    Ok(())
}

/// Notes a comment on an issue at `at`, if Baton keeps that issue and knows
/// of no later one. Whether a row changed.
pub fn record_activity(
    conn: &mut DbConnection,
    project: &str,
    iid: u64,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    let (project, iid) = key(project, iid);
    let at = time::to_db(at);
    diesel::update(
        gitlab_issues::table
            .filter(gitlab_issues::project.eq(project))
            .filter(gitlab_issues::iid.eq(iid))
            .filter(
                gitlab_issues::last_activity_at
                    .is_null()
                    .or(gitlab_issues::last_activity_at.lt(at).assume_not_null()),
            ),
    )
    .set(gitlab_issues::last_activity_at.eq(Some(at)))
    .execute(conn)
    .map(|n| n > 0)
}

/// The cached issues among `keys`, by key, in one query.
pub fn find_many(
    conn: &mut DbConnection,
    keys: &[IssueKey],
) -> QueryResult<HashMap<IssueKey, CachedIssue>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let wanted: HashSet<&IssueKey> = keys.iter().collect();
    let projects: Vec<&str> = wanted
        .iter()
        .map(|(p, _)| p.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let iids: Vec<i64> = wanted
        .iter()
        .map(|(_, i)| *i)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let rows: Vec<CachedIssue> = on_backend!(conn, |c| gitlab_issues::table
        .filter(gitlab_issues::project.eq_any(&projects))
        .filter(gitlab_issues::iid.eq_any(&iids))
        .load(c))?;
    Ok(rows
        .into_iter()
        .filter(|r| wanted.contains(&r.key()))
        .map(|r| (r.key(), r))
        .collect())
}

/// The keys of the issues open handoffs link (on the handoff or in a note).
pub fn linked_to_open_handoffs(conn: &mut DbConnection) -> QueryResult<HashSet<IssueKey>> {
    let rows: Vec<(String, i64)> = on_backend!(conn, |c| issue_links::table
        .inner_join(handoffs::table)
        .filter(handoffs::status.eq(Status::Open.as_str()))
        .select((issue_links::project, issue_links::iid))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(p, i)| (p.to_lowercase(), i))
        .collect())
}

/// Every open issue in the watched inventory.
pub fn watched_open(conn: &mut DbConnection) -> QueryResult<Vec<CachedIssue>> {
    on_backend!(conn, |c| gitlab_issues::table
        .filter(gitlab_issues::watched.eq(true))
        .filter(gitlab_issues::state.eq("opened"))
        .load(c))
}

/// The open outages nobody holds: watched open issues that no open handoff
/// links, by severity (`severity::1` first, none last), then oldest first.
/// Worked out when asked, so a handoff that links one removes it at once.
pub fn uncovered(conn: &mut DbConnection) -> QueryResult<Vec<CachedIssue>> {
    let linked = linked_to_open_handoffs(conn)?;
    let mut open: Vec<CachedIssue> = watched_open(conn)?
        .into_iter()
        .filter(|i| !linked.contains(&i.key()))
        .collect();
    open.sort_by(|a, b| {
        (a.severity().unwrap_or(u8::MAX), a.gitlab_created_at, a.iid).cmp(&(
            b.severity().unwrap_or(u8::MAX),
            b.gitlab_created_at,
            b.iid,
        ))
    });
    Ok(open)
}

/// The linked issues to read from GitLab now, at most `limit`: those never
/// read first, then those read longer than `refresh` ago, stalest first.
/// "Linked" means by a handoff that is open or was active in the last
/// `history` (older handoffs show what was read while they were current).
/// Each comes as (project path as linked, issue number).
pub fn refresh_candidates(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    refresh: std::time::Duration,
    history: std::time::Duration,
    limit: usize,
) -> QueryResult<Vec<(String, u64)>> {
    let span =
        |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let cutoff = time::to_db(now.checked_sub_signed(span(history)).unwrap_or(now));
    let linked: Vec<(String, i64)> = on_backend!(conn, |c| issue_links::table
        .inner_join(handoffs::table)
        .filter(
            handoffs::status
                .eq(Status::Open.as_str())
                .or(handoffs::last_activity_at.ge(cutoff)),
        )
        .select((issue_links::project, issue_links::iid))
        .distinct()
        .load(c))?;
    let mut seen = HashSet::new();
    let linked: Vec<(String, i64)> = linked
        .into_iter()
        .filter(|(p, i)| *i > 0 && seen.insert((p.to_lowercase(), *i)))
        .collect();
    let keys: Vec<IssueKey> = linked.iter().map(|(p, i)| (p.to_lowercase(), *i)).collect();
    let cached = find_many(conn, &keys)?;
    let stale_before = time::to_db(now.checked_sub_signed(span(refresh)).unwrap_or(now));
    let mut due: Vec<(Option<chrono::NaiveDateTime>, String, u64)> = linked
        .into_iter()
        .filter_map(|(project, iid)| {
            let fetched = cached
                .get(&(project.to_lowercase(), iid))
                .map(|c| c.fetched_at);
            match fetched {
                Some(at) if at >= stale_before => None,
                at => Some((at, project, iid.unsigned_abs())),
            }
        })
        .collect();
    // Never read (None) sorts first, then the stalest.
    due.sort();
    Ok(due
        .into_iter()
        .take(limit)
        .map(|(_, project, iid)| (project, iid))
        .collect())
}
