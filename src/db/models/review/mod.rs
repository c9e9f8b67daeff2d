//! The weekly review's figures (issue 15, item 3), read from the database:
//! counts are aggregate queries (`GROUP BY`, `COUNT`) that both backends
//! run; times to acknowledge come from one sorted narrow column per range
//! (the pass's instant and its acknowledgement, through the partial index
//! `notes_passes_by_time`), their percentiles taken from it here. What the
//! figures mean is written once, in `domain::review`. The on-call load per
//! person is in [`load`].

mod acks;
pub mod load;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::schedule;
use crate::db::schema::{events, handoffs, notes, pass_escalations, users};
use crate::domain::event::EventKind;
use crate::domain::review::{self, CarryOver, Range, Spread};
use crate::domain::time::{from_db, to_db};
use crate::error::AppError;

pub use load::PersonLoad;

/// A handoff's life: when it was opened, and resolved if it was.
type Life = (DateTime<Utc>, Option<DateTime<Utc>>);

/// How many slowest acknowledgements the review names.
pub const SLOWEST: usize = 5;

/// A count of handoffs of one kind and severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    /// `outage` or `perceived_data_loss`.
    pub kind: String,
    /// 1 (critical) and up.
    pub severity: i32,
    /// How many.
    pub count: i64,
}

/// One of the slowest acknowledgements.
#[derive(Debug, Clone)]
pub struct SlowAck {
    /// The handoff.
    pub handoff_id: String,
    /// Its title.
    pub title: String,
    /// The pass (its note).
    pub note_id: String,
    /// Who acknowledged it (display name).
    pub to: String,
    /// When the pass was written.
    pub written: DateTime<Utc>,
    /// Seconds from the pass to its acknowledgement.
    pub seconds: i64,
}

/// Time to acknowledge in one week of the chart.
#[derive(Debug, Clone)]
pub struct WeekAck {
    /// The team week.
    pub week: Range,
    /// Its acknowledged passes (by when written).
    pub spread: Spread,
}

/// Open handoffs at the end of one day.
#[derive(Debug, Clone)]
pub struct DayOpen {
    /// The UTC day (clipped to the range).
    pub day: Range,
    /// Open at its end (or now).
    pub open: i64,
}

/// Every figure of the review of one range.
#[derive(Debug, Clone)]
pub struct Review {
    /// The range.
    pub range: Range,
    /// The instant it was computed at.
    pub now: DateTime<Utc>,
    /// Handoffs opened in the range, per kind and severity.
    pub opened: Vec<KindCount>,
    /// Handoffs resolved in the range, per kind and severity.
    pub resolved: Vec<KindCount>,
    /// Passes written in the range.
    pub passes: i64,
    /// Of those, acknowledged by now (their times: `ack`).
    pub ack: Spread,
    /// The slowest acknowledgements of those, slowest first.
    pub slowest: Vec<SlowAck>,
    /// Of those passes, how many escalated at least once.
    pub escalated: i64,
    /// Carry-over in the range.
    pub carry_over: CarryOver,
    /// Open at the end of the range (or now) and opened more than a week before.
    pub open_older_than_week: i64,
    /// Production events that happened in the range, per kind.
    pub events: Vec<(String, i64)>,
    /// Open handoffs per UTC day of the range.
    pub open_per_day: Vec<DayOpen>,
    /// Time to acknowledge in the 12 team weeks ending with the range's last.
    pub ack_weeks: Vec<WeekAck>,
    /// On-call load per person.
    pub load: Vec<PersonLoad>,
    /// The weeks of [`PersonLoad::weekly`].
    pub load_weeks: Vec<Range>,
}

impl Review {
    /// The events of each kind, every kind named (zero when none).
    pub fn events_per_kind(&self) -> Vec<(&'static str, i64)> {
        EventKind::ALL
            .iter()
            .map(|k| {
                let n = self
                    .events
                    .iter()
                    .find(|(kind, _)| kind == k.as_str())
                    .map_or(0, |(_, n)| *n);
                (k.as_str(), n)
            })
            .collect()
    }
}

fn per_kind(rows: Vec<(String, i32, i64)>) -> Vec<KindCount> {
    let mut out: Vec<KindCount> = rows
        .into_iter()
        .map(|(kind, severity, count)| KindCount {
            kind,
            severity,
            count,
        })
        .collect();
    out.sort_by(|a, b| (&a.kind, a.severity).cmp(&(&b.kind, b.severity)));
    out
}

/// Handoffs opened in `range`, per kind and severity.
fn opened(conn: &mut DbConnection, range: &Range) -> QueryResult<Vec<KindCount>> {
    Ok(per_kind(
        handoffs::table
            .filter(handoffs::created_at.ge(to_db(range.from)))
            .filter(handoffs::created_at.lt(to_db(range.to)))
            .group_by((handoffs::kind, handoffs::severity))
            .select((handoffs::kind, handoffs::severity, count_star()))
            .load(conn)?,
    ))
}

/// Handoffs resolved in `range`, per kind and severity.
fn resolved(conn: &mut DbConnection, range: &Range) -> QueryResult<Vec<KindCount>> {
    Ok(per_kind(
        handoffs::table
            .filter(handoffs::resolved_at.ge(to_db(range.from)))
            .filter(handoffs::resolved_at.lt(to_db(range.to)))
            .group_by((handoffs::kind, handoffs::severity))
            .select((handoffs::kind, handoffs::severity, count_star()))
            .load(conn)?,
    ))
}

/// Passes written in `range` that escalated at least once.
fn escalated(conn: &mut DbConnection, range: &Range) -> QueryResult<i64> {
    pass_escalations::table
        .filter(
            pass_escalations::note_id.eq_any(
                notes::table
                    .filter(notes::pass_to_id.is_not_null())
                    .filter(notes::created_at.ge(to_db(range.from)))
                    .filter(notes::created_at.lt(to_db(range.to)))
                    .select(notes::id),
            ),
        )
        .count()
        .get_result(conn)
}

/// Production events that happened in `range`, per kind.
fn count_events(conn: &mut DbConnection, range: &Range) -> QueryResult<Vec<(String, i64)>> {
    let mut rows: Vec<(String, i64)> = events::table
        .filter(events::occurred_at.ge(to_db(range.from)))
        .filter(events::occurred_at.lt(to_db(range.to)))
        .group_by(events::kind)
        .select((events::kind, count_star()))
        .load(conn)?;
    rows.sort();
    Ok(rows)
}

/// The handoffs open at some instant of `range`: (opened, resolved).
fn open_during(conn: &mut DbConnection, range: &Range) -> QueryResult<Vec<Life>> {
    let rows: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = handoffs::table
        .filter(handoffs::created_at.lt(to_db(range.to)))
        .filter(
            handoffs::resolved_at
                .is_null()
                .or(handoffs::resolved_at.ge(to_db(range.from))),
        )
        .select((handoffs::created_at, handoffs::resolved_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(c, r)| (from_db(c), r.map(from_db)))
        .collect())
}

/// Whether a handoff `(opened, resolved)` is open at `at`: opened before
/// it and not resolved before it.
fn is_open_at(handoff: &Life, at: DateTime<Utc>) -> bool {
    handoff.0 < at && handoff.1.is_none_or(|r| r >= at)
}

/// How many of `handoffs` were open at `at`.
fn open_at(handoffs: &[Life], at: DateTime<Utc>) -> i64 {
    handoffs.iter().filter(|h| is_open_at(h, at)).count() as i64
}

/// The slowest acknowledgements of the passes written in `range`, with
/// their handoffs' titles and the recipients' names.
fn slowest(conn: &mut DbConnection, range: &Range) -> QueryResult<Vec<SlowAck>> {
    let slow = acks::slowest(conn, range, SLOWEST as i64)?;
    let ids: Vec<&str> = slow.iter().map(|p| p.handoff_id.as_str()).collect();
    let titles: HashMap<String, String> = handoffs::table
        .filter(handoffs::id.eq_any(&ids))
        .select((handoffs::id, handoffs::title))
        .load(conn)?
        .into_iter()
        .collect();
    let people: Vec<&str> = slow
        .iter()
        .filter_map(|p| p.pass_to_id.as_deref())
        .collect();
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(&people))
        .select((users::id, users::name))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(slow
        .iter()
        .map(|p| SlowAck {
            handoff_id: p.handoff_id.clone(),
            title: titles.get(&p.handoff_id).cloned().unwrap_or_default(),
            note_id: p.id.clone(),
            to: p
                .pass_to_id
                .as_ref()
                .and_then(|id| names.get(id).cloned())
                .unwrap_or_default(),
            written: from_db(p.created_at),
            seconds: p.wait,
        })
        .collect())
}

/// Time to acknowledge per team week, for the `weeks` given (oldest first,
/// contiguous), in one statement.
fn ack_weeks(conn: &mut DbConnection, weeks: &[Range]) -> QueryResult<Vec<WeekAck>> {
    let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
        return Ok(vec![]);
    };
    let span = Range {
        from: first.from,
        to: last.to,
    };
    let per_week = acks::spreads(conn, &span, acks::By::Week(first.from))?;
    Ok(weeks
        .iter()
        .enumerate()
        .map(|(i, week)| WeekAck {
            week: *week,
            spread: per_week.get(&i.to_string()).copied().unwrap_or_default(),
        })
        .collect())
}

/// Every figure of the review of `range`, as of `now`.
pub fn review(
    conn: &mut DbConnection,
    range: Range,
    now: DateTime<Utc>,
) -> Result<Review, AppError> {
    let started = std::time::Instant::now();
    let recipients = acks::per_recipient(conn, &range)?;
    let waits = acks::waits_by(conn, &range, acks::By::Recipient)?;
    let ack = Spread::of(waits.values().flatten().copied().collect());
    let per_person: HashMap<String, Spread> = waits
        .into_iter()
        .map(|(id, w)| (id, Spread::of(w)))
        .collect();
    let open = open_during(conn, &range)?;
    let weeks = range.weeks_back(review::CHART_WEEKS);
    // The final schedule once, over the range and the chart's weeks (which
    // end with the range's last week: at most 366 + 7 days in all).
    let span_from = weeks.first().map_or(range.from, |w| w.from.min(range.from));
    let span_to = weeks.last().map_or(range.to, |w| w.to.max(range.to));
    let on_call = schedule::between(conn, span_from, span_to)?;
    // Shift changes: the distinct instants at which a shift starts.
    let mut changes: Vec<DateTime<Utc>> = on_call
        .iter()
        .map(|o| o.shift.starts)
        .filter(|t| range.from <= *t && *t < range.to && *t <= now)
        .collect();
    changes.sort_unstable();
    changes.dedup();
    let end = range.to.min(now);
    let week_before = end - chrono::Duration::days(7);
    let open_older_than_week = open
        .iter()
        .filter(|h| h.0 < week_before && is_open_at(h, end))
        .count() as i64;
    let open_per_day = range
        .days()
        .into_iter()
        .filter(|d| d.from <= now)
        .map(|day| DayOpen {
            day,
            open: open_at(&open, day.to.min(now)),
        })
        .collect();
    let (load, load_weeks) = load::load(conn, &range, &on_call, &recipients, per_person, &weeks)?;
    let figures = Review {
        range,
        now,
        opened: opened(conn, &range)?,
        resolved: resolved(conn, &range)?,
        passes: recipients.values().map(|(n, _)| n).sum(),
        ack,
        slowest: slowest(conn, &range)?,
        escalated: escalated(conn, &range)?,
        carry_over: review::carry_over(&open, &changes),
        open_older_than_week,
        events: count_events(conn, &range)?,
        open_per_day,
        ack_weeks: ack_weeks(conn, &weeks)?,
        load,
        load_weeks,
    };
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "review computed");
    Ok(figures)
}
