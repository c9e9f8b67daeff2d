//! The chat outbox: messages to chat written in the transaction of the
//! change that caused them (`enqueue`, `events`), claimed and settled by the
//! delivery job (`claim`), and read back for pages (`view`).
//!
//! One row per configured target, unique by its idempotency key
//! (`pass:{note}:{target}`, `esc:{note}:{n}:{target}`, …) and inserted with
//! `ON CONFLICT DO NOTHING`, so that doing a change's enqueue twice writes
//! each message once. Statuses: `pending` (due at `next_attempt_at`),
//! `sending` (claimed under a lease, committed before the HTTP call),
//! `delivered`, `dead` (refused, or retried for 24 hours) and `unknown` (the
//! lease expired while sending: the platform may have it, so it is shown and
//! never sent again on its own).

mod claim;
pub mod events;
mod view;

use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::chat_outbox;
use crate::db::{DbConnection, on_backend};
use crate::domain::chat::{ChatTarget, Message};

pub use claim::{Claimed, Outcome, any_due, claim, db_now, settle, sweep_expired};
pub use view::{Depth, Row, TargetStatus, depth, for_handoff, target_status};

/// A message's status.
pub mod status {
    /// Waiting for its next attempt.
    pub const PENDING: &str = "pending";
    /// Claimed and being sent.
    pub const SENDING: &str = "sending";
    /// Chat accepted it.
    pub const DELIVERED: &str = "delivered";
    /// Refused, or retried for 24 hours: given up.
    pub const DEAD: &str = "dead";
    /// The sender stopped while sending: chat may or may not have it.
    pub const UNKNOWN: &str = "unknown";
}

/// Wakes the delivery jobs right after a commit that enqueued, so that a
/// message reaches chat at once rather than at the next poll.
#[derive(Clone, Default)]
pub struct Doorbell(Arc<Mutex<Vec<std::thread::Thread>>>);

impl Doorbell {
    /// Registers the calling thread: [`Doorbell::ring`] unparks it.
    pub fn register_current(&self) {
        let mut threads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let me = std::thread::current();
        if !threads.iter().any(|t| t.id() == me.id()) {
            threads.push(me);
        }
    }

    /// Wakes every registered thread.
    pub fn ring(&self) {
        let threads = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for thread in threads.iter() {
            thread.unpark();
        }
    }
}

/// Where the writes of handoffs send chat messages: the configured targets,
/// and the doorbell of the delivery jobs.
#[derive(Clone, Default)]
pub struct Notify {
    /// The chat targets configured (none: nothing is enqueued).
    pub targets: Vec<ChatTarget>,
    /// Rung after a commit that enqueued.
    pub bell: Doorbell,
}

impl Notify {
    /// Notifications to `targets`, ringing `bell`.
    pub fn new(targets: Vec<ChatTarget>, bell: Doorbell) -> Notify {
        Notify { targets, bell }
    }

    /// Whether any target is configured.
    pub fn is_on(&self) -> bool {
        !self.targets.is_empty()
    }
}

/// Writes `message` for each of `notify`'s targets, keyed `{key}:{target}`
/// (an existing key is left as it is), in the caller's transaction. `note`
/// is the note it belongs beside on the handoff page.
pub fn enqueue(
    conn: &mut DbConnection,
    notify: &Notify,
    key: &str,
    note: Option<&str>,
    message: &Message,
) -> QueryResult<()> {
    if !notify.is_on() {
        return Ok(());
    }
    let now = db_now(conn)?;
    let payload = serde_json::to_string(message)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let event = event_name(message);
    for target in &notify.targets {
        insert(conn, target, key, note, message, event, &payload, now)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn insert(
    conn: &mut DbConnection,
    target: &ChatTarget,
    key: &str,
    note: Option<&str>,
    message: &Message,
    event: &str,
    payload: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        chat_outbox::id.eq(super::new_id()),
        chat_outbox::idem_key.eq(format!("{key}:{}", target.as_str())),
        chat_outbox::target.eq(target.as_str()),
        chat_outbox::handoff_id.eq(&message.handoff_id),
        chat_outbox::note_id.eq(note),
        chat_outbox::event.eq(event),
        chat_outbox::payload.eq(payload),
        chat_outbox::status.eq(status::PENDING),
        chat_outbox::attempts.eq(0),
        chat_outbox::created_at.eq(now),
        chat_outbox::next_attempt_at.eq(now),
    );
    on_backend!(conn, |c| diesel::insert_into(chat_outbox::table)
        .values(row)
        .on_conflict(chat_outbox::idem_key)
        .do_nothing()
        .execute(c))
    .map(|_| ())
}

/// The event's name as stored (for pages and queries).
fn event_name(message: &Message) -> &'static str {
    use crate::domain::chat::Event;
    match message.event {
        Event::Opened => "opened",
        Event::Passed { .. } => "passed",
        Event::Acknowledged { .. } => "acknowledged",
        Event::Escalated { .. } => "escalated",
        Event::Resolved => "resolved",
        Event::IssueClosed { .. } => "issue_closed",
        Event::Test => "test",
        Event::CoverTaken { .. } => "cover_taken",
    }
}
