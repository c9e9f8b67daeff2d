//! Passes and their time to acknowledge, computed in the database: counts
//! with `GROUP BY`; each wait (in whole seconds) by the database too, read
//! as one narrow column (group, wait) and sorted here for the median, p90
//! and longest (the database's window functions sort twice per group and
//! cost several times more on SQLite). Both backends run the same
//! statement; only the expression of an instant in Unix seconds is each
//! backend's own. A wait is the difference of the two instants each
//! truncated to the whole second (as the API shows them). The passes are
//! read through the partial index `notes_passes_by_time`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::db::DbConnection;
use crate::db::schema::notes;
use crate::domain::review::{Range, Spread};
use crate::domain::time::to_db;

/// How the passes are grouped.
#[derive(Debug, Clone, Copy)]
pub enum By {
    /// By recipient, keyed by user id.
    Recipient,
    /// By team week from `first` (keyed `"0"`, `"1"`, …: weeks since it).
    Week(DateTime<Utc>),
}

/// An instant column in whole Unix seconds, as this backend writes it.
/// On PostgreSQL `date_part` (a double) rather than `EXTRACT` (a numeric)
/// of `date_trunc`: the 12-week chart reads ~50,000 passes, and that costs
/// 39 ms instead of 65 ms on the million-note demo. The floor is exact:
/// a microsecond instant of this era is within 2^-22 s of its double, less
/// than the microsecond that separates it from the next second.
fn epoch(conn: &DbConnection, column: &str) -> String {
    match conn {
        DbConnection::Postgresql(_) => {
            format!("CAST(floor(date_part('epoch', {column})) AS BIGINT)")
        }
        DbConnection::Sqlite(_) => format!("unixepoch({column})"),
    }
}

/// The passes written in `[$1, $2)` and acknowledged, with their group and
/// wait: the statement's common part.
fn waits(conn: &DbConnection, by: By) -> String {
    let created = epoch(conn, "created_at");
    let acked = epoch(conn, "acknowledged_at");
    let bucket = match by {
        By::Recipient => "pass_to_id".to_owned(),
        // A number Baton formats, never text from a request.
        By::Week(first) => format!("CAST(({created} - {}) / 604800 AS TEXT)", first.timestamp()),
    };
    format!(
        "SELECT id, handoff_id, pass_to_id, created_at, {bucket} AS bucket, {acked} - {created} AS wait \
         FROM notes WHERE pass_to_id IS NOT NULL AND created_at >= $1 AND created_at < $2 \
         AND acknowledged_at IS NOT NULL"
    )
}

#[derive(QueryableByName)]
struct Wait {
    #[diesel(sql_type = Text)]
    bucket: String,
    #[diesel(sql_type = BigInt)]
    wait: i64,
}

/// The waits of the acknowledged passes written in `range`, per group.
pub fn waits_by(
    conn: &mut DbConnection,
    range: &Range,
    by: By,
) -> QueryResult<HashMap<String, Vec<i64>>> {
    let sql = format!("SELECT bucket, wait FROM ({}) p", waits(conn, by));
    let rows: Vec<Wait> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(to_db(range.from))
        .bind::<Timestamp, _>(to_db(range.to))
        .load(conn)?;
    let mut groups: HashMap<String, Vec<i64>> = HashMap::new();
    for r in rows {
        groups.entry(r.bucket).or_default().push(r.wait);
    }
    Ok(groups)
}

/// The spread of the waits of the acknowledged passes written in `range`,
/// per group.
pub fn spreads(
    conn: &mut DbConnection,
    range: &Range,
    by: By,
) -> QueryResult<HashMap<String, Spread>> {
    Ok(waits_by(conn, range, by)?
        .into_iter()
        .map(|(bucket, waits)| (bucket, Spread::of(waits)))
        .collect())
}

/// One of the slowest acknowledgements, as read.
#[derive(Debug, Clone, QueryableByName)]
pub struct Slow {
    /// The pass (its note).
    #[diesel(sql_type = Text)]
    pub id: String,
    /// The handoff.
    #[diesel(sql_type = Text)]
    pub handoff_id: String,
    /// The recipient.
    #[diesel(sql_type = Nullable<Text>)]
    pub pass_to_id: Option<String>,
    /// When the pass was written.
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    /// Seconds to acknowledge.
    #[diesel(sql_type = BigInt)]
    pub wait: i64,
}

/// The `limit` slowest acknowledgements of the passes written in `range`,
/// slowest first (the earlier pass first among equals).
pub fn slowest(conn: &mut DbConnection, range: &Range, limit: i64) -> QueryResult<Vec<Slow>> {
    let sql = format!(
        "SELECT id, handoff_id, pass_to_id, created_at, wait FROM ({}) p \
         ORDER BY wait DESC, created_at, id LIMIT $3",
        waits(conn, By::Recipient)
    );
    diesel::sql_query(sql)
        .bind::<Timestamp, _>(to_db(range.from))
        .bind::<Timestamp, _>(to_db(range.to))
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// Passes written in `range` per recipient: (written, acknowledged).
pub fn per_recipient(
    conn: &mut DbConnection,
    range: &Range,
) -> QueryResult<HashMap<String, (i64, i64)>> {
    let rows: Vec<(Option<String>, i64, i64)> = notes::table
        .filter(notes::pass_to_id.is_not_null())
        .filter(notes::created_at.ge(to_db(range.from)))
        .filter(notes::created_at.lt(to_db(range.to)))
        .group_by(notes::pass_to_id)
        .select((
            notes::pass_to_id,
            count_star(),
            diesel::dsl::count(notes::acknowledged_at),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n, acked)| id.map(|id| (id, (n, acked))))
        .collect())
}
