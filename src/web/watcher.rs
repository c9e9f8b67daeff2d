//! The change watcher: a thread of its own, with a connection of its own,
//! that asks the database every [`WATCH_EVERY`] whether another connection
//! committed (another instance, a `baton` command, psql; see [`ChangeFeed`])
//! and bumps [`Changes`] when it did, so that nothing kept outlives a write
//! made elsewhere by more than a moment.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::db::{Change, ChangeFeed, Db};
use crate::web::cache::Changes;

/// How often the watcher asks the database whether anything committed.
pub const WATCH_EVERY: Duration = Duration::from_millis(20);

/// The running watcher thread of [`watch`].
pub struct Watcher {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Watcher {
    /// Stops the watcher and waits until its thread has closed its
    /// connection and ended (at most one pause). Dropping a `Watcher`
    /// instead leaves the thread running for as long as the `Changes` live.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        self.thread.thread().unpark();
        if self.thread.join().is_err() {
            tracing::error!("the change watcher panicked");
        }
    }
}

/// Watches the database for commits from other connections, on a thread of
/// its own with a connection of its own, until it is stopped or `changes`
/// is gone.
pub fn watch(db: &Db, changes: &Arc<Changes>) -> Option<Watcher> {
    let db = db.clone();
    let changes: Weak<Changes> = Arc::downgrade(changes);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let spawned = std::thread::Builder::new()
        .name("baton-changes".into())
        .spawn(move || {
            let mut feed: Option<ChangeFeed> = None;
            let mut failing = false;
            loop {
                if stopped.load(Ordering::Acquire) {
                    return;
                }
                let Some(changes) = changes.upgrade() else {
                    return;
                };
                if feed.is_none() {
                    // Whatever happened while nobody watched: trust nothing kept.
                    feed = ChangeFeed::open(&db)
                        .inspect_err(|e| {
                            if !failing && !stopped.load(Ordering::Acquire) {
                                tracing::warn!(error = %e, "cannot watch the database for changes");
                            }
                        })
                        .ok();
                    changes.bump();
                }
                let pause = match feed.as_mut().map(ChangeFeed::changed) {
                    Some(Ok(change)) => {
                        match change {
                            Change::None => {}
                            Change::BesidesCallers => changes.bump_besides_callers(),
                            Change::Any => changes.bump(),
                        }
                        failing = false;
                        WATCH_EVERY
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "lost the database change watch");
                        changes.bump();
                        feed = None;
                        failing = true;
                        Duration::from_secs(1)
                    }
                    None => {
                        failing = true;
                        Duration::from_secs(1)
                    }
                };
                drop(changes);
                // Woken early by `Watcher::stop`.
                std::thread::park_timeout(pause);
            }
        });
    match spawned {
        Ok(thread) => Some(Watcher { stop, thread }),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the change watcher");
            None
        }
    }
}
