//! Where backups go and what they are called, `--keep N`, and the backup
//! taken before a migration: `baton migrate`, `baton serve` and every
//! other command that migrates back the database up first when it has data
//! and a migration is pending, and say how to go back to it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::db::{self, Backend, DbConnection, migrations};

/// The start of the name of every archive `baton backup` writes.
pub const PREFIX: &str = "baton-backup-";
/// The start of the name of the archive taken before a migration (never
/// rotated away by `--keep`).
pub const BEFORE_PREFIX: &str = "baton-before-migrating-";
/// The end of every archive's name: gzip-compressed JSON lines.
pub const SUFFIX: &str = ".jsonl.gz";

/// The directory backups go to: `BATON_BACKUP_DIR`, else the SQLite
/// file's own directory. A PostgreSQL database has no file to put them
/// next to, so it needs the setting.
pub fn backup_dir(settings: &Settings) -> Result<PathBuf, String> {
    if let Some(dir) = &settings.backup_dir {
        return Ok(dir.clone());
    }
    match Backend::from_url(&settings.database_url)? {
        Backend::Sqlite(path) => Ok(Path::new(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned()),
        Backend::Postgres(_) => Err(
            "set BATON_BACKUP_DIR to the directory backups go to (a PostgreSQL database has no file to put them next to)"
                .into(),
        ),
    }
}

/// `baton-backup-20261203T081500.123Z.jsonl.gz`: names sort as times do.
pub fn file_name(prefix: &str, at: DateTime<Utc>) -> String {
    format!("{prefix}{}{SUFFIX}", at.format("%Y%m%dT%H%M%S%.3fZ"))
}

/// Removes all but the newest `keep` archives named by `baton backup` in
/// `dir`; returns those removed.
pub fn rotate(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(PREFIX) && name.ends_with(SUFFIX))
        .collect();
    names.sort();
    let old = names.len().saturating_sub(keep);
    let mut removed = vec![];
    for name in &names[..old] {
        let path = dir.join(name);
        std::fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
        removed.push(path);
    }
    Ok(removed)
}

/// Before the pending migrations are applied to a database that has data
/// in an older schema: a backup into the backup directory, and a message
/// that names it and the command that restores it. Nothing for a database
/// never migrated, or with nothing pending.
pub fn backup_before_migrating(settings: &Settings) -> Result<Option<String>, String> {
    let url = &settings.database_url;
    if let Backend::Sqlite(path) = Backend::from_url(url)?
        && !Path::new(&path).exists()
    {
        return Ok(None);
    }
    let mut conn = db::connect_unmigrated(url)?;
    if migrations::applied(&mut conn)?.is_empty() {
        return Ok(None);
    }
    let pending = migrations::pending(&mut conn)?;
    drop(conn);
    let Some(last) = pending.last() else {
        return Ok(None);
    };
    let names = pending
        .iter()
        .map(|k| k.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if !settings.backup_before_migrating {
        return Ok(Some(format!(
            "applying {} pending migration(s) ({names}) without a backup first (--no-backup)",
            pending.len()
        )));
    }
    let dir = backup_dir(settings).map_err(|e| {
        format!(
            "{} migration(s) are pending ({names}), and Baton backs the database up before applying them: {e}; \
             or pass --no-backup to apply them without one",
            pending.len()
        )
    })?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let path = dir.join(file_name(
        &format!("{BEFORE_PREFIX}{}-", last.version),
        Utc::now(),
    ));
    let written = super::write_archive(url, &path)?;
    Ok(Some(format!(
        "backed the database up to {} ({} rows, {}) before applying {names}; \
         to return to it, with the Baton that wrote it: baton restore {} --database-url {} --replace",
        written.path.display(),
        written.manifest.total_rows(),
        super::human_bytes(written.bytes),
        written.path.display(),
        db::redact(url),
    )))
}

/// One plain connection for a command, migrated after the backup that
/// comes first (see [`backup_before_migrating`]), with that backup's
/// message if one was taken.
pub fn connect_and_migrate(settings: &Settings) -> Result<(DbConnection, Option<String>), String> {
    let note = backup_before_migrating(settings)?;
    Ok((db::connect_once(&settings.database_url)?, note))
}
