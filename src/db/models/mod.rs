//! Model functions, one file per table (or per group of tables that change
//! together). Each returns `Result<T, AppError>` or diesel's `QueryResult`.

use chrono::{DateTime, Utc};

/// Inserts a slice of rows into a table, whatever their number: a few rows
/// one `INSERT` each (a statement that stays prepared, as a form's write
/// needs), many in multi-row `INSERT`s of at most `$per_insert` rows on
/// SQLite (which binds at most 32766 values per statement) or one `COPY` on
/// PostgreSQL (as `baton demo` needs). A macro because a multi-row insert
/// does not compile through the `DbConnection` enum: each arm names its
/// backend. Evaluates to `QueryResult<()>`. Defined before the model
/// modules, so that they all see it.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $per_insert:expr) => {{
        use diesel::RunQueryDsl as _;
        let rows = $rows;
        match &mut *$conn {
            _ if rows.is_empty() => Ok(()),
            $crate::db::DbConnection::Postgresql(c) if rows.len() >= $crate::db::models::MANY => {
                diesel::copy_from($table)
                    .from_insertable(rows)
                    .execute(c)
                    .map(|_| ())
            }
            $crate::db::DbConnection::Sqlite(c) if rows.len() >= $crate::db::models::MANY => {
                rows.chunks($per_insert).try_for_each(|chunk| {
                    diesel::insert_into($table)
                        .values(chunk)
                        .execute(c)
                        .map(|_| ())
                })
            }
            any => rows.iter().try_for_each(|row| {
                diesel::insert_into($table)
                    .values(row)
                    .execute(any)
                    .map(|_| ())
            }),
        }
    }};
}

/// From how many rows `insert_rows!` writes in bulk rather than one by one.
pub(crate) const MANY: usize = 100;

pub mod audit;
pub mod calendar_feeds;
pub mod chat_handles;
pub mod cover;
pub mod drills;
pub mod escalations;
pub mod events;
pub mod future;
pub mod gauges;
pub mod gitlab;
pub mod handoffs;
pub mod handovers;
pub mod loaded;
pub mod outbox;
pub mod review;
pub mod rotations;
pub mod schedule;
pub mod sessions;
pub mod settings;
pub mod shift_digest;
pub mod shift_import;
pub mod shifts;
pub mod signin_attempts;
pub mod tokens;
pub mod users;

/// A new UUID v7 (time-ordered) as stored text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A UUID v7 whose time part is `at` (to the millisecond) and whose other
/// bits are `random`, as stored text: the id of a row written at `at`.
pub fn id_at(at: DateTime<Utc>, random: [u8; 10]) -> String {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .to_string()
}

/// Where the ids of new rows come from. Every id is a UUID v7 whose time
/// part is the time the row was written, so that id order is time order:
/// lists sort by id.
pub trait Ids {
    /// The id of a row written at `at`.
    fn id_at(&mut self, at: DateTime<Utc>) -> String;
}

/// The application's ids. It writes every row at [`time::now`], so the
/// clock's own UUID v7 is that id; it also keeps the ids made within one
/// millisecond in the order they were made.
///
/// [`time::now`]: crate::domain::time::now
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock;

impl Ids for Clock {
    fn id_at(&mut self, _at: DateTime<Utc>) -> String {
        new_id()
    }
}

/// Whether a diesel error is a unique-constraint violation.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
