//! The rules of the weekly review (issue 15, items 3 and 4): the team's
//! week, ranges, percentiles, carry-over within a range, and how a
//! person's time on call splits into night and weekend hours in their own
//! zone. Pure: the database reads and the pages live elsewhere.
//!
//! Definitions the review, its JSON and its CSV share:
//!
//! - **The team week** runs from Wednesday 00:00 UTC to the next Wednesday
//!   00:00 UTC. A range is `[from, to)`.
//! - **Time to acknowledge** of a pass: from the note that passed the
//!   handoff to its acknowledgement, in whole seconds (each instant
//!   truncated to its second, as the API shows them). The figures of a
//!   range are about the passes *written* in it (a pass acknowledged later
//!   counts in the week it was written, once acknowledged). Median and p90
//!   are by nearest rank ([`percentile`]).
//! - **Carry-over** in a range: a shift change is an instant at which a
//!   shift of the final schedule starts (any role, distinct instants). A
//!   handoff survives a change at `t` when it was opened before `t` and was
//!   not resolved before `t` (the same rule as the "carried over N shifts"
//!   badge). The range's carry-over is the number of (handoff, change)
//!   pairs with the change in the range; also given: how many handoffs
//!   survived at least one, and the most one handoff survived.
//! - **Open handoffs per day**: per UTC day of the range, the handoffs open
//!   at the end of that day (or now, for a day not over yet).
//! - **Open older than a week**: handoffs open at the end of the range (or
//!   now) that were opened more than seven days before it.
//! - **Hours on call**: the union of a person's shifts of the final
//!   schedule clipped to the range (two roles at once count once); **night
//!   hours** the part of it between 22:00 and 07:00 on their own clock,
//!   **weekend hours** the part on a Saturday or Sunday on their own
//!   calendar (IANA rules: a night across a change of the clocks is 8 or
//!   10 hours long).

use chrono::{DateTime, Duration, Utc};
use jiff::civil::{self, Date, Weekday};

use super::rejection::Rejection;
use super::time::{self, Timezone, add_days, parse_date};

/// The longest range one review covers.
pub const MAX_RANGE: Duration = Duration::days(366);
/// How many weeks the charts over time show.
pub const CHART_WEEKS: usize = 12;
/// The first day of the team's week.
pub const WEEK_STARTS: Weekday = Weekday::Wednesday;
/// Night on a person's own clock: from this hour…
pub const NIGHT_FROM: i8 = 22;
/// …to this one the next morning.
pub const NIGHT_TO: i8 = 7;

/// A span of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// First instant.
    pub from: DateTime<Utc>,
    /// First instant after it.
    pub to: DateTime<Utc>,
}

impl Range {
    /// A range given as two instants; `field_to` names the field when `to`
    /// is not after `from` or the range is longer than [`MAX_RANGE`].
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>, field_to: &str) -> Result<Range, Rejection> {
        if to <= from {
            return Err(Rejection::invalid(field_to, "must be after from"));
        }
        if to - from > MAX_RANGE {
            return Err(Rejection::invalid(
                field_to,
                "a review covers at most 366 days",
            ));
        }
        Ok(Range { from, to })
    }

    /// The team week that holds `date` (Wednesday 00:00 UTC to the next).
    pub fn week_of(date: Date) -> Range {
        let (from, to) = Timezone::UTC.week(date, WEEK_STARTS);
        Range { from, to }
    }

    /// The team week that holds `instant`.
    pub fn week_at(instant: DateTime<Utc>) -> Range {
        Range::week_of(Timezone::UTC.date(instant))
    }

    /// `?week=`: a date names the team week that holds it.
    pub fn parse_week(text: &str, field: &str) -> Result<Range, Rejection> {
        parse_date(text)
            .map(Range::week_of)
            .map_err(|e| Rejection::invalid(field, e))
    }

    /// Whether this range is exactly one team week.
    pub fn is_week(&self) -> bool {
        Range::week_at(self.from) == *self
    }

    /// The Wednesday that names the team week holding the range's last
    /// instant, as `?week=` writes it.
    pub fn week_name(&self) -> String {
        time::iso_date(Timezone::UTC.date(Range::week_at(self.last()).from))
    }

    /// The last instant of the range (a microsecond before `to`).
    pub fn last(&self) -> DateTime<Utc> {
        self.to - Duration::microseconds(1)
    }

    /// The `n` team weeks that end with the one holding the range's last
    /// instant, oldest first.
    pub fn weeks_back(&self, n: usize) -> Vec<Range> {
        let last = Range::week_at(self.last());
        let mut weeks: Vec<Range> = (0..n)
            .map(|k| {
                let date = add_days(Timezone::UTC.date(last.from), -7 * k as i64);
                Range::week_of(date)
            })
            .collect();
        weeks.reverse();
        weeks
    }

    /// The UTC days that meet the range, each clipped to it.
    pub fn days(&self) -> Vec<Range> {
        let mut days = Vec::new();
        let mut date = Timezone::UTC.date(self.from);
        loop {
            let (start, end) = Timezone::UTC.day(date);
            if start >= self.to {
                break;
            }
            days.push(Range {
                from: start.max(self.from),
                to: end.min(self.to),
            });
            date = add_days(date, 1);
        }
        days
    }

    /// The part of `[a, b)` inside the range, if any.
    pub fn clip(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let (a, b) = (a.max(self.from), b.min(self.to));
        (a < b).then_some((a, b))
    }
}

/// The range a review is asked for, each field already read: `week` (the
/// team week that holds that date), or `from` and `to` (`to` exclusive),
/// or, with none, the team week that holds `now`. A wrong combination is
/// refused naming the field.
pub fn choose_range(
    week: Option<Date>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Range, Rejection> {
    match (week, from, to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(Rejection::invalid(
            "week",
            "give a week, or from and to, not both",
        )),
        (Some(w), None, None) => Ok(Range::week_of(w)),
        (None, None, None) => Ok(Range::week_at(now)),
        (None, None, Some(_)) => Err(Rejection::invalid("from", "give from with to")),
        (None, Some(_), None) => Err(Rejection::invalid("to", "give to with from")),
        (None, Some(from), Some(to)) => Range::new(from, to, "to"),
    }
}

/// [`choose_range`] from the texts of a page's form (an empty field is
/// absent), each wrong value refused naming its field.
pub fn parse_range(
    week: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Range, Rejection> {
    fn given(v: Option<&str>) -> Option<&str> {
        v.filter(|v| !v.is_empty())
    }
    let week = given(week)
        .map(parse_date)
        .transpose()
        .map_err(|e| Rejection::invalid("week", e))?;
    let instant = |field: &str, v: Option<&str>| {
        given(v)
            .map(time::parse_rfc3339)
            .transpose()
            .map_err(|e| Rejection::invalid(field, e))
    };
    choose_range(week, instant("from", from)?, instant("to", to)?, now)
}

/// The `p`th percentile of `sorted` (ascending) by nearest rank: the
/// smallest value that at least `p` percent of the values do not exceed.
/// The median is `percentile(v, 50)` (the lower middle of an even count).
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (n * p.min(100) as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Summary of times (in seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spread {
    /// How many.
    pub count: usize,
    /// Median (nearest rank).
    pub median: Option<i64>,
    /// 90th percentile (nearest rank).
    pub p90: Option<i64>,
    /// The longest.
    pub max: Option<i64>,
}

impl Spread {
    /// The spread of `values` (any order).
    pub fn of(mut values: Vec<i64>) -> Spread {
        values.sort_unstable();
        Spread {
            count: values.len(),
            median: percentile(&values, 50),
            p90: percentile(&values, 90),
            max: values.last().copied(),
        }
    }
}

/// Carry-over within a range (see the module's definition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CarryOver {
    /// (handoff, shift change) pairs.
    pub total: usize,
    /// Handoffs that survived at least one change.
    pub handoffs: usize,
    /// The most changes one handoff survived.
    pub most: usize,
}

/// Carry-over of handoffs `(opened, resolved)` across the sorted shift
/// changes `changes` (already limited to the range): a change at `t` is
/// survived when `opened < t` and the handoff was not resolved before `t`.
pub fn carry_over(
    handoffs: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    changes: &[DateTime<Utc>],
) -> CarryOver {
    let mut out = CarryOver::default();
    for (opened, resolved) in handoffs {
        let lo = changes.partition_point(|t| t <= opened);
        let hi = match resolved {
            Some(r) => changes.partition_point(|t| t <= r),
            None => changes.len(),
        };
        let n = hi.saturating_sub(lo);
        out.total += n;
        if n > 0 {
            out.handoffs += 1;
        }
        out.most = out.most.max(n);
    }
    out
}

/// Time on call, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hours {
    /// All of it.
    pub total: i64,
    /// Between 22:00 and 07:00 on the person's clock.
    pub night: i64,
    /// On a Saturday or Sunday of the person's calendar.
    pub weekend: i64,
}

/// The union of `spans`, sorted, overlapping and touching spans merged.
pub fn merge(
    mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    spans.retain(|(a, b)| a < b);
    spans.sort_unstable();
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The instant of the wall-clock time `hour`:00 on `date` in `zone` (a
/// skipped time moves past the gap, a repeated one is the first).
fn wall(zone: Timezone, date: Date, hour: i8) -> DateTime<Utc> {
    let dt = date.to_datetime(civil::time(hour, 0, 0, 0));
    match zone.rules().to_ambiguous_timestamp(dt).compatible() {
        Ok(ts) => time::instant(ts),
        Err(_) => zone.start_of_day(date),
    }
}

fn overlap(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> i64 {
    let (s, e) = (a.0.max(b.0), a.1.min(b.1));
    if s < e { (e - s).num_seconds() } else { 0 }
}

/// The hours of `spans` (one person's shifts) inside `range`, with the
/// night and weekend parts on the clock and calendar of `zone`.
pub fn hours(spans: &[(DateTime<Utc>, DateTime<Utc>)], zone: Timezone, range: &Range) -> Hours {
    let clipped = spans
        .iter()
        .filter_map(|(a, b)| range.clip(*a, *b))
        .collect();
    let mut out = Hours::default();
    for span in merge(clipped) {
        out.total += (span.1 - span.0).num_seconds();
        // Local days from the one before the span starts (its night runs
        // into the span's first morning) to the one it ends on.
        let mut date = add_days(zone.date(span.0), -1);
        let last = zone.date(span.1);
        while date <= last {
            let next = add_days(date, 1);
            out.night += overlap(
                span,
                (wall(zone, date, NIGHT_FROM), wall(zone, next, NIGHT_TO)),
            );
            if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
                out.weekend += overlap(span, zone.day(date));
            }
            date = next;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        time::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn a_team_week_runs_from_wednesday_to_wednesday_utc() {
        let week = Range::week_of(parse_date("2026-11-25").unwrap());
        assert_eq!(week.from, at("2026-11-25T00:00:00Z"));
        assert_eq!(week.to, at("2026-12-02T00:00:00Z"));
        let tuesday = Range::week_of(parse_date("2026-12-01").unwrap());
        assert_eq!(
            tuesday, week,
            "the Tuesday belongs to the week of the Wednesday before"
        );
        let next = Range::week_of(parse_date("2026-12-02").unwrap());
        assert_eq!(next.from, at("2026-12-02T00:00:00Z"));
        assert!(week.is_week());
        assert_eq!(week.week_name(), "2026-11-25");
        assert_eq!(Range::week_at(at("2026-12-01T23:59:59Z")), week);
    }

    #[test]
    fn twelve_weeks_back_end_with_the_ranges_last_week() {
        let week = Range::week_of(parse_date("2026-11-25").unwrap());
        let weeks = week.weeks_back(12);
        assert_eq!(weeks.len(), 12);
        assert_eq!(weeks[11], week);
        assert_eq!(weeks[0].from, at("2026-09-09T00:00:00Z"));
        assert_eq!(week.days().len(), 7);
    }

    #[test]
    fn a_review_is_asked_for_by_week_or_by_range_and_a_wrong_field_is_named() {
        let now = at("2026-12-02T10:00:00Z");
        assert_eq!(
            parse_range(None, None, None, now).unwrap().from,
            at("2026-12-02T00:00:00Z")
        );
        assert_eq!(
            parse_range(Some("2026-11-28"), None, None, now)
                .unwrap()
                .from,
            at("2026-11-25T00:00:00Z")
        );
        let r = parse_range(
            None,
            Some("2026-11-01T00:00:00Z"),
            Some("2026-11-03T00:00:00+01:00"),
            now,
        )
        .unwrap();
        assert_eq!(r.to, at("2026-11-02T23:00:00Z"));
        let field = |r: Result<Range, Rejection>| match r {
            Err(Rejection::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(parse_range(Some("soon"), None, None, now)), "week");
        assert_eq!(
            field(parse_range(
                Some("2026-11-25"),
                Some("2026-11-01T00:00:00Z"),
                None,
                now
            )),
            "week"
        );
        assert_eq!(
            field(parse_range(
                None,
                Some("yesterday"),
                Some("2026-11-03T00:00:00Z"),
                now
            )),
            "from"
        );
        assert_eq!(
            field(parse_range(None, Some("2026-11-03T00:00:00Z"), None, now)),
            "to"
        );
        assert_eq!(
            field(parse_range(
                None,
                Some("2026-11-03T00:00:00Z"),
                Some("2026-11-01T00:00:00Z"),
                now
            )),
            "to"
        );
    }

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[], 50), None);
        let s = Spread::of(vec![30, 10, 20]);
        assert_eq!(
            (s.count, s.median, s.p90, s.max),
            (3, Some(20), Some(30), Some(30))
        );
    }

    #[test]
    fn a_range_must_end_after_it_starts_and_last_at_most_a_year() {
        assert!(Range::new(at("2026-11-25T00:00:00Z"), at("2026-11-25T00:00:00Z"), "to").is_err());
        assert!(Range::new(at("2025-11-25T00:00:00Z"), at("2026-11-27T00:00:00Z"), "to").is_err());
        assert!(Range::parse_week("2026-13-01", "week").is_err());
    }

    #[test]
    fn night_and_weekend_hours_are_counted_on_the_persons_own_clock() {
        let range = Range::week_of(parse_date("2026-11-25").unwrap());
        let tokyo = Timezone::parse("Asia/Tokyo").unwrap();
        // 12:00Z–00:00Z on Fri 27 Nov is 21:00–09:00 in Tokyo: 9 night hours,
        // and from midnight Saturday local, 9 weekend hours.
        let h = hours(
            &[(at("2026-11-27T12:00:00Z"), at("2026-11-28T00:00:00Z"))],
            tokyo,
            &range,
        );
        assert_eq!(h.total, 12 * 3600);
        assert_eq!(h.night, 9 * 3600);
        assert_eq!(h.weekend, 9 * 3600);
        // Overlapping shifts in two roles count once.
        let twice = hours(
            &[
                (at("2026-11-26T10:00:00Z"), at("2026-11-26T12:00:00Z")),
                (at("2026-11-26T11:00:00Z"), at("2026-11-26T13:00:00Z")),
            ],
            Timezone::UTC,
            &range,
        );
        assert_eq!(twice.total, 3 * 3600);
        assert_eq!(twice.night, 0);
    }

    #[test]
    fn a_night_across_a_change_of_the_clocks_has_its_real_length() {
        // Europe/Berlin left summer time on 25 Oct 2026 at 03:00 local.
        let berlin = Timezone::parse("Europe/Berlin").unwrap();
        let range =
            Range::new(at("2026-10-24T00:00:00Z"), at("2026-10-26T00:00:00Z"), "to").unwrap();
        let h = hours(&[(range.from, range.to)], berlin, &range);
        // Nights: 23 Oct 22:00 → 24 Oct 07:00 (from 00:00Z = 02:00 local: 5 h),
        // 24 Oct 22:00 → 25 Oct 07:00 (10 h), 25 Oct 22:00 → 00:00Z (= 01:00 local: 3 h).
        assert_eq!(h.night, 18 * 3600);
    }

    #[test]
    fn carry_over_counts_the_changes_each_open_handoff_survived() {
        let changes = [
            at("2026-11-25T08:00:00Z"),
            at("2026-11-25T16:00:00Z"),
            at("2026-11-26T00:00:00Z"),
        ];
        let handoffs = [
            (at("2026-11-20T00:00:00Z"), None),
            (at("2026-11-25T09:00:00Z"), Some(at("2026-11-25T17:00:00Z"))),
            (at("2026-11-25T17:00:00Z"), Some(at("2026-11-25T18:00:00Z"))),
        ];
        let c = carry_over(&handoffs, &changes);
        assert_eq!(
            c,
            CarryOver {
                total: 4,
                handoffs: 2,
                most: 3
            }
        );
    }
}
