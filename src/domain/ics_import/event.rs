//! One `VEVENT` read into its occurrences: the start, the end (`DTEND`,
//! `DURATION`, or a whole day for a date), the recurrence (`RRULE`,
//! `RDATE`, `EXDATE`, and the events that move or cancel one occurrence
//! with `RECURRENCE-ID`), and who it may name.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use jiff::{SignedDuration, Span};

use super::lines::{ContentLine, unescape};
use super::recur::{expand, parse_rule};
use super::values::{Stamp, Zones, parse_duration, stamp, stamp_value};
use super::{
    Hints, MAX_SHIFTS, Malformed, Occurrence, Parsed, RECURRENCE_REACH, RawEvent, Skipped,
};
use crate::domain::shift::check_span;

/// How many days, weeks, months or years the rules of one file may look
/// at in all (a daily rule from 1970 to now is about 20 000).
const MAX_PERIODS: usize = 200_000;

/// How long each occurrence lasts: days and a wall-clock span added in
/// its zone, then exact seconds (a `DURATION`'s time, or the gap between a
/// start and an end in different zones).
#[derive(Debug, Clone, Copy)]
struct Length {
    days: i64,
    wall: SignedDuration,
    exact: i64,
}

impl Length {
    fn end_of(&self, start: &Stamp) -> Result<DateTime<Utc>, String> {
        let wall = start
            .wall
            .checked_add(Span::new().days(self.days))
            .and_then(|w| w.checked_add(self.wall))
            .map_err(|_| "its end is out of range".to_owned())?;
        Ok(start.at(wall).instant()? + Duration::seconds(self.exact))
    }
}

/// One event, read: what it is, or why it is no shift.
struct Read {
    uid: String,
    line: usize,
    summary: String,
    hints: Hints,
    /// `RECURRENCE-ID`: the original start of the occurrence it replaces.
    replaces: Option<DateTime<Utc>>,
    /// Its occurrences (start, end), or why it has none.
    shifts: Result<Vec<(Stamp, DateTime<Utc>)>, String>,
    /// Whether it recurs (its occurrences' UIDs name their start).
    recurs: bool,
    /// Set when the rule goes on past the reach of the import.
    beyond: Option<DateTime<Utc>>,
}

fn one<'a>(event: &'a RawEvent, name: &str) -> Result<Option<&'a ContentLine>, Malformed> {
    let mut found = event.props.iter().filter(|p| p.name == name);
    let first = found.next();
    if let Some(again) = found.next() {
        return Err(Malformed::at(
            again.line,
            format!("a second {name} in the event of line {}", event.line),
        ));
    }
    Ok(first)
}

/// `20261207T080000Z`, the form an occurrence's UID ends with.
pub fn compact(instant: DateTime<Utc>) -> String {
    instant.format("%Y%m%dT%H%M%SZ").to_string()
}

fn read(
    event: &RawEvent,
    zones: &Zones,
    now: DateTime<Utc>,
    budget: &mut usize,
) -> Result<Read, Malformed> {
    let bad = |line: &ContentLine, e: String| Malformed::at(line.line, e);
    let uid = one(event, "UID")?
        .map(|l| unescape(l.value.trim()))
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            Malformed::at(
                event.line,
                "this VEVENT has no UID, so a second import could not recognise it",
            )
        })?;
    let text = |name| -> Result<String, Malformed> {
        Ok(one(event, name)?
            .map(|l| unescape(&l.value))
            .unwrap_or_default())
    };
    let summary = text("SUMMARY")?;
    let hints = Hints {
        attendees: event
            .props
            .iter()
            .filter(|p| p.name == "ATTENDEE")
            .map(|p| {
                let v = p.value.trim();
                let address = v
                    .get(..7)
                    .filter(|s| s.eq_ignore_ascii_case("mailto:"))
                    .map_or(v, |_| &v[7..]);
                (address.to_owned(), p.param("CN").map(str::to_owned))
            })
            .collect(),
        summary: summary.clone(),
        description: text("DESCRIPTION")?,
    };
    let mut read = Read {
        uid,
        line: event.line,
        summary,
        hints,
        replaces: None,
        shifts: Err(String::new()),
        recurs: false,
        beyond: None,
    };
    if let Some(rid) = one(event, "RECURRENCE-ID")? {
        match stamp(rid, zones).map_err(|e| bad(rid, e))? {
            Ok(s) => read.replaces = Some(s.instant().map_err(|e| bad(rid, e))?),
            Err(e) => {
                read.shifts = Err(e);
                return Ok(read);
            }
        }
    }
    let start_line = one(event, "DTSTART")?
        .ok_or_else(|| Malformed::at(event.line, "this VEVENT has no DTSTART"))?;
    let start = stamp(start_line, zones).map_err(|e| bad(start_line, e))?;
    let end_line = one(event, "DTEND")?;
    let duration_line = one(event, "DURATION")?;
    let end = match end_line {
        Some(l) => Some(stamp(l, zones).map_err(|e| bad(l, e))?),
        None => None,
    };
    let duration = match duration_line {
        Some(l) if end_line.is_some() => {
            return Err(bad(l, "an event has DTEND or DURATION, not both".into()));
        }
        Some(l) => Some(parse_duration(&l.value).map_err(|e| bad(l, e))?),
        None => None,
    };
    let rule_line = one(event, "RRULE")?;
    let rule = match rule_line {
        Some(l) => Some(parse_rule(&l.value).map_err(|e| bad(l, e))?),
        None => None,
    };
    let mut extra = vec![];
    let mut excluded = vec![];
    for p in &event.props {
        let into = match p.name.as_str() {
            "RDATE" => &mut extra,
            "EXDATE" => &mut excluded,
            _ => continue,
        };
        if p.param("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"))
        {
            read.shifts = Err(format!(
                "its {} lists periods, which Baton does not import",
                p.name
            ));
            return Ok(read);
        }
        for v in p.value.split(',') {
            match stamp_value(p, v, zones).map_err(|e| bad(p, e))? {
                Ok(s) => into.push(s),
                Err(e) => {
                    read.shifts = Err(e);
                    return Ok(read);
                }
            }
        }
    }
    if one(event, "STATUS")?.is_some_and(|s| s.value.trim().eq_ignore_ascii_case("CANCELLED")) {
        read.shifts = Err("it is cancelled".into());
        return Ok(read);
    }
    let start = match start {
        Ok(s) => s,
        Err(e) => {
            read.shifts = Err(e);
            return Ok(read);
        }
    };
    let length = match (end, duration) {
        (Some(Err(e)), _) => {
            read.shifts = Err(e);
            return Ok(read);
        }
        (Some(Ok(end)), _) if end.zone == start.zone && end.date_only == start.date_only => {
            Length {
                days: 0,
                wall: start.wall.duration_until(end.wall),
                exact: 0,
            }
        }
        (Some(Ok(end)), _) => Length {
            days: 0,
            wall: SignedDuration::ZERO,
            exact: (end.instant().map_err(|e| bad(start_line, e))?
                - start.instant().map_err(|e| bad(start_line, e))?)
            .num_seconds(),
        },
        (None, Some((days, exact))) => Length {
            days,
            wall: SignedDuration::ZERO,
            exact,
        },
        (None, None) if start.date_only => Length {
            days: 1,
            wall: SignedDuration::ZERO,
            exact: 0,
        },
        (None, None) => {
            read.shifts = Err("it has no end (DTEND or DURATION)".into());
            return Ok(read);
        }
    };
    let mut starts = match rule {
        Some(Err(e)) => {
            read.shifts = Err(e);
            return Ok(read);
        }
        Some(Ok(rule)) => {
            read.recurs = true;
            let horizon = now + RECURRENCE_REACH;
            let (all, more) = expand(&rule, start, horizon, budget).ok_or_else(|| {
                Malformed::at(
                    rule_line.map_or(event.line, |l| l.line),
                    format!(
                        "the file's recurrences reach further than Baton expands \
                         ({MAX_PERIODS} days, weeks, months or years in all)"
                    ),
                )
            })?;
            read.beyond = more.then_some(horizon);
            all
        }
        None => vec![start],
    };
    if !extra.is_empty() {
        read.recurs = true;
        starts.extend(extra.into_iter().map(|s| Stamp {
            wall: s.wall,
            zone: s.zone,
            date_only: start.date_only,
        }));
    }
    let mut shifts = vec![];
    for s in starts {
        let at = s.instant().map_err(|e| bad(start_line, e))?;
        let gone = excluded.iter().any(|x| {
            if x.date_only {
                x.wall.date() == s.wall.date()
            } else {
                x.instant().is_ok_and(|t| t == at)
            }
        });
        if gone {
            continue;
        }
        let end = length.end_of(&s).map_err(|e| bad(start_line, e))?;
        // Recurrences reach a year back; a single event is taken as it is.
        if read.recurs && end < now - RECURRENCE_REACH {
            continue;
        }
        shifts.push((s, end));
    }
    shifts.sort_by_key(|(s, _)| s.instant().ok());
    shifts.dedup_by_key(|(s, _)| s.instant().ok());
    read.shifts = Ok(shifts);
    Ok(read)
}

/// Every event of the file read into occurrences, the `RECURRENCE-ID`
/// events in place of the occurrences they replace.
pub(super) fn interpret(
    events: &[RawEvent],
    zones: &Zones,
    now: DateTime<Utc>,
) -> Result<Parsed, Malformed> {
    let mut budget = MAX_PERIODS;
    let reads = events
        .iter()
        .map(|e| read(e, zones, now, &mut budget))
        .collect::<Result<Vec<_>, _>>()?;
    // The occurrence UIDs that a RECURRENCE-ID event replaces.
    let replaced: HashMap<String, usize> = reads
        .iter()
        .filter_map(|r| Some((format!("{}/{}", r.uid, compact(r.replaces?)), r.line)))
        .collect();
    let mut parsed = Parsed::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in &reads {
        let single_uid = match r.replaces {
            Some(at) => format!("{}/{}", r.uid, compact(at)),
            None => r.uid.clone(),
        };
        if let Some(first) = seen.insert(single_uid.clone(), r.line) {
            return Err(Malformed::at(
                r.line,
                format!("the UID {single_uid:?} is already the event of line {first}"),
            ));
        }
        let skip = |uid: String, reason: String| Skipped {
            uid,
            line: r.line,
            summary: r.summary.clone(),
            reason,
        };
        let shifts = match &r.shifts {
            Ok(s) => s,
            Err(reason) => {
                parsed.skipped.push(skip(single_uid, reason.clone()));
                continue;
            }
        };
        for (start, ends) in shifts {
            let starts = start.instant().map_err(|e| Malformed::at(r.line, e))?;
            let uid = if r.recurs {
                format!("{}/{}", r.uid, compact(starts))
            } else {
                single_uid.clone()
            };
            if r.replaces.is_none() && replaced.contains_key(&uid) {
                continue;
            }
            if let Err(reason) = check_span(starts, *ends) {
                let reason = if reason.contains("14 days") {
                    "it lasts longer than 14 days, the longest a shift may be".to_owned()
                } else {
                    "it ends before it starts".to_owned()
                };
                parsed.skipped.push(skip(uid, reason));
                continue;
            }
            if parsed.occurrences.len() >= MAX_SHIFTS {
                return Err(Malformed::at(
                    r.line,
                    format!("the file gives more than {MAX_SHIFTS} shifts; import a shorter span"),
                ));
            }
            parsed.occurrences.push(Occurrence {
                uid,
                line: r.line,
                starts,
                ends: *ends,
                hints: r.hints.clone(),
            });
        }
        if let Some(horizon) = r.beyond {
            parsed.skipped.push(skip(
                r.uid.clone(),
                format!(
                    "it recurs beyond {}: occurrences more than a year ahead are not imported yet (import the file again later)",
                    horizon.format("%Y-%m-%d")
                ),
            ));
        }
    }
    Ok(parsed)
}
