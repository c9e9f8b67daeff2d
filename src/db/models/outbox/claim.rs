//! The delivery job's side of the outbox: the database's clock, claiming
//! due messages under a lease, settling each with what chat answered, and
//! marking those whose sender vanished mid-send as `unknown`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::status;
use crate::db::DbConnection;
use crate::db::schema::chat_outbox;

/// How long retrying goes on before a message is given up.
pub const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = Timestamp)]
    now: NaiveDateTime,
}

/// The database's clock of record (UTC), so that several instances agree
/// on what is due whatever their own clocks say.
pub fn db_now(conn: &mut DbConnection) -> QueryResult<NaiveDateTime> {
    let sql = match conn {
        DbConnection::Postgresql(_) => "SELECT (clock_timestamp() AT TIME ZONE 'UTC') AS now",
        DbConnection::Sqlite(_) => "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') AS now",
    };
    diesel::sql_query(sql)
        .get_result::<Now>(conn)
        .map(|n| n.now)
}

/// A message claimed for sending.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    /// The row.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Its idempotency key.
    #[diesel(sql_type = Text)]
    pub idem_key: String,
    /// The message, as JSON.
    #[diesel(sql_type = Text)]
    pub payload: String,
    /// Attempts so far, this one included.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// When it was written.
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
}

/// Claims up to `limit` due messages to `target` for `owner` until
/// `lease` from now (by the database's clock), in one statement: each the
/// oldest undelivered message of its handoff, so that a handoff's messages
/// go out in order. PostgreSQL skips rows another instance is claiming.
pub fn claim(
    conn: &mut DbConnection,
    target: &str,
    owner: &str,
    lease: chrono::Duration,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    let now = db_now(conn)?;
    let lock = match conn {
        DbConnection::Postgresql(_) => "FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    // Placeholders first appear in their numeric order: SQLite numbers
    // `$N` names by first appearance.
    let sql = format!(
        "UPDATE chat_outbox SET status = 'sending', lease_owner = $1, lease_expires_at = $2, \
         attempts = attempts + 1, last_attempt_at = $3 \
         WHERE id IN (SELECT o.id FROM chat_outbox o \
           WHERE o.status = 'pending' AND o.next_attempt_at <= $3 AND o.target = $4 \
           AND NOT EXISTS (SELECT 1 FROM chat_outbox e WHERE e.handoff_id = o.handoff_id \
             AND e.target = o.target AND e.id < o.id AND e.status IN ('pending', 'sending')) \
           ORDER BY o.id LIMIT $5 {lock}) \
         RETURNING id, idem_key, payload, attempts, created_at"
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(owner)
        .bind::<Timestamp, _>(now + lease)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(target)
        .bind::<BigInt, _>(limit)
        .load::<Claimed>(conn)
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Chat accepted it.
    Delivered,
    /// Try again after this long (why, for people).
    Retry(std::time::Duration, String),
    /// Never try again (why).
    Dead(String),
}

/// Records `outcome` for a message `owner` claimed; a retry past
/// [`GIVE_UP_AFTER`] since it was written is given up. Nothing changes if
/// the claim was lost (the lease expired and the row was marked unknown).
pub fn settle(
    conn: &mut DbConnection,
    claimed: &Claimed,
    owner: &str,
    outcome: &Outcome,
) -> QueryResult<()> {
    let now = db_now(conn)?;
    let row = chat_outbox::table
        .filter(chat_outbox::id.eq(&claimed.id))
        .filter(chat_outbox::lease_owner.eq(owner))
        .filter(chat_outbox::status.eq(status::SENDING));
    let none: Option<NaiveDateTime> = None;
    match outcome {
        Outcome::Delivered => diesel::update(row)
            .set((
                chat_outbox::status.eq(status::DELIVERED),
                chat_outbox::delivered_at.eq(Some(now)),
                chat_outbox::lease_expires_at.eq(none),
            ))
            .execute(conn)?,
        Outcome::Retry(_, why) if now - claimed.created_at >= GIVE_UP_AFTER => diesel::update(row)
            .set((
                chat_outbox::status.eq(status::DEAD),
                chat_outbox::last_error.eq(Some(format!("gave up after 24 hours: {why}"))),
                chat_outbox::lease_expires_at.eq(none),
            ))
            .execute(conn)?,
        Outcome::Retry(wait, why) => diesel::update(row)
            .set((
                chat_outbox::status.eq(status::PENDING),
                chat_outbox::next_attempt_at
                    .eq(now
                        + chrono::Duration::from_std(*wait).unwrap_or(chrono::Duration::hours(1))),
                chat_outbox::last_error.eq(Some(why.as_str())),
                chat_outbox::lease_expires_at.eq(none),
            ))
            .execute(conn)?,
        Outcome::Dead(why) => diesel::update(row)
            .set((
                chat_outbox::status.eq(status::DEAD),
                chat_outbox::last_error.eq(Some(why.as_str())),
                chat_outbox::lease_expires_at.eq(none),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Marks messages whose lease expired while sending as `unknown`: their
/// sender stopped mid-call, so chat may have them; they are shown, not
/// sent again. How many.
pub fn sweep_expired(conn: &mut DbConnection) -> QueryResult<usize> {
    let now = db_now(conn)?;
    diesel::update(
        chat_outbox::table
            .filter(chat_outbox::status.eq(status::SENDING))
            .filter(chat_outbox::lease_expires_at.lt(now)),
    )
    .set((
        chat_outbox::status.eq(status::UNKNOWN),
        chat_outbox::last_error.eq(Some(
            "the sender stopped while sending: chat may or may not have it",
        )),
    ))
    .execute(conn)
}

/// Whether any message to `target` is due now (a read, for every poll).
pub fn any_due(conn: &mut DbConnection, target: &str) -> QueryResult<bool> {
    let now = db_now(conn)?;
    let due: i64 = chat_outbox::table
        .filter(chat_outbox::target.eq(target))
        .filter(
            chat_outbox::status
                .eq(status::PENDING)
                .and(chat_outbox::next_attempt_at.le(now))
                .or(chat_outbox::status
                    .eq(status::SENDING)
                    .and(chat_outbox::lease_expires_at.lt(now))),
        )
        .count()
        .get_result(conn)?;
    Ok(due > 0)
}
