//! Handoff lists filtered by their linked GitLab issues (`?label=`,
//! repeatable, and `?milestone=`), and the team's rule for the "WoW"
//! milestone.
//!
//! A handoff matches when one of its linked issues carries every label
//! given (GitLab's own `labels=` meaning: all of them; in any case, as
//! GitLab keeps a project's label names unique regardless of case) and, if
//! one is given, is in the milestone with that title (exactly).

use chrono::{DateTime, Datelike, Duration, Utc};

use crate::domain::rejection::Rejection;
use crate::domain::text::check_line;

/// The longest label or milestone title accepted (GitLab's own limit).
pub const MAX_FILTER_CHARS: usize = 255;
/// The most labels one list may be filtered by.
pub const MAX_FILTER_LABELS: usize = 10;
/// The milestone the team plans its week in.
pub const WOW: &str = "WoW";

/// What to filter a handoff list by: labels (all of them) and a milestone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IssueFilter {
    /// Label names, as given (trimmed), without repeats.
    pub labels: Vec<String>,
    /// A milestone's title.
    pub milestone: Option<String>,
}

impl IssueFilter {
    /// The filter of `labels` and `milestone`; `None` when neither is given.
    /// An empty, over-long or invisible-character value is refused, naming
    /// `label` or `milestone`.
    pub fn parse(
        labels: &[String],
        milestone: Option<&str>,
    ) -> Result<Option<IssueFilter>, Rejection> {
        if labels.len() > MAX_FILTER_LABELS {
            return Err(Rejection::invalid(
                "label",
                format!("at most {MAX_FILTER_LABELS} labels at once"),
            ));
        }
        let mut filter = IssueFilter::default();
        for label in labels {
            let label = check("label", "a label", label)?;
            if !filter
                .labels
                .iter()
                .any(|l| l.to_lowercase() == label.to_lowercase())
            {
                filter.labels.push(label);
            }
        }
        filter.milestone = milestone
            .map(|m| check("milestone", "the milestone", m))
            .transpose()?;
        Ok((!filter.labels.is_empty() || filter.milestone.is_some()).then_some(filter))
    }

    /// The labels as the cache keeps them (lower case).
    pub fn label_keys(&self) -> Vec<String> {
        self.labels.iter().map(|l| label_key(l)).collect()
    }
}

/// Every `label` of a query string, in order (empty ones included): a
/// repeated key, which a form's fields cannot hold.
pub fn labels_in(query_string: &str) -> Vec<String> {
    url::form_urlencoded::parse(query_string.as_bytes())
        .filter(|(k, _)| k == "label")
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// A label as the cache keeps it, to compare in any case.
pub fn label_key(label: &str) -> String {
    label.to_lowercase()
}

fn check(field: &str, what: &str, value: &str) -> Result<String, Rejection> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Rejection::invalid(
            field,
            format!("{what} must have a visible character"),
        ));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_FILTER_CHARS {
        return Err(Rejection::invalid(
            field,
            format!("{what} has {chars} characters; at most {MAX_FILTER_CHARS}"),
        ));
    }
    check_line(what, trimmed).map_err(|e| Rejection::invalid(field, e))?;
    Ok(trimmed.to_owned())
}

/// When the week of the WoW milestone started: the milestone's own start
/// when GitLab gives one, else Monday 00:00 UTC of `now`'s week.
pub fn week_start(milestone_start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    milestone_start.unwrap_or_else(|| {
        let days = i64::from(now.weekday().num_days_from_monday());
        let monday = now.date_naive() - Duration::days(days);
        monday.and_time(chrono::NaiveTime::MIN).and_utc()
    })
}

/// The team's rule: an issue added to the "WoW" milestone after the week
/// started carries ~unscheduled (and one with ~outage is unscheduled by
/// definition). Whether the issue breaks it and is shown with a hint.
pub fn added_to_wow_late(
    milestone: Option<&str>,
    labels: &[String],
    added_at: Option<DateTime<Utc>>,
    milestone_start: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let (Some(milestone), Some(added_at)) = (milestone, added_at) else {
        return false;
    };
    let exempt = labels
        .iter()
        .any(|l| l.eq_ignore_ascii_case("unscheduled") || l.eq_ignore_ascii_case("outage"));
    milestone == WOW && !exempt && added_at > week_start(milestone_start, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn labels_and_a_milestone_make_a_filter_and_nothing_makes_none() {
        assert_eq!(IssueFilter::parse(&[], None).unwrap(), None);
        let f = IssueFilter::parse(&v(&["severity::1", " outage ", "Outage"]), Some("WoW"))
            .unwrap()
            .unwrap();
        assert_eq!(f.labels, v(&["severity::1", "outage"]));
        assert_eq!(f.label_keys(), v(&["severity::1", "outage"]));
        assert_eq!(f.milestone.as_deref(), Some("WoW"));
    }

    #[test]
    fn every_label_of_a_query_string_is_read_in_order() {
        assert_eq!(
            labels_in("label=severity%3A%3A1&kind=outage&label=&label=a+b"),
            vec!["severity::1", "", "a b"]
        );
    }

    #[test]
    fn bad_values_are_refused_naming_the_field() {
        for (labels, milestone, field) in [
            (v(&[""]), None, "label"),
            (v(&["  "]), None, "label"),
            (v(&["a\u{0}b"]), None, "label"),
            (vec!["x".repeat(256)], None, "label"),
            (vec!["x".into(); 11], None, "label"),
            (vec![], Some(""), "milestone"),
            (vec![], Some("W\u{202e}oW"), "milestone"),
        ] {
            let err = IssueFilter::parse(&labels, milestone).unwrap_err();
            assert_eq!(err.field(), Some(field), "{labels:?} {milestone:?}");
        }
    }

    #[test]
    fn the_week_starts_on_the_milestone_start_or_on_monday_utc() {
        let now = at("2026-12-02T12:00:00Z"); // a Wednesday
        assert_eq!(week_start(None, now), at("2026-11-30T00:00:00Z"));
        let start = at("2026-12-01T00:00:00Z");
        assert_eq!(week_start(Some(start), now), start);
        assert_eq!(
            week_start(None, at("2026-11-30T00:00:00Z")),
            at("2026-11-30T00:00:00Z")
        );
    }

    #[test]
    fn an_issue_added_to_wow_late_without_unscheduled_breaks_the_rule() {
        let now = at("2026-12-02T12:00:00Z");
        let late = Some(at("2026-12-01T09:00:00Z"));
        let early = Some(at("2026-11-27T09:00:00Z"));
        let wow = Some(WOW);
        assert!(added_to_wow_late(wow, &v(&["database"]), late, None, now));
        assert!(!added_to_wow_late(wow, &v(&["database"]), early, None, now));
        assert!(!added_to_wow_late(
            wow,
            &v(&["Unscheduled"]),
            late,
            None,
            now
        ));
        assert!(!added_to_wow_late(wow, &v(&["outage"]), late, None, now));
        assert!(!added_to_wow_late(Some("16.7"), &[], late, None, now));
        assert!(!added_to_wow_late(wow, &[], None, None, now));
        let start = Some(at("2026-12-01T12:00:00Z"));
        assert!(!added_to_wow_late(wow, &[], late, start, now));
    }
}
