//! The demo's rota: a year of follow-the-sun shifts in three roles, and a
//! handover at each of the last week's EOC changes. The rows are the
//! model's own (`Shift::new`, `Handover::new`); only their times are made up.

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;

use super::team::{ROLES, Team};
use super::text::HANDOVER_SUMMARY;
use super::{Rng, Summary};
use crate::db::DbConnection;
use crate::db::models::handovers::{self, Handover};
use crate::db::models::shifts::{self, Shift, ShiftInput};
use crate::db::schema::shifts as shifts_table;
use crate::domain::time;

/// Three eight-hour shifts a day in each role, from `days - 14` days ago
/// to two weeks ahead; each region's people take turns week by week. Skipped
/// when the database already has shifts (a `--force` run).
pub(super) fn add_shifts(
    conn: &mut DbConnection,
    team: &Team,
    days: usize,
    now: DateTime<Utc>,
    rng: &mut Rng,
    summary: &mut Summary,
) -> Result<(), String> {
    let existing: i64 = shifts_table::table
        .count()
        .get_result(conn)
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Ok(());
    }
    let midnight = now
        .with_hour(0)
        .and_then(|t| t.with_minute(0))
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    let first = midnight - Duration::days(days as i64 - 14);
    let mut rows = Vec::with_capacity(days * 9);
    for day in 0..days {
        for region in 0..3 {
            let starts = first + Duration::days(day as i64) + Duration::hours(8 * region as i64);
            for (r, role) in ROLES.iter().enumerate() {
                let pool = team.pool(region, r);
                let who = pool[(day / 7 + r) % pool.len()];
                let input = ShiftInput {
                    user_id: team.people[who].user.id.clone(),
                    role: (*role).to_owned(),
                    starts_at: starts,
                    ends_at: starts + Duration::hours(8),
                };
                // Recorded two weeks ahead, as a rota is.
                rows.push(Shift::new(rng, &input, starts - Duration::days(14)));
            }
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    conn.transaction(|conn| shifts::insert_all(conn, &rows))
        .map_err(|e| format!("adding shifts: {e}"))?;
    summary.shifts = rows.len();
    Ok(())
}

/// A shift handover summary at each of the last week's EOC changes.
pub(super) fn add_handovers(
    conn: &mut DbConnection,
    team: &Team,
    now: DateTime<Utc>,
    rng: &mut Rng,
) -> Result<(), String> {
    let changes: Vec<(NaiveDateTime, String)> = shifts_table::table
        .filter(shifts_table::role.eq("EOC"))
        .filter(shifts_table::starts_at.gt(time::to_db(now - Duration::days(7))))
        .filter(shifts_table::starts_at.le(time::to_db(now)))
        .order(shifts_table::starts_at.asc())
        .select((shifts_table::starts_at, shifts_table::user_id))
        .load(conn)
        .map_err(|e| e.to_string())?;
    let mut previous: Option<String> = None;
    for (at, to) in changes {
        let from = previous
            .replace(to.clone())
            .unwrap_or_else(|| team.people[team.writers[0]].user.id.clone());
        if from == to {
            continue;
        }
        let at = time::from_db(at) - Duration::minutes(5);
        let count = 1 + rng.below(4) as usize;
        let row = Handover::new(rng, &from, &to, HANDOVER_SUMMARY, count, at);
        handovers::insert(conn, &row).map_err(|e| format!("adding handovers: {e}"))?;
    }
    Ok(())
}
