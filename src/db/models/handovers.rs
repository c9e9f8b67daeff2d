//! Shift handovers: one submit of `/handover` passing everything an
//! outgoing engineer holds, with their shift summary.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::models::handoffs::{self, NewNote, Rendered};
use crate::db::models::users::{self, User};
use crate::db::models::{Clock, Ids};
use crate::db::schema::handovers;
use crate::db::{DbConnection, on_backend};
use crate::domain::issue_ref::GitLab;
use crate::domain::paging::Cursor;
use crate::domain::time;
use crate::error::AppError;

/// A handover row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = handovers, treat_none_as_default_value = false)]
pub struct Handover {
    /// UUID v7.
    pub id: String,
    /// The outgoing engineer.
    pub from_user_id: String,
    /// The incoming engineer.
    pub to_user_id: String,
    /// The shift summary (Markdown, may be empty).
    pub summary: String,
    /// How many handoffs were passed.
    pub handoff_count: i32,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Passes each `(handoff id, note body)` to `to` with its note, and records
/// the summary: all or nothing, in one transaction.
pub fn hand_over(
    conn: &mut DbConnection,
    from: &User,
    to: &User,
    notes: Vec<(String, String)>,
    summary: &str,
    gitlab: &GitLab,
    notify: &crate::db::models::outbox::Notify,
) -> Result<Handover, AppError> {
    let done = conn.transaction(|conn| {
        let count = notes.len();
        for (handoff_id, body) in notes {
            let note = NewNote {
                body,
                pass_to: Some(to.clone()),
                issues: vec![],
            };
            let rendered = Rendered::of(&note.body, gitlab);
            handoffs::add_note(conn, &handoff_id, from, note, rendered, notify)?;
        }
        let row = Handover::new(&mut Clock, &from.id, &to.id, summary, count, time::now());
        insert(conn, &row)?;
        Ok::<_, AppError>(row)
    })?;
    // Rung again once the whole handover is committed.
    notify.bell.ring();
    Ok(done)
}

impl Handover {
    /// The row of a handover from `from_id` to `to_id` of `count`
    /// handoffs, made at `at`.
    pub fn new(
        ids: &mut impl Ids,
        from_id: &str,
        to_id: &str,
        summary: &str,
        count: usize,
        at: DateTime<Utc>,
    ) -> Handover {
        Handover {
            id: ids.id_at(at),
            from_user_id: from_id.to_owned(),
            to_user_id: to_id.to_owned(),
            summary: summary.to_owned(),
            handoff_count: i32::try_from(count).unwrap_or(i32::MAX),
            created_at: time::to_db(at),
        }
    }
}

/// Records a handover row (the handoffs it passed are written by the caller).
pub fn insert(conn: &mut DbConnection, row: &Handover) -> QueryResult<()> {
    diesel::insert_into(handovers::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// What a list of handovers is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct HandoverFilter {
    /// Only those by this outgoing engineer (user id).
    pub from_user_id: Option<String>,
    /// Only those made in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    /// See `from`.
    pub to: Option<DateTime<Utc>>,
    /// Only those before this (time, id), newest first: the next page.
    pub before: Option<Cursor>,
}

/// A handover with both its people.
#[derive(Debug, Clone)]
pub struct LoadedHandover {
    /// The row.
    pub handover: Handover,
    /// The outgoing engineer.
    pub from: User,
    /// The incoming engineer.
    pub to: User,
}

/// Handovers newest first, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &HandoverFilter,
    limit: i64,
) -> QueryResult<Vec<LoadedHandover>> {
    // Built in each backend's arm: a boxed query is of one backend.
    let rows: Vec<Handover> = on_backend!(conn, |c| {
        let mut query = handovers::table.into_boxed();
        if let Some(user) = &filter.from_user_id {
            query = query.filter(handovers::from_user_id.eq(user.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter(handovers::created_at.ge(time::to_db(from)));
        }
        if let Some(to) = filter.to {
            query = query.filter(handovers::created_at.lt(time::to_db(to)));
        }
        if let Some(cursor) = &filter.before {
            let (at, id) = cursor.clone().into_parts();
            query = query.filter(
                handovers::created_at
                    .lt(at)
                    .or(handovers::created_at.eq(at).and(handovers::id.lt(id))),
            );
        }
        query
            .order((handovers::created_at.desc(), handovers::id.desc()))
            .limit(limit)
            .load(c)
    })?;
    let ids: Vec<&str> = rows
        .iter()
        .flat_map(|h| [h.from_user_id.as_str(), h.to_user_id.as_str()])
        .collect();
    let people = users::find_many(conn, &ids)?;
    Ok(rows
        .into_iter()
        .filter_map(|handover| {
            Some(LoadedHandover {
                from: people.get(&handover.from_user_id)?.clone(),
                to: people.get(&handover.to_user_id)?.clone(),
                handover,
            })
        })
        .collect())
}

/// The newest handovers, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Handover>> {
    handovers::table
        .order(handovers::id.desc())
        .limit(limit)
        .load(conn)
}
