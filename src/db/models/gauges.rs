//! What `/metrics` reports about the data, as of now: open handoffs by kind
//! and severity, the passes waiting for their recipient, escalations so
//! far, chat messages waiting to be sent, and when GitLab last answered. A
//! few small aggregate queries, read once per scrape.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::{count_star, max, min, sum};
use diesel::prelude::*;

use crate::db::models::outbox::status;
use crate::db::schema::{chat_outbox, gitlab_issues, gitlab_status, handoffs, pass_escalations};
use crate::db::{DbConnection, on_backend};
use crate::domain::handoff::Status;
use crate::domain::time;

/// The data's gauges.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gauges {
    /// Open handoffs: `(kind, severity, count)`, by kind then severity.
    pub open: Vec<(String, i32, i64)>,
    /// Open handoffs whose pass waits to be acknowledged.
    pub passes_pending: i64,
    /// Since when the oldest of those has waited.
    pub oldest_pending_since: Option<DateTime<Utc>>,
    /// When GitLab last answered a read: the newest issue read back or
    /// the last full listing of the watched projects.
    pub gitlab_last_success: Option<DateTime<Utc>>,
    /// Escalations of passes so far (each pass's count, summed).
    pub escalations: i64,
    /// Chat messages not yet sent (waiting for an attempt, or being sent).
    pub outbox_pending: i64,
}

/// Reads the gauges.
pub fn read(conn: &mut DbConnection) -> QueryResult<Gauges> {
    let open: Vec<(String, i32, i64)> = on_backend!(conn, |c| handoffs::table
        .filter(handoffs::status.eq(Status::Open))
        .group_by((handoffs::kind, handoffs::severity))
        .select((handoffs::kind, handoffs::severity, count_star()))
        .order((handoffs::kind.asc(), handoffs::severity.asc()))
        .load(c))?;
    let (passes_pending, oldest): (i64, Option<NaiveDateTime>) =
        on_backend!(conn, |c| handoffs::table
            .filter(handoffs::status.eq(Status::Open))
            .filter(handoffs::pending_to_id.is_not_null())
            .select((count_star(), min(handoffs::pending_since)))
            .first(c))?;
    let fetched: Option<NaiveDateTime> = on_backend!(conn, |c| gitlab_issues::table
        .select(max(gitlab_issues::fetched_at))
        .first(c))?;
    let listed: Option<NaiveDateTime> = on_backend!(conn, |c| gitlab_status::table
        .select(max(gitlab_status::inventory_at))
        .first(c))?;
    let escalations: Option<i64> = on_backend!(conn, |c| pass_escalations::table
        .select(sum(pass_escalations::count))
        .first(c))?;
    let outbox_pending: i64 = on_backend!(conn, |c| chat_outbox::table
        .filter(chat_outbox::status.eq_any([status::PENDING, status::SENDING]))
        .select(count_star())
        .first(c))?;
    Ok(Gauges {
        open,
        escalations: escalations.unwrap_or(0),
        outbox_pending,
        passes_pending,
        oldest_pending_since: oldest.map(time::from_db),
        gitlab_last_success: fetched.max(listed).map(time::from_db),
    })
}
