//! Background work: periodic jobs on threads of their own, claimed through
//! the database so that however many instances share it, one at a time
//! does each job (`lease`).
//!
//! A job is a name and a step ([`Job`]). The runner owns the threads: it
//! asks a job whether it has work (a read, on every instance), claims the
//! job's lease only when it has (one write), runs one step while it holds
//! the lease, and waits as the step says. Stopping wakes every thread and
//! joins it, bounded. Each step is logged as one line (job, step id,
//! outcome, duration), and what the step logs carries the same step id.
//! Jobs: `gitlab_refresh`, `deliver_chat_{slack,mattermost}` (the chat
//! outbox), `escalation`.

pub mod deliver_chat;
pub mod escalation;
pub mod gitlab_refresh;
pub mod lease;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::config::Settings;
use crate::db::{Db, DbConnection};
use crate::domain::time;

/// How long a claimed lease lasts; a step must end well within it.
pub const LEASE: Duration = Duration::from_secs(60);
/// The part of a lease a step leaves unused, for the writes that end it.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

/// What a step asks of the runner next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing more now: ask again after the job's idle interval.
    Idle,
    /// There is more: step again at once.
    More,
    /// Do nothing for this long (a 429's `Retry-After`, or backing off
    /// from failures); the lease is held meanwhile, so that no other
    /// instance calls out either.
    Pause(Duration),
}

/// The circumstances of one step.
pub struct Cycle<'a> {
    /// The database.
    pub db: &'a Db,
    deadline: Instant,
    stop: &'a AtomicBool,
}

impl Cycle<'_> {
    /// Whether the runner is stopping: end the step soon.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// How long the step may still take with the lease held.
    pub fn time_left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// A periodic job: a name (its lease) and a step.
pub trait Job: Send + 'static {
    /// The name of its lease.
    fn name(&self) -> &'static str;

    /// How long to wait between looks for work when there is none.
    fn idle(&self) -> Duration;

    /// Whether there is work now. Only reads: every instance asks.
    fn due(&mut self, conn: &mut DbConnection) -> Result<bool, String>;

    /// One step of work, while this instance holds the lease.
    fn step(&mut self, cycle: &Cycle<'_>) -> Next;

    /// Whether a step needs the job's lease. A job that claims each piece
    /// of its work in the database itself (the chat outbox) runs on every
    /// instance at once, and a restarted instance need not wait for the
    /// lease of the one that died.
    fn leased(&self) -> bool {
        true
    }
}

/// The running jobs.
pub struct Runner {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Starts the jobs `settings` call for; `None` when there are none. The
/// chat delivery jobs answer `bell`.
pub fn start(
    db: &Db,
    settings: &Settings,
    bell: &crate::db::models::outbox::Doorbell,
) -> Option<Runner> {
    let mut jobs: Vec<Box<dyn Job>> = vec![];
    for target in settings.chat.targets() {
        jobs.push(Box::new(deliver_chat::DeliverChat::new(
            target,
            settings.clone(),
            bell.clone(),
        )));
    }
    if settings.chat.escalate_max > 0 {
        jobs.push(Box::new(escalation::Escalation::new(
            settings,
            bell.clone(),
        )));
    }
    if settings.live.reads_issues() {
        let notify = crate::db::models::outbox::Notify::new(settings.chat.targets(), bell.clone());
        jobs.push(Box::new(gitlab_refresh::GitLabRefresh::new(
            settings.clone(),
            notify,
        )));
    }
    (!jobs.is_empty()).then(|| Runner::start(db, jobs))
}

impl Runner {
    /// Runs each job on a thread of its own, under one owner name for this
    /// runner's leases.
    pub fn start(db: &Db, jobs: Vec<Box<dyn Job>>) -> Runner {
        let stop = Arc::new(AtomicBool::new(false));
        let owner = uuid::Uuid::new_v4().to_string();
        let threads = jobs
            .into_iter()
            .filter_map(|job| {
                let (db, stop, owner) = (db.clone(), stop.clone(), owner.clone());
                let name = job.name();
                std::thread::Builder::new()
                    .name(format!("baton-{name}"))
                    .spawn(move || run(job, &db, &owner, &stop))
                    .inspect_err(|e| tracing::error!(job = name, error = %e, "cannot start a job"))
                    .ok()
            })
            .collect();
        Runner { stop, threads }
    }

    /// Stops every job and waits up to `within` for their threads to end
    /// (a step ends at its next call out; an HTTP call ends by its
    /// timeout). A thread still running then is left to end on its own.
    pub fn stop(self, within: Duration) {
        self.stop.store(true, Ordering::Release);
        for thread in &self.threads {
            thread.thread().unpark();
        }
        let deadline = Instant::now() + within;
        for thread in self.threads {
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if thread.is_finished() {
                if thread.join().is_err() {
                    tracing::error!("a job panicked");
                }
            } else {
                tracing::warn!("a job did not stop in time");
            }
        }
    }
}

/// A job's thread: look for work, claim, step, wait; until stopped.
fn run(mut job: Box<dyn Job>, db: &Db, owner: &str, stop: &AtomicBool) {
    let name = job.name();
    let mut failing = false;
    let mut ensured = false;
    let mut wait = Duration::ZERO;
    while !stop.load(Ordering::Acquire) {
        if !wait.is_zero() {
            // Woken early by `Runner::stop`.
            std::thread::park_timeout(wait);
            if stop.load(Ordering::Acquire) {
                break;
            }
        }
        wait = match once(job.as_mut(), db, owner, stop, &mut ensured) {
            Ok(next) => {
                failing = false;
                match next {
                    Next::Idle => job.idle(),
                    Next::More => Duration::ZERO,
                    Next::Pause(pause) => {
                        hold(db, name, owner, pause);
                        pause
                    }
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(job = name, error = %e, "job cannot reach the database");
                }
                failing = true;
                job.idle().max(Duration::from_secs(1))
            }
        };
    }
    if let Ok(mut conn) = db.conn() {
        let _ = lease::release(&mut conn, name, owner);
    }
}

/// One look: is there work, and if so, claim and step.
fn once(
    job: &mut dyn Job,
    db: &Db,
    owner: &str,
    stop: &AtomicBool,
    ensured: &mut bool,
) -> Result<Next, String> {
    let name = job.name();
    {
        let mut conn = db.conn().map_err(|e| e.to_string())?;
        if !job.due(&mut conn)? {
            return Ok(Next::Idle);
        }
        if job.leased() {
            if !*ensured {
                lease::ensure(&mut conn, name).map_err(|e| e.to_string())?;
                *ensured = true;
            }
            let now = time::now();
            let until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
            if !lease::claim(&mut conn, name, owner, now, until).map_err(|e| e.to_string())? {
                return Ok(Next::Idle);
            }
        }
    }
    let started = Instant::now();
    let cycle = Cycle {
        db,
        deadline: started + LEASE - LEASE_MARGIN,
        stop,
    };
    let step_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("job", job = name, step_id = %step_id);
    let next = span.in_scope(|| job.step(&cycle));
    let elapsed = started.elapsed();
    let outcome = match next {
        Next::Idle => "idle",
        Next::More => "more",
        Next::Pause(_) => "pause",
    };
    span.in_scope(|| {
        tracing::info!(
            target: "baton::job",
            job = name,
            step_id = %step_id,
            outcome,
            duration_ms = elapsed.as_micros() as f64 / 1000.0,
            "job step"
        );
    });
    Ok(next)
}

/// Holds the lease of `name` through a pause, so that no other instance
/// calls out meanwhile.
fn hold(db: &Db, name: &str, owner: &str, pause: Duration) {
    let now = time::now();
    let until = now + chrono::Duration::from_std(pause + LEASE).unwrap_or_default();
    if let Ok(mut conn) = db.conn()
        && let Err(e) = lease::claim(&mut conn, name, owner, now, until)
    {
        tracing::warn!(job = name, error = %e, "cannot hold the lease through a pause");
    }
}
