//! Commits by other connections: another instance, a `baton` command,
//! psql. The change watcher (`web::watcher::watch`) asks, and drops what is
//! kept when something was committed.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::ManageConnection;
use diesel::sqlite::SqliteConnection;

use super::{Db, DbConnection};

/// What was committed since a [`ChangeFeed`] last looked, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Nothing.
    None,
    /// Something, but no session, token or user.
    BesidesCallers,
    /// Anything, sessions, tokens and users included.
    Any,
}

/// Tells whether anything was committed to the database since it last
/// looked, on a connection of its own: SQLite's `data_version` (a commit by
/// any other connection, in any process); on PostgreSQL, two counters that a
/// trigger on every table bumps, whoever writes (another instance, a
/// command, psql), read with the transactions still running (see
/// [`Bumps`]).
pub struct ChangeFeed {
    conn: DbConnection,
    last_version: i64,
    bumps: Bumps,
}

impl ChangeFeed {
    /// Opens the feed; changes from then on are seen.
    pub fn open(db: &Db) -> Result<ChangeFeed, String> {
        let mut conn = db.manager.connect().map_err(|e| e.to_string())?;
        if let DbConnection::Postgresql(c) = &mut conn {
            // Its transactions write nothing: their commits need no flush.
            c.batch_execute("SET synchronous_commit = off")
                .map_err(|e| e.to_string())?;
        }
        let mut feed = ChangeFeed {
            conn,
            last_version: 0,
            bumps: Bumps::default(),
        };
        feed.changed().map_err(|e| e.to_string())?;
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
                let counters = diesel::sql_query(
                    "SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END \
                     FROM baton_changes_callers) AS callers, \
                     (SELECT CASE WHEN is_called THEN last_value ELSE 0 END \
                     FROM baton_changes_data) AS data",
                )
                .get_result::<Counters>(c)?;
                let moved = self.bumps.moved(counters);
                if moved == Change::None && self.bumps.running.is_empty() {
                    return Ok(self.bumps.seen(counters, &[]));
                }
                if moved != Change::None {
                    // A transaction id of its own, assigned and committed:
                    // whoever bumped a counter before got a lower one, so
                    // the snapshot next has it below its horizon, either
                    // committed (and visible) or listed as running. Without
                    // it, a writer younger than every commit so far would
                    // be above the horizon, in no list.
                    c.batch_execute("SELECT pg_current_xact_id()")?;
                }
                let snapshot = diesel::sql_query("SELECT pg_current_snapshot()::text AS snapshot")
                    .get_result::<Snapshot>(c)?;
                let running = running_in(&snapshot.snapshot).ok_or_else(|| {
                    diesel::result::Error::DeserializationError(
                        format!("not a snapshot: {}", snapshot.snapshot).into(),
                    )
                })?;
                Ok(self.bumps.seen(counters, &running))
            }
        }
    }
}

/// PostgreSQL's two change counters (`migrations/postgres/…_change_scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
struct Counters {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    callers: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    data: i64,
}

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = diesel::sql_types::Text)]
    snapshot: String,
}

/// The transactions running in a snapshot's text, `xmin:xmax:xid,xid,…`.
fn running_in(snapshot: &str) -> Option<Vec<u64>> {
    let mut parts = snapshot.split(':');
    let (_, _, running) = (parts.next()?, parts.next()?, parts.next()?);
    running
        .split(',')
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().ok())
        .collect()
}

/// What the counters said at the last look, and the transactions that were
/// running when they moved: one of those may have made the move, and its
/// commit is seen only once it is no longer running.
#[derive(Debug, Default)]
struct Bumps {
    last: Option<Counters>,
    running: std::collections::BTreeMap<u64, Change>,
}

impl Bumps {
    /// What moving from the last counters to `counters` says.
    fn moved(&self, counters: Counters) -> Change {
        match self.last {
            Some(last) if last.callers != counters.callers => Change::Any,
            Some(last) if last.data != counters.data => Change::BesidesCallers,
            Some(_) => Change::None,
            // The first look: whatever was kept before is not trusted.
            None => Change::Any,
        }
    }

    /// What changed, given the counters and then the transactions running.
    fn seen(&mut self, counters: Counters, running: &[u64]) -> Change {
        let mut change = Change::None;
        self.running.retain(|xid, moved| {
            let ended = !running.contains(xid);
            if ended {
                change = change.max(*moved);
            }
            !ended
        });
        let moved = self.moved(counters);
        if moved != Change::None {
            change = change.max(moved);
            for xid in running {
                let kept = self.running.entry(*xid).or_insert(moved);
                *kept = (*kept).max(moved);
            }
        }
        self.last = Some(counters);
        change
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

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(callers: i64, data: i64) -> Counters {
        Counters { callers, data }
    }

    #[test]
    fn a_snapshots_running_transactions_are_read() {
        assert_eq!(running_in("748:752:748,750"), Some(vec![748, 750]));
        assert_eq!(running_in("752:752:"), Some(vec![]));
        assert_eq!(running_in("nonsense"), None);
    }

    #[test]
    fn a_bump_counts_now_and_again_when_the_transactions_running_then_end() {
        let mut bumps = Bumps::default();
        assert_eq!(
            bumps.seen(counters(0, 0), &[7]),
            Change::Any,
            "the first look"
        );
        assert_eq!(bumps.seen(counters(0, 0), &[7]), Change::None);
        // A note, its writer (9) perhaps not committed yet.
        assert_eq!(bumps.seen(counters(0, 1), &[7, 9]), Change::BesidesCallers);
        assert_eq!(bumps.seen(counters(0, 1), &[7, 9]), Change::None);
        assert_eq!(
            bumps.seen(counters(0, 1), &[7]),
            Change::BesidesCallers,
            "9 ended"
        );
        assert_eq!(bumps.seen(counters(0, 1), &[7]), Change::None);
        // A token revoked: callers may have changed, now and when 11 ends.
        assert_eq!(
            bumps.seen(counters(1, 1), &[11]),
            Change::Any,
            "7 ended too"
        );
        assert_eq!(
            bumps.seen(counters(1, 2), &[11, 12]),
            Change::BesidesCallers
        );
        assert_eq!(bumps.seen(counters(1, 2), &[]), Change::Any, "11 ended");
        assert_eq!(bumps.seen(counters(1, 2), &[]), Change::None);
    }
}
