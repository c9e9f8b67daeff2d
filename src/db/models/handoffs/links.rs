//! GitLab issue links: a handoff's own (`note_id` empty) and those its notes
//! make. How a link row is built, and the queries that read them back.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::rows::IssueLink;
use crate::db::models::Ids;
use crate::db::schema::{handoffs, issue_links};
use crate::db::{DbConnection, on_backend};
use crate::domain::handoff::Status;
use crate::domain::issue_ref::IssueRef;

impl IssueLink {
    /// The row linking `issue` to a handoff (to one of its notes when
    /// `note_id` is given), written at `at`.
    pub(super) fn new(
        ids: &mut impl Ids,
        handoff_id: &str,
        note_id: Option<&str>,
        issue: &IssueRef,
        at: DateTime<Utc>,
    ) -> IssueLink {
        IssueLink {
            id: ids.id_at(at),
            handoff_id: handoff_id.to_owned(),
            note_id: note_id.map(str::to_owned),
            project: issue.project().to_owned(),
            iid: key_iid(issue),
        }
    }
}

/// The stored issue number of `issue`.
fn key_iid(issue: &IssueRef) -> i64 {
    i64::try_from(issue.iid()).unwrap_or(i64::MAX)
}

/// How a link is compared with the links a handoff already has.
pub(super) fn key(issue: &IssueRef) -> (String, i64) {
    (issue.project().to_owned(), key_iid(issue))
}

/// `issues` without repeats, in order of first appearance.
pub(super) fn dedup(mut issues: Vec<IssueRef>) -> Vec<IssueRef> {
    // Most notes link one issue or none: no set to build for those.
    if issues.len() > 1 {
        let mut seen = std::collections::HashSet::new();
        issues.retain(|i| seen.insert(i.clone()));
    }
    issues
}

/// The (project, iid) of a handoff's own links.
pub(super) fn own_keys(
    conn: &mut DbConnection,
    handoff_id: &str,
) -> QueryResult<Vec<(String, i64)>> {
    issue_links::table
        .filter(issue_links::handoff_id.eq(handoff_id))
        .filter(issue_links::note_id.is_null())
        .select((issue_links::project, issue_links::iid))
        .load(conn)
}

/// Deletes a handoff's own links (`note_id` `None`) or the links one note makes.
pub(super) fn delete(
    conn: &mut DbConnection,
    handoff_id: &str,
    note_id: Option<&str>,
) -> QueryResult<usize> {
    match note_id {
        None => diesel::delete(
            issue_links::table
                .filter(issue_links::handoff_id.eq(handoff_id))
                .filter(issue_links::note_id.is_null()),
        )
        .execute(conn),
        Some(note_id) => {
            diesel::delete(issue_links::table.filter(issue_links::note_id.eq(note_id)))
                .execute(conn)
        }
    }
}

/// Every issue link of these handoffs (their own and their notes'), by handoff, in one query.
pub fn links_of(
    conn: &mut DbConnection,
    handoff_ids: &[&str],
) -> QueryResult<HashMap<String, Vec<IssueLink>>> {
    if handoff_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<IssueLink> = match handoff_ids {
        // One handoff (its page): `=` makes a statement that stays prepared;
        // `IN (…)` is prepared anew for every call.
        [one] => on_backend!(conn, |c| issue_links::table
            .filter(issue_links::handoff_id.eq(one))
            .order(issue_links::id.asc())
            .load(c))?,
        _ => on_backend!(conn, |c| issue_links::table
            .filter(issue_links::handoff_id.eq_any(handoff_ids))
            .order(issue_links::id.asc())
            .load(c))?,
    };
    Ok(by_handoff(rows))
}

/// The handoffs' own issue links (not those their notes make), by handoff,
/// in one query: what lists and the dashboard show.
pub fn own_links_of(
    conn: &mut DbConnection,
    handoff_ids: &[&str],
) -> QueryResult<HashMap<String, Vec<IssueLink>>> {
    if handoff_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<IssueLink> = on_backend!(conn, |c| issue_links::table
        .filter(issue_links::handoff_id.eq_any(handoff_ids))
        .filter(issue_links::note_id.is_null())
        .order(issue_links::id.asc())
        .load(c))?;
    Ok(by_handoff(rows))
}

/// The own issue links (not their notes') of every open handoff, by
/// handoff: what the dashboard shows, in one statement that stays prepared.
pub fn own_links_of_open(conn: &mut DbConnection) -> QueryResult<HashMap<String, Vec<IssueLink>>> {
    let rows: Vec<IssueLink> = on_backend!(conn, |c| issue_links::table
        .inner_join(handoffs::table)
        .filter(handoffs::status.eq(Status::Open))
        .filter(issue_links::note_id.is_null())
        .order(issue_links::id.asc())
        .select(issue_links::all_columns)
        .load(c))?;
    Ok(by_handoff(rows))
}

/// Issue links grouped by their handoff, in their order.
fn by_handoff(rows: Vec<IssueLink>) -> HashMap<String, Vec<IssueLink>> {
    let mut grouped: HashMap<String, Vec<IssueLink>> = HashMap::new();
    for row in rows {
        grouped.entry(row.handoff_id.clone()).or_default().push(row);
    }
    grouped
}
