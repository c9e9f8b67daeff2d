//! The outbox as pages show it: each message's outcome beside its pass,
//! the depth and the oldest undelivered message, and each target's last
//! success and failure.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::status;
use crate::db::DbConnection;
use crate::db::schema::chat_outbox;

/// One message as a page shows it.
#[derive(Debug, Clone, Queryable)]
pub struct Row {
    /// The note it belongs beside, if any.
    pub note_id: Option<String>,
    /// `slack` or `mattermost`.
    pub target: String,
    /// What happened (`passed`, `escalated`, …).
    pub event: String,
    /// pending, sending, delivered, dead or unknown.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When it was written.
    pub created_at: NaiveDateTime,
    /// The last attempt.
    pub last_attempt_at: Option<NaiveDateTime>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When chat accepted it.
    pub delivered_at: Option<NaiveDateTime>,
}

/// Every message of a handoff, oldest first.
pub fn for_handoff(conn: &mut DbConnection, handoff_id: &str) -> QueryResult<Vec<Row>> {
    chat_outbox::table
        .filter(chat_outbox::handoff_id.eq(handoff_id))
        .order(chat_outbox::id.asc())
        .select((
            chat_outbox::note_id,
            chat_outbox::target,
            chat_outbox::event,
            chat_outbox::status,
            chat_outbox::attempts,
            chat_outbox::created_at,
            chat_outbox::last_attempt_at,
            chat_outbox::last_error,
            chat_outbox::delivered_at,
        ))
        .load(conn)
}

/// How much is waiting to be delivered.
#[derive(Debug, Clone, Default)]
pub struct Depth {
    /// Messages pending or being sent.
    pub undelivered: i64,
    /// When the oldest of them was written.
    pub oldest: Option<NaiveDateTime>,
}

/// The outbox's depth.
pub fn depth(conn: &mut DbConnection) -> QueryResult<Depth> {
    let waiting =
        chat_outbox::table.filter(chat_outbox::status.eq_any([status::PENDING, status::SENDING]));
    let undelivered: i64 = waiting.clone().count().get_result(conn)?;
    let oldest: Option<NaiveDateTime> = waiting
        .select(diesel::dsl::min(chat_outbox::created_at))
        .first(conn)?;
    Ok(Depth {
        undelivered,
        oldest,
    })
}

/// A target's recent history.
#[derive(Debug, Clone, Default)]
pub struct TargetStatus {
    /// When chat last accepted a message.
    pub last_success: Option<NaiveDateTime>,
    /// When an attempt last failed, and why.
    pub last_failure: Option<(NaiveDateTime, String)>,
}

/// The last success and the last failure of `target`.
pub fn target_status(conn: &mut DbConnection, target: &str) -> QueryResult<TargetStatus> {
    let last_success: Option<NaiveDateTime> = chat_outbox::table
        .filter(chat_outbox::target.eq(target))
        .select(diesel::dsl::max(chat_outbox::delivered_at))
        .first(conn)?;
    let last_failure: Option<(Option<NaiveDateTime>, Option<String>)> = chat_outbox::table
        .filter(chat_outbox::target.eq(target))
        .filter(chat_outbox::last_error.is_not_null())
        .order(chat_outbox::last_attempt_at.desc())
        .select((chat_outbox::last_attempt_at, chat_outbox::last_error))
        .first(conn)
        .optional()?;
    Ok(TargetStatus {
        last_success,
        last_failure: last_failure.and_then(|(at, why)| Some((at?, why?))),
    })
}
