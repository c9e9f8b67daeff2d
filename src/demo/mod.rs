//! `baton demo`: fills a database with a realistic team, a year of shifts,
//! open and resolved handoffs and their notes, for newcomers and the benchmark.
//!
//! Every row is built by the model functions that build the application's
//! rows (`Draft` for handoffs, notes and links, `Shift::new`,
//! `Handover::new`), so ids, versions, excerpts, pending passes and issue
//! links follow the application's rules by construction. Only the times are
//! made up (each id is a UUID v7 from its row's own time, so that id order
//! is time order), and the rows are written in big batches, each one
//! transaction: a million notes load in well under a minute. Note bodies come from a
//! handful of templates rendered once; only the issue number differs
//! between uses.
//!
//! - `team`: the people and their time zones;
//! - `shifts`: the rota and the handovers;
//! - `handoffs`: the handoffs and their notes;
//! - `text`: titles and note bodies.

mod handoffs;
mod shifts;
mod team;
mod text;

use std::fmt;
use std::time::Instant;

use chrono::{DateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::{self, Ids};
use crate::db::schema::handoffs as handoffs_table;
use crate::domain::issue_ref::GitLab;
use crate::domain::time;

/// The sizes of what `baton demo` makes.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// How many users (across at least 8 time zones from 8 users on).
    #[arg(long, default_value_t = 30)]
    pub users: usize,
    /// How many days of follow-the-sun shifts (EOC, IMOC, CMOC), the last two weeks ahead.
    #[arg(long, default_value_t = 365)]
    pub days: usize,
    /// How many open handoffs.
    #[arg(long, default_value_t = 40)]
    pub open: usize,
    /// How many notes in all, on open and resolved handoffs.
    #[arg(long, default_value_t = 2_000)]
    pub notes: usize,
    /// How many resolved handoffs (default: one per 20 notes).
    #[arg(long)]
    pub resolved: Option<usize>,
    /// Add to a database that already has handoffs.
    #[arg(long)]
    pub force: bool,
    /// Seed of the pseudo-random choices (the same seed makes the same data).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Default for DemoArgs {
    fn default() -> DemoArgs {
        DemoArgs {
            users: 30,
            days: 365,
            open: 40,
            notes: 2_000,
            resolved: None,
            force: false,
            seed: 1,
        }
    }
}

/// What `baton demo` made.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Users added (existing demo users are reused).
    pub users: usize,
    /// Distinct time zones of the demo users.
    pub zones: usize,
    /// Shifts added.
    pub shifts: usize,
    /// Open handoffs added.
    pub open: usize,
    /// Of those, how many wait for acknowledgement.
    pub waiting: usize,
    /// Resolved handoffs added.
    pub resolved: usize,
    /// Notes added.
    pub notes: usize,
    /// Issue links added.
    pub issue_links: usize,
    /// The username to sign in as: an admin with shifts and a pass waiting.
    pub sign_in_as: String,
    /// The open handoff with 30 notes (when `open` ≥ 1).
    pub thirty_notes: Option<String>,
    /// Seconds the load took.
    pub seconds: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "users: {} added, in {} time zones",
            self.users, self.zones
        )?;
        writeln!(
            f,
            "shifts: {} (EOC, IMOC, CMOC, follow the sun)",
            self.shifts
        )?;
        writeln!(
            f,
            "open handoffs: {} ({} waiting for acknowledgement)",
            self.open, self.waiting
        )?;
        writeln!(f, "resolved handoffs: {}", self.resolved)?;
        writeln!(f, "notes: {}", self.notes)?;
        writeln!(f, "issue links: {}", self.issue_links)?;
        writeln!(f, "sign in as: {}", self.sign_in_as)?;
        if let Some(id) = &self.thirty_notes {
            writeln!(f, "handoff with 30 notes: /handoffs/{id}")?;
        }
        write!(f, "took {:.1} s", self.seconds)
    }
}

/// Fills the configured database; returns a summary of what was made.
pub fn run(conn: &mut DbConnection, args: &DemoArgs) -> Result<String, String> {
    let settings = crate::config::Settings::from_env()?;
    let summary = seed(conn, args, &settings.gitlab)?;
    Ok(summary.to_string())
}

/// Fills the database behind `conn` as `args` say. Refuses a database that
/// already has handoffs unless `args.force`.
pub fn seed(conn: &mut DbConnection, args: &DemoArgs, gitlab: &GitLab) -> Result<Summary, String> {
    let started = Instant::now();
    if args.users < 3 {
        return Err("--users must be at least 3".into());
    }
    if args.days < 14 {
        return Err("--days must be at least 14".into());
    }
    let existing: i64 = handoffs_table::table
        .count()
        .get_result(conn)
        .map_err(|e| e.to_string())?;
    if existing > 0 && !args.force {
        return Err(format!(
            "this database already has {existing} handoffs; use --force to add the demo data anyway"
        ));
    }
    let mut rng = Rng::new(args.seed);
    let now = time::now();
    let mut summary = Summary::default();

    let team = team::add_team(conn, args.users, &mut summary)?;
    summary.sign_in_as = team.people[0].user.username.clone();
    shifts::add_shifts(conn, &team, args.days, now, &mut rng, &mut summary)?;
    handoffs::add_handoffs(conn, args, &team, gitlab, now, &mut rng, &mut summary)?;
    shifts::add_handovers(conn, &team, now, &mut rng)?;
    refresh_statistics(conn)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Fresh planner statistics after a bulk load, so that the first queries
/// use the indexes, and the housekeeping a bulk load leaves behind done now
/// rather than in the background of whatever runs next (PostgreSQL's
/// autovacuum of the new rows, SQLite's write-ahead log).
fn refresh_statistics(conn: &mut DbConnection) -> Result<(), String> {
    match conn {
        DbConnection::Postgresql(c) => c.batch_execute("VACUUM ANALYZE"),
        DbConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);")
        }
    }
    .map_err(|e| format!("refreshing statistics: {e}"))
}

// ---------------------------------------------------------------- times, randomness

fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// SplitMix64: small, fast and good enough for made-up data; also the
/// source of the random part of the demo's ids.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

impl Ids for Rng {
    fn id_at(&mut self, at: DateTime<Utc>) -> String {
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.next().to_le_bytes());
        random[8..].copy_from_slice(&self.next().to_le_bytes()[..2]);
        models::id_at(at, random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn ids_made_from_a_time_sort_in_time_order() {
        let mut rng = Rng::new(7);
        let t = Utc::now();
        let earlier = rng.id_at(t - Duration::milliseconds(1));
        let later = rng.id_at(t);
        assert!(earlier < later);
        assert!(uuid::Uuid::parse_str(&later).is_ok_and(|u| u.get_version_num() == 7));
    }
}
