//! Instants: chrono values as the database holds them, exact conversion
//! to and from jiff, and RFC 3339 in and out.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};
use jiff::Timestamp;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::testing::*;

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
    fn instants_are_written_as_rfc3339_utc() {
        assert_eq!(rfc3339(utc(2026, 11, 29, 9, 5)), "2026-11-29T09:05:00Z");
        assert_eq!(
            parse_rfc3339("2026-11-29T18:05:00+09:00").unwrap(),
            utc(2026, 11, 29, 9, 5)
        );
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
