//! On-call load per person (issue 15, item 4): hours from the final
//! schedule (`db::models::schedule::between`, the one answer to who is on
//! call), split into night and weekend hours in each person's own zone by
//! `domain::review::hours`; passes received and how fast they were
//! acknowledged; escalations that named them; cover taken for others and
//! given by others (taken cover requests starting in the range).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::schedule::OnCall;
use crate::db::models::users::{self, User};
use crate::db::schema::{cover_requests, pass_escalations};
use crate::domain::cover::CoverStatus;
use crate::domain::review::{Hours, Range, Spread, hours};
use crate::domain::time::to_db;
use crate::error::AppError;

/// One person's load in a range.
#[derive(Debug, Clone)]
pub struct PersonLoad {
    /// Who.
    pub user: User,
    /// Time on call in the range (seconds), with its night and weekend parts.
    pub hours: Hours,
    /// Passes written to them in the range.
    pub passes_received: i64,
    /// How fast they acknowledged those (seconds), once they did.
    pub ack: Spread,
    /// Passes whose (latest) escalation in the range named them.
    pub escalations: i64,
    /// Cover requests of others they took (starting in the range).
    pub cover_taken: i64,
    /// Their own cover requests someone else took (starting in the range).
    pub cover_given: i64,
    /// Seconds on call in each week of the review's chart weeks.
    pub weekly: Vec<i64>,
}

type Spans = HashMap<String, Vec<(DateTime<Utc>, DateTime<Utc>)>>;

/// Each person's shifts among `schedule`, and who they are.
fn spans_of(schedule: &[OnCall], people: &mut HashMap<String, User>) -> Spans {
    let mut spans: Spans = HashMap::new();
    for o in schedule {
        spans
            .entry(o.user.id.clone())
            .or_default()
            .push((o.shift.starts, o.shift.ends));
        people
            .entry(o.user.id.clone())
            .or_insert_with(|| o.user.clone());
    }
    spans
}

/// The load of every person with time on call, a pass or an escalation in
/// `range`, or time on call in one of `weeks`; by name. `schedule` is the
/// final schedule over the range and the weeks. Returns the weeks too.
pub(crate) fn load(
    conn: &mut DbConnection,
    range: &Range,
    schedule: &[OnCall],
    recipients: &HashMap<String, (i64, i64)>,
    mut waits: HashMap<String, Spread>,
    weeks: &[Range],
) -> Result<(Vec<PersonLoad>, Vec<Range>), AppError> {
    let mut people: HashMap<String, User> = HashMap::new();
    // `hours` clips each person's shifts to the range or the week it counts.
    let spans = spans_of(schedule, &mut people);
    let escalations: HashMap<String, i64> = pass_escalations::table
        .filter(pass_escalations::escalated_at.ge(to_db(range.from)))
        .filter(pass_escalations::escalated_at.lt(to_db(range.to)))
        .filter(pass_escalations::escalated_to_id.is_not_null())
        .group_by(pass_escalations::escalated_to_id)
        .select((pass_escalations::escalated_to_id, count_star()))
        .load::<(Option<String>, i64)>(conn)?
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect();
    let taken = cover_requests::table
        .filter(cover_requests::status.eq(CoverStatus::Taken.as_str()))
        .filter(cover_requests::starts_at.ge(to_db(range.from)))
        .filter(cover_requests::starts_at.lt(to_db(range.to)));
    let cover_taken: HashMap<String, i64> = taken
        .filter(cover_requests::taken_by_id.is_not_null())
        .group_by(cover_requests::taken_by_id)
        .select((cover_requests::taken_by_id, count_star()))
        .load::<(Option<String>, i64)>(conn)?
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect();
    let cover_given: HashMap<String, i64> = taken
        .group_by(cover_requests::requester_id)
        .select((cover_requests::requester_id, count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let missing: Vec<&str> = recipients
        .keys()
        .map(String::as_str)
        .chain(escalations.keys().map(String::as_str))
        .chain(cover_taken.keys().map(String::as_str))
        .chain(cover_given.keys().map(String::as_str))
        .filter(|id| !people.contains_key(*id))
        .collect();
    if !missing.is_empty() {
        people.extend(users::find_many(conn, &missing)?);
    }
    let mut out: BTreeMap<(String, String), PersonLoad> = BTreeMap::new();
    for (id, user) in people {
        let spans = spans.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let load = PersonLoad {
            hours: hours(spans, user.timezone, range),
            passes_received: recipients.get(&id).map_or(0, |(n, _)| *n),
            ack: waits.remove(&id).unwrap_or_default(),
            escalations: escalations.get(&id).copied().unwrap_or(0),
            cover_taken: cover_taken.get(&id).copied().unwrap_or(0),
            cover_given: cover_given.get(&id).copied().unwrap_or(0),
            weekly: weeks
                .iter()
                .map(|w| hours(spans, user.timezone, w).total)
                .collect(),
            user,
        };
        let busy = load.hours.total > 0
            || load.passes_received > 0
            || load.escalations > 0
            || load.cover_taken > 0
            || load.cover_given > 0
            || load.weekly.iter().any(|s| *s > 0);
        if busy {
            out.insert((load.user.name.clone(), load.user.id.clone()), load);
        }
    }
    Ok((out.into_values().collect(), weeks.to_vec()))
}
