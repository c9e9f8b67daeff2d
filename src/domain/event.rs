//! Production events: the timestamped lines of the on-call log, a
//! `change` or an `incident`, with a title, an optional Markdown body,
//! GitLab issue links (parsed as a handoff's are), an optional handoff, and
//! when it happened. Events are append-only: a correction is a new event
//! that names the one it corrects.
//!
//! The rules of what a person gives, written once for the form and the API.

use chrono::{DateTime, Duration, Utc};

use crate::domain::handoff::{parse_note_body, parse_title};
use crate::domain::handoff_input::check_issue_count;
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::domain::rejection::Rejection;
use crate::domain::text_enum::text_enum;

text_enum!(
    /// What kind of production event.
    EventKind {
        /// A change made to production.
        Change = "change",
        /// Something that went wrong in production.
        Incident = "incident",
    } "event kind"
);

/// How far ahead of the server's clock `occurred_at` may be: clocks differ
/// a little, a future event is a mistake.
pub const MAX_AHEAD: Duration = Duration::minutes(1);

/// What a person gives for a new event, unchecked.
#[derive(Debug, Clone, Default)]
pub struct EventDraft<'a> {
    /// `change` or `incident`.
    pub kind: &'a str,
    /// One line.
    pub title: &'a str,
    /// Markdown, may be empty.
    pub body: &'a str,
    /// Issue links in any form a handoff takes.
    pub issues: Vec<&'a str>,
    /// When it happened; `None` is now.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A new event, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInput {
    /// Its kind.
    pub kind: EventKind,
    /// Its title, whitespace folded.
    pub title: String,
    /// Its body (Markdown), `None` when empty.
    pub body: Option<String>,
    /// The linked issues, each once, in the order given.
    pub issues: Vec<IssueRef>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

impl EventDraft<'_> {
    /// Checks every field against `now` and `gitlab`; the refusal names the
    /// first field that is wrong (`kind`, `title`, `body`, `issues`,
    /// `occurred_at`).
    pub fn check(&self, now: DateTime<Utc>, gitlab: &GitLab) -> Result<EventInput, Rejection> {
        let kind = EventKind::parse(self.kind.trim()).map_err(|_| {
            Rejection::invalid(
                "kind",
                format!("{:?} is not a kind of event: change or incident", self.kind),
            )
        })?;
        let title = parse_title(self.title).map_err(|e| Rejection::invalid("title", e))?;
        let body = if self.body.trim().is_empty() {
            None
        } else {
            Some(parse_note_body("body", self.body)?)
        };
        let mut issues: Vec<IssueRef> = vec![];
        for entry in &self.issues {
            let issue = IssueRef::parse(entry, gitlab)
                .map_err(|e| Rejection::invalid("issues", format!("{entry}: {e}")))?;
            if !issues.contains(&issue) {
                issues.push(issue);
            }
        }
        check_issue_count(issues.len()).map_err(|e| Rejection::invalid("issues", e))?;
        let occurred_at = self.occurred_at.unwrap_or(now);
        if occurred_at > now + MAX_AHEAD {
            return Err(Rejection::invalid(
                "occurred_at",
                "an event cannot happen in the future (more than a minute ahead of now)",
            ));
        }
        Ok(EventInput {
            kind,
            title,
            body,
            issues,
            occurred_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gitlab() -> GitLab {
        GitLab::new("https://gitlab.com", Some("gitlab-com/gl-infra/production")).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-02T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn draft() -> EventDraft<'static> {
        EventDraft {
            kind: "change",
            title: "  Rolled out   the new  load balancer ",
            body: "",
            issues: vec![
                "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/17#note_5",
                "#17",
                "gitlab-org/gitlab#3",
            ],
            occurred_at: None,
        }
    }

    #[test]
    fn a_good_event_is_kept_with_its_title_folded_and_each_issue_once_at_now() {
        let event = draft().check(now(), &gitlab()).unwrap();
        assert_eq!(event.kind, EventKind::Change);
        assert_eq!(event.title, "Rolled out the new load balancer");
        assert_eq!(event.body, None);
        assert_eq!(
            event
                .issues
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>(),
            ["gitlab-com/gl-infra/production#17", "gitlab-org/gitlab#3"]
        );
        assert_eq!(event.occurred_at, now());
    }

    #[test]
    fn each_bad_value_is_refused_naming_its_field() {
        let field = |d: EventDraft| {
            d.check(now(), &gitlab())
                .unwrap_err()
                .field()
                .map(str::to_owned)
        };
        assert_eq!(
            field(EventDraft {
                kind: "outage",
                ..draft()
            })
            .as_deref(),
            Some("kind")
        );
        assert_eq!(
            field(EventDraft {
                title: "   ",
                ..draft()
            })
            .as_deref(),
            Some("title")
        );
        assert_eq!(
            field(EventDraft {
                body: "a\u{0}b",
                ..draft()
            })
            .as_deref(),
            Some("body")
        );
        let elsewhere = EventDraft {
            issues: vec!["https://github.com/o/r/issues/1"],
            ..draft()
        };
        assert_eq!(field(elsewhere).as_deref(), Some("issues"));
        let ahead = EventDraft {
            occurred_at: Some(now() + Duration::seconds(61)),
            ..draft()
        };
        assert_eq!(field(ahead).as_deref(), Some("occurred_at"));
    }

    #[test]
    fn an_event_may_be_in_the_past_or_a_minute_ahead_of_the_clock() {
        for at in [now() - Duration::days(30), now() + Duration::seconds(60)] {
            let d = EventDraft {
                occurred_at: Some(at),
                ..draft()
            };
            assert_eq!(d.check(now(), &gitlab()).unwrap().occurred_at, at);
        }
    }
}
