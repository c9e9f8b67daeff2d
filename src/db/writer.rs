//! SQLite's writes with group commit.
//!
//! SQLite lets one connection write at a time. Writers that find the lock
//! taken sleep and try again, and each commit waits for a sync of its own,
//! so thirty-two writers wait mostly on each other. [`Writer`] is one thread
//! that takes every write waiting at that moment, runs them in one
//! transaction (each in a savepoint of its own, so that one that fails
//! changes nothing and the others still commit) and commits them with one
//! sync. Each caller is answered only once that commit is durable: a write
//! that was answered is on disk, as before.
//!
//! PostgreSQL batches concurrent commits itself; there the pool writes.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::Pool;
use diesel::{Connection, QueryResult};

use super::{DbConnection, Manager};
use crate::error::AppError;

/// The most writes committed together.
const BATCH: usize = 64;

/// What becomes of a write once its batch has committed (or not).
type Answer = Box<dyn FnOnce(Option<&str>) + Send>;
/// A write, run on the writer's connection inside the batch's transaction
/// (or on none, when no connection could be had).
type Job = Box<dyn FnOnce(Option<&mut DbConnection>) -> Answer + Send>;

/// The writer thread's queue; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    queue: Arc<Mutex<Option<Sender<Job>>>>,
}

impl Writer {
    /// Starts the writer thread, taking a connection from `pool` per batch.
    pub fn start(pool: Pool<Manager>) -> Result<Writer, String> {
        let (send, receive) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("baton-writer".into())
            .spawn(move || run(&pool, &receive))
            .map_err(|e| format!("cannot start the database writer: {e}"))?;
        Ok(Writer {
            queue: Arc::new(Mutex::new(Some(send))),
        })
    }

    /// Runs `f` in the next batch: answers once the batch has committed,
    /// with what `f` gave. Waiting holds no thread.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, AppError>>();
        let job: Job = Box::new(move |conn| {
            // A savepoint: a write that fails leaves the batch's others be.
            let result = match conn {
                Some(conn) => conn.transaction(f),
                None => Err(AppError::Unavailable("the database did not answer".into())),
            };
            Box::new(move |failed: Option<&str>| {
                let result = match failed {
                    None => result,
                    Some(why) => Err(AppError::Internal(why.to_owned())),
                };
                // The caller may have given up waiting: nothing to tell.
                let _ = answer.send(result);
            })
        });
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| AppError::Unavailable("the database is closing".into()))?;
        queue
            .send(job)
            .map_err(|_| AppError::internal("the database writer has stopped"))?;
        answered
            .await
            .map_err(|_| AppError::internal("the database writer stopped before committing"))?
    }

    /// Stops taking writes; the thread ends once the queued ones are done.
    pub fn close(&self) {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// The writer thread: a batch at a time until every sender is gone.
fn run(pool: &Pool<Manager>, receive: &Receiver<Job>) {
    while let Ok(first) = receive.recv() {
        let mut jobs = vec![first];
        while jobs.len() < BATCH {
            match receive.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        commit(pool, jobs);
    }
}

/// Runs `jobs` in one transaction and answers each after its commit.
fn commit(pool: &Pool<Manager>, jobs: Vec<Job>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => {
            tracing::error!(error = %e, "the database writer has no connection");
            for job in jobs {
                job(None)(None);
            }
            return;
        }
    };
    let mut answers: Vec<Answer> = Vec::with_capacity(jobs.len());
    let committed = batch(&mut conn, |conn| {
        for job in jobs {
            // A write that panics takes the batch down with it, never the thread.
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Some(conn))));
            match ran {
                Ok(answer) => answers.push(answer),
                Err(_) => return Err(diesel::result::Error::RollbackTransaction),
            }
        }
        Ok(())
    });
    let failed = committed.err().map(|e| {
        tracing::error!(error = %e, "committing a batch of writes failed");
        format!("committing the write failed: {e}")
    });
    for answer in answers {
        answer(failed.as_deref());
    }
}

/// Runs `f` in a transaction that holds SQLite's write lock from its start
/// (`BEGIN IMMEDIATE`): a batch that began reading could otherwise find,
/// at its first write, that another connection wrote since, and fail.
/// Inside it, each write's own `transaction` is a savepoint.
fn batch(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> QueryResult<()>,
) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgresql(_) => DbConnection::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(()) => DbConnection::commit_transaction(conn),
        Err(e) => {
            DbConnection::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

impl super::Db {
    /// Like [`Db::run`](super::Db::run), for a write that is acknowledged:
    /// on SQLite it is committed together with the writes waiting at the
    /// same moment, and answered once that commit is durable.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write(f).await,
            None => self.run(f).await,
        }
    }
}
