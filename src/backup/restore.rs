//! `baton restore`: an archive into an empty database of either backend.
//!
//! 1. The manifest is read and its versions checked: an archive from a newer
//!    Baton is refused with both versions named.
//! 2. The whole archive is read once and checked against its manifest
//!    (counts and SHA-256 of every table), before the target is touched.
//! 3. In one transaction on the target: whatever schema it has is dropped,
//!    the archive's schema version is built by the migrations, the rows are
//!    inserted (read and checked again as they go), every table is read
//!    back and compared with the manifest, and the remaining migrations
//!    bring the data forward. Any error rolls all of it back.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use sha2::{Digest, Sha256};

use super::archive::{self, Manifest};
use super::canonical::Kind;
use super::load;
use super::snapshot::{self, Shape, quote};
use crate::db::{self, Backend, DbConnection, migrations};

/// A restore done.
#[derive(Debug, Clone)]
pub struct Restored {
    /// What the archive held.
    pub manifest: Manifest,
    /// The schema version the data was migrated forward to, when it was.
    pub migrated_to: Option<String>,
    /// How long it took.
    pub elapsed: Duration,
}

/// An error inside the restore's transaction.
struct Failed(String);

impl From<diesel::result::Error> for Failed {
    fn from(e: diesel::result::Error) -> Failed {
        Failed(e.to_string())
    }
}

impl From<String> for Failed {
    fn from(e: String) -> Failed {
        Failed(e)
    }
}

/// Refuses an archive this Baton cannot restore: from a newer Baton, or at
/// a schema version it does not know.
pub fn check_versions(manifest: &Manifest) -> Result<(), String> {
    let Some(version) = &manifest.schema_version else {
        return Ok(());
    };
    let known = migrations::known()?;
    let latest = known.last().map(|k| k.version.clone()).unwrap_or_default();
    if *version > latest {
        return Err(format!(
            "the archive is from a newer Baton: Baton {} at schema version {version}; \
             this is Baton {} at schema version {latest}: restore it with Baton {} or newer",
            manifest.baton_version,
            env!("CARGO_PKG_VERSION"),
            manifest.baton_version
        ));
    }
    if !known.iter().any(|k| k.version == *version) {
        return Err(format!(
            "the archive is at schema version {version}, which this Baton ({}) does not know",
            env!("CARGO_PKG_VERSION")
        ));
    }
    Ok(())
}

/// Restores the archive at `path` into the database at `target_url`, which
/// must hold no rows unless `replace` (then everything in it is dropped).
/// On any error the target is left as it was (a SQLite file this created
/// is removed).
pub fn restore(path: &Path, target_url: &str, replace: bool) -> Result<Restored, String> {
    let started = Instant::now();
    let target = Backend::from_url(target_url)?;
    let manifest = archive::Reader::open(path)?.manifest;
    check_versions(&manifest)?;
    archive::read(path, &mut archive::JustCheck)?;
    tracing::info!(elapsed = ?started.elapsed(), "restore: the archive matches its manifest");
    let created = match target {
        Backend::Sqlite(file) if !Path::new(&file).exists() => Some(file),
        _ => None,
    };
    let result = restore_checked(path, target_url, replace, created.is_some());
    if let (Err(_), Some(file)) = (&result, &created) {
        snapshot::remove_sqlite_files(Path::new(file));
    }
    let migrated_to = result?;
    Ok(Restored {
        manifest,
        migrated_to,
        elapsed: started.elapsed(),
    })
}

fn restore_checked(
    path: &Path,
    target_url: &str,
    replace: bool,
    new_file: bool,
) -> Result<Option<String>, String> {
    let mut conn = db::connect_unmigrated(target_url)?;
    if !replace && let Some(table) = first_table_with_rows(&mut conn)? {
        return Err(format!(
            "the target database is not empty (table {table} has rows): restore into an empty \
             database, or pass --replace to drop everything it holds"
        ));
    }
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if sqlite {
        // Checked as a whole before the commit instead (foreign_key_check).
        conn.batch_execute("PRAGMA foreign_keys = OFF")
            .map_err(|e| e.to_string())?;
    }
    if new_file {
        // A file this restore made is removed if it fails: the transaction
        // needs no journal on disk, and the file is flushed once at the end.
        conn.batch_execute("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF")
            .map_err(|e| e.to_string())?;
    }
    let mut reader = archive::Reader::open(path)?;
    let manifest = reader.manifest.clone();
    let started = Instant::now();
    let done = conn.transaction::<_, Failed, _>(|conn| {
        drop_everything(conn)?;
        if let Some(version) = &manifest.schema_version {
            migrations::migrate_to(conn, version)?;
        }
        check_shapes(conn, &manifest)?;
        tracing::info!(elapsed = ?started.elapsed(), "restore: the schema is built");
        let again = load::set_aside_indexes(conn)?;
        load::load(conn, &mut reader)?;
        tracing::info!(elapsed = ?started.elapsed(), "restore: the rows are in");
        for statement in &again {
            conn.batch_execute(statement)?;
        }
        tracing::info!(elapsed = ?started.elapsed(), "restore: indexes and references are built again");
        verify_database(conn, &manifest)?;
        tracing::info!(elapsed = ?started.elapsed(), "restore: the rows read back match");
        let pending = migrations::pending(conn)?;
        db::migrate_connection(conn)?;
        if sqlite {
            let broken: Vec<Table> =
                diesel::sql_query("SELECT \"table\" AS name FROM pragma_foreign_key_check")
                    .load(conn)?;
            if let Some(first) = broken.first() {
                return Err(Failed(format!(
                    "table {} holds rows whose references point nowhere",
                    first.name
                )));
            }
        }
        Ok(pending.last().map(|k| k.version.clone()))
    });
    tracing::info!(elapsed = ?started.elapsed(), "restore: committed");
    if sqlite {
        let _ = conn.batch_execute("PRAGMA foreign_keys = ON");
    }
    let migrated_to = done.map_err(|Failed(e)| e)?;
    if new_file {
        conn.batch_execute("PRAGMA synchronous = FULL; PRAGMA journal_mode = WAL")
            .map_err(|e| e.to_string())?;
        drop(conn);
        if let Ok(Backend::Sqlite(file)) = Backend::from_url(target_url) {
            std::fs::File::open(&file)
                .and_then(|f| f.sync_all())
                .map_err(|e| format!("flushing {file}: {e}"))?;
        }
    }
    Ok(migrated_to)
}

#[derive(QueryableByName)]
struct Table {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    one: i32,
}

/// The first table of the database that holds a row, if any.
pub fn first_table_with_rows(conn: &mut DbConnection) -> Result<Option<String>, String> {
    for table in snapshot::table_names(conn)? {
        let rows: Vec<One> =
            diesel::sql_query(format!("SELECT 1 AS one FROM {} LIMIT 1", quote(&table)))
                .load(conn)
                .map_err(|e| format!("reading {table}: {e}"))?;
        if !rows.is_empty() {
            return Ok(Some(table));
        }
    }
    Ok(None)
}

/// Drops every table (and on PostgreSQL every sequence and function) of
/// the target's schema, so that the migrations build it from nothing.
fn drop_everything(conn: &mut DbConnection) -> Result<(), Failed> {
    match conn {
        DbConnection::Sqlite(_) => {
            let objects: Vec<Table> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .load(conn)?;
            for t in objects {
                conn.batch_execute(&format!("DROP TABLE {}", quote(&t.name)))?;
            }
        }
        DbConnection::Postgresql(_) => {
            let mut tables = snapshot::table_names(conn)?;
            tables.push("__diesel_schema_migrations".into());
            for t in tables {
                conn.batch_execute(&format!("DROP TABLE IF EXISTS {} CASCADE", quote(&t)))?;
            }
            let routines: Vec<Table> = diesel::sql_query(
                "SELECT p.oid::regprocedure::text AS name FROM pg_proc p \
                 WHERE p.pronamespace = current_schema()::regnamespace \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
                                 AND d.objid = p.oid AND d.deptype = 'e')",
            )
            .load(conn)?;
            for r in routines {
                conn.batch_execute(&format!("DROP ROUTINE IF EXISTS {} CASCADE", r.name))?;
            }
            // The change counters; a column's own sequence went with its table.
            let sequences: Vec<Table> = diesel::sql_query(
                "SELECT c.oid::regclass::text AS name FROM pg_class c \
                 WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                                 AND d.objid = c.oid AND d.deptype = 'e')",
            )
            .load(conn)?;
            for q in sequences {
                conn.batch_execute(&format!("DROP SEQUENCE IF EXISTS {} CASCADE", q.name))?;
            }
        }
    }
    Ok(())
}

/// Each table of the archive has exactly the columns the schema it was
/// built with has, and the schema no table the archive lacks.
fn check_shapes(conn: &mut DbConnection, manifest: &Manifest) -> Result<(), Failed> {
    let version = manifest.schema_version.as_deref().unwrap_or("none");
    for table in &manifest.tables {
        let have: BTreeMap<String, Kind> = snapshot::columns(conn, &table.name)?
            .into_iter()
            .map(|c| (c.name, c.kind))
            .collect();
        let want: BTreeMap<String, Kind> = table
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.kind))
            .collect();
        if have != want {
            return Err(Failed(format!(
                "table {}: the archive's columns {:?} are not those of schema version {version}: {:?}",
                table.name,
                want.keys().collect::<Vec<_>>(),
                have.keys().collect::<Vec<_>>()
            )));
        }
    }
    for name in snapshot::table_names(conn)? {
        if !manifest.tables.iter().any(|t| t.name == name)
            && !super::NOT_KEPT.iter().any(|(t, _)| *t == name)
        {
            return Err(Failed(format!(
                "the archive has no table {name}, which schema version {version} has"
            )));
        }
    }
    Ok(())
}

/// Reads every table of `manifest` back from the database and compares its
/// count and SHA-256; the message names the first table that differs.
pub fn verify_database(conn: &mut DbConnection, manifest: &Manifest) -> Result<(), String> {
    for table in &manifest.tables {
        let shape = Shape {
            name: table.name.clone(),
            key: table.key.clone(),
            columns: table.columns.clone(),
        };
        let mut hasher = Sha256::new();
        let rows = snapshot::read_rows(conn, &shape, |line| {
            hasher.update(line);
            Ok(())
        })?;
        let sha = archive::hex(&hasher.finalize());
        if rows != table.rows || sha != table.sha256 {
            return Err(format!(
                "table {}: expected {} rows with SHA-256 {}…, found {rows} rows with SHA-256 {}…",
                table.name,
                table.rows,
                &table.sha256[..table.sha256.len().min(12)],
                &sha[..12]
            ));
        }
    }
    Ok(())
}
