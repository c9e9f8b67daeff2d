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

/// The stored form of a token: its SHA-256, in hex.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a token for `user_id` and returns it; it cannot be read again.
pub fn create(conn: &mut DbConnection, user_id: &str, label: &str) -> Result<String, AppError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| AppError::internal(format!("random: {e}")))?;
    let token = format!("{PREFIX}{}", hex(&secret));
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(super::new_id()),
            api_tokens::user_id.eq(user_id),
            api_tokens::token_hash.eq(hash(&token)),
            api_tokens::created_at.eq(time::to_db(time::now())),
            api_tokens::label.eq(label),
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
        .filter(api_tokens::revoked_at.is_null())
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

/// A token as listed: never its secret.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Id, for revoking.
    pub id: String,
    /// Whose.
    pub username: String,
    /// What it is for.
    pub label: String,
    /// Created.
    pub created_at: chrono::NaiveDateTime,
    /// Last used (to the minute).
    pub last_used_at: Option<chrono::NaiveDateTime>,
    /// Revoked.
    pub revoked_at: Option<chrono::NaiveDateTime>,
}

/// Every token (of one user, when given), newest first.
pub fn list(
    conn: &mut DbConnection,
    username: Option<&crate::domain::user::Username>,
) -> Result<Vec<TokenInfo>, AppError> {
    let mut query = api_tokens::table
        .inner_join(users::table)
        .select((
            api_tokens::id,
            users::username,
            api_tokens::label,
            api_tokens::created_at,
            api_tokens::last_used_at,
            api_tokens::revoked_at,
        ))
        .order(api_tokens::id.desc())
        .into_boxed();
    if let Some(name) = username {
        query = query.filter(users::username.eq(name.as_str().to_owned()));
    }
    type Row = (
        String,
        String,
        String,
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
    );
    Ok(query
        .load::<Row>(conn)?
        .into_iter()
        .map(
            |(id, username, label, created_at, last_used_at, revoked_at)| TokenInfo {
                id,
                username,
                label,
                created_at,
                last_used_at,
                revoked_at,
            },
        )
        .collect())
}

/// Revokes a token by id; returns its owner's username.
pub fn revoke(conn: &mut DbConnection, id: &str) -> Result<String, AppError> {
    let owner: Option<String> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::id.eq(id))
        .select(users::username)
        .first(conn)
        .optional()?;
    let owner = owner.ok_or_else(|| AppError::NotFound(format!("there is no token {id}")))?;
    diesel::update(api_tokens::table.filter(api_tokens::id.eq(id)))
        .set(api_tokens::revoked_at.eq(Some(time::to_db(time::now()))))
        .execute(conn)?;
    Ok(owner)
}
