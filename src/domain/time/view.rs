//! Formatting instants for pages: `TimeView`, form input values and
//! durations as people say them.

use chrono::{DateTime, Utc};

use super::calendar::{MONTHS, WEEKDAYS};
use super::instants::{rfc3339, timestamp};
use super::offsets::rfc3339_offset;
use super::zones::Timezone;

/// An instant as a `datetime-local` input value in `zone`, to the second:
/// `2026-11-01T01:30:00`.
pub fn to_local_input(instant: DateTime<Utc>, zone: Timezone) -> String {
    let wall = zone.wall(instant);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        wall.year(),
        wall.month(),
        wall.day(),
        wall.hour(),
        wall.minute(),
        wall.second()
    )
}

/// The offset of `zone` at `instant` as a form value (`-04:00`): with
/// [`to_local_input`], it names the instant exactly, even in a repeated hour.
pub fn offset_value(instant: DateTime<Utc>, zone: Timezone) -> String {
    rfc3339_offset(zone.offset_at(instant).0.seconds())
}

/// An instant ready for a `<time datetime="…">text</time>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeView {
    /// RFC 3339 UTC, for the `datetime` attribute.
    pub iso: String,
    /// Date and time as read in the zone, e.g. `Sun 29 Nov 09:00 CET`.
    pub text: String,
    /// Only the wall-clock time, e.g. `09:00`.
    pub clock: String,
    /// Whether it is night (22:00–07:00) there.
    pub night: bool,
}

impl TimeView {
    /// `instant` as read in `zone`: `Sun 29 Nov 09:00 CET`, and `09:00`; the
    /// offset named as [`offset_name`] names it.
    pub fn new(instant: DateTime<Utc>, zone: Timezone) -> TimeView {
        let (offset, name) = zone.offset_at(instant);
        let local = offset.to_datetime(timestamp(instant));
        let hour = local.hour();
        let clock = format!("{hour:02}:{:02}", local.minute());
        TimeView {
            iso: rfc3339(instant),
            text: format!(
                "{} {:02} {} {clock} {name}",
                WEEKDAYS[local.weekday().to_monday_zero_offset() as usize],
                local.day(),
                MONTHS[(local.month() - 1) as usize],
            ),
            clock,
            night: !(7..22).contains(&hour),
        }
    }

    /// As [`TimeView::new`], but read as the clock alone when `instant` falls
    /// on the day `now` does in `zone` (the date would add nothing).
    pub fn within_day_of(now: DateTime<Utc>, instant: DateTime<Utc>, zone: Timezone) -> TimeView {
        let mut view = TimeView::new(instant, zone);
        if zone.date(instant) == zone.date(now) {
            view.text.clone_from(&view.clock);
        }
        view
    }
}

/// A duration for people: `45s`, `12m`, `3h 05m`, `2d 4h`.
pub fn human_duration(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_today_reads_as_its_clock_and_another_day_in_full() {
        let zone = Timezone::parse("Asia/Tokyo").expect("a zone");
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("a time").to_utc();
        // 23:30 in Tokyo; 00:10 there is the next day.
        let now = at("2026-12-04T14:30:00Z");
        let same = TimeView::within_day_of(now, at("2026-12-04T00:05:00Z"), zone);
        assert_eq!(
            (same.text.as_str(), same.iso.as_str()),
            ("09:05", "2026-12-04T00:05:00Z")
        );
        let before = TimeView::within_day_of(now, at("2026-12-03T14:59:00Z"), zone);
        assert_eq!(before.text, "Thu 03 Dec 23:59 JST");
        let after = TimeView::within_day_of(now, at("2026-12-04T15:10:00Z"), zone);
        assert_eq!(after.text, "Sat 05 Dec 00:10 JST");
    }

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(human_duration(chrono::Duration::seconds(42)), "42s");
        assert_eq!(human_duration(chrono::Duration::minutes(12)), "12m");
        assert_eq!(human_duration(chrono::Duration::minutes(185)), "3h 05m");
        assert_eq!(human_duration(chrono::Duration::hours(52)), "2d 4h");
    }
}
