//! Handoffs with everything a list, a page or an API answer shows about
//! them, read in a few queries whatever their number: their issue links,
//! the people they name, and the shift changes they have survived. The
//! pages (`web::views`) and the JSON API (`web::api::handoffs`) shape the
//! same loaded rows, each in its own way.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::DbConnection;
use crate::db::models::gitlab::{self, GitLabCache};
use crate::db::models::handoffs::{self, Handoff, IssueLink};
use crate::db::models::shifts;
use crate::db::models::users::{self, User};
use crate::domain::issue_ref::IssueRef;
use crate::domain::time;
use crate::error::AppError;

/// Handoffs with everything their lists show, loaded in three queries
/// whatever their number: issue links, people, shift changes.
pub struct Loaded {
    /// The handoffs, in the order given.
    pub handoffs: Vec<Handoff>,
    /// Issue links by handoff id.
    pub links: HashMap<String, Vec<IssueLink>>,
    /// Every holder, recipient and creator, by id.
    pub users: HashMap<String, User>,
    /// Shift-change instants since the oldest handoff, sorted.
    pub changes: Vec<DateTime<Utc>>,
    /// The instant the page is rendered for.
    pub now: DateTime<Utc>,
    /// What Baton knows of the linked GitLab issues (see [`Loaded::read_gitlab`]).
    pub gitlab: GitLabCache,
    /// The escalations of the pending passes, by handoff id.
    pub escalations: HashMap<String, crate::db::models::escalations::Escalated>,
}

impl Loaded {
    /// Loads what `handoffs` need, plus the users in `extra_user_ids`.
    pub fn load(
        conn: &mut DbConnection,
        handoffs: Vec<Handoff>,
        extra_user_ids: &[&str],
    ) -> Result<Loaded, AppError> {
        let ids: Vec<&str> = handoffs.iter().map(|h| h.id.as_str()).collect();
        let links = handoffs::links_of(conn, &ids)?;
        Self::load_with_links(conn, handoffs, links, extra_user_ids)
    }

    /// What the answer to a note shows, from what its write stored (see
    /// [`handoffs::Written`]): the handoff, the links the write added, and
    /// the `people` the note names. No query.
    pub fn of_note(
        handoff: Handoff,
        links: Vec<IssueLink>,
        people: impl IntoIterator<Item = User>,
    ) -> Loaded {
        Loaded {
            links: HashMap::from([(handoff.id.clone(), links)]),
            handoffs: vec![handoff],
            users: people.into_iter().map(|u| (u.id.clone(), u)).collect(),
            changes: vec![],
            now: time::now(),
            gitlab: GitLabCache::default(),
            escalations: HashMap::new(),
        }
    }

    /// Like [`Loaded::load`], for lists: only the handoffs' own issue links
    /// are loaded, so [`Loaded::note_issues`] finds nothing.
    pub fn load_list(
        conn: &mut DbConnection,
        handoffs: Vec<Handoff>,
        extra_user_ids: &[&str],
    ) -> Result<Loaded, AppError> {
        let ids: Vec<&str> = handoffs.iter().map(|h| h.id.as_str()).collect();
        let links = handoffs::own_links_of(conn, &ids)?;
        Self::load_with_links(conn, handoffs, links, extra_user_ids)
    }

    /// Like [`Loaded::load_list`] for open handoffs (the dashboard): their
    /// own links come from one query over every open handoff.
    pub fn load_open(
        conn: &mut DbConnection,
        handoffs: Vec<Handoff>,
        extra_user_ids: &[&str],
    ) -> Result<Loaded, AppError> {
        let links = handoffs::own_links_of_open(conn)?;
        Self::load_with_links(conn, handoffs, links, extra_user_ids)
    }

    fn load_with_links(
        conn: &mut DbConnection,
        handoffs: Vec<Handoff>,
        links: HashMap<String, Vec<IssueLink>>,
        extra_user_ids: &[&str],
    ) -> Result<Loaded, AppError> {
        let now = time::now();
        let mut user_ids: Vec<&str> = extra_user_ids.to_vec();
        for h in &handoffs {
            user_ids.push(&h.holder_id);
            user_ids.push(&h.created_by_id);
            if let Some(p) = &h.pending_to_id {
                user_ids.push(p);
            }
        }
        let users = users::find_many(conn, &user_ids)?;
        let pending: Vec<&str> = handoffs
            .iter()
            .filter(|h| h.pending_note_id.is_some())
            .map(|h| h.id.as_str())
            .collect();
        let escalations = crate::db::models::escalations::of_pending(conn, &pending)?;
        let changes = match handoffs.iter().map(Handoff::created).min() {
            Some(oldest) => super::schedule::changes_between(conn, oldest, now)?,
            None => vec![],
        };
        Ok(Loaded {
            handoffs,
            links,
            users,
            changes,
            now,
            gitlab: GitLabCache::default(),
            escalations,
        })
    }

    /// Loads what Baton knows of every loaded link's GitLab issue (one
    /// query, none without an API token), so that the cards show titles,
    /// states and labels.
    pub fn read_gitlab(
        &mut self,
        conn: &mut DbConnection,
        live: &crate::config::GitLabLive,
    ) -> Result<(), AppError> {
        let keys: Vec<_> = self
            .links
            .values()
            .flatten()
            .map(|l| gitlab::key(&l.project, l.iid.unsigned_abs()))
            .collect();
        self.gitlab = GitLabCache::load(conn, live, &keys)?;
        Ok(())
    }

    /// How many shift changes `h` has survived while open.
    pub fn carry_over(&self, h: &Handoff) -> usize {
        shifts::count_changes(&self.changes, h.created(), h.carried_until(self.now))
    }

    /// The handoff's own issue links (not those only mentioned in notes).
    pub fn issues(&self, h: &Handoff) -> Vec<IssueRef> {
        self.links
            .get(&h.id)
            .into_iter()
            .flatten()
            .filter(|l| l.note_id.is_none())
            .filter_map(IssueLink::issue_ref)
            .collect()
    }

    /// The issues mentioned by one note.
    pub fn note_issues(&self, h: &Handoff, note_id: &str) -> Vec<IssueRef> {
        self.links
            .get(&h.id)
            .into_iter()
            .flatten()
            .filter(|l| l.note_id.as_deref() == Some(note_id))
            .filter_map(IssueLink::issue_ref)
            .collect()
    }

    /// A loaded user.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }
}
