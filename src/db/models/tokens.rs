//! API tokens: shown once, stored only as a SHA-256 hash.

use chrono::Duration;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::db::models::users::User;
use crate::db::schema::{api_tokens, users};
use crate::domain::time;
use crate::error::AppError;

/// Every token starts with this, so that secret scanners can find leaked ones.
pub const PREFIX: &str = "baton_";

fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a token for `user_id` and returns it; it cannot be read again.
pub fn create(conn: &mut DbConnection, user_id: &str) -> Result<String, AppError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| AppError::internal(format!("random: {e}")))?;
    let token = format!("{PREFIX}{}", hex(&secret));
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(super::new_id()),
            api_tokens::user_id.eq(user_id),
            api_tokens::token_hash.eq(hash(&token)),
            api_tokens::created_at.eq(time::to_db(time::now())),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The active user a token belongs to, noting its use (at most once a minute).
pub fn authenticate(conn: &mut DbConnection, token: &str) -> Result<Option<User>, AppError> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let found: Option<(String, Option<chrono::NaiveDateTime>, User)> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(hash(token)))
        .filter(users::active.eq(true))
        .select((api_tokens::id, api_tokens::last_used_at, users::all_columns))
        .first(conn)
        .optional()?;
    let Some((id, last_used, user)) = found else {
        return Ok(None);
    };
    let now = time::now();
    if last_used.is_none_or(|t| now - time::from_db(t) > Duration::minutes(1)) {
        diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)))
            .set(api_tokens::last_used_at.eq(time::to_db(now)))
            .execute(conn)?;
    }
    Ok(Some(user))
}
