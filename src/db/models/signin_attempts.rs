//! Break-glass password checks, rate-limited through the database: an
//! attempt is claimed (a row) before the password is verified, and the
//! limits count the claimed rows, so no more checks ever run than the limits
//! allow, whether the guesses arrive one by one or all at once, on one
//! instance or several.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::new_id;
use crate::db::DbConnection;
use crate::db::schema::signin_attempts;
use crate::domain::time;

/// How many password checks may run or have failed within a window.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For one account from one address: guessing from one place stops here.
    pub per_account_and_address: i64,
    /// For one account from all addresses together: distributed guessing
    /// stops here, far above what one address can reach alone.
    pub per_account: i64,
    /// The window both count over.
    pub window: Duration,
}

/// Claims one password check for `username` from `address`: `Some(id)` when
/// the limits allow it (the claim counts as a failure until [`succeeded`]),
/// `None` when they do not. Claims for one account are serialised: an
/// immediate transaction on SQLite, a transaction-scoped advisory lock on
/// the account on PostgreSQL (shared by every instance).
pub fn claim(
    conn: &mut DbConnection,
    username: &str,
    address: &str,
    limits: Limits,
    now: DateTime<Utc>,
) -> QueryResult<Option<String>> {
    let since = time::to_db(now - limits.window);
    let at = time::to_db(now);
    macro_rules! count_and_claim {
        ($c:ident) => {{
            let from_here: i64 = signin_attempts::table
                .filter(signin_attempts::username.eq(username))
                .filter(signin_attempts::address.eq(address))
                .filter(signin_attempts::at.gt(since))
                .count()
                .get_result($c)?;
            let in_all: i64 = signin_attempts::table
                .filter(signin_attempts::username.eq(username))
                .filter(signin_attempts::at.gt(since))
                .count()
                .get_result($c)?;
            if from_here >= limits.per_account_and_address || in_all >= limits.per_account {
                return Ok(None);
            }
            let id = new_id();
            diesel::insert_into(signin_attempts::table)
                .values((
                    signin_attempts::id.eq(&id),
                    signin_attempts::username.eq(username),
                    signin_attempts::address.eq(address),
                    signin_attempts::at.eq(at),
                ))
                .execute($c)?;
            Ok(Some(id))
        }};
    }
    match conn {
        DbConnection::Postgresql(c) => c.transaction(|c| {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<Text, _>(format!("baton signin {username}"))
                .execute(c)?;
            count_and_claim!(c)
        }),
        DbConnection::Sqlite(c) => c.immediate_transaction(|c| count_and_claim!(c)),
    }
}

/// The claimed check succeeded: the account's failures from this address
/// no longer count.
pub fn succeeded(conn: &mut DbConnection, username: &str, address: &str) -> QueryResult<()> {
    diesel::delete(
        signin_attempts::table
            .filter(signin_attempts::username.eq(username))
            .filter(signin_attempts::address.eq(address)),
    )
    .execute(conn)
    .map(|_| ())
}

/// Forgets attempts older than `window` (they no longer count).
pub fn forget_before(
    conn: &mut DbConnection,
    window: Duration,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(signin_attempts::table.filter(signin_attempts::at.le(time::to_db(now - window))))
        .execute(conn)
}
