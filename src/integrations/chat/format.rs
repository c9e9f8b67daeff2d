//! Messages in each platform's format. Slack: `text` plus Block Kit
//! `blocks`; Mattermost: `text` plus an attachment coloured by severity.
//! Both carry the whole message in plain `text`, so that a client reading
//! only `text` misses nothing. A confidential handoff's message tells only
//! what happened, to whom, and the permalink (which asks for sign-in).

use serde_json::{Value, json};

use crate::domain::chat::{ChatTarget, Event, Message, Person};
use crate::domain::time::{TimeView, Timezone, human_duration};

/// The handoff's permalink (Baton's own address for a test message).
pub fn permalink(public_url: &str, message: &Message) -> String {
    if matches!(message.event, Event::CoverTaken { .. }) {
        format!("{public_url}/shifts")
    } else if message.handoff_id.is_empty() {
        format!("{public_url}/")
    } else {
        format!("{public_url}/handoffs/{}", message.handoff_id)
    }
}

/// Text a person or a title gave, made inert for the platform: Slack reads
/// `&`, `<` and `>` as markup; Mattermost would turn `@channel` into a
/// mention of everyone.
fn plain(target: ChatTarget, text: &str) -> String {
    match target {
        ChatTarget::Slack => text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        ChatTarget::Mattermost => text.replace('@', "@\u{200b}"),
    }
}

/// How a person is named: a mention of their chat handle, else their name.
fn mention(target: ChatTarget, person: &Person) -> String {
    let handle = person
        .handle
        .as_deref()
        .map(|h| h.trim().trim_start_matches('@'))
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)));
    match (target, handle) {
        (ChatTarget::Slack, Some(h)) => format!("<@{h}>"),
        (ChatTarget::Mattermost, Some(h)) => format!("@{h}"),
        (_, None) => plain(target, &person.name),
    }
}

/// A recipient with their local time at `message.at`, and whether it is
/// night for them: `@bob (17:00 JST, Asia/Tokyo, night)`.
fn with_local_time(target: ChatTarget, person: &Person, message: &Message) -> String {
    let named = mention(target, person);
    match Timezone::parse(&person.timezone) {
        Ok(zone) => {
            let wall = zone.wall(message.at);
            let night = if zone.is_night(message.at) {
                ", night"
            } else {
                ""
            };
            format!(
                "{named} ({:02}:{:02} {} for them, {}{night})",
                wall.hour(),
                wall.minute(),
                zone.offset_name(message.at),
                zone.name()
            )
        }
        Err(_) => named,
    }
}

/// The message's text, whole.
pub fn text(target: ChatTarget, message: &Message, public_url: &str) -> String {
    let link = permalink(public_url, message);
    let severity = format!("[severity {}]", message.severity);
    let by = message
        .by
        .as_ref()
        .map(|p| mention(target, p))
        .unwrap_or_else(|| "Baton".into());
    if message.confidential {
        let what = match &message.event {
            Event::Opened => format!("a confidential handoff was opened by {by}"),
            Event::Passed { to, .. } => format!(
                "a confidential handoff was passed to {} by {by}",
                with_local_time(target, to, message)
            ),
            Event::Acknowledged { waited_secs } => format!(
                "a confidential handoff was acknowledged by {by} after {}",
                human_duration(chrono::Duration::seconds(*waited_secs))
            ),
            Event::Escalated { .. } => escalation(target, message, "a confidential handoff"),
            Event::Resolved => format!("a confidential handoff was resolved by {by}"),
            Event::IssueClosed { .. } => {
                "an issue linked to a confidential handoff was closed".to_owned()
            }
            Event::Test => "a test message from Baton".to_owned(),
            Event::CoverTaken { .. } => cover(target, message, &by),
        };
        return format!("{severity} {}: {link}", capitalised(&what));
    }
    let title = format!("“{}”", plain(target, &message.title));
    let what = match &message.event {
        Event::Opened => format!("{by} opened {title}"),
        Event::Passed { to, opened } => format!(
            "{by} {} {title} to {}",
            if *opened {
                "opened and passed"
            } else {
                "passed"
            },
            with_local_time(target, to, message)
        ),
        Event::Acknowledged { waited_secs } => format!(
            "{by} acknowledged {title} (the pass waited {})",
            human_duration(chrono::Duration::seconds(*waited_secs))
        ),
        Event::Escalated { .. } => escalation(target, message, &title),
        Event::Resolved => format!("{by} resolved {title}"),
        Event::IssueClosed { issue } => format!(
            "{} was closed in GitLab while {title} is still open",
            plain(target, issue)
        ),
        Event::Test => {
            format!("Test message from Baton, sent by {by}: chat notifications reach this channel")
        }
        Event::CoverTaken { .. } => return format!("{}: {link}", cover(target, message, &by)),
    };
    let excerpt = match (&message.event, message.excerpt.trim()) {
        (Event::Test | Event::IssueClosed { .. }, _) | (_, "") => String::new(),
        (_, excerpt) => format!("\n> {}", plain(target, excerpt).replace('\n', " ")),
    };
    format!("{severity} {what}: {link}{excerpt}")
}

/// A taken cover request's sentence, with its times as the requester reads
/// them: `Bob covers @alice as EOC from Tue 08 Dec 14:00 CET to 18:00 CET
/// (Europe/Amsterdam)`.
fn cover(target: ChatTarget, message: &Message, by: &str) -> String {
    let Event::CoverTaken {
        requester,
        taker,
        role,
        starts,
        ends,
        assigned,
    } = &message.event
    else {
        return String::new();
    };
    let (from, to, zone) = match Timezone::parse(&requester.timezone) {
        Ok(zone) => (
            TimeView::new(*starts, zone).text,
            TimeView::new(*ends, zone).text,
            zone.name().to_owned(),
        ),
        Err(_) => (
            TimeView::new(*starts, Timezone::UTC).text,
            TimeView::new(*ends, Timezone::UTC).text,
            "UTC".to_owned(),
        ),
    };
    let assigned = if *assigned {
        format!(", assigned by {by}")
    } else {
        String::new()
    };
    format!(
        "{} covers {} as {} from {from} to {to} ({zone}{assigned})",
        mention(target, taker),
        mention(target, requester),
        plain(target, role),
    )
}

/// An escalation's sentence about `subject`.
fn escalation(target: ChatTarget, message: &Message, subject: &str) -> String {
    let Event::Escalated {
        to,
        on_call,
        role,
        on_call_now,
        count,
        waited_secs,
    } = &message.event
    else {
        return String::new();
    };
    let waited = human_duration(chrono::Duration::seconds(*waited_secs));
    let role = plain(target, role);
    let whom = match (on_call, on_call_now) {
        (Some(p), true) => format!("{} (on call as {role})", mention(target, p)),
        (Some(p), false) => format!(
            "{} (nobody is on call as {role}; they still hold it)",
            mention(target, p)
        ),
        (None, _) => format!("nobody (no one is on call as {role})"),
    };
    format!(
        "Escalation {count}: the pass of {subject} to {} has waited {waited} unacknowledged; {whom}, please follow up",
        with_local_time(target, to, message)
    )
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Mattermost's attachment colour for a severity.
fn colour(severity: i32) -> &'static str {
    match severity {
        1 => "#c8102e",
        2 => "#e3620b",
        3 => "#d9a400",
        _ => "#3a7d44",
    }
}

/// The request body for `target`.
pub fn render(target: ChatTarget, message: &Message, public_url: &str) -> Value {
    let text = text(target, message, public_url);
    let link = permalink(public_url, message);
    let heading = if message.confidential {
        "Confidential handoff".to_owned()
    } else if message.title.is_empty() {
        "Baton".to_owned()
    } else {
        message.title.clone()
    };
    match target {
        ChatTarget::Slack => json!({
            "text": text,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                {"type": "context", "elements": [
                    {"type": "mrkdwn", "text": format!("severity {} · <{link}|open in Baton>", message.severity)}
                ]}
            ]
        }),
        ChatTarget::Mattermost => json!({
            "text": text,
            "attachments": [{
                "fallback": text,
                "color": colour(message.severity),
                "title": plain(target, &heading),
                "title_link": link,
                "fields": [{"short": true, "title": "Severity", "value": message.severity.to_string()}]
            }]
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn bob() -> Person {
        Person {
            name: "Bob B".into(),
            handle: None,
            timezone: "Asia/Tokyo".into(),
        }
    }

    fn pass(confidential: bool) -> Message {
        Message {
            handoff_id: "0193".into(),
            title: "DB <primary> down".into(),
            severity: 1,
            confidential,
            by: Some(Person {
                name: "Alice".into(),
                handle: Some("U123".into()),
                timezone: "Europe/Amsterdam".into(),
            }),
            // 14:00 UTC is 23:00 in Tokyo.
            at: DateTime::parse_from_rfc3339("2026-12-02T14:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            excerpt: "replica lag 5m".into(),
            event: Event::Passed {
                to: bob(),
                opened: false,
            },
        }
        .guarded()
    }

    #[test]
    fn a_pass_names_the_recipient_with_their_local_time_and_night() {
        let m = pass(false);
        let slack = text(ChatTarget::Slack, &m, "https://baton.example.com");
        assert!(slack.contains("<@U123> passed"), "{slack}");
        assert!(
            slack.contains("Bob B (23:00 JST for them, Asia/Tokyo, night)"),
            "{slack}"
        );
        assert!(
            slack.contains("https://baton.example.com/handoffs/0193"),
            "{slack}"
        );
        assert!(slack.contains("DB &lt;primary&gt; down"), "{slack}");
        let mm = render(ChatTarget::Mattermost, &m, "https://b");
        assert!(mm["text"].as_str().unwrap().contains("@U123 passed"));
        assert_eq!(mm["attachments"][0]["color"], "#c8102e");
        let sl = render(ChatTarget::Slack, &m, "https://b");
        assert_eq!(sl["blocks"][0]["text"]["text"], sl["text"]);
    }

    #[test]
    fn a_confidential_message_tells_no_title_and_no_note() {
        let m = pass(true);
        for target in ChatTarget::ALL {
            let body = render(*target, &m, "https://b").to_string();
            assert!(
                !body.contains("primary") && !body.contains("replica"),
                "{body}"
            );
            assert!(
                body.contains("confidential handoff was passed to Bob B"),
                "{body}"
            );
            assert!(body.contains("https://b/handoffs/0193"), "{body}");
        }
    }
}
