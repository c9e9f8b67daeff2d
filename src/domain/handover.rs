//! The shift summary a handover starts from: what happened during the
//! outgoing engineer's shift (production events, handoffs opened, passed,
//! acknowledged and resolved) and the GitLab outages nobody holds, written
//! as Markdown they can edit before they submit it.

use chrono::{DateTime, Utc};

use crate::domain::event::EventKind;
use crate::domain::handoff::{Kind, Severity};
use crate::domain::time::{TimeView, Timezone};

/// What became of a handoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// It was opened.
    Opened {
        /// Its kind.
        kind: Kind,
        /// Its severity.
        severity: Severity,
    },
    /// It was passed to this person (their name).
    Passed(String),
    /// This person (their name) acknowledged it.
    Acknowledged(String),
    /// It was resolved.
    Resolved,
}

/// One change of a handoff during the shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffChange {
    /// When.
    pub at: DateTime<Utc>,
    /// The handoff.
    pub handoff_id: String,
    /// Its title; `None` for a confidential one, whose title the summary
    /// (shown on the shift log) never carries.
    pub title: Option<String>,
    /// What happened.
    pub change: Change,
}

/// One production event during the shift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Its kind.
    pub kind: EventKind,
    /// Its title.
    pub title: String,
    /// The issues it links, as references.
    pub issues: Vec<String>,
}

/// A GitLab outage that no open handoff links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    /// `group/project#12`.
    pub reference: String,
    /// Its title; `None` for a confidential issue.
    pub title: Option<String>,
    /// Its page on GitLab.
    pub url: String,
}

/// The part of a shift a handover sums up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftSpan {
    /// The role of the shift.
    pub role: String,
    /// Its start.
    pub starts: DateTime<Utc>,
    /// Its end, or now for a shift still going on.
    pub until: DateTime<Utc>,
}

/// A shift and what happened during it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftDigest {
    /// The shift.
    pub shift: ShiftSpan,
    /// The events, oldest first.
    pub events: Vec<EventLine>,
    /// The handoff changes, oldest first.
    pub changes: Vec<HandoffChange>,
    /// The uncovered outages now (empty without GitLab read-back).
    pub outages: Vec<Outage>,
}

impl ShiftDigest {
    /// The summary as Markdown, times in `zone`.
    pub fn markdown(&self, zone: Timezone) -> String {
        let at = |t: DateTime<Utc>| TimeView::new(t, zone).text;
        let mut out = format!(
            "**{} shift**, {} to {}\n",
            escape(&self.shift.role),
            at(self.shift.starts),
            at(self.shift.until)
        );
        out.push_str("\n### Events\n\n");
        if self.events.is_empty() {
            out.push_str("None logged.\n");
        }
        for e in &self.events {
            out.push_str(&format!(
                "- {} {}: {}",
                at(e.at),
                e.kind.as_str(),
                escape(&e.title)
            ));
            if !e.issues.is_empty() {
                out.push_str(&format!(" ({})", e.issues.join(", ")));
            }
            out.push('\n');
        }
        out.push_str("\n### Handoffs\n\n");
        if self.changes.is_empty() {
            out.push_str("No handoff was opened, passed, acknowledged or resolved.\n");
        }
        for c in &self.changes {
            let link = match &c.title {
                Some(title) => format!("[{}](/handoffs/{})", escape(title), c.handoff_id),
                None => format!("[a confidential handoff](/handoffs/{})", c.handoff_id),
            };
            let what = match &c.change {
                Change::Opened { kind, severity } => format!(
                    "opened {link} ({}, severity {})",
                    kind.label(),
                    severity.get()
                ),
                Change::Passed(to) => format!("passed {link} to {}", escape(to)),
                Change::Acknowledged(by) => format!("{} acknowledged {link}", escape(by)),
                Change::Resolved => format!("resolved {link}"),
            };
            out.push_str(&format!("- {} {what}\n", at(c.at)));
        }
        if !self.outages.is_empty() {
            out.push_str("\n### GitLab outages nobody holds\n\n");
            for o in &self.outages {
                let title = o
                    .title
                    .as_deref()
                    .map_or_else(|| "confidential issue".to_owned(), escape);
                out.push_str(&format!("- [{}]({}) {title}\n", o.reference, o.url));
            }
        }
        out
    }
}

/// `text` with Markdown's inline punctuation escaped, so that a title
/// shows as typed (a `*` or a `[` in it starts no emphasis and no link;
/// an issue reference such as `#12` still links).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn digest() -> ShiftDigest {
        ShiftDigest {
            shift: ShiftSpan {
                role: "EOC".into(),
                starts: t("2026-12-02T08:00:00Z"),
                until: t("2026-12-02T16:00:00Z"),
            },
            events: vec![EventLine {
                at: t("2026-12-02T09:15:00Z"),
                kind: EventKind::Change,
                title: "Deployed *16.3* to canary".into(),
                issues: vec!["infra/ops#12".into()],
            }],
            changes: vec![
                HandoffChange {
                    at: t("2026-12-02T10:00:00Z"),
                    handoff_id: "h1".into(),
                    title: Some("Disk [full]".into()),
                    change: Change::Opened {
                        kind: Kind::Outage,
                        severity: Severity::new(2).unwrap(),
                    },
                },
                HandoffChange {
                    at: t("2026-12-02T11:00:00Z"),
                    handoff_id: "h2".into(),
                    title: None,
                    change: Change::Passed("Bob Example".into()),
                },
            ],
            outages: vec![],
        }
    }

    #[test]
    fn the_summary_names_each_event_and_change_at_its_local_time() {
        let text = digest().markdown(Timezone::parse("Europe/Berlin").unwrap());
        assert!(
            text.starts_with("**EOC shift**, Wed 02 Dec 09:00 CET to Wed 02 Dec 17:00 CET"),
            "{text}"
        );
        assert!(
            text.contains(
                "- Wed 02 Dec 10:15 CET change: Deployed \\*16.3\\* to canary (infra/ops#12)"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "- Wed 02 Dec 11:00 CET opened [Disk \\[full\\]](/handoffs/h1) (Outage, severity 2)"
            ),
            "{text}"
        );
        assert!(
            text.contains("passed [a confidential handoff](/handoffs/h2) to Bob Example"),
            "{text}"
        );
        assert!(!text.contains("outages nobody holds"), "{text}");
    }

    #[test]
    fn an_empty_shift_says_so() {
        let mut empty = digest();
        empty.events.clear();
        empty.changes.clear();
        let text = empty.markdown(Timezone::parse("UTC").unwrap());
        assert!(text.contains("None logged."), "{text}");
        assert!(text.contains("No handoff was opened"), "{text}");
    }
}
