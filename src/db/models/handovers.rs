//! Shift handovers: one submit of `/handover` passing everything an
//! outgoing engineer holds, with their shift summary.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::handoffs::{self, NewNote};
use crate::db::models::users::User;
use crate::db::schema::handovers;
use crate::domain::issue_ref::GitLab;
use crate::domain::time;
use crate::error::AppError;

/// A handover row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
#[diesel(table_name = handovers)]
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
) -> Result<Handover, AppError> {
    conn.transaction(|conn| {
        let count = notes.len();
        for (handoff_id, body) in notes {
            let note = NewNote {
                body,
                pass_to: Some(to.clone()),
                issues: vec![],
            };
            handoffs::add_note(conn, &handoff_id, from, note, gitlab)?;
        }
        let row = Handover {
            id: super::new_id(),
            from_user_id: from.id.clone(),
            to_user_id: to.id.clone(),
            summary: summary.to_owned(),
            handoff_count: i32::try_from(count).unwrap_or(i32::MAX),
            created_at: time::to_db(time::now()),
        };
        diesel::insert_into(handovers::table)
            .values((
                handovers::id.eq(&row.id),
                handovers::from_user_id.eq(&row.from_user_id),
                handovers::to_user_id.eq(&row.to_user_id),
                handovers::summary.eq(&row.summary),
                handovers::handoff_count.eq(row.handoff_count),
                handovers::created_at.eq(row.created_at),
            ))
            .execute(conn)?;
        Ok(row)
    })
}

/// The newest handovers, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Handover>> {
    handovers::table
        .order(handovers::id.desc())
        .limit(limit)
        .load(conn)
}
