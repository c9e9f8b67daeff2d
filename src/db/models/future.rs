//! "Your future changed" (`schedule_notices`): every write that may change
//! the schedule (a rotation, an override shift, a taken cover request) runs
//! through [`recording`], which reads the final schedule of the next 14 days
//! before and after the write, in the write's transaction, and stores for
//! each person whose time on call changed what it was and what it is
//! (`domain::future::diff`). Their pages show it until they dismiss it.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::{new_id, schedule};
use crate::db::schema::schedule_notices;
use crate::domain::future::{self, Change, HORIZON, Span};
use crate::domain::time;
use crate::error::AppError;

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable)]
#[diesel(table_name = schedule_notices)]
pub struct Notice {
    /// UUID v7.
    pub id: String,
    /// Whose schedule changed.
    pub user_id: String,
    /// What changed it, as a sentence ("alice changed the rotation …").
    pub cause: String,
    /// The [`Change`] as JSON.
    pub changes: String,
    /// When.
    pub created_at: NaiveDateTime,
    /// When they dismissed it.
    pub dismissed_at: Option<NaiveDateTime>,
}

impl Notice {
    /// What changed; a stored value Baton cannot read is an error naming the row.
    pub fn change(&self) -> Result<Change, AppError> {
        serde_json::from_str(&self.changes)
            .map_err(|e| AppError::internal(format!("schedule notice {}: {e}", self.id)))
    }
}

/// Serialises the writers of the schedule, so that each reads the schedule
/// another left, not one in between: on PostgreSQL a transaction-scoped
/// advisory lock; on SQLite the write lock, taken at once by a write that
/// changes nothing (a transaction that read first could not take it later
/// if another committed in between).
fn lock(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Postgresql(c) => {
            diesel::sql_query(
                "SELECT pg_advisory_xact_lock(hashtextextended('baton schedule', 0))",
            )
            .execute(c)?;
        }
        DbConnection::Sqlite(c) => {
            diesel::sql_query("UPDATE schedule_notices SET id = id WHERE 0 = 1").execute(c)?;
        }
    }
    Ok(())
}

/// The final schedule of `[from, to)` as `(user id, span)`.
fn reading(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, Span)>, AppError> {
    Ok(schedule::between(conn, from, to)?
        .into_iter()
        .map(|o| {
            (
                o.shift.user_id,
                Span {
                    starts: o.shift.starts,
                    ends: o.shift.ends,
                    role: o.shift.role,
                },
            )
        })
        .collect())
}

/// Runs `write` in one transaction with the schedule's writers serialised,
/// and stores, for each person whose next 14 days of shifts it changed, a
/// notice saying `cause` and what changed. An error from `write` leaves
/// nothing written.
pub fn recording<T>(
    conn: &mut DbConnection,
    cause: &str,
    write: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    conn.transaction(|conn| {
        lock(conn)?;
        let now = time::now();
        let to = now + HORIZON;
        let before = reading(conn, now, to)?;
        let done = write(conn)?;
        let after = reading(conn, now, to)?;
        for (user_id, change) in future::diff(&before, &after, now, to) {
            let changes = serde_json::to_string(&change).map_err(AppError::internal)?;
            diesel::insert_into(schedule_notices::table)
                .values(Notice {
                    id: new_id(),
                    user_id,
                    cause: cause.to_owned(),
                    changes,
                    created_at: time::to_db(now),
                    dismissed_at: None,
                })
                .execute(conn)?;
        }
        Ok(done)
    })
}

/// The newest `limit` notices `user_id` has not dismissed, and how many
/// there are in all.
pub fn pending(
    conn: &mut DbConnection,
    user_id: &str,
    limit: i64,
) -> QueryResult<(Vec<Notice>, i64)> {
    let mine = || {
        schedule_notices::table
            .filter(schedule_notices::user_id.eq(user_id))
            .filter(schedule_notices::dismissed_at.is_null())
    };
    let count: i64 = mine().count().get_result(conn)?;
    if count == 0 {
        return Ok((vec![], 0));
    }
    let notices = mine()
        .order(schedule_notices::id.desc())
        .limit(limit)
        .load(conn)?;
    Ok((notices, count))
}

/// `user_id` dismisses notice `id` (every one of theirs with `None`); a
/// notice that is not theirs, or not there, is a 404.
pub fn dismiss(conn: &mut DbConnection, user_id: &str, id: Option<&str>) -> Result<(), AppError> {
    let now = time::to_db(time::now());
    let mine = schedule_notices::table
        .filter(schedule_notices::user_id.eq(user_id))
        .filter(schedule_notices::dismissed_at.is_null());
    let changed = match id {
        Some(id) => diesel::update(mine.filter(schedule_notices::id.eq(id)))
            .set(schedule_notices::dismissed_at.eq(now))
            .execute(conn)?,
        None => {
            diesel::update(mine)
                .set(schedule_notices::dismissed_at.eq(now))
                .execute(conn)?;
            return Ok(());
        }
    };
    if changed == 0 {
        return Err(AppError::NotFound(
            "no such notice of yours, or it was dismissed already".into(),
        ));
    }
    Ok(())
}
