//! Calendars: local days and weeks, from one local midnight to the next
//! (never a fixed number of hours), and dates as people and URLs write them.

use chrono::{DateTime, Utc};
use jiff::civil::{self, Date, Weekday};
use jiff::tz::Offset;
use jiff::{Span, Timestamp};

use super::instants::{self, instant};
use super::zones::Timezone;

impl Timezone {
    /// The first instant of the local day `date`: its midnight, or, where
    /// a daylight-saving change skips midnight, the first wall-clock time
    /// that exists that day (01:00 in America/Havana on 8 March 2026).
    pub fn start_of_day(&self, date: Date) -> DateTime<Utc> {
        let midnight = date.to_datetime(civil::Time::midnight());
        match self.rules().to_ambiguous_timestamp(midnight).compatible() {
            Ok(ts) => instant(ts),
            // Only at the ends of the representable range: clamp to it.
            Err(_) => instant(
                Offset::UTC
                    .to_timestamp(midnight)
                    .unwrap_or(if date.year() < 0 {
                        Timestamp::MIN
                    } else {
                        Timestamp::MAX
                    }),
            ),
        }
    }

    /// The span `[start, end)` of the local week that holds `date`, weeks
    /// beginning on `first` (Monday for the shift table, Wednesday for the
    /// weekly review): from that day's first instant to the first instant
    /// seven local days later, whatever the clocks do in between (167, 168
    /// or 169 hours, or 167½ on Lord Howe Island).
    pub fn week(&self, date: Date, first: Weekday) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = week_start(date, first);
        (
            self.start_of_day(start),
            self.start_of_day(add_days(start, 7)),
        )
    }

    /// The span `[start, end)` of the local day `date` (23, 24 or 25 hours).
    pub fn day(&self, date: Date) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            self.start_of_day(date),
            self.start_of_day(add_days(date, 1)),
        )
    }

    /// The same wall-clock time `days` local days after `instant` (a week
    /// later is 167 to 169 hours later across a daylight-saving change). A
    /// time the clocks skip that day moves past the gap; one they repeat is
    /// the first.
    pub fn add_days(&self, instant: DateTime<Utc>, days: i64) -> DateTime<Utc> {
        let wall = self.wall(instant);
        let later = wall.saturating_add(Span::new().days(days));
        match self.rules().to_ambiguous_timestamp(later).compatible() {
            Ok(ts) => instants::instant(ts),
            Err(_) => instant,
        }
    }
}

/// The date `days` after `date` (saturating at the ends of the calendar).
pub fn add_days(date: Date, days: i64) -> Date {
    date.saturating_add(Span::new().days(days))
}

/// The day on or before `date` that is a `first` (the first day of its week).
pub fn week_start(date: Date, first: Weekday) -> Date {
    let back = (date.weekday().to_monday_zero_offset() - first.to_monday_zero_offset() + 7) % 7;
    add_days(date, -i64::from(back))
}

/// Parses a date such as `2026-11-30`.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    Date::strptime("%Y-%m-%d", text)
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| format!("{text:?} is not a date such as 2026-11-30"))
}

/// A date as `2026-11-30`, as `?week=` carries it.
pub fn iso_date(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

pub(super) const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
pub(super) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A day as a timeline labels it: `Mon 30`.
pub fn day_text(date: Date) -> String {
    format!(
        "{} {:02}",
        WEEKDAYS[date.weekday().to_monday_zero_offset() as usize],
        date.day()
    )
}

/// A date as people read it: `Mon 30 Nov 2026`.
pub fn date_text(date: Date) -> String {
    format!(
        "{} {:02} {} {}",
        WEEKDAYS[date.weekday().to_monday_zero_offset() as usize],
        date.day(),
        MONTHS[(date.month() - 1) as usize],
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::testing::*;
    use crate::domain::time::*;

    /// Asserts that the week of `day` (weeks from `first`) in `name` runs
    /// from `start` to `end` and holds exactly seven local days, each from
    /// one local midnight to the next.
    fn assert_week(name: &str, day: Date, first: Weekday, start: &str, end: &str, hours: f64) {
        let z = zone(name);
        let (s, e) = z.week(day, first);
        assert_eq!((s, e), (at(start), at(end)), "{name} week of {day}");
        assert_eq!((e - s).num_seconds() as f64 / 3600.0, hours, "{name}");
        let first_day = week_start(day, first);
        assert_eq!(first_day.weekday(), first);
        assert_eq!(
            z.date(s),
            first_day,
            "{name}: the week starts on another day"
        );
        let mut cursor = s;
        for n in 0..7 {
            let d = add_days(first_day, n);
            let (from, to) = z.day(d);
            assert_eq!(from, cursor, "{name}: {d} does not follow the day before");
            assert_eq!(z.date(from), d, "{name}: {d} starts on another date");
            assert_eq!(z.date(to - chrono::Duration::seconds(1)), d, "{name}: {d}");
            cursor = to;
        }
        assert_eq!(cursor, e, "{name}: seven local days do not end the week");
        assert_eq!(z.date(e), add_days(first_day, 7));
    }

    #[test]
    fn a_week_with_a_fall_back_is_seven_local_days_of_169_hours() {
        let monday = Weekday::Monday;
        assert_week(
            "America/New_York",
            date(2026, 11, 1),
            monday,
            "2026-10-26T04:00:00Z",
            "2026-11-02T05:00:00Z",
            169.0,
        );
        assert_week(
            "Europe/Amsterdam",
            date(2026, 10, 20),
            monday,
            "2026-10-18T22:00:00Z",
            "2026-10-25T23:00:00Z",
            169.0,
        );
        // Chile goes back at midnight: Saturday 4 April has 25 hours.
        assert_week(
            "America/Santiago",
            date(2026, 4, 4),
            monday,
            "2026-03-30T03:00:00Z",
            "2026-04-06T04:00:00Z",
            169.0,
        );
        // Lord Howe Island goes back half an hour.
        assert_week(
            "Australia/Lord_Howe",
            date(2026, 4, 5),
            monday,
            "2026-03-29T13:00:00Z",
            "2026-04-05T13:30:00Z",
            168.5,
        );
    }

    #[test]
    fn a_week_with_a_spring_forward_is_seven_local_days_of_167_hours() {
        let monday = Weekday::Monday;
        assert_week(
            "America/New_York",
            date(2026, 3, 9),
            monday,
            "2026-03-09T04:00:00Z",
            "2026-03-16T04:00:00Z",
            168.0,
        );
        assert_week(
            "America/New_York",
            date(2026, 3, 8),
            monday,
            "2026-03-02T05:00:00Z",
            "2026-03-09T04:00:00Z",
            167.0,
        );
        assert_week(
            "Europe/Amsterdam",
            date(2026, 3, 29),
            monday,
            "2026-03-22T23:00:00Z",
            "2026-03-29T22:00:00Z",
            167.0,
        );
        // Cuba and Chile skip midnight itself: that Sunday starts at 01:00.
        assert_week(
            "America/Havana",
            date(2026, 3, 4),
            monday,
            "2026-03-02T05:00:00Z",
            "2026-03-09T04:00:00Z",
            167.0,
        );
        assert_eq!(
            zone("America/Havana").start_of_day(date(2026, 3, 8)),
            at("2026-03-08T05:00:00Z")
        );
        assert_week(
            "America/Santiago",
            date(2026, 9, 6),
            monday,
            "2026-08-31T04:00:00Z",
            "2026-09-07T03:00:00Z",
            167.0,
        );
        assert_eq!(
            zone("America/Santiago").start_of_day(date(2026, 9, 6)),
            at("2026-09-06T04:00:00Z")
        );
        assert_week(
            "Australia/Lord_Howe",
            date(2026, 10, 1),
            monday,
            "2026-09-27T13:30:00Z",
            "2026-10-04T13:00:00Z",
            167.5,
        );
    }

    #[test]
    fn a_review_week_runs_wednesday_to_tuesday_by_the_local_calendar() {
        // The week from Wednesday 28 October 2026 holds New York's fall-back
        // on Sunday 1 November.
        assert_week(
            "America/New_York",
            date(2026, 11, 3),
            Weekday::Wednesday,
            "2026-10-28T04:00:00Z",
            "2026-11-04T05:00:00Z",
            169.0,
        );
        assert_eq!(
            week_start(date(2026, 10, 28), Weekday::Wednesday),
            date(2026, 10, 28)
        );
        assert_eq!(
            week_start(date(2026, 10, 27), Weekday::Wednesday),
            date(2026, 10, 21)
        );
    }

    #[test]
    fn seven_days_later_is_the_same_wall_clock_time_a_week_on() {
        let ny = zone("America/New_York");
        // Across the fall-back: 169 hours.
        assert_eq!(
            ny.add_days(at("2026-10-26T13:00:00Z"), 7),
            at("2026-11-02T14:00:00Z")
        );
        // Across the spring-forward: 167 hours.
        assert_eq!(
            ny.add_days(at("2026-03-02T14:00:00Z"), 7),
            at("2026-03-09T13:00:00Z")
        );
        // 02:30 on 8 March does not exist: the time after the gap.
        assert_eq!(
            ny.add_days(at("2026-03-01T07:30:00Z"), 7),
            at("2026-03-08T07:30:00Z")
        );
        assert_eq!(
            Timezone::UTC.add_days(at("2026-10-26T13:00:00Z"), 7),
            at("2026-11-02T13:00:00Z")
        );
    }

    #[test]
    fn a_day_is_23_24_or_25_hours_from_local_midnight_to_local_midnight() {
        let ny = zone("America/New_York");
        let hours = |d: Date| {
            let (s, e) = ny.day(d);
            (e - s).num_minutes() as f64 / 60.0
        };
        assert_eq!(hours(date(2026, 3, 8)), 23.0);
        assert_eq!(hours(date(2026, 11, 1)), 25.0);
        assert_eq!(hours(date(2026, 11, 2)), 24.0);
    }

    #[test]
    fn weeks_at_the_ends_of_the_calendar_stay_in_order_without_panicking() {
        for name in ["Pacific/Kiritimati", "Etc/GMT+12", "UTC"] {
            for d in [date(9999, 12, 31), date(-9999, 1, 1), date(1, 1, 1)] {
                let (start, end) = zone(name).week(d, Weekday::Monday);
                assert!(start <= end, "{name} {d}");
                let _ = TimeView::new(start, zone(name));
                let _ = zone(name).add_days(end, 7);
            }
        }
    }
}
