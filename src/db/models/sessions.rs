//! Server-side sessions: the cookie names a row here, so signing out or
//! deactivating a user ends the session at once, on every instance.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::users::User;
use crate::db::schema::{sessions, users};
use crate::domain::audit::SignInMethod;
use crate::domain::time;

/// How long an unused session lasts; each use renews it.
pub const LIFETIME: Duration = Duration::days(7);
/// How often a session in use renews its last use. Each renewal is a write,
/// and every write makes everything kept stale for everyone (`web::cache`):
/// renewed once a minute, fifty people signed in dropped it all about once
/// a second. An hour is nothing beside [`LIFETIME`].
pub const RENEW_EVERY: Duration = Duration::hours(1);

/// Starts a session for `user_id`, signed in by `method`; returns its id.
pub fn create(conn: &mut DbConnection, user_id: &str, method: SignInMethod) -> QueryResult<String> {
    let id = super::new_id();
    let now = time::to_db(time::now());
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_id.eq(user_id),
            sessions::method.eq(method),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The active user of a live session, renewing it (at most once every
/// [`RENEW_EVERY`]).
pub fn resume(
    conn: &mut DbConnection,
    session_id: &str,
    user_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<User>> {
    let found: Option<(NaiveDateTime, User)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .filter(sessions::user_id.eq(user_id))
        .filter(users::active.eq(true))
        .filter(sessions::last_seen_at.gt(time::to_db(now - LIFETIME)))
        .select((sessions::last_seen_at, users::all_columns))
        .first(conn)
        .optional()?;
    let Some((last_seen, user)) = found else {
        return Ok(None);
    };
    if now - time::from_db(last_seen) > RENEW_EVERY {
        diesel::update(sessions::table.filter(sessions::id.eq(session_id)))
            .set(sessions::last_seen_at.eq(time::to_db(now)))
            .execute(conn)?;
    }
    Ok(Some(user))
}

/// Ends one session.
pub fn end(conn: &mut DbConnection, session_id: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::id.eq(session_id)))
        .execute(conn)
        .map(|_| ())
}
