//! "Your future changed": what a change to the schedule did to each
//! person's next [`HORIZON`] of shifts. The final schedule is read before
//! and after the change (in its transaction, by `db::models::future`), and
//! [`diff`] says, person by person, which of their shifts went and which
//! came. This is the only place that compares two schedules.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How far ahead a change is looked at.
pub const HORIZON: Duration = Duration::days(14);

/// Time on call shorter than this is left out: the moment between reading
/// the clock and a change taking effect "from now" is no one's shift.
pub const SLIVER: Duration = Duration::minutes(1);

/// A stretch of time someone is on call in a role (within the window).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    /// When it starts (first, so that spans sort by time).
    pub starts: DateTime<Utc>,
    /// When it ends.
    pub ends: DateTime<Utc>,
    /// The rotation role.
    pub role: String,
}

/// What changed for one person: their spans that are gone, and the ones
/// that replace them (each by start).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// On call before the change, and no longer so.
    pub before: Vec<Span>,
    /// On call after the change, and not before.
    pub after: Vec<Span>,
}

/// One person's time on call in `[from, to)`: each shift cut to the window,
/// and the pieces of one role that touch or overlap joined (a derived
/// shift cut by an override is still one stretch for its person), by start;
/// a stretch shorter than [`SLIVER`] is left out.
pub fn on_call_spans(
    shifts: impl IntoIterator<Item = Span>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Span> {
    type Pieces = Vec<(DateTime<Utc>, DateTime<Utc>)>;
    let mut by_role: BTreeMap<String, Pieces> = BTreeMap::new();
    for s in shifts {
        let (starts, ends) = (s.starts.max(from), s.ends.min(to));
        if starts < ends {
            by_role.entry(s.role).or_default().push((starts, ends));
        }
    }
    let mut out = vec![];
    for (role, mut pieces) in by_role {
        pieces.sort();
        let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
        for (s, e) in pieces {
            current = match current {
                Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                Some((cs, ce)) => {
                    out.push(Span {
                        starts: cs,
                        ends: ce,
                        role: role.clone(),
                    });
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some((starts, ends)) = current {
            out.push(Span {
                starts,
                ends,
                role: role.clone(),
            });
        }
    }
    out.retain(|s| s.ends - s.starts >= SLIVER);
    out.sort();
    out
}

/// What changed for each person between two readings of the schedule of
/// `[from, to)` (shifts as `(user id, span)`): only the people whose time on
/// call differs, by user id.
pub fn diff(
    before: &[(String, Span)],
    after: &[(String, Span)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> BTreeMap<String, Change> {
    let people: BTreeSet<&String> = before.iter().chain(after).map(|(u, _)| u).collect();
    let of = |all: &[(String, Span)], user: &String| {
        on_call_spans(
            all.iter()
                .filter(|(u, _)| u == user)
                .map(|(_, s)| s.clone()),
            from,
            to,
        )
    };
    let mut out = BTreeMap::new();
    for user in people {
        let (b, a) = (of(before, user), of(after, user));
        if a == b {
            continue;
        }
        let change = Change {
            before: b.iter().filter(|s| !a.contains(s)).cloned().collect(),
            after: a.iter().filter(|s| !b.contains(s)).cloned().collect(),
        };
        out.insert(user.clone(), change);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 8, 0, 0, 0).unwrap() + Duration::hours(i64::from(h))
    }

    fn span(role: &str, s: u32, e: u32) -> Span {
        Span {
            starts: t(s),
            ends: t(e),
            role: role.into(),
        }
    }

    #[test]
    fn pieces_of_one_role_are_joined_and_cut_to_the_window() {
        let spans = on_call_spans(
            [
                span("EOC", 8, 14),
                span("EOC", 14, 16),
                span("IMOC", 10, 12),
                span("EOC", 20, 40),
            ],
            t(0),
            t(24),
        );
        assert_eq!(
            spans,
            vec![
                span("EOC", 8, 16),
                span("IMOC", 10, 12),
                span("EOC", 20, 24)
            ]
        );
    }

    #[test]
    fn a_covered_afternoon_is_gone_for_one_person_and_new_for_the_other() {
        let before = vec![("alice".to_owned(), span("EOC", 8, 16))];
        let after = vec![
            ("alice".to_owned(), span("EOC", 8, 14)),
            ("bob".to_owned(), span("EOC", 14, 16)),
        ];
        let changes = diff(&before, &after, t(0), t(24));
        assert_eq!(changes.len(), 2);
        assert_eq!(
            changes["alice"],
            Change {
                before: vec![span("EOC", 8, 16)],
                after: vec![span("EOC", 8, 14)],
            }
        );
        assert_eq!(
            changes["bob"],
            Change {
                before: vec![],
                after: vec![span("EOC", 14, 16)],
            }
        );
    }

    #[test]
    fn the_same_time_on_call_in_other_pieces_is_no_change() {
        let before = vec![
            ("alice".to_owned(), span("EOC", 8, 12)),
            ("alice".to_owned(), span("EOC", 12, 16)),
        ];
        let after = vec![("alice".to_owned(), span("EOC", 8, 16))];
        assert!(diff(&before, &after, t(0), t(24)).is_empty());
        // A change beyond the window is no change either.
        let later = vec![("alice".to_owned(), span("EOC", 30, 34))];
        assert!(diff(&[], &later, t(0), t(24)).is_empty());
        // Nor is a moment left of a shift that a change "from now" ended.
        let moment = Span {
            starts: t(8),
            ends: t(8) + Duration::milliseconds(40),
            role: "EOC".into(),
        };
        assert!(diff(&[], &[("alice".to_owned(), moment)], t(0), t(24)).is_empty());
    }
}
