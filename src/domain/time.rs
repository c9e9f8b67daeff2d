//! Instants and time zones: everything is stored in UTC and shown in a zone
//! that chrono-tz knows, so daylight-saving changes are never hand-computed.

use chrono::{DateTime, Datelike, NaiveDateTime, SecondsFormat, Timelike, Utc};
use chrono_tz::Tz;

/// An IANA time zone that chrono-tz knows (`Europe/Amsterdam`, `UTC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(Tz);

impl Timezone {
    /// UTC, for signed-out viewers.
    pub const UTC: Timezone = Timezone(Tz::UTC);

    /// Parses an IANA zone name; the message names the problem.
    pub fn parse(name: &str) -> Result<Timezone, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("a time zone is required, such as Europe/Amsterdam".into());
        }
        crate::domain::text::check_line("the time zone", name)?;
        name.parse::<Tz>().map(Timezone).map_err(|_| {
            format!("{name:?} is not an IANA time zone; use a name such as Europe/Amsterdam or Asia/Tokyo")
        })
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The chrono-tz zone.
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// The wall-clock time of `instant` in this zone.
    pub fn local(&self, instant: DateTime<Utc>) -> DateTime<Tz> {
        instant.with_timezone(&self.0)
    }

    /// Whether `instant` falls in this zone's night hours (22:00–07:00 local).
    pub fn is_night(&self, instant: DateTime<Utc>) -> bool {
        let hour = self.local(instant).hour();
        !(7..22).contains(&hour)
    }
}

impl std::fmt::Display for Timezone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The current instant, truncated to microseconds so that it survives a
/// round trip through either database unchanged.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// A stored UTC timestamp as an instant.
pub fn from_db(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// An instant as it is stored.
pub fn to_db(instant: DateTime<Utc>) -> NaiveDateTime {
    instant.naive_utc()
}

/// RFC 3339 in UTC with a `Z`, as the API and `<time datetime>` carry it.
pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 instant (any offset) into UTC.
pub fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    crate::domain::text::check_line("the time", text.trim())?;
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is not an RFC 3339 time such as 2026-11-29T09:00:00Z"))
}

/// Parses what an HTML `datetime-local` input sends (`2026-11-29T09:00`,
/// seconds optional) as a wall-clock time in `zone`. A time that does not
/// exist (skipped by a daylight-saving change) is refused; an ambiguous one
/// takes the earlier instant.
pub fn parse_local(text: &str, zone: Timezone) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a time is required".into());
    }
    crate::domain::text::check_line("the time", text)?;
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .map_err(|_| format!("{text:?} is not a time such as 2026-11-29T09:00"))?;
    naive
        .and_local_timezone(zone.tz())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            format!("{text} does not exist in {zone} (a daylight-saving change skips it)")
        })
}

/// An instant as a `datetime-local` input value in `zone`.
pub fn to_local_input(instant: DateTime<Utc>, zone: Timezone) -> String {
    zone.local(instant).format("%Y-%m-%dT%H:%M").to_string()
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
    /// `instant` as read in `zone`: what `%a %d %b %H:%M %Z` and `%H:%M`
    /// say, without parsing a format on each of the many times of a page.
    pub fn new(instant: DateTime<Utc>, zone: Timezone) -> TimeView {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let local = zone.local(instant);
        let (hour, minute) = (local.hour(), local.minute());
        let clock = format!("{hour:02}:{minute:02}");
        TimeView {
            iso: rfc3339(instant),
            text: format!(
                "{} {:02} {} {clock} {}",
                local.weekday(),
                local.day(),
                MONTHS[local.month0() as usize],
                local.offset()
            ),
            clock,
            night: !(7..22).contains(&hour),
        }
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
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn an_unknown_zone_is_refused_with_its_name() {
        let err = Timezone::parse("Mars/Olympus").unwrap_err();
        assert!(err.contains("Mars/Olympus"), "{err}");
        assert!(Timezone::parse("").is_err());
        let err = Timezone::parse("Europe/Amsterdam\0").unwrap_err();
        assert!(err.starts_with("the time zone contains U+0000"), "{err}");
    }

    #[test]
    fn a_time_reads_as_chrono_formats_it_in_every_kind_of_zone() {
        let zones = [
            "UTC",
            "Europe/Amsterdam",
            "Asia/Kolkata",
            "America/Sao_Paulo",
            "Pacific/Chatham",
        ];
        for name in zones {
            let zone = Timezone::parse(name).unwrap();
            for month in 1..=12 {
                let instant = utc(2026, month, 9 + month, month + 5, 7 * month % 60);
                let local = zone.local(instant);
                let view = TimeView::new(instant, zone);
                assert_eq!(
                    view.text,
                    local.format("%a %d %b %H:%M %Z").to_string(),
                    "{name}"
                );
                assert_eq!(view.clock, local.format("%H:%M").to_string(), "{name}");
                assert_eq!(view.night, zone.is_night(instant), "{name}");
            }
        }
    }

    #[test]
    fn amsterdam_moves_from_cet_to_cest_on_the_last_sunday_of_march() {
        let ams = Timezone::parse("Europe/Amsterdam").unwrap();
        // 2026-03-29 01:00 UTC is the switch: 02:00 CET becomes 03:00 CEST.
        assert_eq!(TimeView::new(utc(2026, 3, 29, 0, 59), ams).clock, "01:59");
        assert_eq!(TimeView::new(utc(2026, 3, 29, 1, 0), ams).clock, "03:00");
        assert!(
            TimeView::new(utc(2026, 3, 29, 1, 0), ams)
                .text
                .ends_with("CEST")
        );
        assert!(
            TimeView::new(utc(2026, 3, 28, 12, 0), ams)
                .text
                .ends_with("CET")
        );
    }

    #[test]
    fn new_york_gains_an_hour_in_march_and_gives_it_back_in_november() {
        let ny = Timezone::parse("America/New_York").unwrap();
        // 2026-03-08 07:00 UTC: 02:00 EST becomes 03:00 EDT.
        assert_eq!(TimeView::new(utc(2026, 3, 8, 6, 59), ny).clock, "01:59");
        assert_eq!(TimeView::new(utc(2026, 3, 8, 7, 0), ny).clock, "03:00");
        // 2026-11-01 06:00 UTC: 02:00 EDT becomes 01:00 EST.
        assert_eq!(TimeView::new(utc(2026, 11, 1, 5, 59), ny).clock, "01:59");
        assert_eq!(TimeView::new(utc(2026, 11, 1, 6, 0), ny).clock, "01:00");
    }

    #[test]
    fn a_wall_clock_time_skipped_by_daylight_saving_is_refused() {
        let ny = Timezone::parse("America/New_York").unwrap();
        let err = parse_local("2026-03-08T02:30", ny).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        // The repeated hour in November takes the earlier (EDT) instant.
        assert_eq!(
            parse_local("2026-11-01T01:30", ny).unwrap(),
            utc(2026, 11, 1, 5, 30)
        );
    }

    #[test]
    fn half_and_three_quarter_hour_offsets_are_exact() {
        let kolkata = Timezone::parse("Asia/Kolkata").unwrap();
        let kathmandu = Timezone::parse("Asia/Kathmandu").unwrap();
        let t = utc(2026, 11, 29, 12, 0);
        assert_eq!(TimeView::new(t, kolkata).clock, "17:30");
        assert_eq!(TimeView::new(t, kathmandu).clock, "17:45");
        assert_eq!(
            parse_local("2026-11-29T17:45", kathmandu).unwrap(),
            utc(2026, 11, 29, 12, 0)
        );
    }

    #[test]
    fn night_is_from_22_to_07_local() {
        let tokyo = Timezone::parse("Asia/Tokyo").unwrap();
        assert!(tokyo.is_night(utc(2026, 11, 29, 13, 0))); // 22:00
        assert!(tokyo.is_night(utc(2026, 11, 29, 21, 59))); // 06:59
        assert!(!tokyo.is_night(utc(2026, 11, 29, 22, 0))); // 07:00
        assert!(!tokyo.is_night(utc(2026, 11, 29, 12, 59))); // 21:59
    }

    #[test]
    fn instants_are_written_as_rfc3339_utc() {
        assert_eq!(rfc3339(utc(2026, 11, 29, 9, 5)), "2026-11-29T09:05:00Z");
        assert_eq!(
            parse_rfc3339("2026-11-29T18:05:00+09:00").unwrap(),
            utc(2026, 11, 29, 9, 5)
        );
        assert!(parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(human_duration(chrono::Duration::seconds(42)), "42s");
        assert_eq!(human_duration(chrono::Duration::minutes(12)), "12m");
        assert_eq!(human_duration(chrono::Duration::minutes(185)), "3h 05m");
        assert_eq!(human_duration(chrono::Duration::hours(52)), "2d 4h");
    }
}
