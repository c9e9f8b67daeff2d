//! Date-times as the API reads them: exactly as JSON Schema's `date-time`
//! format does, so that what the document allows is what is taken.

use chrono::{DateTime, Duration, Utc};
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, SchemaFormat};

use super::string_type;
use crate::error::AppError;

/// A date-time schema (RFC 3339), with an example when one is given.
pub fn instant_schema(nullable: bool, description: &str, example: Option<&str>) -> Object {
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some(description))
        .examples(example)
        .build()
}

/// Parses an RFC 3339 date-time exactly as JSON Schema's `date-time`
/// format reads it: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T` and `Z` in
/// either case, a leap second only at 23:59:60 UTC (taken as the next
/// second). Anything else is a 422 on `field`.
pub fn instant(field: &str, text: &str) -> Result<DateTime<Utc>, AppError> {
    let refuse = || {
        AppError::invalid(
            field,
            format!("{text:?} is not an RFC 3339 date-time such as 2026-11-29T09:00:00Z"),
        )
    };
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| d.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    let shape = digits(0..4).is_some()
        && at(4, b"-")
        && digits(5..7).is_some()
        && at(7, b"-")
        && digits(8..10).is_some()
        && at(10, b"Tt")
        && at(13, b":")
        && at(16, b":");
    let (Some(hour), Some(minute), Some(second)) = (digits(11..13), digits(14..16), digits(17..19))
    else {
        return Err(refuse());
    };
    if !shape {
        return Err(refuse());
    }
    let mut end = 19;
    if at(end, b".") {
        let fraction = b[end + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if fraction == 0 {
            return Err(refuse());
        }
        end += 1 + fraction;
    }
    let offset_minutes: i64 = if at(end, b"Zz") && b.len() == end + 1 {
        0
    } else if at(end, b"+-") && b.len() == end + 6 && at(end + 3, b":") {
        let (Some(h), Some(m)) = (digits(end + 1..end + 3), digits(end + 4..end + 6)) else {
            return Err(refuse());
        };
        if h > 23 || m > 59 {
            return Err(refuse());
        }
        let minutes = i64::from(h * 60 + m);
        if b[end] == b'-' { -minutes } else { minutes }
    } else {
        return Err(refuse());
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(refuse());
    }
    if second == 60 {
        // A leap second exists only as the last second of a UTC day.
        let utc_minute = (i64::from(hour * 60 + minute) - offset_minutes).rem_euclid(24 * 60);
        if utc_minute != 23 * 60 + 59 {
            return Err(refuse());
        }
        let mut without = text.to_owned();
        without.replace_range(17..19, "59");
        return crate::domain::time::parse_rfc3339(&without)
            .map(|t| t + Duration::seconds(1))
            .map_err(|_| refuse());
    }
    crate::domain::time::parse_rfc3339(text).map_err(|_| refuse())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    #[test]
    fn instants_are_read_as_json_schema_reads_date_time() {
        let t = |s: &str| instant("t", s);
        let nine = Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
        assert_eq!(t("2026-11-29T09:00:00Z").unwrap(), nine);
        assert_eq!(t("2026-11-29t09:00:00z").unwrap(), nine);
        assert_eq!(t("2026-11-29T10:00:00+01:00").unwrap(), nine);
        assert_eq!(
            t("2026-11-29T09:00:00.000123456789Z").unwrap().timestamp(),
            nine.timestamp()
        );
        assert_eq!(
            t("2026-12-31T23:59:60Z").unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
        assert!(t("2026-12-31T22:59:60-01:00").is_ok());
        assert!(t("0000-01-01T00:00:00Z").is_ok());
        for bad in [
            "2026-11-29 09:00:00Z",
            "2026-11-29T09:00:60Z",
            "2026-11-29T09:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-29T09:00:00+24:00",
            "2026-11-29T09:00:00+0100",
            "2026-11-29T09:00:00.Z",
            "+12026-11-29T09:00:00Z",
            " 2026-11-29T09:00:00Z",
            "2026-11-29T09:00:00Z\n",
            "2026-11-29T09:00:00+01:60",
            "yesterday",
            "",
        ] {
            assert!(t(bad).is_err(), "{bad:?}");
        }
    }
}
