//! `escalation`: a pass left unacknowledged for `BATON_ESCALATE_AFTER`
//! (severity 1: a third of it) is announced again to chat, naming the
//! recipient and whoever is on call in `BATON_ESCALATE_TO_ROLE` (else the
//! holder), again after each further period, at most `BATON_ESCALATE_MAX`
//! times. Due-ness is read by the database's clock, and each escalation is
//! claimed in the database (`db::models::escalations`), so several
//! instances never escalate one pass twice; a pass that became due while
//! Baton was down escalates once when it is back.

use std::time::Duration;

use crate::config::Settings;
use crate::db::DbConnection;
use crate::db::models::escalations::{self, Rule};
use crate::db::models::outbox::{self, Doorbell, Notify};
use crate::jobs::{Cycle, Job, Next};

/// The longest wait between two looks.
const IDLE: Duration = Duration::from_secs(1);

/// The job.
pub struct Escalation {
    rule: Rule,
    notify: Notify,
}

impl Escalation {
    /// The job for `settings`; its messages ring `bell`.
    pub fn new(settings: &Settings, bell: Doorbell) -> Escalation {
        Escalation {
            rule: Rule {
                after: settings.chat.escalate_after,
                max: i32::try_from(settings.chat.escalate_max).unwrap_or(i32::MAX),
                role: settings.chat.escalate_to_role.clone(),
            },
            notify: Notify::new(settings.chat.targets(), bell),
        }
    }
}

impl Job for Escalation {
    fn name(&self) -> &'static str {
        "escalation"
    }

    fn idle(&self) -> Duration {
        IDLE
    }

    /// Each escalation is claimed in the database, so every instance may
    /// look, and one that restarts need not wait for a dead one's lease.
    fn leased(&self) -> bool {
        false
    }

    fn due(&mut self, conn: &mut DbConnection) -> Result<bool, String> {
        let now = outbox::db_now(conn).map_err(|e| e.to_string())?;
        escalations::due(conn, now, &self.rule)
            .map(|due| !due.is_empty())
            .map_err(|e| e.to_string())
    }

    fn step(&mut self, cycle: &Cycle<'_>) -> Next {
        let Ok(mut conn) = cycle.db.conn() else {
            return Next::Idle;
        };
        let due = match outbox::db_now(&mut conn)
            .and_then(|now| escalations::due(&mut conn, now, &self.rule))
        {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the passes due to escalate");
                return Next::Idle;
            }
        };
        let mut any = false;
        for pass in &due {
            if cycle.stopping() {
                break;
            }
            match escalations::escalate(&mut conn, &self.notify, pass, &self.rule) {
                Ok(true) => {
                    any = true;
                    tracing::info!(handoff = %pass.handoff.id, count = pass.count + 1, "pass escalated");
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(handoff = %pass.handoff.id, error = %e, "cannot escalate"),
            }
        }
        if any {
            self.notify.bell.ring();
        }
        Next::Idle
    }
}
