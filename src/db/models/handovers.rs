//! Shift handovers: one submit of `/handover` passing everything an
//! outgoing engineer holds, with their shift summary.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::handoffs::{self, NewNote};
use crate::db::models::users::User;
use crate::db::models::{Clock, Ids};
use crate::db::schema::handovers;
use crate::domain::issue_ref::GitLab;
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
            handoffs::add_note(conn, &handoff_id, from, note, gitlab, notify)?;
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

/// The newest handovers, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Handover>> {
    handovers::table
        .order(handovers::id.desc())
        .limit(limit)
        .load(conn)
}
