//! Commits by other connections: another instance, a `baton` command,
//! psql. The change watcher (`web::cache::watch`) asks, and drops what is
//! kept when something was committed.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::ManageConnection;
use diesel::sqlite::SqliteConnection;

use super::{Db, DbConnection};

/// What was committed since a [`ChangeFeed`] last looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing.
    None,
    /// Something, but no session, token or user.
    BesidesCallers,
    /// Anything, sessions, tokens and users included.
    Any,
}

/// The payload of a notification on `baton_changes` from a table that no
/// session, token or user is made of (the trigger function's, in
/// `migrations/postgres/2026-12-03-000100_change_scope`); any other payload
/// may be anything.
const BESIDES_CALLERS: &str = "data";

/// Tells whether anything was committed to the database since it last
/// looked, on a connection of its own: SQLite's `data_version` (a commit by
/// any other connection, in any process), PostgreSQL's notifications on
/// `baton_changes` (sent at commit by a trigger on every table, whoever
/// writes: another instance, a command, psql).
pub struct ChangeFeed {
    conn: DbConnection,
    last_version: i64,
    polls: u32,
}

impl ChangeFeed {
    /// Opens the feed; changes from then on are seen.
    pub fn open(db: &Db) -> Result<ChangeFeed, String> {
        let mut conn = db.manager.connect().map_err(|e| e.to_string())?;
        if let DbConnection::Postgresql(c) = &mut conn {
            c.batch_execute("LISTEN baton_changes")
                .map_err(|e| e.to_string())?;
        }
        let mut feed = ChangeFeed {
            conn,
            last_version: 0,
            polls: 0,
        };
        if let DbConnection::Sqlite(c) = &mut feed.conn {
            feed.last_version = sqlite_data_version(c).map_err(|e| e.to_string())?;
        }
        Ok(feed)
    }

    /// What was committed since the last call; an error means the
    /// connection is gone.
    pub fn changed(&mut self) -> QueryResult<Change> {
        match &mut self.conn {
            DbConnection::Sqlite(c) => {
                let version = sqlite_data_version(c)?;
                let changed = version != self.last_version;
                self.last_version = version;
                Ok(if changed { Change::Any } else { Change::None })
            }
            DbConnection::Postgresql(c) => {
                // Reading notifications sends nothing: a query now and then
                // finds out whether the server is still there.
                self.polls = self.polls.wrapping_add(1);
                if self.polls.is_multiple_of(50) {
                    c.batch_execute("SELECT 1")?;
                }
                let mut change = Change::None;
                for notification in c.notifications_iter() {
                    change = match notification?.payload.as_str() {
                        BESIDES_CALLERS if change != Change::Any => Change::BesidesCallers,
                        _ => Change::Any,
                    };
                }
                Ok(change)
            }
        }
    }
}

/// SQLite's count of commits by other connections, as this one sees it.
fn sqlite_data_version(conn: &mut SqliteConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct DataVersion {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        data_version: i64,
    }
    diesel::sql_query("PRAGMA data_version")
        .get_result::<DataVersion>(conn)
        .map(|v| v.data_version)
}
