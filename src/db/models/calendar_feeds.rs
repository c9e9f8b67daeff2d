//! Calendar feed secrets: a URL a calendar app can poll without a token.
//! The secret is shown once when made and stored only as its SHA-256
//! hash, as API tokens are; making a new one replaces (and so stops) the
//! old one.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::tokens::{hash, hex};
use crate::db::models::users::User;
use crate::db::schema::{calendar_feeds, users};
use crate::domain::time;
use crate::error::AppError;

/// The kinds of feed: one's own shifts, or the whole team's.
pub const KINDS: [&str; 2] = ["personal", "team"];

/// Makes a new secret for `user_id`'s feed of `kind` (replacing any
/// earlier one) and returns it; it cannot be read again.
pub fn regenerate(conn: &mut DbConnection, user_id: &str, kind: &str) -> Result<String, AppError> {
    if !KINDS.contains(&kind) {
        return Err(AppError::NotFound("no such calendar feed".into()));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| AppError::internal(format!("random: {e}")))?;
    let token = hex(&secret);
    conn.transaction(|conn| {
        revoke(conn, user_id, kind)?;
        diesel::insert_into(calendar_feeds::table)
            .values((
                calendar_feeds::id.eq(super::new_id()),
                calendar_feeds::user_id.eq(user_id),
                calendar_feeds::kind.eq(kind),
                calendar_feeds::token_hash.eq(hash(&token)),
                calendar_feeds::created_at.eq(time::to_db(time::now())),
            ))
            .execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(token)
}

/// Stops `user_id`'s feed of `kind`.
pub fn revoke(conn: &mut DbConnection, user_id: &str, kind: &str) -> QueryResult<usize> {
    diesel::delete(
        calendar_feeds::table
            .filter(calendar_feeds::user_id.eq(user_id))
            .filter(calendar_feeds::kind.eq(kind)),
    )
    .execute(conn)
}

/// The active user and the kind of the feed `secret` opens, if any.
pub fn open(conn: &mut DbConnection, secret: &str) -> QueryResult<Option<(User, String)>> {
    calendar_feeds::table
        .inner_join(users::table)
        .filter(calendar_feeds::token_hash.eq(hash(secret)))
        .filter(users::active.eq(true))
        .select((users::all_columns, calendar_feeds::kind))
        .first(conn)
        .optional()
}

/// The kinds of feed `user_id` has, with when each was made.
pub fn of_user(
    conn: &mut DbConnection,
    user_id: &str,
) -> QueryResult<Vec<(String, chrono::NaiveDateTime)>> {
    calendar_feeds::table
        .filter(calendar_feeds::user_id.eq(user_id))
        .order(calendar_feeds::kind.asc())
        .select((calendar_feeds::kind, calendar_feeds::created_at))
        .load(conn)
}
