//! Chat: Slack and Mattermost incoming webhooks. The one place that knows
//! their formats (`format`), and how to post and read the answer (here).
//! Blocking calls, for the delivery job's own thread; every request has a
//! timeout. Never touches the database, and never shows a webhook's URL
//! (its path is the secret) in an error or a log line.

mod format;

use std::time::Duration;

use reqwest::StatusCode;

pub use format::{permalink, render, text};

use crate::config::Secret;
use crate::domain::chat::{ChatTarget, Message};

/// The whole of one request, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long to connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The wait assumed when a 429 names none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long a connection may sit idle before it is closed rather than
/// reused. Servers close idle connections too (actix-web after 5 s, load
/// balancers after about a minute); a post written into a connection the
/// server is closing at that moment fails ("the connection broke") and
/// waits a whole backoff. Messages are minutes apart, so closing ours first
/// costs a handshake now and then and saves that wait.
const POOL_IDLE: Duration = Duration::from_secs(2);
/// The longest wait a 429 may ask for.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What became of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Chat accepted it (2xx).
    Delivered,
    /// 429: try again after at least this long.
    RetryAfter(Duration),
    /// No answer, a timeout or a 5xx: try again later (why).
    Retry(String),
    /// Refused (another 4xx, a redirect): sending again cannot help (why).
    Dead(String),
}

/// Posts messages to one webhook.
pub struct ChatClient {
    http: reqwest::blocking::Client,
    target: ChatTarget,
    url: Secret,
    public_url: String,
}

impl ChatClient {
    /// A client for `target` at `url`; permalinks start with `public_url`.
    /// Build it on a thread of its own (a blocking client may not be built
    /// on the server's async runtime).
    pub fn new(target: ChatTarget, url: Secret, public_url: &str) -> Result<ChatClient, String> {
        let http = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(POOL_IDLE)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Baton/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot make the chat client: {}", e.without_url()))?;
        Ok(ChatClient {
            http,
            target,
            url,
            public_url: public_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Which platform it posts to.
    pub fn target(&self) -> ChatTarget {
        self.target
    }

    /// Posts `message` in the platform's format.
    pub fn send(&self, message: &Message) -> Sent {
        let body = render(self.target, message, &self.public_url);
        match self.http.post(self.url.expose()).json(&body).send() {
            Ok(response) => classify(response.status(), retry_after(&response)),
            Err(e) if e.is_timeout() => Sent::Retry("timed out".into()),
            Err(e) if e.is_connect() => Sent::Retry("unreachable (connection failed)".into()),
            Err(_) => Sent::Retry("the connection broke".into()),
        }
    }
}

/// The `Retry-After` of an answer, in seconds (the HTTP-date form is read
/// as the default wait).
fn retry_after(response: &reqwest::blocking::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds = value.to_str().ok()?.trim().parse::<u64>().ok();
    Some(
        seconds
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_RETRY_AFTER),
    )
}

/// What an answer means for the message.
pub fn classify(status: StatusCode, retry_after: Option<Duration>) -> Sent {
    if status.is_success() {
        Sent::Delivered
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        Sent::RetryAfter(
            retry_after
                .unwrap_or(DEFAULT_RETRY_AFTER)
                .min(LONGEST_RETRY_AFTER),
        )
    } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        Sent::Retry(format!("chat answered {}", status.as_u16()))
    } else {
        Sent::Dead(format!("chat refused it ({})", status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_delivered_retry_or_dead() {
        assert_eq!(classify(StatusCode::OK, None), Sent::Delivered);
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(7))),
            Sent::RetryAfter(Duration::from_secs(7))
        );
        assert_eq!(
            classify(
                StatusCode::TOO_MANY_REQUESTS,
                Some(Duration::from_secs(99_999))
            ),
            Sent::RetryAfter(LONGEST_RETRY_AFTER)
        );
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, None),
            Sent::Retry(_)
        ));
        assert!(matches!(
            classify(StatusCode::NOT_FOUND, None),
            Sent::Dead(_)
        ));
        assert!(matches!(classify(StatusCode::FOUND, None), Sent::Dead(_)));
    }
}
