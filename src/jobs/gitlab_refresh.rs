//! `gitlab_refresh`: keeps the issues Baton shows as GitLab has them.
//!
//! Each step reads the linked issues never read or read longer than
//! `BATON_GITLAB_REFRESH` ago (a batch at a time, at the client's paced
//! rate), then, when it is due, the inventory: every open issue of
//! `BATON_GITLAB_PROJECTS` with a watch label. What was read is stored in
//! one transaction after the calls (never a transaction across a call).
//! GitLab failing or timing out marks it unavailable (pages say since
//! when) and backs off; a 429 pauses the job for its `Retry-After`.

use std::collections::HashMap;
use std::time::Duration;

use crate::config::Settings;
use crate::db::DbConnection;
use crate::db::models::gitlab::{self as cache, IssueData};
use crate::db::models::outbox::Notify;
use crate::domain::issue_filter::WOW;
use crate::domain::issue_ref::IssueRef;
use crate::domain::labels;
use crate::domain::time;
use crate::integrations::gitlab::{ApiClient, ApiError, Issue};
use crate::jobs::{Cycle, Job, Next};

/// Issues read in one step (at 10 a second, 5 s).
const BATCH: usize = 50;
/// How long after its last activity a resolved handoff's issues are still
/// kept fresh.
const HISTORY: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest wait between two looks for work.
const IDLE: Duration = Duration::from_secs(2);
/// The first wait after a failure; it doubles up to the refresh interval.
const FIRST_BACKOFF: Duration = Duration::from_secs(5);

/// The job.
pub struct GitLabRefresh {
    settings: Settings,
    /// Where an issue seen closed is told (the chat outbox).
    notify: Notify,
    /// Built on the job's thread at its first step (a blocking client may
    /// not be built on the server's async runtime).
    client: Option<ApiClient>,
    failures: u32,
}

/// Reads when an issue in the "WoW" milestone was added to it, unless
/// that is known of the same milestone already (so an issue's milestone
/// history is read once per milestone, not at every refresh); why GitLab
/// stopped the step, if it did.
fn added_to_wow(
    client: &mut ApiClient,
    issue: &IssueRef,
    data: &mut IssueData,
    known: &HashMap<cache::IssueKey, cache::CachedIssue>,
) -> Option<Stopped> {
    let id = data.milestone_id?;
    if data.milestone.as_deref() != Some(WOW) {
        return None;
    }
    let settled = known
        .get(&cache::key(&data.project, data.iid))
        .is_some_and(|row| {
            row.milestone_id == i64::try_from(id).ok() && row.milestone_added_at.is_some()
        });
    if settled {
        return None;
    }
    match client.added_to_milestone(issue, id) {
        Ok(at) => {
            data.milestone_added_at = at;
            None
        }
        Err(ApiError::NotFound) => None,
        Err(ApiError::RateLimited { retry_after }) => Some(Stopped::RateLimited(retry_after)),
        Err(e) => Some(Stopped::Failed(e)),
    }
}

/// Why a step stopped calling GitLab.
enum Stopped {
    /// GitLab failed: mark it unavailable, back off.
    Failed(ApiError),
    /// A 429: pause.
    RateLimited(Duration),
    /// Out of time or stopping: carry on next step.
    OutOfTime,
}

impl GitLabRefresh {
    /// The job for `settings` (which must hold an API token).
    pub fn new(settings: Settings, notify: Notify) -> GitLabRefresh {
        GitLabRefresh {
            settings,
            notify,
            client: None,
            failures: 0,
        }
    }

    fn refresh(&self) -> Duration {
        self.settings.live.refresh
    }

    /// Whether the watched projects are due to be listed again.
    fn inventory_due(&self, conn: &mut DbConnection) -> Result<bool, String> {
        if self.settings.live.projects.is_empty() {
            return Ok(false);
        }
        let status = cache::status(conn).map_err(|e| e.to_string())?;
        let refresh = chrono::Duration::from_std(self.refresh()).unwrap_or(chrono::Duration::MAX);
        Ok(match status.inventory_at {
            None => true,
            Some(at) => time::from_db(at) + refresh <= time::now(),
        })
    }

    /// What is kept of `issue`: marked watched when it is in a watched
    /// project and carries a watch label.
    fn data(&self, issue: Issue) -> IssueData {
        let live = &self.settings.live;
        let watched = live
            .projects
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&issue.project))
            && labels::carries_any(&issue.labels, &live.watch_labels);
        IssueData {
            project: issue.project,
            iid: issue.iid,
            title: issue.title,
            state: issue.state,
            labels: issue.labels,
            milestone: issue.milestone.clone(),
            assignees: issue.assignees,
            confidential: issue.confidential,
            web_url: issue.web_url,
            created_at: issue.created_at,
            updated_at: issue.updated_at,
            fetched_at: time::now(),
            watched,
            milestone_id: issue.milestone_id,
            milestone_starts_at: issue.milestone_starts_at,
            milestone_added_at: None,
        }
    }

    /// Reads the batch of linked issues due; what was read, and why it
    /// stopped early (if it did).
    fn read_linked(
        &mut self,
        cycle: &Cycle<'_>,
        client: &mut ApiClient,
        todo: Vec<(String, u64)>,
        known: &HashMap<cache::IssueKey, cache::CachedIssue>,
    ) -> (Vec<IssueData>, Option<Stopped>) {
        let timeout = crate::integrations::gitlab::call_timeout(self.refresh());
        let mut read = Vec::new();
        for (project, iid) in todo {
            if cycle.stopping() || cycle.time_left() < timeout {
                return (read, Some(Stopped::OutOfTime));
            }
            let Ok(issue) = IssueRef::new(&project, iid) else {
                // A link that is no issue GitLab could have: keep it as missing.
                read.push(IssueData::missing(&project, iid, time::now()));
                continue;
            };
            match client.get_issue(&issue) {
                Ok(found) => {
                    let mut data = self.data(found);
                    let stopped = added_to_wow(client, &issue, &mut data, known);
                    read.push(data);
                    if stopped.is_some() {
                        return (read, stopped);
                    }
                }
                Err(ApiError::NotFound) => {
                    read.push(IssueData::missing(&project, iid, time::now()))
                }
                Err(ApiError::RateLimited { retry_after }) => {
                    return (read, Some(Stopped::RateLimited(retry_after)));
                }
                Err(e) => return (read, Some(Stopped::Failed(e))),
            }
        }
        (read, None)
    }

    /// Lists the watched projects in full: the issues read, the projects
    /// read to the last page (lower case), and why it stopped early.
    fn read_inventory(
        &mut self,
        cycle: &Cycle<'_>,
        client: &mut ApiClient,
    ) -> (Vec<IssueData>, Vec<String>, Option<Stopped>) {
        let timeout = crate::integrations::gitlab::call_timeout(self.refresh());
        let mut found: HashMap<cache::IssueKey, IssueData> = HashMap::new();
        let mut complete = Vec::new();
        let live = self.settings.live.clone();
        for project in &live.projects {
            let mut whole = true;
            for label in &live.watch_labels {
                if cycle.stopping() || cycle.time_left() < timeout {
                    return (
                        found.into_values().collect(),
                        complete,
                        Some(Stopped::OutOfTime),
                    );
                }
                match client.list_open_issues(project, label) {
                    Ok(listing) => {
                        whole &= listing.complete;
                        for issue in listing.issues {
                            let data = self.data(issue);
                            found.insert(cache::key(&data.project, data.iid), data);
                        }
                    }
                    Err(ApiError::RateLimited { retry_after }) => {
                        let stopped = Some(Stopped::RateLimited(retry_after));
                        return (found.into_values().collect(), complete, stopped);
                    }
                    Err(e) => {
                        return (
                            found.into_values().collect(),
                            complete,
                            Some(Stopped::Failed(e)),
                        );
                    }
                }
            }
            if whole {
                complete.push(project.to_lowercase());
            }
        }
        (found.into_values().collect(), complete, None)
    }

    /// What to do after GitLab stopped a step: record it, then wait.
    fn after(&mut self, cycle: &Cycle<'_>, stopped: Stopped) -> Next {
        match stopped {
            Stopped::OutOfTime => Next::More,
            Stopped::RateLimited(retry_after) => {
                tracing::warn!(
                    seconds = retry_after.as_secs(),
                    "GitLab rate limit: pausing the refresh"
                );
                Next::Pause(retry_after)
            }
            Stopped::Failed(error) => {
                self.failures = self.failures.saturating_add(1);
                let kind = error.kind();
                tracing::warn!(error = %kind, failures = self.failures, "GitLab unavailable");
                if let Ok(mut conn) = cycle.db.conn()
                    && let Err(e) = cache::mark_unavailable(&mut conn, time::now(), &kind)
                {
                    tracing::warn!(error = %e, "cannot record that GitLab is unavailable");
                }
                let doubled =
                    FIRST_BACKOFF.saturating_mul(1 << self.failures.min(16).saturating_sub(1));
                Next::Pause(doubled.min(self.refresh()).max(Duration::from_secs(1)))
            }
        }
    }

    /// Stores what was read, and notes that GitLab answers when it did.
    fn store(
        &mut self,
        cycle: &Cycle<'_>,
        read: &[IssueData],
        answered: bool,
    ) -> Result<(), String> {
        let mut conn = cycle.db.conn().map_err(|e| e.to_string())?;
        cache::store(&mut conn, read, &self.notify).map_err(|e| e.to_string())?;
        if answered {
            self.failures = 0;
            cache::mark_available(&mut conn).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

impl Job for GitLabRefresh {
    fn name(&self) -> &'static str {
        "gitlab_refresh"
    }

    fn idle(&self) -> Duration {
        IDLE.min(self.refresh())
    }

    fn due(&mut self, conn: &mut DbConnection) -> Result<bool, String> {
        let linked = cache::refresh_candidates(conn, time::now(), self.refresh(), HISTORY, 1)
            .map_err(|e| e.to_string())?;
        Ok(!linked.is_empty() || self.inventory_due(conn)?)
    }

    fn step(&mut self, cycle: &Cycle<'_>) -> Next {
        let mut client = match self.client.take() {
            Some(client) => client,
            None => match ApiClient::new(&self.settings) {
                Ok(Some(client)) => client,
                Ok(None) => return Next::Pause(Duration::from_secs(3600)),
                Err(e) => {
                    tracing::error!(error = %e, "cannot make the GitLab client");
                    return Next::Pause(self.refresh());
                }
            },
        };
        let next = self.step_with(cycle, &mut client);
        self.client = Some(client);
        next
    }
}

impl GitLabRefresh {
    fn step_with(&mut self, cycle: &Cycle<'_>, client: &mut ApiClient) -> Next {
        let todo = {
            let Ok(mut conn) = cycle.db.conn() else {
                return Next::Pause(self.idle());
            };
            match cache::refresh_candidates(&mut conn, time::now(), self.refresh(), HISTORY, BATCH)
            {
                Ok(todo) => todo,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list the issues to refresh");
                    return Next::Pause(self.idle());
                }
            }
        };
        let more = todo.len() == BATCH;
        let keys: Vec<cache::IssueKey> = todo.iter().map(|(p, i)| cache::key(p, *i)).collect();
        let known = match cycle.db.conn() {
            Ok(mut conn) => cache::find_many(&mut conn, &keys).unwrap_or_default(),
            Err(_) => HashMap::new(),
        };
        let (read, stopped) = self.read_linked(cycle, client, todo, &known);
        let answered = !read.is_empty();
        if let Err(e) = self.store(cycle, &read, answered && stopped.is_none()) {
            tracing::warn!(error = %e, "cannot store the issues read from GitLab");
            return Next::Pause(self.idle());
        }
        if let Some(stopped) = stopped {
            return self.after(cycle, stopped);
        }
        if more {
            return Next::More;
        }
        let due = match cycle.db.conn() {
            Ok(mut conn) => self.inventory_due(&mut conn).unwrap_or(false),
            Err(_) => false,
        };
        if !due {
            return Next::Idle;
        }
        let (read, complete, stopped) = self.read_inventory(cycle, client);
        let stored = cycle
            .db
            .conn()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                if stopped.is_some() {
                    // Partial: keep what was read, but neither unwatch anything
                    // nor call the inventory done.
                    cache::store(&mut conn, &read, &self.notify).map_err(|e| e.to_string())
                } else {
                    cache::store_inventory(&mut conn, &read, &complete, time::now(), &self.notify)
                        .map_err(|e| e.to_string())?;
                    self.failures = 0;
                    cache::mark_available(&mut conn).map_err(|e| e.to_string())
                }
            });
        if let Err(e) = stored {
            tracing::warn!(error = %e, "cannot store the watched issues");
            return Next::Pause(self.idle());
        }
        match stopped {
            Some(stopped) => self.after(cycle, stopped),
            None => Next::Idle,
        }
    }
}
