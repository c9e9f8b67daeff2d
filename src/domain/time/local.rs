//! Parsing local wall-clock times as forms send them, and the ambiguity
//! daylight saving brings: times skipped are refused, times repeated are
//! offered as two choices.

use chrono::{DateTime, Utc};
use jiff::civil;
use jiff::tz::{AmbiguousOffset, Offset};

use super::instants::instant;
use super::offsets::{offset_name, parse_offset, rfc3339_offset, utc_offset};
use super::zones::Timezone;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::testing::*;
    use crate::domain::time::*;

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
}
