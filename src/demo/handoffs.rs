//! The demo's handoffs and notes: planned here (who writes, when, what
//! text, who takes a pass), written by the model's own rules
//! ([`Draft`]) in big batches ([`Batch`]), each one transaction.

use chrono::{DateTime, Duration, Utc};
use diesel::Connection;

use super::team::Team;
use super::text::{COMPONENTS, DATA_LOSS_TITLES, PROJECT, TITLES, Template, Templates};
use super::{DemoArgs, Rng, Summary, truncate_micros};
use crate::db::DbConnection;
use crate::db::models::handoffs::{Batch, DataLoss, Draft, NewHandoff, NewNote};
use crate::domain::handoff::{Kind, Severity, Status, Verification};
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::domain::rejection::Rejection;

/// Open handoffs (the first with 30 notes, one in four waiting for
/// acknowledgement, the first of those by the demo's admin), then resolved
/// ones over the year before the last two days with the remaining notes.
pub(super) fn add_handoffs(
    conn: &mut DbConnection,
    args: &DemoArgs,
    team: &Team,
    gitlab: &GitLab,
    now: DateTime<Utc>,
    rng: &mut Rng,
    summary: &mut Summary,
) -> Result<(), String> {
    let templates = Templates::new(gitlab);
    let mut writer = Writer::new(&templates, summary);

    let mut open_notes = 0;
    for i in 0..args.open {
        let n_notes = if i == 0 {
            30
        } else {
            1 + rng.below(8) as usize
        };
        open_notes += n_notes;
        let age = Duration::minutes(30 + rng.below(21 * 24 * 60) as i64);
        let plan = Plan {
            ordinal: i,
            created: now - age,
            end: now - Duration::minutes(1 + rng.below(20) as i64),
            notes: n_notes,
            outcome: if i % 4 == 1 {
                Outcome::Waiting { to_admin: i == 1 }
            } else {
                Outcome::Open
            },
            confidential: i % 10 == 7,
        };
        let id = writer.handoff(&plan, team, rng)?;
        if i == 0 {
            writer.summary.thirty_notes = Some(id);
        }
        writer.flush_if_full(conn)?;
    }

    // At least two notes each: the opening and the closing one.
    let remaining = args.notes.saturating_sub(open_notes);
    let resolved = args
        .resolved
        .unwrap_or(remaining.div_ceil(20))
        .min(remaining / 2);
    if resolved > 0 {
        let span_start = now - Duration::days(args.days as i64 - 14);
        let span = (now - Duration::days(2)) - span_start;
        let step = span / resolved as i32;
        let mut left = remaining;
        for k in 0..resolved {
            let slots_after = resolved - k - 1;
            let avg = left / (resolved - k);
            let n = if slots_after == 0 {
                left
            } else {
                let lo = (avg / 2).max(2);
                let hi = (avg + avg / 2).max(lo);
                let n = lo + rng.below((hi - lo + 1) as u64) as usize;
                n.min(left - 2 * slots_after)
            };
            left -= n;
            let created = span_start + step * k as i32 + Duration::seconds(rng.below(3600) as i64);
            // Notes every 20 minutes to 4 hours, the last one in the past
            // (the newest few, a minute to an hour and a half ago, staggered).
            let last = now - Duration::minutes(1 + (k % 89) as i64);
            let gap =
                Duration::minutes(20 + rng.below(220) as i64).min((last - created) / n as i32);
            let plan = Plan {
                ordinal: args.open + k,
                created,
                end: created + gap * n as i32,
                notes: n,
                outcome: Outcome::Resolved,
                confidential: k % 50 == 3,
            };
            writer.handoff(&plan, team, rng)?;
            writer.flush_if_full(conn)?;
        }
    }
    writer.flush(conn)
}

/// How a planned handoff ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Open, held.
    Open,
    /// Open, its last note a pass not yet acknowledged (by the admin, if `to_admin`).
    Waiting { to_admin: bool },
    /// Resolved by its last note.
    Resolved,
}

/// One handoff to write.
struct Plan {
    ordinal: usize,
    created: DateTime<Utc>,
    /// The time of the last note.
    end: DateTime<Utc>,
    notes: usize,
    outcome: Outcome,
    confidential: bool,
}

/// One note of a plan: what the holder writes, and whether it passes or resolves.
struct Step<'t> {
    template: &'t Template,
    pass_to: Option<usize>,
    resolves: bool,
}

/// Drafts handoffs and writes them in batches, each batch one transaction.
struct Writer<'a> {
    templates: &'a Templates,
    summary: &'a mut Summary,
    batch: Batch,
    announced: usize,
}

/// Notes per transaction.
const BATCH_NOTES: usize = 25_000;

/// Room for a batch's notes: a batch ends after the handoff that reaches
/// `BATCH_NOTES`.
const BATCH_CAPACITY: usize = BATCH_NOTES + 1_000;

impl<'a> Writer<'a> {
    fn new(templates: &'a Templates, summary: &'a mut Summary) -> Writer<'a> {
        Writer {
            templates,
            summary,
            batch: Batch::with_capacity(BATCH_CAPACITY),
            announced: 0,
        }
    }

    /// Drafts one handoff as the application would have written it, note
    /// by note and pass by pass; returns its id.
    fn handoff(&mut self, plan: &Plan, team: &Team, rng: &mut Rng) -> Result<String, String> {
        let iid = 10_000 + plan.ordinal as u64;
        let incident = IssueRef::new(PROJECT, iid).map_err(|e| e.to_string())?;
        let mut issues = vec![incident.clone()];
        if plan.ordinal.is_multiple_of(3) {
            let other = 400_000 + (plan.ordinal as u64 * 7) % 90_000;
            issues.push(IssueRef::new("gitlab-org/gitlab", other).map_err(|e| e.to_string())?);
        }
        let creator = team.writers[rng.below(team.writers.len() as u64) as usize];
        let mut holder = creator;
        let mut draft: Option<Draft> = None;

        let n = plan.notes.max(1);
        let span = plan.end - plan.created;
        for j in 0..n {
            let at = if n == 1 {
                plan.created
            } else {
                plan.created + span * j as i32 / (n as i32 - 1)
            };
            let at = truncate_micros(at + Duration::milliseconds(rng.below(900) as i64));
            let last = j + 1 == n;
            let step = self.step(plan, team, holder, j, last, rng);
            let (body, rendered) = step.template.for_incident(&incident);
            // The holder writes; a pass changes the holder only once acknowledged.
            let author = &team.people[holder].user.id;
            let note = NewNote {
                body,
                pass_to: step.pass_to.map(|p| team.people[p].user.clone()),
                issues: Vec::new(),
            };
            // The same rules as the application's writes: a plan they
            // refuse is a bug of the demo.
            let refused = |e: Rejection| format!("the demo's plan broke a handoff rule: {e}");
            let mut d = match draft.take() {
                None => {
                    let opening = self.opening(plan, std::mem::take(&mut issues), note);
                    let mut d = Draft::open(rng, author, opening, rendered, at).map_err(refused)?;
                    d.reserve(n - 1);
                    d
                }
                Some(mut d) => {
                    if step.resolves {
                        d.resolve(rng, author, note.body, rendered, at)
                            .map_err(refused)?;
                    } else {
                        d.note(rng, author, note, rendered, at).map_err(refused)?;
                    }
                    d
                }
            };
            if let Some(to) = step.pass_to
                && !last
                && d.handoff().pending_to_id.is_some()
            {
                // Acknowledged within the gap to the next note.
                let gap_to_next = span / n as i32;
                let wait = Duration::seconds(
                    30 + rng.below(gap_to_next.num_seconds().max(60) as u64 / 2) as i64,
                );
                d.acknowledge(&team.people[to].user.id, truncate_micros(at + wait))
                    .map_err(refused)?;
                holder = to;
            }
            draft = Some(d);
        }
        let draft = draft.ok_or("a handoff without notes")?;
        let handoff = draft.handoff();
        let id = handoff.id.clone();
        if handoff.pending_to_id.is_some() {
            self.summary.waiting += 1;
        }
        if handoff.status == Status::Resolved {
            self.summary.resolved += 1;
        } else {
            self.summary.open += 1;
        }
        self.batch.push(draft);
        Ok(id)
    }

    /// What the `j`th of a plan's notes is.
    fn step(
        &self,
        plan: &Plan,
        team: &Team,
        holder: usize,
        j: usize,
        last: bool,
        rng: &mut Rng,
    ) -> Step<'a> {
        let t = self.templates;
        if last && plan.outcome == Outcome::Resolved {
            return Step {
                template: &t.resolves[rng.below(3) as usize],
                pass_to: None,
                resolves: true,
            };
        }
        let pass_to = if last && let Outcome::Waiting { to_admin } = plan.outcome {
            let admin = 0;
            Some(
                if to_admin && holder != admin && team.writers.contains(&admin) {
                    admin
                } else {
                    team.other_writer(holder, rng)
                },
            )
        } else if j > 0 && !last && rng.below(100) < 25 && team.writers.len() > 1 {
            Some(team.other_writer(holder, rng))
        } else {
            None
        };
        // The application refuses a pass to the holder (with one writer, the
        // only one there is).
        let pass_to = pass_to.filter(|&to| to != holder);
        let template = match pass_to {
            Some(_) => &t.passes[rng.below(3) as usize],
            None => &t.notes[rng.below(t.notes.len() as u64) as usize],
        };
        Step {
            template,
            pass_to,
            resolves: false,
        }
    }

    /// The handoff a plan opens, with its first note.
    fn opening(&self, plan: &Plan, issues: Vec<IssueRef>, note: NewNote) -> NewHandoff {
        let data_loss = plan.ordinal % 4 == 3;
        let (kind, title) = if data_loss {
            (
                Kind::PerceivedDataLoss,
                DATA_LOSS_TITLES[plan.ordinal / 4 % DATA_LOSS_TITLES.len()].to_owned(),
            )
        } else {
            (
                Kind::Outage,
                format!(
                    "{} {}",
                    TITLES[plan.ordinal % TITLES.len()],
                    COMPONENTS[plan.ordinal / TITLES.len() % COMPONENTS.len()]
                ),
            )
        };
        let verification = [
            Verification::Unverified,
            Verification::Confirmed,
            Verification::RuledOut,
        ][plan.ordinal % 3];
        NewHandoff {
            kind,
            title,
            severity: Severity::ALL[plan.ordinal % 4],
            confidential: plan.confidential,
            issues,
            data_loss: data_loss.then(|| DataLoss {
                scope: Some("uploads of about 40 projects on one storage shard".to_owned()),
                recovery_point: Some("last good snapshot 03:10 UTC".to_owned()),
                verification,
                customers_notified: plan.ordinal.is_multiple_of(2),
            }),
            note,
        }
    }

    fn flush_if_full(&mut self, conn: &mut DbConnection) -> Result<(), String> {
        if self.batch.notes() >= BATCH_NOTES {
            self.flush(conn)?;
        }
        Ok(())
    }

    /// Writes the drafted handoffs in one transaction.
    fn flush(&mut self, conn: &mut DbConnection) -> Result<(), String> {
        if self.batch.handoffs() == 0 {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Batch::with_capacity(BATCH_CAPACITY));
        let (notes, links) = (batch.notes(), batch.links());
        conn.transaction(|conn| batch.write(conn))
            .map_err(|e| format!("writing handoffs and notes: {e}"))?;
        self.summary.notes += notes;
        self.summary.issue_links += links;
        if self.summary.notes >= self.announced + 100_000 {
            self.announced = self.summary.notes;
            eprintln!("demo: {} notes written", self.summary.notes);
        }
        Ok(())
    }
}
