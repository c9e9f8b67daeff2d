//! Values of an iCalendar file: DATE and DATE-TIME (UTC, floating, or with
//! a `TZID`), DURATION, and which IANA zone a `TZID` means. Local times
//! become instants through the bundled IANA rules (`domain::time`), never
//! through the offsets a `VTIMEZONE` writes down, which go stale.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use jiff::civil;

use super::lines::ContentLine;
use crate::domain::time::{self, Timezone};

/// A date or a time as an event gives it: a wall-clock time in a zone
/// (UTC for `…Z`, the calendar's own zone for floating times and dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The wall-clock time (midnight for a date).
    pub wall: civil::DateTime,
    /// The zone it is read in.
    pub zone: Timezone,
    /// A DATE value (a whole day), not a DATE-TIME.
    pub date_only: bool,
}

impl Stamp {
    /// The instant: a time the clocks skip is read as the one after the
    /// gap, a time that happens twice as the earlier (RFC 5545 §3.3.5).
    pub fn instant(&self) -> Result<DateTime<Utc>, String> {
        self.zone
            .rules()
            .to_ambiguous_timestamp(self.wall)
            .compatible()
            .map(time::instant)
            .map_err(|_| format!("{} has no instant in {}", self.wall, self.zone))
    }

    /// The same kind of stamp at another wall-clock time.
    pub fn at(&self, wall: civil::DateTime) -> Stamp {
        Stamp { wall, ..*self }
    }
}

/// How the `TZID`s of a file are read: IANA names as they are, and the
/// names of its `VTIMEZONE`s that say their IANA zone another way.
#[derive(Debug, Clone)]
pub struct Zones {
    /// The zone of floating times and dates: the calendar's
    /// `X-WR-TIMEZONE`, else UTC.
    pub default: Timezone,
    /// `TZID` → the IANA name its `VTIMEZONE` gives (`X-LIC-LOCATION`).
    pub locations: HashMap<String, String>,
}

/// Windows zone names as Outlook and Exchange write them, for the zones
/// most teams are in.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("UTC", "UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("Eastern Standard Time", "America/New_York"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("India Standard Time", "Asia/Kolkata"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
];

impl Zones {
    /// The IANA zone `tzid` means: an IANA name; the location its
    /// `VTIMEZONE` names; the end of a prefixed name
    /// (`/mozilla.org/20070129_1/Europe/Berlin`); or a Windows name.
    pub fn resolve(&self, tzid: &str) -> Result<Timezone, String> {
        let tzid = tzid.trim();
        if let Ok(zone) = Timezone::parse(tzid) {
            return Ok(zone);
        }
        if let Some(zone) = self
            .locations
            .get(tzid)
            .and_then(|l| Timezone::parse(l).ok())
        {
            return Ok(zone);
        }
        let parts: Vec<&str> = tzid.split('/').filter(|p| !p.is_empty()).collect();
        for take in [3, 2] {
            if parts.len() > take
                && let Ok(zone) = Timezone::parse(&parts[parts.len() - take..].join("/"))
            {
                return Ok(zone);
            }
        }
        if let Some((_, iana)) = WINDOWS_ZONES.iter().find(|(w, _)| *w == tzid) {
            return Timezone::parse(iana);
        }
        Err(format!(
            "its time zone {tzid:?} is not one Baton knows (an IANA name such as Europe/Amsterdam)"
        ))
    }
}

/// A value that is not well formed: what is wrong.
pub type Bad = String;

fn digits(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Reads `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]`: the wall-clock time, whether
/// it is UTC, whether it is a date.
pub fn parse_date_time(text: &str) -> Result<(civil::DateTime, bool, bool), Bad> {
    let bad = || format!("{text:?} is not a date (20261207) or a time (20261207T090000Z)");
    let (date, rest) = text.split_at_checked(8).ok_or_else(bad)?;
    let (y, m, d) = (
        digits(&date[..4]).ok_or_else(bad)?,
        digits(&date[4..6]).ok_or_else(bad)?,
        digits(&date[6..]).ok_or_else(bad)?,
    );
    let date = civil::Date::new(y as i16, m as i8, d as i8).map_err(|_| bad())?;
    if rest.is_empty() {
        return Ok((date.to_datetime(civil::Time::midnight()), false, true));
    }
    let clock = rest.strip_prefix('T').ok_or_else(bad)?;
    let (clock, utc) = match clock.strip_suffix('Z') {
        Some(c) => (c, true),
        None => (clock, false),
    };
    if clock.len() != 6 {
        return Err(bad());
    }
    let (h, mi, s) = (
        digits(&clock[..2]).ok_or_else(bad)?,
        digits(&clock[2..4]).ok_or_else(bad)?,
        // A leap second (60) is read as the last second of its minute.
        digits(&clock[4..]).ok_or_else(bad)?.min(59),
    );
    let t = civil::Time::new(h as i8, mi as i8, s as i8, 0).map_err(|_| bad())?;
    Ok((date.to_datetime(t), utc, false))
}

/// A DATE or DATE-TIME property: its value, read in its `TZID` (which may
/// name a zone Baton does not know: the `Err` inside).
pub fn stamp(line: &ContentLine, zones: &Zones) -> Result<Result<Stamp, String>, Bad> {
    stamp_value(line, &line.value, zones)
}

/// One value of a property (EXDATE and RDATE may list several).
pub fn stamp_value(
    line: &ContentLine,
    value: &str,
    zones: &Zones,
) -> Result<Result<Stamp, String>, Bad> {
    let (wall, utc, date_only) = parse_date_time(value.trim())?;
    if line
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        && !date_only
    {
        return Err(format!("{value:?} is marked VALUE=DATE but is not a date"));
    }
    let zone = if utc {
        Timezone::UTC
    } else if date_only {
        zones.default
    } else {
        match line.param("TZID") {
            Some(tzid) => match zones.resolve(tzid) {
                Ok(z) => z,
                Err(e) => return Ok(Err(e)),
            },
            None => zones.default,
        }
    };
    Ok(Ok(Stamp {
        wall,
        zone,
        date_only,
    }))
}

/// A DURATION (`P1D`, `PT8H30M`, `P2W`): nominal days, exact seconds.
pub fn parse_duration(text: &str) -> Result<(i64, i64), Bad> {
    let bad = || format!("{text:?} is not a duration such as PT8H or P1D");
    let body = text.trim().strip_prefix('+').unwrap_or(text.trim());
    let body = body.strip_prefix('P').ok_or_else(bad)?;
    let (day_part, time_part) = match body.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    let mut days = 0i64;
    let mut number = String::new();
    for c in day_part.chars() {
        match c {
            '0'..='9' => number.push(c),
            'W' | 'D' => {
                let n = digits(&number).ok_or_else(bad)?;
                days += if c == 'W' { n * 7 } else { n };
                number.clear();
            }
            _ => return Err(bad()),
        }
    }
    let mut seconds = 0i64;
    for c in time_part.unwrap_or("").chars() {
        match c {
            '0'..='9' => number.push(c),
            'H' | 'M' | 'S' => {
                let n = digits(&number).ok_or_else(bad)?;
                seconds += n * match c {
                    'H' => 3600,
                    'M' => 60,
                    _ => 1,
                };
                number.clear();
            }
            _ => return Err(bad()),
        }
    }
    if !number.is_empty() || (day_part.is_empty() && time_part.is_none_or(str::is_empty)) {
        return Err(bad());
    }
    if days > 100_000 || seconds > 100_000_000 {
        return Err(bad());
    }
    Ok((days, seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ics_import::lines::content_lines;

    fn zones() -> Zones {
        Zones {
            default: Timezone::UTC,
            locations: HashMap::from([("Custom Zone".to_owned(), "America/Vancouver".to_owned())]),
        }
    }

    fn instant_of(line: &str) -> String {
        let line = &content_lines(line).unwrap()[0];
        time::rfc3339(stamp(line, &zones()).unwrap().unwrap().instant().unwrap())
    }

    #[test]
    fn tzid_times_use_the_bundled_iana_rules() {
        // Vancouver stays on UTC-7 from November 2026 (tzdata 2026).
        // Vancouver stays on UTC-7 from November 2026 (tzdata 2026), where
        // older rules (and VTIMEZONEs written by them) say UTC-8.
        assert_eq!(
            instant_of("DTSTART;TZID=America/Vancouver:20261207T090000"),
            "2026-12-07T16:00:00Z"
        );
        assert_eq!(
            instant_of("DTSTART;TZID=Custom Zone:20261207T090000"),
            "2026-12-07T16:00:00Z"
        );
        assert_eq!(
            instant_of("DTSTART;TZID=Europe/Amsterdam:20260705T090000"),
            "2026-07-05T07:00:00Z"
        );
        assert_eq!(
            instant_of("DTSTART;TZID=/mozilla.org/20070129_1/Europe/Amsterdam:20261205T090000"),
            "2026-12-05T08:00:00Z"
        );
        assert_eq!(
            instant_of("DTSTART;TZID=W. Europe Standard Time:20261205T090000"),
            "2026-12-05T08:00:00Z"
        );
        assert_eq!(
            instant_of("DTSTART:20261205T090000Z"),
            "2026-12-05T09:00:00Z"
        );
        assert_eq!(
            instant_of("DTSTART;VALUE=DATE:20261205"),
            "2026-12-05T00:00:00Z"
        );
        let line = &content_lines("DTSTART;TZID=Mars/Olympus:20261205T090000").unwrap()[0];
        assert!(stamp(line, &zones()).unwrap().is_err());
        let line = &content_lines("DTSTART:2026-12-05").unwrap()[0];
        assert!(stamp(line, &zones()).is_err());
    }

    #[test]
    fn durations_are_read_as_nominal_days_and_exact_seconds() {
        assert_eq!(parse_duration("PT8H30M"), Ok((0, 30_600)));
        assert_eq!(parse_duration("P1W"), Ok((7, 0)));
        assert_eq!(parse_duration("P1DT12H"), Ok((1, 43_200)));
        assert!(parse_duration("P").is_err());
        assert!(parse_duration("PT").is_err());
        assert!(parse_duration("8H").is_err());
        assert!(parse_duration("-PT1H").is_err());
    }
}
