//! UTC offsets as Baton names and writes them, and as forms send them.

use jiff::tz::Offset;

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
pub(super) fn rfc3339_offset(seconds: i32) -> String {
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
pub(super) fn parse_offset(text: &str) -> Option<i32> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::testing::*;

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
}
