//! Escalations of passes left unacknowledged (`pass_escalations`, one row
//! per pass: its note). Evaluated by the database's clock; each escalation
//! is claimed with one conditional write (the first an insert that a
//! second instance finds taken, the next an `UPDATE … WHERE count = n`),
//! and writes its chat messages and audit entry in the same transaction.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::models::audit;
use crate::db::models::handoffs::{Handoff, find};
use crate::db::models::outbox::{self, Notify, events};
use crate::db::models::schedule;
use crate::db::models::users::User;
use crate::db::schema::{handoffs, pass_escalations, users};
use crate::db::{DbConnection, on_backend};
use crate::domain::audit::AuditAction;
use crate::domain::chat::{Event, escalation_period};
use crate::domain::handoff::Status;
use crate::domain::time;
use crate::error::AppError;

/// The escalation of a handoff's pending pass, as pages show it.
#[derive(Debug, Clone)]
pub struct Escalated {
    /// The pass (its note).
    pub note_id: String,
    /// How many times it escalated.
    pub count: i32,
    /// The last time.
    pub at: NaiveDateTime,
    /// Whom the last one named (on call in the escalation role, or the holder).
    pub to: Option<User>,
}

/// A pass due to escalate: the handoff, and how many times it already did.
#[derive(Debug, Clone)]
pub struct Due {
    /// The handoff, with its pending pass.
    pub handoff: Handoff,
    /// Escalations so far.
    pub count: i32,
}

/// Settings of escalation.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The period (severity 1: a third of it).
    pub after: Duration,
    /// The most escalations of one pass.
    pub max: i32,
    /// The role whose person on call is named.
    pub role: String,
}

/// The passes due to escalate at `now` (the database's clock): pending for
/// a period since the pass, or since its last escalation, and not yet
/// escalated `rule.max` times. A pass that became due several periods ago
/// (while Baton was down) is due once.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, rule: &Rule) -> QueryResult<Vec<Due>> {
    if rule.max <= 0 {
        return Ok(vec![]);
    }
    let pending: Vec<Handoff> = handoffs::table
        .filter(handoffs::status.eq(Status::Open))
        .filter(handoffs::pending_note_id.is_not_null())
        .load(conn)?;
    if pending.is_empty() {
        return Ok(vec![]);
    }
    let notes: Vec<&str> = pending
        .iter()
        .filter_map(|h| h.pending_note_id.as_deref())
        .collect();
    let done: HashMap<String, (i32, NaiveDateTime)> = pass_escalations::table
        .filter(pass_escalations::note_id.eq_any(&notes))
        .select((
            pass_escalations::note_id,
            pass_escalations::count,
            pass_escalations::escalated_at,
        ))
        .load::<(String, i32, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(note, count, at)| (note, (count, at)))
        .collect();
    Ok(pending
        .into_iter()
        .filter_map(|handoff| {
            let note = handoff.pending_note_id.as_deref()?;
            let since = handoff.pending_since?;
            let (count, last) = done.get(note).copied().unwrap_or((0, since));
            let period =
                chrono::Duration::from_std(escalation_period(handoff.severity.get(), rule.after))
                    .ok()?;
            (count < rule.max && last + period <= now).then_some(Due { handoff, count })
        })
        .collect())
}

/// Escalates `due` once, if it is still due and no other instance did: in
/// one transaction, the claim, the chat messages and the audit entry.
/// Whether this call escalated it.
pub fn escalate(
    conn: &mut DbConnection,
    notify: &Notify,
    due: &Due,
    rule: &Rule,
) -> Result<bool, AppError> {
    conn.transaction(|conn| {
        // The write lock first (a no-op update): on SQLite a transaction
        // that read first cannot take it if another commit came between,
        // and would fail at once instead of waiting its turn.
        diesel::update(handoffs::table.filter(handoffs::id.eq(&due.handoff.id)))
            .set(handoffs::version.eq(handoffs::version))
            .execute(conn)?;
        let handoff = find(conn, &due.handoff.id)?;
        let (Some(note), Some(to_id), Some(since)) = (
            handoff.pending_note_id.clone(),
            handoff.pending_to_id.clone(),
            handoff.pending_since,
        ) else {
            return Ok(false);
        };
        if handoff.status != Status::Open || Some(&note) != due.handoff.pending_note_id.as_ref() {
            return Ok(false);
        }
        let now = outbox::db_now(conn)?;
        let on_call = schedule::at(conn, None, time::from_db(now))?
            .into_iter()
            .find(|o| o.shift.role.eq_ignore_ascii_case(&rule.role))
            .map(|o| o.user);
        let on_call_now = on_call.is_some();
        let named: Option<User> = match on_call {
            Some(user) => Some(user),
            None => users::table
                .filter(users::id.eq(&handoff.holder_id))
                .first(conn)
                .optional()?,
        };
        let named_id = named.as_ref().map(|u| u.id.clone());
        let count = due.count + 1;
        let claimed = if due.count == 0 {
            let row = (
                pass_escalations::note_id.eq(&note),
                pass_escalations::handoff_id.eq(&handoff.id),
                pass_escalations::count.eq(1),
                pass_escalations::escalated_at.eq(now),
                pass_escalations::escalated_to_id.eq(named_id.as_deref()),
            );
            on_backend!(conn, |c| diesel::insert_into(pass_escalations::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c))?
        } else {
            diesel::update(
                pass_escalations::table
                    .filter(pass_escalations::note_id.eq(&note))
                    .filter(pass_escalations::count.eq(due.count)),
            )
            .set((
                pass_escalations::count.eq(count),
                pass_escalations::escalated_at.eq(now),
                pass_escalations::escalated_to_id.eq(named_id.as_deref()),
            ))
            .execute(conn)?
        };
        if claimed != 1 {
            return Ok(false);
        }
        let to = events::person_by_id(conn, &to_id)?;
        let event = Event::Escalated {
            to,
            on_call: match &named {
                Some(user) => Some(events::person(conn, user)?),
                None => None,
            },
            role: rule.role.clone(),
            on_call_now,
            count,
            waited_secs: (now - since).num_seconds().max(0),
        };
        events::escalated(
            conn,
            notify,
            &handoff,
            &note,
            event,
            count,
            time::from_db(now),
        )?;
        let detail = format!(
            "escalation {count} of the pass to {to_id}: named {}{}",
            named
                .as_ref()
                .map(|u| u.username.as_str())
                .unwrap_or("nobody"),
            if on_call_now {
                format!(" (on call as {})", rule.role)
            } else {
                " (the holder: nobody on call)".into()
            }
        );
        audit::record(
            conn,
            audit::Event {
                action: AuditAction::Escalate,
                actor: "baton",
                subject: &handoff.id,
                address: "",
                detail: &detail,
            },
        )?;
        Ok(true)
    })
}

/// The escalations of the pending passes of `handoff_ids`, by handoff.
pub fn of_pending(
    conn: &mut DbConnection,
    handoff_ids: &[&str],
) -> QueryResult<HashMap<String, Escalated>> {
    if handoff_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String, i32, NaiveDateTime, Option<String>)> = pass_escalations::table
        .inner_join(
            handoffs::table.on(handoffs::pending_note_id.eq(pass_escalations::note_id.nullable())),
        )
        .filter(pass_escalations::handoff_id.eq_any(handoff_ids))
        .select((
            pass_escalations::handoff_id,
            pass_escalations::note_id,
            pass_escalations::count,
            pass_escalations::escalated_at,
            pass_escalations::escalated_to_id,
        ))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().filter_map(|r| r.4.as_deref()).collect();
    let people: HashMap<String, User> = crate::db::models::users::find_many(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(handoff, note_id, count, at, to)| {
            let to = to.and_then(|id| people.get(&id).cloned());
            (
                handoff,
                Escalated {
                    note_id,
                    count,
                    at,
                    to,
                },
            )
        })
        .collect())
}
