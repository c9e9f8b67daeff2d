//! Storage: one diesel schema over SQLite (embedded default) and PostgreSQL,
//! the backend chosen from the URL scheme, migrations embedded per backend.

pub mod changes;
pub mod migrations;
pub mod models;
pub mod schema;
pub mod types;
pub mod writer;

/// Runs a diesel expression on the concrete connection inside a
/// [`DbConnection`]: the expression is written once and compiled for each
/// backend, binding `$c` to `&mut PgConnection` or `&mut SqliteConnection`.
///
/// Hot read paths use it because through the enum diesel's statement cache
/// cannot key a statement by its type, so every call builds the SQL text
/// again to look the prepared statement up; on the concrete connection the
/// lookup is by type.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel::sqlite::SqliteConnection;

use crate::error::AppError;
pub use changes::{Change, ChangeFeed};
pub use migrations::{connect_once, connect_unmigrated, migrate_connection};

/// A connection to either backend. SQLite must stay the last variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL, the production choice for several instances.
    Postgresql(PgConnection),
    /// SQLite, one embedded file.
    Sqlite(SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://…` or `postgresql://…`, passed to libpq as is.
    Postgres(String),
    /// `sqlite://PATH` or a bare path: the file to open.
    Sqlite(String),
}

impl Backend {
    /// Reads a database URL; the message names what is wrong.
    pub fn from_url(url: &str) -> Result<Backend, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres(url.to_owned()))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                Err("sqlite:// needs a file path, such as sqlite://baton.db".into())
            } else {
                Ok(Backend::Sqlite(path.to_owned()))
            }
        } else if url.is_empty() || url.contains("://") {
            Err(format!(
                "unsupported database URL {:?}: use sqlite://PATH or postgres://…",
                redact(url)
            ))
        } else {
            Ok(Backend::Sqlite(url.to_owned()))
        }
    }
}

/// A URL with its password replaced, fit for logs and messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Opens a connection to `backend`, with the SQLite settings on it; a
/// read-only one refuses every write (a restore drill's look at its copy).
fn establish(backend: &Backend, read_only: bool) -> Result<DbConnection, r2d2::Error> {
    let mut conn = establish_writable(backend)?;
    if read_only {
        let refuse_writes = match conn {
            DbConnection::Postgresql(_) => "SET default_transaction_read_only = on",
            DbConnection::Sqlite(_) => "PRAGMA query_only = ON",
        };
        conn.batch_execute(refuse_writes)
            .map_err(r2d2::Error::QueryError)?;
    }
    Ok(conn)
}

fn establish_writable(backend: &Backend) -> Result<DbConnection, r2d2::Error> {
    match backend {
        Backend::Postgres(url) => PgConnection::establish(url)
            .map(DbConnection::Postgresql)
            .map_err(r2d2::Error::ConnectionError),
        Backend::Sqlite(path) => {
            let configured = sqlite_connection_setup();
            let mut conn =
                SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
            // A busy handler before anything else (SQLite's own when ours
            // could not be registered): WAL needs a write lock that another
            // pooled connection may be holding while it opens.
            if !configured {
                conn.batch_execute("PRAGMA busy_timeout = 5000;")
                    .map_err(r2d2::Error::QueryError)?;
            }
            // synchronous=FULL keeps every commit durable. A page cache of
            // 256 KiB, not SQLite's 2 MB: each pooled connection filled its
            // own (while the kernel keeps the file's pages anyway, and any
            // commit elsewhere empties them), 37 MB of the peak on a
            // 1M-note database under 32 API lists at once. 512 KiB held
            // 2 MB more at the peak, at the same speed (`bench/README.md`).
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA foreign_keys = ON; PRAGMA cache_size = -256;",
            )
            .map_err(r2d2::Error::QueryError)?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

/// Whether the pool is closing, and how many connections are being opened.
#[derive(Debug, Default)]
struct GateState {
    closing: bool,
    connecting: u32,
}

/// What [`Db::close`] and the pool's own threads agree on: once closing, no
/// connection is opened any more, and close waits for those being opened.
#[derive(Debug, Default)]
struct Gate {
    state: std::sync::Mutex<GateState>,
    changed: std::sync::Condvar,
    /// The same as `state.closing`, read without the lock on every check-in.
    closing: std::sync::atomic::AtomicBool,
    /// How many connections were found lost (see [`Health`]).
    losses: std::sync::atomic::AtomicU64,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        // A panic while holding this lock leaves nothing half-done in it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_closing(&self) -> bool {
        self.closing.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Opens connections for the pool (on r2d2's own threads), through the
/// [`Gate`].
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    gate: std::sync::Arc<Gate>,
    read_only: bool,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        {
            let mut state = self.gate.lock();
            if state.closing {
                return Err(r2d2::Error::ConnectionError(
                    diesel::ConnectionError::BadConnection("the database pool is closed".into()),
                ));
            }
            state.connecting += 1;
        }
        let conn = establish(&self.backend, self.read_only).and_then(|mut conn| {
            self.leave_checkpoints_to_the_writer(&mut conn)?;
            conn.set_instrumentation(Health::default());
            Ok(conn)
        });
        self.gate.lock().connecting -= 1;
        self.gate.changed.notify_all();
        conn
    }

    /// Asks the database (`SELECT 1`, a round trip on PostgreSQL: one in six
    /// of a note's write) only for a connection that has rested: one given
    /// back within [`TRUSTED_FOR`] is taken as it is, unless a connection of
    /// this pool was found lost since then (a server restart loses them all).
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        let losses = self.gate.losses.load(std::sync::atomic::Ordering::Acquire);
        let trusted = conn
            .instrumentation()
            .downcast_ref::<Health>()
            .and_then(|health| health.given_back)
            .is_some_and(|(at, seen)| seen == losses && at.elapsed() < TRUSTED_FOR);
        if trusted {
            return Ok(());
        }
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection given back is closed at once (by the thread that gives
    /// it back) when the pool is closing, when a query on it found it lost,
    /// or when it is left inside a transaction.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        let losses = &self.gate.losses;
        let lost = match conn.instrumentation().downcast_mut::<Health>() {
            Some(health) if health.lost => {
                losses.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                true
            }
            Some(health) => {
                let seen = losses.load(std::sync::atomic::Ordering::Acquire);
                health.given_back = Some((std::time::Instant::now(), seen));
                false
            }
            None => false,
        };
        lost || self.gate.is_closing() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// How long after it was given back a connection is handed out without a
/// check: long enough that a busy pool never checks, short enough that
/// connections idle through a database restart are checked first.
const TRUSTED_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// What a pooled connection knows of itself, kept as its diesel
/// instrumentation (which sees every query's outcome): when it was last
/// given back (and the pool's count of lost connections then), and whether a
/// query found the connection to the server lost.
#[derive(Debug, Default)]
struct Health {
    given_back: Option<(std::time::Instant, u64)>,
    lost: bool,
}

impl diesel::connection::Instrumentation for Health {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::FinishQuery {
            error:
                Some(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::ClosedConnection,
                    _,
                )),
            ..
        } = event
        {
            self.lost = true;
        }
    }
}

/// Logs the pool's failures to connect, except the refusals of a closed pool.
#[derive(Debug)]
struct PoolErrors {
    gate: std::sync::Arc<Gate>,
}

impl r2d2::HandleError<r2d2::Error> for PoolErrors {
    fn handle_error(&self, error: r2d2::Error) {
        if !self.gate.is_closing() {
            tracing::error!(%error, "database pool");
        }
    }
}

/// Has every SQLite connection this process opens (once per process) set up
/// by [`configure_sqlite`]: the query planner stability guarantee and a
/// short-sleep busy handler. False if SQLite refused.
fn sqlite_connection_setup() -> bool {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *REGISTERED.get_or_init(|| {
        // SAFETY: `configure_sqlite` has exactly the entry-point signature
        // that sqlite3_auto_extension takes, and lives for the whole process.
        let rc = unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(configure_sqlite)) };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(rc, "could not register SQLite's connection setup");
        }
        rc == libsqlite3_sys::SQLITE_OK
    })
}

/// How long a connection waits for another's write lock before giving up
/// with "database is locked", in tries of [`BUSY_SLEEP`].
const BUSY_TRIES: std::ffi::c_int = 10_000;
/// The pause between two tries for a write lock.
const BUSY_SLEEP: std::time::Duration = std::time::Duration::from_micros(500);

/// SQLite calls this for each connection it opens (see
/// [`sqlite_connection_setup`]), before any statement runs.
///
/// The query planner stability guarantee (QPSG): without it SQLite marks a
/// prepared statement stale whenever a value is bound to a parameter whose
/// value the planner looked at, such as the `LIMIT ?` of every diesel
/// `.first()`, and compiles it again on the next step: on every call of
/// queries that diesel otherwise keeps prepared (about a tenth of the CPU of a
/// page under load). With it the plan depends on the statement only; results
/// are the same.
///
/// The busy handler: SQLite's own (`busy_timeout`) sleeps ever longer between
/// tries for the write lock, up to 100 ms, so under many writers a write that
/// lost a few races waits far longer than the queue ahead of it (a p99 of
/// 0.5 s for 32 writers). Trying every half millisecond, for at most 5 s as
/// before, keeps the wait close to the queue.
unsafe extern "C" fn configure_sqlite(
    db: *mut libsqlite3_sys::sqlite3,
    _error: *mut *mut std::ffi::c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> std::ffi::c_int {
    // SAFETY: `db` is the connection SQLite is opening. The QPSG option takes
    // an int (1: on) and an optional int pointer for the resulting setting;
    // the busy handler has the signature sqlite3_busy_handler takes, keeps no
    // state (null argument) and lives for the whole process.
    unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        );
        libsqlite3_sys::sqlite3_busy_handler(db, Some(wait_for_lock), std::ptr::null_mut());
    }
    libsqlite3_sys::SQLITE_OK
}

/// The busy handler: sleep [`BUSY_SLEEP`] and try again, [`BUSY_TRIES`] times.
extern "C" fn wait_for_lock(_: *mut std::ffi::c_void, tries: std::ffi::c_int) -> std::ffi::c_int {
    if tries >= BUSY_TRIES {
        return 0;
    }
    std::thread::sleep(BUSY_SLEEP);
    1
}

/// The connection pool; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    manager: Manager,
    /// SQLite's group commit (see [`writer`]); none on PostgreSQL.
    writer: Option<writer::Writer>,
}

/// How long [`Db::close`] waits for connections in use or being opened.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl Db {
    /// Opens a pool on `url` and checks that one connection works.
    pub fn connect(url: &str) -> Result<Db, String> {
        Db::open(url, false)
    }

    /// Opens a pool whose connections refuse every write.
    pub fn connect_read_only(url: &str) -> Result<Db, String> {
        Db::open(url, true)
    }

    fn open(url: &str, read_only: bool) -> Result<Db, String> {
        let backend = Backend::from_url(url)?;
        let size = match backend {
            Backend::Postgres(_) => 10,
            Backend::Sqlite(_) => 8,
        };
        let gate = std::sync::Arc::new(Gate::default());
        let manager = Manager {
            backend,
            gate,
            read_only,
        };
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(std::time::Duration::from_secs(10))
            .error_handler(Box::new(PoolErrors {
                gate: manager.gate.clone(),
            }))
            .build(manager.clone())
            .map_err(|e| format!("cannot open the database {}: {e}", redact(url)))?;
        let writer = if manager.has_writer() {
            Some(writer::Writer::start(pool.clone())?)
        } else {
            None
        };
        Ok(Db {
            pool,
            manager,
            writer,
        })
    }

    /// A connection from the pool, for synchronous work (start-up, tests).
    pub fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a connection on the blocking thread pool, so that the
    /// async workers never wait on the database.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Applies the pending migrations of this backend.
    pub fn migrate(&self) -> Result<(), String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        migrate_connection(&mut conn)
    }

    /// Closes the pool (every clone of it) before the process exits: no
    /// connection is opened from now on, the ones being opened are waited
    /// for, and every connection is closed on this thread once it is given
    /// back (waiting up to [`CLOSE_WAIT`] for those in use). The pool's own
    /// threads are then left with nothing that touches libpq, which the exit
    /// of the process would otherwise tear down under them. Afterwards the
    /// pool hands out no connection.
    pub fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close();
        }
        let gate = &self.manager.gate;
        let deadline = std::time::Instant::now() + CLOSE_WAIT;
        let mut state = gate.lock();
        state.closing = true;
        gate.closing
            .store(true, std::sync::atomic::Ordering::Release);
        loop {
            let pool = self.pool.state();
            let in_use = pool.connections.saturating_sub(pool.idle_connections);
            if state.connecting == 0 && in_use == 0 {
                break;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                tracing::warn!(
                    connecting = state.connecting,
                    in_use,
                    "closing the database pool while connections are still busy"
                );
                break;
            }
            // Connections given back do not signal the gate: look again soon.
            let wait = (deadline - now).min(std::time::Duration::from_millis(10));
            state = gate
                .changed
                .wait_timeout(state, wait)
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        drop(state);
        // Each idle connection taken and given back is closed here
        // (`has_broken` says so once closing).
        while let Some(conn) = self.pool.try_get() {
            drop(conn);
        }
    }

    /// Whether the database answers a query.
    pub fn ping(&self) -> Result<(), AppError> {
        let mut conn = self.pool.get()?;
        conn.batch_execute("SELECT 1")
            .map_err(|e| AppError::internal(format!("ping: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_follows_the_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://baton.db").unwrap(),
            Backend::Sqlite("baton.db".into())
        );
        assert_eq!(
            Backend::from_url("sqlite:///var/lib/baton.db").unwrap(),
            Backend::Sqlite("/var/lib/baton.db".into())
        );
        assert!(matches!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres(_)
        ));
        assert!(Backend::from_url("mysql://x").is_err());
    }

    #[test]
    fn passwords_never_reach_messages() {
        let err = Backend::from_url("mysql://user:hunter2@db/x").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
