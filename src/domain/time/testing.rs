//! Helpers shared by the tests of the time modules.

use chrono::{DateTime, TimeZone, Utc};
use jiff::civil::{self, Date};

use super::instants::parse_rfc3339;
use super::view::to_local_input;
use super::zones::Timezone;

pub(super) fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

pub(super) fn at(text: &str) -> DateTime<Utc> {
    parse_rfc3339(text).unwrap()
}

pub(super) fn zone(name: &str) -> Timezone {
    Timezone::parse(name).unwrap()
}

pub(super) fn date(y: i16, m: i8, d: i8) -> Date {
    civil::date(y, m, d)
}

/// (wall clock `YYYY-MM-DDTHH:MM:SS`, offset in seconds, offset name)
/// of `instant` in `name`.
pub(super) fn reading(name: &str, instant: &str) -> (String, i32, String) {
    let z = zone(name);
    let t = at(instant);
    let (offset, label) = z.offset_at(t);
    (to_local_input(t, z), offset.seconds(), label)
}
