//! Chat notifications as facts: where they go ([`ChatTarget`]) and what
//! happened ([`Message`]). The outbox stores a message as JSON in the
//! transaction of the change; `integrations::chat` renders it for each
//! platform when it is sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::text_enum::text_enum;

text_enum!(
    /// A chat platform Baton posts to, through its incoming webhook.
    ChatTarget {
        /// Slack (`text` plus Block Kit `blocks`).
        Slack = "slack",
        /// Mattermost (`text` plus `attachments`).
        Mattermost = "mattermost",
    } "chat target"
);

/// The longest chat handle, in characters.
pub const MAX_HANDLE_CHARS: usize = 64;

/// A chat handle as people give it (`U024BE7LH`, `bob`, `@bob.smith`):
/// letters, digits, `.`, `_` and `-`, at most [`MAX_HANDLE_CHARS`]; a
/// leading `@` is dropped. Blank means none.
pub fn parse_handle(text: &str) -> Result<Option<String>, String> {
    let handle = text.trim().trim_start_matches('@');
    if handle.is_empty() {
        return Ok(None);
    }
    if handle.chars().count() > MAX_HANDLE_CHARS {
        return Err(format!(
            "a chat handle is at most {MAX_HANDLE_CHARS} characters"
        ));
    }
    if !handle
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(
            "a chat handle uses letters, digits, '.', '_' and '-' (a Slack member id such as U024BE7LH, or a Mattermost username)"
                .into(),
        );
    }
    Ok(Some(handle.to_owned()))
}

/// A person a message names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// Their chat handle, if their profile has one (mentioned instead of the name).
    pub handle: Option<String>,
    /// Their IANA time zone.
    pub timezone: String,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A handoff was opened (without a pass).
    Opened,
    /// A pass to `to` (`opened`: with the handoff's first note).
    Passed {
        /// The incoming.
        to: Person,
        /// Whether the handoff was opened with this pass.
        opened: bool,
    },
    /// The pending recipient took the handoff, after waiting this long.
    Acknowledged {
        /// How long the pass waited, in seconds.
        waited_secs: i64,
    },
    /// A pass left unacknowledged was announced again.
    Escalated {
        /// The incoming who has not acknowledged.
        to: Person,
        /// Who is on call in the escalation role (or held it last).
        on_call: Option<Person>,
        /// The escalation role.
        role: String,
        /// Whether `on_call` is on call now (else: the previous holder).
        on_call_now: bool,
        /// Which escalation of this pass (1, 2, …).
        count: i32,
        /// How long the pass has waited, in seconds.
        waited_secs: i64,
    },
    /// The handoff was resolved.
    Resolved,
    /// A GitLab issue the open handoff links was closed.
    IssueClosed {
        /// The issue's reference, `group/project#123`.
        issue: String,
    },
    /// A test message from /admin/settings.
    Test,
    /// A cover request was taken: `taker` is on call instead of `requester`.
    CoverTaken {
        /// Who asked for cover.
        requester: Person,
        /// Who covers.
        taker: Person,
        /// The rotation role.
        role: String,
        /// When the cover starts.
        starts: DateTime<Utc>,
        /// When it ends.
        ends: DateTime<Utc>,
        /// Whether an admin chose the taker (`by` is the admin).
        assigned: bool,
    },
}

/// A message to chat: the handoff, who did it, when, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The handoff (empty for a test message).
    pub handoff_id: String,
    /// Its title (empty for a confidential handoff: never stored for chat).
    pub title: String,
    /// 1 to 4.
    pub severity: i32,
    /// Whether the handoff is confidential: only its permalink is told.
    pub confidential: bool,
    /// Who did it.
    pub by: Option<Person>,
    /// When.
    pub at: DateTime<Utc>,
    /// The newest note's excerpt (never for a confidential handoff).
    pub excerpt: String,
    /// What happened.
    pub event: Event,
}

impl Message {
    /// The message with everything a confidential handoff must not tell
    /// left out (when it is confidential).
    pub fn guarded(mut self) -> Message {
        if self.confidential {
            self.title.clear();
            self.excerpt.clear();
        }
        self
    }
}

/// How long to wait before trying a failed message again: the longer of
/// the platform's `Retry-After` and `15 s × 2^(attempts-1)` (at most an
/// hour), plus up to a fifth more of jitter (`jitter` in 0..1).
pub fn backoff(
    attempts: i32,
    retry_after: Option<std::time::Duration>,
    jitter: f64,
) -> std::time::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let base = std::time::Duration::from_secs(15)
        .saturating_mul(1u32 << exponent)
        .min(std::time::Duration::from_secs(3600));
    let wait = base.max(retry_after.unwrap_or_default());
    wait + wait.mul_f64(jitter.clamp(0.0, 1.0) / 5.0)
}

/// How long a pass of `severity` waits before it escalates: `after`, or a
/// third of it for severity 1.
pub fn escalation_period(severity: i32, after: std::time::Duration) -> std::time::Duration {
    if severity == 1 { after / 3 } else { after }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_from_fifteen_seconds_to_an_hour_and_honours_retry_after() {
        assert_eq!(backoff(1, None, 0.0), Duration::from_secs(15));
        assert_eq!(backoff(2, None, 0.0), Duration::from_secs(30));
        assert_eq!(backoff(3, None, 0.0), Duration::from_secs(60));
        assert_eq!(backoff(30, None, 0.0), Duration::from_secs(3600));
        assert_eq!(
            backoff(1, Some(Duration::from_secs(120)), 0.0),
            Duration::from_secs(120)
        );
        assert_eq!(backoff(1, None, 1.0), Duration::from_secs(18));
    }

    #[test]
    fn a_chat_handle_is_a_plain_name_or_nothing() {
        assert_eq!(parse_handle(" @bob.smith "), Ok(Some("bob.smith".into())));
        assert_eq!(parse_handle("U024BE7LH"), Ok(Some("U024BE7LH".into())));
        assert_eq!(parse_handle("  "), Ok(None));
        assert!(parse_handle("<!channel>").is_err());
        assert!(parse_handle(&"x".repeat(65)).is_err());
    }

    #[test]
    fn severity_one_escalates_after_a_third() {
        let after = Duration::from_secs(900);
        assert_eq!(escalation_period(1, after), Duration::from_secs(300));
        assert_eq!(escalation_period(2, after), after);
    }

    #[test]
    fn a_confidential_message_keeps_no_title_or_excerpt() {
        let m = Message {
            handoff_id: "h".into(),
            title: "Secret DB".into(),
            severity: 2,
            confidential: true,
            by: None,
            at: DateTime::<Utc>::UNIX_EPOCH,
            excerpt: "details".into(),
            event: Event::Resolved,
        }
        .guarded();
        assert!(m.title.is_empty() && m.excerpt.is_empty());
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("Secret"), "{json}");
    }
}
