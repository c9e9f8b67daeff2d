//! Reading handoffs and notes: one handoff, its notes and their history,
//! filtered lists, and the notes written since a time.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::rows::{Handoff, Note};
use crate::db::schema::{
    gitlab_issue_labels, gitlab_issues, handoffs, issue_links, note_revisions, notes,
};
use crate::db::{DbConnection, on_backend};
use crate::domain::handoff::{Kind, Severity, Status};
use crate::domain::issue_filter::IssueFilter;
use crate::domain::issue_ref::IssueRef;
use crate::domain::time;
use crate::error::AppError;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The handoff with this id, or a 404.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Handoff, AppError> {
    // No LIMIT: the id is the key, and SQLite re-prepares a statement each
    // time a bound LIMIT is bound again; without one it stays prepared.
    let rows: Vec<Handoff> = on_backend!(conn, |c| handoffs::table
        .filter(handoffs::id.eq(id))
        .load(c))?;
    the_one(rows)
}

/// [`find`], the row locked until the transaction ends (PostgreSQL's
/// `FOR UPDATE`; SQLite has none).
pub(super) fn find_for_update(
    conn: &mut diesel::pg::PgConnection,
    id: &str,
) -> Result<Handoff, AppError> {
    let rows: Vec<Handoff> = handoffs::table
        .filter(handoffs::id.eq(id))
        .for_update()
        .load(conn)?;
    the_one(rows)
}

/// The handoff an id found, or a 404.
fn the_one(rows: Vec<Handoff>) -> Result<Handoff, AppError> {
    rows.into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound("no such handoff".into()))
}

/// The notes of a handoff, oldest first.
pub fn notes_of(conn: &mut DbConnection, handoff_id: &str) -> QueryResult<Vec<Note>> {
    on_backend!(conn, |c| notes::table
        .filter(notes::handoff_id.eq(handoff_id))
        .order(notes::id.asc())
        .load(c))
}

/// The earlier texts of a note, oldest first.
pub fn revisions_of(
    conn: &mut DbConnection,
    note_ids: &[&str],
) -> QueryResult<HashMap<String, Vec<(String, NaiveDateTime)>>> {
    let rows: Vec<(String, String, NaiveDateTime)> = on_backend!(conn, |c| note_revisions::table
        .filter(note_revisions::note_id.eq_any(note_ids))
        .order(note_revisions::id.asc())
        .select((
            note_revisions::note_id,
            note_revisions::body,
            note_revisions::created_at,
        ))
        .load(c))?;
    let mut by_note: HashMap<String, Vec<(String, NaiveDateTime)>> = HashMap::new();
    for (note_id, body, at) in rows {
        by_note.entry(note_id).or_default().push((body, at));
    }
    Ok(by_note)
}

/// Which handoffs a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// `None` for all.
    pub status: Option<Status>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only handoffs linking this issue (on the handoff or in a note).
    pub issue: Option<IssueRef>,
    /// Only handoffs linking a GitLab issue with these labels and milestone.
    pub issues: Option<IssueMatch>,
    /// Only handoffs held by this user id.
    pub holder_id: Option<String>,
    /// Only handoffs whose title or notes contain this text (any case).
    pub text: Option<String>,
    /// Continue after this (last_activity_at, id).
    pub after: Option<(NaiveDateTime, String)>,
    /// At most this many.
    pub limit: i64,
}

/// Which linked GitLab issues a list asks for (as Baton last read them).
#[derive(Debug, Clone, Default)]
pub struct IssueMatch {
    /// Their labels (all of them) and milestone.
    pub filter: IssueFilter,
    /// Whether an issue confidential in GitLab may match (not for a
    /// signed-out reader: the match would tell its labels).
    pub confidential: bool,
}

/// Handoffs matching `filter`, newest activity first.
pub fn list(conn: &mut DbConnection, filter: &ListFilter) -> QueryResult<Vec<Handoff>> {
    let mut query = handoffs::table.into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(handoffs::status.eq(status));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(handoffs::kind.eq(kind));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(handoffs::severity.eq(severity));
    }
    if let Some(holder) = &filter.holder_id {
        query = query.filter(handoffs::holder_id.eq(holder.clone()));
    }
    if let Some(issue) = &filter.issue {
        let linked = issue_links::table
            .filter(issue_links::project.eq(issue.project().to_owned()))
            .filter(issue_links::iid.eq(issue.iid() as i64))
            .select(issue_links::handoff_id);
        query = query.filter(handoffs::id.eq_any(linked));
    }
    if let Some(wanted) = &filter.issues {
        use diesel::dsl::sql;
        use diesel::sql_types::{BigInt, Bool, Text};
        // The cached issues that match: as many of an issue's own label
        // rows are among those asked for as were asked for (one issue
        // carries them all). An absent milestone, or a reader who may see
        // confidential issues, turns its condition into a bound `true`.
        let keys = wanted.filter.label_keys();
        let milestone = wanted.filter.milestone.clone();
        let matching = || {
            let carried = gitlab_issue_labels::table
                .filter(gitlab_issue_labels::project.eq(sql::<Text>("gitlab_issues.project")))
                .filter(gitlab_issue_labels::iid.eq(sql::<BigInt>("gitlab_issues.iid")))
                .filter(gitlab_issue_labels::label.eq_any(keys.clone()))
                .count()
                .single_value();
            gitlab_issues::table
                .filter(carried.eq(keys.len() as i64))
                .filter(
                    gitlab_issues::milestone
                        .eq(milestone.clone().unwrap_or_default())
                        .or(milestone.is_none().into_sql::<Bool>()),
                )
                .filter(
                    gitlab_issues::confidential
                        .eq(false)
                        .or(wanted.confidential.into_sql::<Bool>()),
                )
        };
        // The links to them: found by issue number (indexed), then kept
        // when the whole key matches (a link keeps the case it was written
        // in; the cache is in lower case). Two lists worked out once each,
        // so neither backend scans every link.
        let linked = issue_links::table
            .filter(issue_links::iid.eq_any(matching().select(gitlab_issues::iid)))
            .filter(
                sql::<Text>("lower(issue_links.project) || '#' || issue_links.iid").eq_any(
                    matching().select(sql::<Text>(
                        "gitlab_issues.project || '#' || gitlab_issues.iid",
                    )),
                ),
            )
            .select(issue_links::handoff_id);
        query = query.filter(handoffs::id.eq_any(linked));
    }
    if let Some(text) = &filter.text {
        let pattern = format!(
            "%{}%",
            text.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let in_notes = notes::table
            .filter(lower(notes::body).like(pattern.clone()).escape('\\'))
            .select(notes::handoff_id);
        query = query.filter(
            lower(handoffs::title)
                .like(pattern)
                .escape('\\')
                .or(handoffs::id.eq_any(in_notes)),
        );
    }
    if let Some((at, id)) = &filter.after {
        query = query.filter(
            handoffs::last_activity_at
                .lt(*at)
                .or(handoffs::last_activity_at
                    .eq(*at)
                    .and(handoffs::id.lt(id.clone()))),
        );
    }
    query
        .order((handoffs::last_activity_at.desc(), handoffs::id.desc()))
        .limit(filter.limit)
        .load(conn)
}

/// Every open handoff (the dashboard and the handover read them all).
pub fn list_open(conn: &mut DbConnection) -> QueryResult<Vec<Handoff>> {
    on_backend!(conn, |c| handoffs::table
        .filter(handoffs::status.eq(Status::Open))
        .order((handoffs::last_activity_at.desc(), handoffs::id.desc()))
        .load(c))
}

/// Open handoffs held by `user_id`, newest activity first.
pub fn list_held_by(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<Handoff>> {
    on_backend!(conn, |c| handoffs::table
        .filter(handoffs::status.eq(Status::Open))
        .filter(handoffs::holder_id.eq(user_id))
        .order((handoffs::last_activity_at.desc(), handoffs::id.desc()))
        .load(c))
}

/// A note as the dashboard's "since your last shift" list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct NoteActivity {
    /// The handoff.
    pub handoff_id: String,
    /// Who wrote it.
    pub author_id: String,
    /// Whom it passed the handoff to.
    pub pass_to_id: Option<String>,
    /// The closing note of a resolution.
    pub resolves: bool,
    /// Written.
    pub created_at: NaiveDateTime,
    /// The handoff's title.
    pub title: String,
    /// The handoff's confidential flag.
    pub confidential: bool,
}

/// Notes written since `since` (newest first, at most `limit`), with their
/// handoff's title: only the columns the list shows (not the bodies).
pub fn notes_since(
    conn: &mut DbConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<NoteActivity>> {
    on_backend!(conn, |c| notes::table
        .inner_join(handoffs::table)
        .filter(notes::created_at.gt(time::to_db(since)))
        .order(notes::created_at.desc())
        .limit(limit)
        .select((
            notes::handoff_id,
            notes::author_id,
            notes::pass_to_id,
            notes::resolves,
            notes::created_at,
            handoffs::title,
            handoffs::confidential,
        ))
        .load(c))
}
