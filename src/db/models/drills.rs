//! Restore drills (`baton drill`): one row per run, passed or failed, with
//! how long each step took.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::drills;

/// A drill as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = drills)]
pub struct Drill {
    /// UUID v7.
    pub id: String,
    /// When it started (UTC).
    pub started_at: NaiveDateTime,
    /// Who ran it: the operating-system user and host.
    pub actor: String,
    /// The backend of the database drilled: `sqlite` or `postgres`.
    pub backend: String,
    /// The schema version of the archive.
    pub schema_version: String,
    /// Whether every step passed.
    pub passed: bool,
    /// The step that failed: `backup`, `restore`, `verify`, `render` or `cleanup`.
    pub failed_step: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// The archive's size.
    pub archive_bytes: Option<i64>,
    /// The rows in the archive.
    pub row_count: Option<i64>,
    /// How long the backup took, in milliseconds.
    pub backup_ms: Option<i64>,
    /// How long the restore into the scratch database took.
    pub restore_ms: Option<i64>,
    /// How long counting and checksumming the restored tables took.
    pub verify_ms: Option<i64>,
    /// How long rendering the dashboard and a handoff from it took.
    pub render_ms: Option<i64>,
    /// How long dropping the scratch database took.
    pub cleanup_ms: Option<i64>,
    /// The whole drill.
    pub total_ms: i64,
}

/// Records a drill.
pub fn record(conn: &mut DbConnection, drill: &Drill) -> QueryResult<()> {
    diesel::insert_into(drills::table)
        .values(drill)
        .execute(conn)
        .map(|_| ())
}

/// The newest drills, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Drill>> {
    drills::table
        .order(drills::id.desc())
        .limit(limit)
        .load(conn)
}

/// When the last drill that passed started, if one ever did.
pub fn last_passed_at(conn: &mut DbConnection) -> QueryResult<Option<NaiveDateTime>> {
    drills::table
        .filter(drills::passed.eq(true))
        .select(diesel::dsl::max(drills::started_at))
        .first(conn)
}
