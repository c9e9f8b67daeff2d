//! The final schedule: the one answer to "who is on call in role R at
//! instant T", from the rotations' derived shifts and the explicit shifts
//! (overrides), which win for their role and span. Everything that asks
//! who is on call (the dashboard, the header, `/shifts`, the API, the
//! feeds, the handover default, carry-over) asks [`between`], so that no
//! two answers can disagree. The rules themselves are the domain's
//! (`domain::rotation::schedule`); this loads what they read.

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::db::DbConnection;
use crate::db::models::users::{self, User};
use crate::db::models::{rotations, shifts};
use crate::domain::ics::FeedShift;
use crate::domain::rotation::{self, Explicit, Scheduled};
use crate::domain::shift::MAX_SHIFT;
use crate::error::AppError;

/// The longest span one schedule is worked out for.
pub const MAX_SPAN: Duration = Duration::days(400);

/// A shift of the final schedule with its person.
#[derive(Debug, Clone)]
pub struct OnCall {
    /// The shift.
    pub shift: Scheduled,
    /// Who.
    pub user: User,
}

impl OnCall {
    /// The shift as a calendar feed shows it.
    pub fn feed_shift(&self) -> FeedShift<'_> {
        FeedShift {
            shift: &self.shift,
            name: &self.user.name,
            username: &self.user.username,
            zone: self.user.timezone.name(),
        }
    }
}

/// The final schedule of every role for `[from, to)` (at most
/// [`MAX_SPAN`] of it): every shift that overlaps the span, whole, by start.
pub fn between(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<OnCall>, AppError> {
    let to = to.min(from + MAX_SPAN);
    if to <= from {
        return Ok(vec![]);
    }
    let plans = rotations::list(conn)?
        .iter()
        .map(rotations::Loaded::schedule)
        .collect::<Result<Vec<_>, _>>()?;
    // Overrides that cut a derived shift overlapping the span: a shift
    // lasts at most 14 days.
    let explicit: Vec<Explicit> = shifts::list_between(conn, from - MAX_SHIFT, to + MAX_SHIFT)?
        .into_iter()
        .map(|s| Explicit {
            written_at: s.changed(),
            starts: s.starts(),
            ends: s.ends(),
            id: s.id,
            user_id: s.user_id,
            role: s.role,
        })
        .collect();
    let scheduled = rotation::schedule(&plans, &explicit, from, to);
    // The people, once each: a year of shifts names a few dozen.
    let ids: Vec<&str> = scheduled.iter().map(|s| s.user_id.as_str()).collect();
    let people = users::find_many(conn, &ids)?;
    Ok(scheduled
        .into_iter()
        .filter_map(|shift| {
            // A member who is no longer a user has no shift to show.
            let user = people.get(&shift.user_id)?.clone();
            Some(OnCall { shift, user })
        })
        .collect())
}

/// Who is on call at `at`, in `role` or in every role.
pub fn at(
    conn: &mut DbConnection,
    role: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Vec<OnCall>, AppError> {
    let mut all = between(conn, at, at + Duration::seconds(1))?;
    all.retain(|o| o.shift.holds(at) && role.is_none_or(|r| r == o.shift.role));
    Ok(all)
}

/// Who is on call at `now` and who comes next, per rotation role.
#[derive(Debug, Clone)]
pub struct RoleOnCall {
    /// The rotation role.
    pub role: String,
    /// The shifts holding `now` (usually one).
    pub current: Vec<OnCall>,
    /// The next shift to start in this role after `now`.
    pub next: Option<OnCall>,
}

/// The on-call picture at `now`: every role with a current or upcoming
/// shift in the next 14 days, by role name.
pub fn on_call(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Vec<RoleOnCall>, AppError> {
    let all = between(conn, now, now + MAX_SHIFT)?;
    let mut roles: Vec<RoleOnCall> = Vec::new();
    for o in all {
        let idx = match roles.iter().position(|r| r.role == o.shift.role) {
            Some(i) => i,
            None => {
                roles.push(RoleOnCall {
                    role: o.shift.role.clone(),
                    current: vec![],
                    next: None,
                });
                roles.len() - 1
            }
        };
        let entry = &mut roles[idx];
        if o.shift.holds(now) {
            entry.current.push(o);
        } else if o.shift.starts > now && entry.next.is_none() {
            entry.next = Some(o);
        }
    }
    roles.sort_by(|a, b| a.role.cmp(&b.role));
    Ok(roles)
}

/// The person on call next in `role` after `after` (not `except_user_id`):
/// the shift that starts first at or after that instant, allowing one that
/// began up to an hour earlier (overlapping handovers), else whoever holds
/// the role at that instant.
pub fn next_in_role(
    conn: &mut DbConnection,
    role: &str,
    after: DateTime<Utc>,
    except_user_id: &str,
) -> Result<Option<User>, AppError> {
    let candidates: Vec<OnCall> = between(conn, after - Duration::hours(1), after + MAX_SHIFT)?
        .into_iter()
        .filter(|o| o.shift.role == role && o.user.id != except_user_id && o.user.active)
        .filter(|o| o.shift.ends > after)
        .collect();
    let starting = candidates
        .iter()
        .find(|o| o.shift.starts >= after - Duration::hours(1));
    Ok(starting
        .or_else(|| candidates.iter().find(|o| o.shift.holds(after)))
        .map(|o| o.user.clone()))
}

/// The shift of `user_id` that holds `now`, or else the one that ended
/// last (looking back 14 days in the final schedule, then further among
/// the explicit shifts).
pub fn latest_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Scheduled>, AppError> {
    let recent = between(conn, now - MAX_SHIFT, now + Duration::seconds(1))?
        .into_iter()
        .filter(|o| o.user.id == user_id && o.shift.starts <= now)
        .max_by_key(|o| o.shift.ends);
    if let Some(o) = recent {
        return Ok(Some(o.shift));
    }
    Ok(
        shifts::latest_for_user(conn, user_id, now)?.map(|s| Scheduled {
            role: s.role.clone(),
            user_id: s.user_id.clone(),
            starts: s.starts(),
            ends: s.ends(),
            changed_at: s.changed(),
            source: rotation::Source::Override { shift_id: s.id },
        }),
    )
}

/// The end of the last shift of `user_id` that ended by `now` (looking
/// back 30 days in the final schedule, then further among the explicit
/// shifts).
pub fn last_ended_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let recent = between(conn, now - Duration::days(30), now)?
        .into_iter()
        .filter(|o| o.user.id == user_id && o.shift.ends <= now)
        .map(|o| o.shift.ends)
        .max();
    match recent {
        Some(t) => Ok(Some(t)),
        None => Ok(shifts::last_ended_for_user(conn, user_id, now)?),
    }
}

/// The distinct instants at which a shift of the final schedule started in
/// `(from, to]`, sorted: the shift changes that carry-over counts (at most
/// the last [`CHANGES_SPAN`]). Every list, page and API answer of handoffs
/// asks, so the last year is worked out once per change of the schedule
/// (see [`Fingerprint`]) and kept.
pub fn changes_between(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    let from = from.max(to - CHANGES_SPAN);
    if to <= from {
        return Ok(vec![]);
    }
    let fingerprint = Fingerprint::of(conn)?;
    let mut kept = KEPT_CHANGES.lock().unwrap_or_else(PoisonError::into_inner);
    let fresh = kept
        .as_ref()
        .is_some_and(|k| k.fingerprint == fingerprint && k.from <= from && to <= k.to);
    if !fresh {
        // A little ahead of now, so that the calls of the next hours find it.
        let (span_from, span_to) = (to - CHANGES_SPAN, to + Duration::hours(6));
        let mut starts: Vec<DateTime<Utc>> =
            between(conn, span_from, span_to + Duration::seconds(1))?
                .into_iter()
                .map(|o| o.shift.starts)
                .filter(|s| *s > span_from && *s <= span_to)
                .collect();
        starts.sort_unstable();
        starts.dedup();
        *kept = Some(KeptChanges {
            fingerprint,
            from: span_from,
            to: span_to,
            starts,
        });
    }
    let starts = kept.as_ref().map_or(&[][..], |k| k.starts.as_slice());
    let lo = starts.partition_point(|s| *s <= from);
    let hi = starts.partition_point(|s| *s <= to);
    Ok(starts[lo..hi].to_vec())
}

/// How far back carry-over counts shift changes.
const CHANGES_SPAN: Duration = Duration::days(366);

/// The shift changes of a span, worked out for a schedule.
struct KeptChanges {
    fingerprint: Fingerprint,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    starts: Vec<DateTime<Utc>>,
}

/// The last shift changes worked out, in this process.
static KEPT_CHANGES: Mutex<Option<KeptChanges>> = Mutex::new(None);

/// What the final schedule is made of, in a few numbers read from indexes
/// and small tables: a shift or rotation plan written, changed or deleted
/// changes one of them (a new row is the newest, an edit sets
/// `updated_at`, a deletion lowers the count). Equal fingerprints, equal
/// schedules: in any database, since ids are random.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    shifts: (
        i64,
        Option<String>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    ),
    rotations: (i64, Option<NaiveDateTime>),
    plans: (i64, Option<String>, Option<NaiveDateTime>),
}

impl Fingerprint {
    fn of(conn: &mut DbConnection) -> Result<Fingerprint, AppError> {
        use crate::db::schema::{rotation_plans, rotations, shifts as shift_rows};
        use diesel::dsl::{count_star, max};
        use diesel::prelude::*;
        Ok(Fingerprint {
            shifts: shift_rows::table
                .select((
                    count_star(),
                    max(shift_rows::id),
                    max(shift_rows::created_at),
                    max(shift_rows::updated_at),
                ))
                .first(conn)?,
            rotations: rotations::table
                .select((count_star(), max(rotations::updated_at)))
                .first(conn)?,
            plans: rotation_plans::table
                .select((
                    count_star(),
                    max(rotation_plans::id),
                    max(rotation_plans::created_at),
                ))
                .first(conn)?,
        })
    }
}
