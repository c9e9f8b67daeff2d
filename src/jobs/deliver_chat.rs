//! `deliver_chat_slack`, `deliver_chat_mattermost`: sends the outbox's
//! messages to one chat webhook each (so that a dead Slack never holds up
//! Mattermost).
//!
//! Each step marks messages whose sender vanished mid-send as `unknown`,
//! claims the oldest due message of each handoff (one statement, committed
//! as `sending` before the call), posts it, and records the outcome: 2xx
//! delivered; no answer, a timeout, a 5xx or a 429 pending again after
//! `max(Retry-After, min(1 h, 15 s × 2^n))` plus jitter, for 24 hours; any
//! other refusal dead. No transaction is open during the call. The job
//! looks for work every second, and at once when a write rings the
//! doorbell.

use std::time::Duration;

use crate::config::Settings;
use crate::db::DbConnection;
use crate::db::models::outbox::{self, Claimed, Doorbell, Outcome};
use crate::domain::chat::{ChatTarget, Message, backoff};
use crate::integrations::chat::{ChatClient, Sent};
use crate::jobs::{Cycle, Job, Next};

/// How long a claimed message may take to send before it counts as lost
/// (`unknown`); well over the client's timeout.
const SENDING_LEASE: chrono::Duration = chrono::Duration::seconds(30);
/// The longest wait between two looks for work.
const IDLE: Duration = Duration::from_secs(1);

/// The job for one target.
pub struct DeliverChat {
    target: ChatTarget,
    settings: Settings,
    bell: Doorbell,
    registered: bool,
    owner: String,
    /// Built on the job's own thread at its first step.
    client: Option<ChatClient>,
}

impl DeliverChat {
    /// The job for `target` (which `settings` must configure).
    pub fn new(target: ChatTarget, settings: Settings, bell: Doorbell) -> DeliverChat {
        DeliverChat {
            target,
            settings,
            bell,
            registered: false,
            owner: uuid::Uuid::new_v4().to_string(),
            client: None,
        }
    }

    fn client(&mut self) -> Option<&ChatClient> {
        if self.client.is_none() {
            let url = self.settings.chat.url(self.target)?.clone();
            match ChatClient::new(self.target, url, &self.settings.public_url) {
                Ok(client) => self.client = Some(client),
                Err(e) => tracing::error!(target = %self.target, error = %e, "no chat client"),
            }
        }
        self.client.as_ref()
    }

    /// Sends one claimed message; what became of it.
    fn send(&mut self, claimed: &Claimed) -> Outcome {
        let message: Message = match serde_json::from_str(&claimed.payload) {
            Ok(m) => m,
            Err(e) => return Outcome::Dead(format!("an unreadable message: {e}")),
        };
        let Some(client) = self.client() else {
            return Outcome::Retry(Duration::from_secs(60), "no chat client".into());
        };
        let jitter = {
            let mut byte = [0u8; 1];
            getrandom::fill(&mut byte)
                .map(|_| f64::from(byte[0]) / 255.0)
                .unwrap_or(0.5)
        };
        match client.send(&message) {
            Sent::Delivered => Outcome::Delivered,
            Sent::RetryAfter(wait) => Outcome::Retry(
                backoff(claimed.attempts, Some(wait), jitter),
                format!("rate limited (429, Retry-After {} s)", wait.as_secs()),
            ),
            Sent::Retry(why) => Outcome::Retry(backoff(claimed.attempts, None, jitter), why),
            Sent::Dead(why) => Outcome::Dead(why),
        }
    }
}

impl Job for DeliverChat {
    fn name(&self) -> &'static str {
        match self.target {
            ChatTarget::Slack => "deliver_chat_slack",
            ChatTarget::Mattermost => "deliver_chat_mattermost",
        }
    }

    fn idle(&self) -> Duration {
        IDLE
    }

    /// Each message is claimed on its own (`FOR UPDATE SKIP LOCKED` on
    /// PostgreSQL), so every instance delivers at once.
    fn leased(&self) -> bool {
        false
    }

    fn due(&mut self, conn: &mut DbConnection) -> Result<bool, String> {
        if !self.registered {
            // `due` runs on the job's own thread: the doorbell wakes it.
            self.bell.register_current();
            self.registered = true;
        }
        outbox::any_due(conn, self.target.as_str()).map_err(|e| e.to_string())
    }

    fn step(&mut self, cycle: &Cycle<'_>) -> Next {
        let claimed = {
            let Ok(mut conn) = cycle.db.conn() else {
                return Next::Idle;
            };
            if let Err(e) = outbox::sweep_expired(&mut conn) {
                tracing::warn!(error = %e, "cannot mark lost chat messages");
            }
            match outbox::claim(
                &mut conn,
                self.target.as_str(),
                &self.owner,
                SENDING_LEASE,
                1,
            ) {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim chat messages");
                    return Next::Idle;
                }
            }
        };
        if claimed.is_empty() {
            return Next::Idle;
        }
        for message in &claimed {
            let outcome = if cycle.stopping() {
                Outcome::Retry(Duration::ZERO, "not sent yet: Baton was stopping".into())
            } else {
                self.send(message)
            };
            match &outcome {
                Outcome::Delivered => {
                    tracing::info!(target = %self.target, key = %message.idem_key, "chat message delivered")
                }
                Outcome::Retry(wait, why) => tracing::warn!(
                    target = %self.target, key = %message.idem_key, error = %why,
                    retry_in = wait.as_secs(), "chat message not delivered; will retry"
                ),
                Outcome::Dead(why) => tracing::error!(
                    target = %self.target, key = %message.idem_key, error = %why,
                    "chat message refused; given up"
                ),
            }
            let settled = cycle
                .db
                .conn()
                .map_err(|e| e.to_string())
                .and_then(|mut conn| {
                    outbox::settle(&mut conn, message, &self.owner, &outcome)
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = settled {
                tracing::error!(error = %e, key = %message.idem_key, "cannot record a chat message's outcome");
            }
        }
        Next::More
    }
}
