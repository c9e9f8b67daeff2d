use chrono::{DateTime, Utc};

use super::*;
use crate::domain::time;

fn at(text: &str) -> DateTime<Utc> {
    time::parse_rfc3339(text).unwrap()
}

const NOW: &str = "2026-12-02T12:00:00Z";

/// A Google-style export: a VTIMEZONE, a weekly rule with an EXDATE and a
/// moved occurrence, folded lines, an all-day event, a cancelled one.
const SAMPLE: &str = "BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
X-WR-TIMEZONE:Europe/Amsterdam\r
BEGIN:VTIMEZONE\r
TZID:Europe/Amsterdam\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
DTSTART:19701025T030000\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
DTSTART;TZID=Europe/Amsterdam:20261207T090000\r
DTEND;TZID=Europe/Amsterdam:20261207T170000\r
RRULE:FREQ=WEEKLY;COUNT=4\r
EXDATE;TZID=Europe/Amsterdam:20261214T090000\r
UID:weekly-1@google.com\r
ATTENDEE;CN=Alice Example;PARTSTAT=ACCEPTED:mailto:alice@example.co\r
 m\r
SUMMARY:EOC\r
BEGIN:VALARM\r
ACTION:DISPLAY\r
DESCRIPTION:carol\r
END:VALARM\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20261221T100000Z\r
DTEND:20261221T180000Z\r
RECURRENCE-ID;TZID=Europe/Amsterdam:20261221T090000\r
UID:weekly-1@google.com\r
SUMMARY:EOC (moved)\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261225\r
UID:xmas@google.com\r
SUMMARY:Christmas Eve cover: \r
 bob\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20261201T000000Z\r
DTEND:20261231T000000Z\r
UID:long@google.com\r
SUMMARY:bob all month\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART:20261210T000000Z\r
DURATION:PT8H\r
STATUS:CANCELLED\r
UID:gone@google.com\r
SUMMARY:bob\r
END:VEVENT\r
END:VCALENDAR\r
";

#[test]
fn a_real_world_export_gives_its_occurrences_in_utc_and_says_what_it_skips() {
    let parsed = parse(SAMPLE, at(NOW)).unwrap();
    let got: Vec<(&str, String, String)> = parsed
        .occurrences
        .iter()
        .map(|o| {
            (
                o.uid.as_str(),
                time::rfc3339(o.starts),
                time::rfc3339(o.ends),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "weekly-1@google.com/20261207T080000Z",
                "2026-12-07T08:00:00Z".into(),
                "2026-12-07T16:00:00Z".into()
            ),
            (
                "weekly-1@google.com/20261228T080000Z",
                "2026-12-28T08:00:00Z".into(),
                "2026-12-28T16:00:00Z".into()
            ),
            (
                "weekly-1@google.com/20261221T080000Z",
                "2026-12-21T10:00:00Z".into(),
                "2026-12-21T18:00:00Z".into()
            ),
            // A date is a day of the calendar's own zone.
            (
                "xmas@google.com",
                "2026-12-23T23:00:00Z".into(),
                "2026-12-24T23:00:00Z".into()
            ),
        ]
    );
    assert_eq!(
        parsed.occurrences[0].hints.attendees,
        [(
            "alice@example.com".to_owned(),
            Some("Alice Example".to_owned())
        )]
    );
    assert_eq!(
        parsed.occurrences[3].hints.summary,
        "Christmas Eve cover: bob"
    );
    let skipped: Vec<(&str, usize, &str)> = parsed
        .skipped
        .iter()
        .map(|s| (s.uid.as_str(), s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "long@google.com",
                41,
                "it lasts longer than 14 days, the longest a shift may be"
            ),
            ("gone@google.com", 47, "it is cancelled"),
        ]
    );
}

#[test]
fn reading_the_same_file_twice_gives_the_same_uids() {
    let first = parse(SAMPLE, at(NOW)).unwrap();
    let again = parse(SAMPLE, at("2026-12-03T12:00:00Z")).unwrap();
    assert_eq!(first, again);
}

#[test]
fn a_rule_without_an_end_reaches_a_year_ahead_and_says_so() {
    let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:d\nDTSTART:20261203T000000Z\nDURATION:PT8H\nRRULE:FREQ=DAILY\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n";
    let parsed = parse(text, at(NOW)).unwrap();
    assert_eq!(parsed.occurrences.len(), 365);
    assert_eq!(parsed.skipped.len(), 1);
    assert!(
        parsed.skipped[0].reason.contains("beyond 2027-12-02"),
        "{:?}",
        parsed.skipped
    );
    // And no further back than a year.
    let text = text.replace("20261203T000000Z", "20201203T000000Z");
    let parsed = parse(&text, at(NOW)).unwrap();
    assert_eq!(parsed.occurrences.len(), 365 + 365);
}

#[test]
fn a_malformed_file_is_refused_with_the_line_of_the_problem() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "no BEGIN:VCALENDAR"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:2026120\n 7T0900Z\nEND:VEVENT\nEND:VCALENDAR",
            4,
            "not a date",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20261207T090000Z\nEND:VTODO\nEND:VCALENDAR",
            5,
            "still open",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20261207T090000Z\nEND:VEVENT\n",
            5,
            "ends before",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261207T090000Z\nEND:VEVENT\nEND:VCALENDAR",
            2,
            "no UID",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20261207T090000Z\nRRULE:FREQ=DAILY;COUNT=x\nEND:VEVENT\nEND:VCALENDAR",
            5,
            "COUNT",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nSUMMARY:a\n\n folded after a blank\nEND:VEVENT\nEND:VCALENDAR",
            6,
            "continues nothing",
        ),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20261207T090000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:a\nDTSTART:20261207T090000Z\nEND:VEVENT\nEND:VCALENDAR",
            6,
            "already the event of line 2",
        ),
    ];
    for (text, line, words) in cases {
        let err = parse(text, at(NOW)).unwrap_err();
        assert_eq!(err.line, *line, "{text:?}: {err}");
        assert!(err.message.contains(words), "{text:?}: {err}");
    }
}

#[test]
fn an_unknown_zone_or_an_unsupported_rule_skips_only_that_event() {
    let text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART;TZID=Mars/Olympus:20261207T090000\nDURATION:PT1H\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nDTSTART:20261207T090000Z\nDURATION:PT1H\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1\nEND:VEVENT\nBEGIN:VEVENT\nUID:c\nDTSTART:20261207T090000Z\nEND:VEVENT\nEND:VCALENDAR";
    let parsed = parse(text, at(NOW)).unwrap();
    assert!(parsed.occurrences.is_empty());
    let reasons: Vec<&str> = parsed.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(reasons[0].contains("Mars/Olympus"), "{reasons:?}");
    assert!(reasons[1].contains("BYSETPOS"), "{reasons:?}");
    assert!(reasons[2].contains("no end"), "{reasons:?}");
}

#[test]
fn rules_that_reach_too_far_are_refused_not_expanded_for_ever() {
    let event = |i: usize| {
        format!(
            "BEGIN:VEVENT\nUID:{i}\nDTSTART:18000101T000000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\nEND:VEVENT\n"
        )
    };
    let text = format!("BEGIN:VCALENDAR\n{}{}END:VCALENDAR\n", event(1), event(2));
    let err = parse(&text, at(NOW)).unwrap_err();
    assert!(err.message.contains("reach further"), "{err}");
    assert_eq!(err.line, 6, "{err}");
}
