//! The migrations one by one, for what `run_pending_migrations` cannot say:
//! which versions a database has, which this Baton knows, and moving a
//! database to a given version (a restore builds the archive's schema, fills
//! it, then migrates forward). A version is diesel's: the folder name's date
//! and number without dashes (`20261203000016`).

use diesel::migration::{Migration, MigrationSource};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Backend, DbConnection, establish, redact};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies the pending migrations of the connection's backend.
pub fn migrate_connection(conn: &mut DbConnection) -> Result<(), String> {
    let applied = match conn {
        DbConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| format!("migrations failed: {e}"))?;
    if applied > 0 {
        tracing::info!(applied, "database migrated");
    }
    Ok(())
}

/// A migration this Baton carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// `20261203000016`.
    pub version: String,
    /// `2026-12-03-000016_drills`.
    pub name: String,
}

fn listed<DB: diesel::backend::Backend>(
    source: &dyn MigrationSource<DB>,
) -> Result<Vec<Known>, String> {
    let mut all: Vec<Known> = source
        .migrations()
        .map_err(|e| format!("reading the migrations: {e}"))?
        .iter()
        .map(|m| Known {
            version: m.name().version().to_string(),
            name: m.name().to_string(),
        })
        .collect();
    all.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(all)
}

/// Every migration this Baton carries for SQLite, oldest first (the
/// PostgreSQL folder holds the same names; the drift test says so).
pub fn known() -> Result<Vec<Known>, String> {
    listed::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS)
}

/// The newest schema version this Baton knows.
pub fn latest() -> Result<String, String> {
    known()?
        .pop()
        .map(|k| k.version)
        .ok_or_else(|| "this Baton carries no migrations".to_owned())
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The versions applied to the database, oldest first; none when it was
/// never migrated. Only reads (diesel's own harness would create its table).
pub fn applied(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let exists = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name AS version FROM sqlite_master \
             WHERE type = 'table' AND name = '__diesel_schema_migrations'"
        }
        DbConnection::Postgresql(_) => {
            "SELECT table_name::text AS version FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '__diesel_schema_migrations'"
        }
    };
    let found: Vec<Version> = diesel::sql_query(exists)
        .load(conn)
        .map_err(|e| format!("reading the schema version: {e}"))?;
    if found.is_empty() {
        return Ok(vec![]);
    }
    let mut versions: Vec<String> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<Version>(conn)
            .map_err(|e| format!("reading the schema version: {e}"))?
            .into_iter()
            .map(|v| v.version)
            .collect();
    versions.sort();
    Ok(versions)
}

/// The database's schema version: its newest applied migration, if any.
pub fn current(conn: &mut DbConnection) -> Result<Option<String>, String> {
    Ok(applied(conn)?.pop())
}

/// The migrations this Baton would apply to the database, oldest first.
pub fn pending(conn: &mut DbConnection) -> Result<Vec<Known>, String> {
    let applied = applied(conn)?;
    Ok(known()?
        .into_iter()
        .filter(|k| !applied.contains(&k.version))
        .collect())
}

/// Applies, in order, the pending migrations up to and including
/// `version`. Inside a transaction each one is a savepoint of it.
pub fn migrate_to(conn: &mut DbConnection, version: &str) -> Result<(), String> {
    let applied = applied(conn)?;
    fn run<DB, C>(
        conn: &mut C,
        source: &dyn MigrationSource<DB>,
        applied: &[String],
        version: &str,
    ) -> Result<(), String>
    where
        DB: diesel::backend::Backend,
        C: MigrationHarness<DB>,
    {
        let mut todo: Vec<Box<dyn Migration<DB>>> = source
            .migrations()
            .map_err(|e| format!("reading the migrations: {e}"))?
            .into_iter()
            .filter(|m| {
                let v = m.name().version().to_string();
                v.as_str() <= version && !applied.contains(&v)
            })
            .collect();
        todo.sort_by_key(|m| m.name().version().to_string());
        // Creates diesel's table of applied versions when there is none.
        conn.applied_migrations()
            .map_err(|e| format!("reading the applied migrations: {e}"))?;
        for m in todo {
            conn.run_migration(m.as_ref())
                .map_err(|e| format!("migration {} failed: {e}", m.name()))?;
        }
        Ok(())
    }
    match conn {
        DbConnection::Sqlite(c) => run(c, &SQLITE_MIGRATIONS, &applied, version),
        DbConnection::Postgresql(c) => run(c, &POSTGRES_MIGRATIONS, &applied, version),
    }
}

/// Reverts, newest first, the applied migrations newer than `version`
/// (through their `down.sql`), so that the database is at `version`.
pub fn revert_to(conn: &mut DbConnection, version: &str) -> Result<(), String> {
    let applied = applied(conn)?;
    fn run<DB, C>(
        conn: &mut C,
        source: &dyn MigrationSource<DB>,
        applied: &[String],
        version: &str,
    ) -> Result<(), String>
    where
        DB: diesel::backend::Backend,
        C: MigrationHarness<DB>,
    {
        let all = source
            .migrations()
            .map_err(|e| format!("reading the migrations: {e}"))?;
        for v in applied.iter().rev().filter(|v| v.as_str() > version) {
            let m = all
                .iter()
                .find(|m| m.name().version().to_string() == *v)
                .ok_or_else(|| format!("migration {v} is not one this Baton knows"))?;
            conn.revert_migration(m.as_ref())
                .map_err(|e| format!("reverting {} failed: {e}", m.name()))?;
        }
        Ok(())
    }
    match conn {
        DbConnection::Sqlite(c) => run(c, &SQLITE_MIGRATIONS, &applied, version),
        DbConnection::Postgresql(c) => run(c, &POSTGRES_MIGRATIONS, &applied, version),
    }
}

/// Opens one plain connection to `url` and applies the pending migrations:
/// what a one-shot command needs. No pool, so no thread is left opening a
/// connection in the background while the process exits (libpq would still
/// be using OpenSSL while `exit()` tears it down: a SIGSEGV after the
/// command's output).
pub fn connect_once(url: &str) -> Result<DbConnection, String> {
    let mut conn = connect_unmigrated(url)?;
    migrate_connection(&mut conn)?;
    Ok(conn)
}

/// Opens one plain connection to `url` as it is, migrations pending or not
/// (a backup takes the database as it finds it).
pub fn connect_unmigrated(url: &str) -> Result<DbConnection, String> {
    let backend = Backend::from_url(url)?;
    establish(&backend, false).map_err(|e| format!("cannot open the database {}: {e}", redact(url)))
}
