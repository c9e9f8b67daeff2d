//! The final schedule as an iCalendar feed (RFC 5545), written by the
//! `icalendar` crate (CRLF, lines folded at 75 octets, text escaped).
//! Each shift keeps its `UID` across fetches; `SEQUENCE` grows whenever a
//! change shaped it again; times are UTC; events are `TRANSP:TRANSPARENT`
//! so that a week on call does not show its owner busy.

use chrono::{DateTime, TimeZone, Utc};
use icalendar::{Calendar, Component, EventLike};

use crate::domain::rotation::{Scheduled, Source};
use crate::domain::time;

/// A shift of the final schedule with what a feed says of its person.
pub struct FeedShift<'a> {
    /// The shift.
    pub shift: &'a Scheduled,
    /// The person's display name.
    pub name: &'a str,
    /// Their username.
    pub username: &'a str,
    /// Their time zone's name.
    pub zone: &'a str,
}

/// How far ahead a feed reaches by default.
pub const AHEAD_DAYS: i64 = 366;

/// The `SEQUENCE` of a shift last shaped at `changed_at`: seconds since
/// 2026-01-01, which only grows.
fn sequence(changed_at: DateTime<Utc>) -> u32 {
    let epoch = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    u32::try_from((changed_at - epoch).num_seconds().max(0)).unwrap_or(u32::MAX)
}

/// The feed of `shifts`, named `name`; each event links to the week of the
/// shifts page under `public_url` that holds it.
pub fn feed(shifts: &[FeedShift<'_>], public_url: &str, name: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let mut calendar = Calendar::new();
    calendar.name(name);
    for o in shifts {
        let s = &o.shift;
        let from = match &s.source {
            Source::Rotation { name, .. } => format!("Rotation: {name}"),
            Source::Override { .. } => "Override (an explicit shift)".to_owned(),
        };
        let event = icalendar::Event::new()
            .uid(&s.uid())
            .timestamp(s.changed_at)
            .sequence(sequence(s.changed_at))
            .starts(s.starts)
            .ends(s.ends)
            .summary(&format!("{}: {}", s.role, o.name))
            .description(&format!("{from}. {} ({}).", o.username, o.zone))
            .url(&format!(
                "{base}/shifts?week={}",
                time::iso_date(time::Timezone::UTC.date(s.starts))
            ))
            .add_property("TRANSP", "TRANSPARENT")
            .done();
        calendar.push(event);
    }
    calendar.done().to_string()
}
