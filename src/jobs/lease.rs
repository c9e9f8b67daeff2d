//! Leases on periodic jobs: one row per job in `job_leases`, claimed with
//! one `UPDATE … WHERE name = ? AND (expires_at < now OR owner = me)
//! RETURNING`, so that of any number of instances on one database exactly
//! one does a job's work at a time. On PostgreSQL two claims at once
//! serialise on the row lock, and the second finds the condition false; on
//! SQLite writers are serialised anyway.
//!
//! The table has no change trigger on PostgreSQL, and a claim that finds
//! the lease taken changes nothing, so claims never make other instances'
//! kept pages stale.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::job_leases;
use crate::db::{DbConnection, on_backend};
use crate::domain::time;

/// Creates the lease row of `name` if there is none (expired, so the first
/// claim takes it).
pub fn ensure(conn: &mut DbConnection, name: &str) -> QueryResult<()> {
    let expired = time::to_db(DateTime::<Utc>::UNIX_EPOCH);
    on_backend!(conn, |c| diesel::insert_into(job_leases::table)
        .values((
            job_leases::name.eq(name),
            job_leases::owner.eq(""),
            job_leases::expires_at.eq(expired),
        ))
        .on_conflict_do_nothing()
        .execute(c))
    .map(|_| ())
}

/// Claims (or renews) the lease of job `name` for `owner` until `until`,
/// if it is free (expired) or already `owner`'s. Whether `owner` holds it now.
pub fn claim(
    conn: &mut DbConnection,
    name: &str,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<bool> {
    let (now, until) = (time::to_db(now), time::to_db(until));
    let claimed: Vec<String> = on_backend!(conn, |c| diesel::update(
        job_leases::table.filter(job_leases::name.eq(name)).filter(
            job_leases::expires_at
                .lt(now)
                .or(job_leases::owner.eq(owner)),
        ),
    )
    .set((
        job_leases::owner.eq(owner),
        job_leases::expires_at.eq(until),
    ))
    .returning(job_leases::name)
    .get_results(c))?;
    Ok(!claimed.is_empty())
}

/// Gives the lease of `name` up, if `owner` holds it, so that another
/// instance may take the job at once (on shutdown).
pub fn release(conn: &mut DbConnection, name: &str, owner: &str) -> QueryResult<()> {
    let expired = time::to_db(DateTime::<Utc>::UNIX_EPOCH);
    diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(name))
            .filter(job_leases::owner.eq(owner)),
    )
    .set(job_leases::expires_at.eq(expired))
    .execute(conn)
    .map(|_| ())
}
