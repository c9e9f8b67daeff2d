//! The chat settings: incoming webhooks and escalation.

use super::{ChatTarget, Secret, parse_duration};

/// The default of `BATON_ESCALATE_AFTER`.
pub const DEFAULT_ESCALATE_AFTER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The default of `BATON_ESCALATE_MAX`.
pub const DEFAULT_ESCALATE_MAX: u32 = 3;

/// Chat notifications and escalation of unacknowledged passes.
#[derive(Debug, Clone)]
pub struct Chat {
    /// The Slack incoming webhook.
    pub slack: Option<Secret>,
    /// The Mattermost incoming webhook.
    pub mattermost: Option<Secret>,
    /// How long a pass waits before it escalates.
    pub escalate_after: std::time::Duration,
    /// The role whose person on call an escalation names.
    pub escalate_to_role: String,
    /// The most escalations of one pass.
    pub escalate_max: u32,
}

impl Chat {
    /// Reads the chat settings; the message names the variable.
    pub(super) fn from_values<'a>(get: &dyn Fn(&str) -> Option<&'a str>) -> Result<Chat, String> {
        let escalate_after = match get("BATON_ESCALATE_AFTER") {
            Some(text) => parse_duration(text).map_err(|e| format!("BATON_ESCALATE_AFTER: {e}"))?,
            None => DEFAULT_ESCALATE_AFTER,
        };
        let escalate_to_role = get("BATON_ESCALATE_TO_ROLE").unwrap_or("IMOC").to_owned();
        crate::domain::shift::parse_rotation_role(&escalate_to_role)
            .map_err(|e| format!("BATON_ESCALATE_TO_ROLE: {e}"))?;
        let escalate_max = match get("BATON_ESCALATE_MAX") {
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 100)
                .ok_or_else(|| {
                    format!("BATON_ESCALATE_MAX: {text:?} is not a whole number from 0 to 100")
                })?,
            None => DEFAULT_ESCALATE_MAX,
        };
        Ok(Chat {
            slack: webhook_url("BATON_SLACK_WEBHOOK_URL", get("BATON_SLACK_WEBHOOK_URL"))?,
            mattermost: webhook_url(
                "BATON_MATTERMOST_WEBHOOK_URL",
                get("BATON_MATTERMOST_WEBHOOK_URL"),
            )?,
            escalate_after,
            escalate_to_role,
            escalate_max,
        })
    }

    /// The configured chat targets, in a fixed order.
    pub fn targets(&self) -> Vec<ChatTarget> {
        let mut targets = vec![];
        if self.slack.is_some() {
            targets.push(ChatTarget::Slack);
        }
        if self.mattermost.is_some() {
            targets.push(ChatTarget::Mattermost);
        }
        targets
    }

    /// The webhook URL of `target`, if configured.
    pub fn url(&self, target: ChatTarget) -> Option<&Secret> {
        match target {
            ChatTarget::Slack => self.slack.as_ref(),
            ChatTarget::Mattermost => self.mattermost.as_ref(),
        }
    }
}

/// The host (and port) of a webhook URL: what pages may show of it.
pub fn url_host(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => "?".into(),
        },
        Err(_) => "?".into(),
    }
}

/// Reads a webhook URL: http(s) with a host; the message names the variable
/// and never the URL (its path is the secret).
fn webhook_url(name: &str, text: Option<&str>) -> Result<Option<Secret>, String> {
    let Some(text) = text else {
        return Ok(None);
    };
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(Some(Secret(text.to_owned())))
        }
        _ => Err(format!(
            "{name} must be an http(s) URL (an incoming webhook's address)"
        )),
    }
}
