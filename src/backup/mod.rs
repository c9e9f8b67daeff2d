//! Backups that count: `baton backup` writes a portable archive of every
//! table from a consistent snapshot, `baton restore` puts one into an empty
//! database of either backend (checked before and after, in one
//! transaction), and `baton drill` does both into a scratch database, checks
//! the result table by table, renders pages from it and records how long
//! each step took (the "Backup Appreciation Day" drill, in one command).
//!
//! - `canonical`: one row's values written the same way whatever the backend;
//! - `snapshot`: a consistent view of a live database and its rows in order;
//! - `archive`: the file format, written and read as a stream;
//! - `restore`: into an empty database, in one transaction;
//! - `drill`: the whole drill and its report;
//! - `upgrade`: the backup taken before migrations, and where backups go.

pub mod archive;
pub mod canonical;
pub mod drill;
mod load;
pub mod restore;
pub mod snapshot;
pub mod upgrade;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use crate::domain::text::human_bytes;
use archive::Manifest;

/// Every table Baton keeps, with the column its rows are ordered by, in
/// the order a restore fills them: each after the tables it references.
/// A table added to `db/schema.rs` must be added here too (a test fails
/// until it is), or backups would leave it out; a backup refuses a
/// database with a table it does not list.
pub const TABLES: &[(&str, &str)] = &[
    ("users", "id"),
    ("api_tokens", "id"),
    ("shifts", "id"),
    ("handoffs", "id"),
    ("notes", "id"),
    ("note_revisions", "id"),
    ("issue_links", "id"),
    ("handovers", "id"),
    ("settings", "name"),
    ("sessions", "id"),
    ("audit_log", "id"),
    ("signin_attempts", "id"),
    ("drills", "id"),
    ("events", "id"),
    ("event_issues", "id"),
    ("rotations", "id"),
    ("rotation_plans", "id"),
    ("calendar_feeds", "id"),
    ("chat_handles", "user_id"),
    ("chat_outbox", "id"),
    ("pass_escalations", "note_id"),
    ("cover_requests", "id"),
    ("schedule_notices", "id"),
];

/// The tables a backup leaves out on purpose, with why: what they hold is
/// read again or made again by a running Baton, and a restored database
/// starts them empty.
pub const NOT_KEPT: &[(&str, &str)] = &[
    (
        "gitlab_issues",
        "a cache of GitLab's issues, read again by the refresher",
    ),
    (
        "gitlab_issue_labels",
        "the cached issues' labels one to a row, written with gitlab_issues",
    ),
    ("gitlab_status", "whether GitLab answers now"),
    (
        "webhook_deliveries",
        "the ids of recent webhook deliveries, kept a few days",
    ),
    ("job_leases", "which instance runs a background job now"),
];

/// A backup written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Where.
    pub path: PathBuf,
    /// What it holds.
    pub manifest: Manifest,
    /// Its size in bytes.
    pub bytes: u64,
    /// How long it took.
    pub elapsed: Duration,
}

/// Backs the database at `database_url` up into an archive at `path`.
/// Nothing is at `path` unless the archive is complete.
pub fn write_archive(database_url: &str, path: &Path) -> Result<Written, String> {
    let started = Instant::now();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let created_at = crate::domain::time::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let mut snapshot = snapshot::Snapshot::take(database_url, dir)?;
    tracing::info!(elapsed = ?started.elapsed(), "backup: snapshot taken");
    if let Some(version) = &snapshot.schema_version {
        let latest = crate::db::migrations::latest()?;
        if *version > latest {
            return Err(format!(
                "the database is at schema version {version}, newer than this Baton ({}) knows ({latest}): \
                 back it up with the Baton that serves it",
                env!("CARGO_PKG_VERSION")
            ));
        }
    }
    let present = snapshot::table_names(&mut snapshot.conn)?;
    let unknown: Vec<&String> = present
        .iter()
        .filter(|t| !TABLES.iter().chain(NOT_KEPT).any(|(name, _)| name == t))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "the database holds tables that backups do not list: {}",
            unknown
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut writer = archive::Writer::create(path)?;
    for (name, key) in TABLES {
        if !present.iter().any(|t| t == name) {
            continue;
        }
        let shape = snapshot::Shape {
            name: (*name).to_owned(),
            key: (*key).to_owned(),
            columns: snapshot::columns(&mut snapshot.conn, name)?,
        };
        writer.begin_table(name, key, shape.columns.clone())?;
        snapshot::read_rows(&mut snapshot.conn, &shape, |line| writer.row(line))?;
        writer.end_table();
    }
    let manifest = Manifest {
        format: archive::FORMAT.into(),
        format_version: archive::FORMAT_VERSION,
        baton_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: snapshot.schema_version.clone(),
        created_at,
        source_backend: snapshot.backend.into(),
        tables: vec![],
    };
    snapshot.finish()?;
    tracing::info!(elapsed = ?started.elapsed(), "backup: every table read");
    let manifest = writer.finish(manifest)?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    Ok(Written {
        path: path.to_owned(),
        manifest,
        bytes,
        elapsed: started.elapsed(),
    })
}
