//! Webhook deliveries already applied, by their idempotency key: GitLab
//! retries a delivery it did not see answered, and a retry must change
//! nothing. Kept for [`KEEP_DAYS`] days.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::webhook_deliveries;
use crate::db::{DbConnection, on_backend};
use crate::domain::time;

/// How long a delivery id is remembered (GitLab retries within hours).
pub const KEEP_DAYS: i64 = 7;

/// Records delivery `id` received at `at`; `false` when it was recorded
/// already (a repeat: apply nothing). Call inside the transaction that
/// applies the delivery, so that both or neither happen.
pub fn record_delivery(conn: &mut DbConnection, id: &str, at: DateTime<Utc>) -> QueryResult<bool> {
    let at = time::to_db(at);
    let inserted = on_backend!(conn, |c| diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::id.eq(id),
            webhook_deliveries::received_at.eq(at),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Forgets the deliveries received more than [`KEEP_DAYS`] before `now`.
pub fn prune_deliveries(conn: &mut DbConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    let before = time::to_db(now - chrono::Duration::days(KEEP_DAYS));
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::received_at.lt(before)))
        .execute(conn)
}
