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
//! No commit copies the WAL into the database either (SQLite's automatic
//! checkpoint, which made every hundredth batch wait tens of milliseconds
//! for the database file's sync): the pool's connections have it off, and
//! a checkpointer thread of the writer's runs a passive checkpoint, which
//! waits for nobody, after the commits. Under writes that never pause, a
//! passive checkpoint never catches up with the end of the WAL, and SQLite
//! starts the WAL over only once it has caught up: past [`WAL_LIMIT`]
//! pages, the checkpointer asks the writer to copy the few pages committed
//! since, between two batches, once their writes are answered.
//!
//! PostgreSQL batches concurrent commits itself; there the pool writes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::Pool;
use diesel::{Connection, QueryResult, RunQueryDsl};

use super::{DbConnection, Manager};
use crate::error::AppError;

/// The most writes committed together.
const BATCH: usize = 64;

/// The checkpointer's pause after a checkpoint, during which the commits
/// it is told of add up to the next one.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(50);

/// How long the checkpointer waits for a commit before it checkpoints
/// anyway, for what was written past the writer.
const CHECKPOINT_IDLE: Duration = Duration::from_secs(5);

/// The pages the WAL may hold (32 MiB of 4 KiB pages) before the writer
/// finishes the checkpointer's copy, so that the WAL starts over.
const WAL_LIMIT: i64 = 8_192;

impl Manager {
    /// Whether the pool's writes go through a [`Writer`] (and its
    /// checkpointer): a writable SQLite pool's do.
    pub(super) fn has_writer(&self) -> bool {
        matches!(self.backend, super::Backend::Sqlite(_)) && !self.read_only
    }

    /// Turns SQLite's automatic checkpoint off on a new connection of a
    /// pool with a writer, whose checkpointer copies the WAL instead.
    pub(super) fn leave_checkpoints_to_the_writer(
        &self,
        conn: &mut DbConnection,
    ) -> Result<(), diesel::r2d2::Error> {
        if self.has_writer() {
            conn.batch_execute("PRAGMA wal_autocheckpoint = 0")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

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
    /// Starts the writer thread, taking a connection from `pool` per
    /// batch, and its checkpointer.
    pub fn start(pool: Pool<Manager>) -> Result<Writer, String> {
        let (send, receive) = mpsc::channel::<Job>();
        // One pending kick is enough: the checkpointer copies all there is.
        let (kick, kicked) = mpsc::sync_channel::<()>(1);
        let catch_up = Arc::new(AtomicBool::new(false));
        let checkpointer = Checkpointer {
            pool: pool.clone(),
            catch_up: catch_up.clone(),
        };
        std::thread::Builder::new()
            .name("baton-checkpoint".into())
            .spawn(move || checkpointer.run(&kicked))
            .map_err(|e| format!("cannot start the database checkpointer: {e}"))?;
        std::thread::Builder::new()
            .name("baton-writer".into())
            .spawn(move || run(&pool, &receive, &kick, &catch_up))
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

/// The writer thread: a batch at a time until every sender is gone, each
/// followed by a kick to the checkpointer (ignored while one is pending)
/// and, when it asked, the end of its copy.
fn run(
    pool: &Pool<Manager>,
    receive: &Receiver<Job>,
    kick: &SyncSender<()>,
    catch_up: &AtomicBool,
) {
    while let Ok(first) = receive.recv() {
        let mut jobs = vec![first];
        while jobs.len() < BATCH {
            match receive.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        commit(pool, jobs, catch_up.swap(false, Ordering::AcqRel));
        let _ = kick.try_send(());
    }
}

/// The checkpointer thread's share of the pool and of the writer.
struct Checkpointer {
    pool: Pool<Manager>,
    /// Set when the WAL has grown past [`WAL_LIMIT`]: the writer's next
    /// batch ends with a checkpoint of its own.
    catch_up: Arc<AtomicBool>,
}

impl Checkpointer {
    /// After a kick (or a while without one), copies the committed WAL
    /// into the database without blocking anyone, on an idle connection of
    /// the pool; ends with the writer.
    fn run(&self, kicked: &Receiver<()>) {
        loop {
            match kicked.recv_timeout(CHECKPOINT_IDLE) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            // No idle connection: every one is busy, and the next kick retries.
            if let Some(mut conn) = self.pool.try_get() {
                match checkpoint(&mut conn) {
                    Ok(pages) if pages > WAL_LIMIT => self.catch_up.store(true, Ordering::Release),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "copying the WAL into the database failed")
                    }
                }
            }
            std::thread::sleep(CHECKPOINT_PAUSE);
        }
    }
}

/// What `PRAGMA wal_checkpoint` answers: among others, the WAL's pages.
#[derive(diesel::QueryableByName)]
struct Checkpointed {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    log: i64,
}

/// A passive checkpoint: copies what it can of the WAL into the database,
/// waiting for nobody. Answers how many pages the WAL holds.
fn checkpoint(conn: &mut DbConnection) -> QueryResult<i64> {
    let answer: Vec<Checkpointed> =
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").load(conn)?;
    Ok(answer.iter().map(|c| c.log).max().unwrap_or(0))
}

/// Runs `jobs` in one transaction and answers each after its commit.
/// With `catch_up`, a checkpoint follows on the same connection once the
/// writes are answered: with no other writer, it copies the rest of the
/// WAL, which the next batch then starts over.
fn commit(pool: &Pool<Manager>, jobs: Vec<Job>, catch_up: bool) {
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
    if catch_up && let Err(e) = checkpoint(&mut conn) {
        tracing::warn!(error = %e, "copying the rest of the WAL into the database failed");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    /// A database file of its own, removed with its WAL afterwards.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new() -> TempFile {
            let name = format!("baton-writer-{}.db", uuid::Uuid::now_v7());
            TempFile(std::env::temp_dir().join(name))
        }

        fn url(&self) -> String {
            format!("sqlite://{}", self.0.display())
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.0.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    fn autocheckpoint(conn: &mut DbConnection) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Pages {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            wal_autocheckpoint: i64,
        }
        let rows: Vec<Pages> = diesel::sql_query("PRAGMA wal_autocheckpoint")
            .load(conn)
            .unwrap();
        rows[0].wal_autocheckpoint
    }

    #[test]
    fn commits_leave_the_wal_to_the_checkpointer_and_a_read_only_pool_has_none() {
        let file = TempFile::new();
        let db = Db::connect(&file.url()).unwrap();
        assert_eq!(autocheckpoint(&mut db.conn().unwrap()), 0);
        let read_only = Db::connect_read_only(&file.url()).unwrap();
        assert_eq!(autocheckpoint(&mut read_only.conn().unwrap()), 1000);
        read_only.close();
        db.close();
    }

    #[test]
    fn a_checkpoint_copies_the_whole_wal_when_nobody_writes_and_says_its_size() {
        let file = TempFile::new();
        let db = Db::connect(&file.url()).unwrap();
        let mut conn = db.conn().unwrap();
        conn.batch_execute("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a'), ('b');")
            .unwrap();
        let pages = checkpoint(&mut conn).unwrap();
        assert!(pages > 0, "the writes are in the WAL: {pages}");
        #[derive(diesel::QueryableByName)]
        struct Copied {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            log: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            checkpointed: i64,
        }
        let after: Vec<Copied> = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)")
            .load(&mut *conn)
            .unwrap();
        assert_eq!(
            after[0].log, after[0].checkpointed,
            "all of it is in the database"
        );
        drop(conn);
        db.close();
    }
}
