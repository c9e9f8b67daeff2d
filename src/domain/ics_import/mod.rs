//! Calendar import: an iCalendar file (RFC 5545) read into the shifts it
//! describes, one per event or per occurrence of a recurring event, each
//! named by a UID that stays the same when the same file is read again.
//!
//! A file that is not well formed is refused whole, with the physical line
//! (folded lines counted as written) of the problem: [`Malformed`]. An
//! event that is well formed but cannot be a shift (cancelled, no end, a
//! time zone Baton does not know, a rule it does not expand, over 14 days)
//! is [`Skipped`] with the reason. Who an event names is for
//! [`people::name_person`] to say, against the users the caller knows.
//!
//! Written here rather than with the `icalendar` crate's parser: that one
//! reports no line numbers, keeps `VTIMEZONE` opaque and maps zones through
//! older rules; this one unfolds lines itself, so it can name them, and
//! reads every zone through the bundled IANA rules.

mod event;
mod lines;
pub mod people;
mod recur;
mod values;

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};

use lines::{ContentLine, content_lines};
use values::Zones;

use crate::domain::time::Timezone;

/// The most bytes one import reads.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// The most shifts one file may give (after recurrences are expanded).
pub const MAX_SHIFTS: usize = 5_000;

/// How far recurrences are expanded, ahead of (and back from) the import.
pub const RECURRENCE_REACH: Duration = Duration::days(365);

/// Why a file is refused: the line (1-based, as written) and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The physical line.
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl Malformed {
    /// The problem `message` on `line`.
    pub fn at(line: usize, message: impl Into<String>) -> Malformed {
        Malformed {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// What an event says about who is on call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// Each `ATTENDEE`: its address (`mailto:` removed) and its `CN`.
    pub attendees: Vec<(String, Option<String>)>,
    /// The `SUMMARY`, unescaped.
    pub summary: String,
    /// The `DESCRIPTION`, unescaped.
    pub description: String,
}

/// A shift the file describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The event's `UID`; for an occurrence of a recurring event, followed
    /// by `/` and its original start in UTC (`…/20261207T080000Z`).
    pub uid: String,
    /// The line of its `BEGIN:VEVENT`.
    pub line: usize,
    /// Start.
    pub starts: DateTime<Utc>,
    /// End.
    pub ends: DateTime<Utc>,
    /// Who it may name.
    pub hints: Hints,
}

/// An event (or an occurrence) that does not become a shift, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its UID (with the occurrence, as [`Occurrence::uid`]).
    pub uid: String,
    /// The line of its `BEGIN:VEVENT`.
    pub line: usize,
    /// Its `SUMMARY`.
    pub summary: String,
    /// Why.
    pub reason: String,
}

/// What a file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The shifts it describes, in file order (occurrences by start).
    pub occurrences: Vec<Occurrence>,
    /// What it holds that does not become a shift.
    pub skipped: Vec<Skipped>,
}

/// The text of a file as it was sent: UTF-8 (a byte-order mark allowed),
/// at most [`MAX_BYTES`]; anything else is refused naming the line.
pub fn decode(bytes: &[u8]) -> Result<&str, Malformed> {
    if bytes.len() > MAX_BYTES {
        return Err(Malformed::at(
            1,
            format!("the file is larger than {} MiB", MAX_BYTES / 1024 / 1024),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Malformed::at(line, "the file is not UTF-8 text")
    })
}

/// A `VEVENT` as written: its line and its own properties.
#[derive(Debug, Clone)]
struct RawEvent {
    line: usize,
    props: Vec<ContentLine>,
}

/// Reads `text` (an iCalendar file) as of `now`: recurrences are expanded
/// from a year before `now` to a year after it.
pub fn parse(text: &str, now: DateTime<Utc>) -> Result<Parsed, Malformed> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = content_lines(text)?;
    let last_line = text.lines().count().max(1);
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut events: Vec<RawEvent> = Vec::new();
    let mut calendars = 0;
    let mut default_zone: Option<String> = None;
    let mut locations: HashMap<String, String> = HashMap::new();
    let mut current_tzid: Option<String> = None;
    for line in lines {
        match line.name.as_str() {
            "BEGIN" => {
                let name = line.value.trim().to_ascii_uppercase();
                if name.is_empty() {
                    return Err(Malformed::at(line.line, "BEGIN names no component"));
                }
                match (stack.last().map(|(n, _)| n.as_str()), name.as_str()) {
                    (None, "VCALENDAR") => calendars += 1,
                    (None, _) => {
                        return Err(Malformed::at(
                            line.line,
                            format!("BEGIN:{name} outside BEGIN:VCALENDAR"),
                        ));
                    }
                    (Some(_), "VCALENDAR") => {
                        return Err(Malformed::at(line.line, "a VCALENDAR inside another"));
                    }
                    (Some("VCALENDAR"), "VEVENT") => events.push(RawEvent {
                        line: line.line,
                        props: vec![],
                    }),
                    _ => {}
                }
                stack.push((name, line.line));
            }
            "END" => {
                let name = line.value.trim().to_ascii_uppercase();
                match stack.pop() {
                    Some((open, _)) if open == name => {
                        if name == "VTIMEZONE" {
                            current_tzid = None;
                        }
                    }
                    Some((open, at)) => {
                        return Err(Malformed::at(
                            line.line,
                            format!("END:{name} where BEGIN:{open} of line {at} is still open"),
                        ));
                    }
                    None => {
                        return Err(Malformed::at(
                            line.line,
                            format!("END:{name} closes nothing"),
                        ));
                    }
                }
            }
            _ => {
                let path: Vec<&str> = stack.iter().map(|(n, _)| n.as_str()).collect();
                match path.as_slice() {
                    [] => {
                        return Err(Malformed::at(
                            line.line,
                            format!("{} outside BEGIN:VCALENDAR … END:VCALENDAR", line.name),
                        ));
                    }
                    ["VCALENDAR"] if line.name == "X-WR-TIMEZONE" => {
                        default_zone.get_or_insert(line.value.trim().to_owned());
                    }
                    ["VCALENDAR", "VTIMEZONE"] if line.name == "TZID" => {
                        current_tzid = Some(line.value.trim().to_owned());
                    }
                    ["VCALENDAR", "VTIMEZONE"] if line.name == "X-LIC-LOCATION" => {
                        if let Some(tzid) = &current_tzid {
                            locations.insert(tzid.clone(), line.value.trim().to_owned());
                        }
                    }
                    ["VCALENDAR", "VEVENT"] => {
                        if let Some(event) = events.last_mut() {
                            event.props.push(line);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some((open, at)) = stack.last() {
        return Err(Malformed::at(
            last_line,
            format!("the file ends before BEGIN:{open} of line {at} is closed (END:{open})"),
        ));
    }
    if calendars == 0 {
        return Err(Malformed::at(
            1,
            "not an iCalendar file: there is no BEGIN:VCALENDAR",
        ));
    }
    let zones = Zones {
        default: default_zone
            .and_then(|z| Timezone::parse(&z).ok())
            .unwrap_or(Timezone::UTC),
        locations,
    };
    event::interpret(&events, &zones, now)
}

#[cfg(test)]
mod tests;
