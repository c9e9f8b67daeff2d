//! Reading a database for a backup: a consistent snapshot while Baton keeps
//! serving, and each table's rows in key order, a page at a time, in their
//! canonical form.
//!
//! On SQLite the snapshot is a copy made with SQLite's online backup API in
//! one step (one read transaction: in WAL mode writers go on meanwhile), and
//! the rows are read from the copy, so the live database is held only for
//! the copy. On PostgreSQL it is one `REPEATABLE READ READ ONLY`
//! transaction.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::canonical::{self, Column, Kind};
use crate::db::{self, Backend, DbConnection};

/// Rows per query.
const PAGE: i64 = 2_000;

/// A table of the database, with its columns in the database's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Its name.
    pub name: String,
    /// Its key column (rows are read in its order).
    pub key: String,
    /// Its columns.
    pub columns: Vec<Column>,
}

/// The backend of a connection, as the archive names it.
pub fn backend_name(conn: &DbConnection) -> &'static str {
    match conn {
        DbConnection::Postgresql(_) => "postgres",
        DbConnection::Sqlite(_) => "sqlite",
    }
}

/// `"name"`, quoted for either backend.
pub fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Declared {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
}

/// Every table of the database but diesel's own (and on PostgreSQL those
/// of extensions), sorted.
pub fn table_names(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'"
        }
        // Not the tables of extensions (PostGIS's spatial_ref_sys): they
        // are the extension's, made and filled by it.
        DbConnection::Postgresql(_) => {
            "SELECT c.relname::text AS name FROM pg_class c \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
             AND c.relname <> '__diesel_schema_migrations' \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                             AND d.objid = c.oid AND d.deptype = 'e')"
        }
    };
    let mut names: Vec<String> = diesel::sql_query(query)
        .load::<Named>(conn)
        .map_err(|e| format!("listing the tables: {e}"))?
        .into_iter()
        .map(|n| n.name)
        .collect();
    names.sort();
    Ok(names)
}

/// The columns of `table` in the database's order; none when there is no
/// such table.
pub fn columns(conn: &mut DbConnection, table: &str) -> Result<Vec<Column>, String> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name, type AS declared FROM pragma_table_info($1) ORDER BY cid"
        }
        DbConnection::Postgresql(_) => {
            "SELECT column_name::text AS name, data_type::text AS declared \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
             ORDER BY ordinal_position"
        }
    };
    diesel::sql_query(query)
        .bind::<Text, _>(table)
        .load::<Declared>(conn)
        .map_err(|e| format!("reading the columns of {table}: {e}"))?
        .into_iter()
        .map(|c| {
            let kind = Kind::from_declared(&c.declared).ok_or_else(|| {
                format!(
                    "{table}.{} has the type {}, which backups do not know",
                    c.name, c.declared
                )
            })?;
            Ok(Column { name: c.name, kind })
        })
        .collect()
}

#[derive(QueryableByName)]
struct PageRow {
    #[diesel(sql_type = Text)]
    json: String,
    #[diesel(sql_type = Text)]
    key: String,
}

/// Reads every row of `table` (the columns as `shape` lists them, whatever
/// their order in this database) in key order, handing each canonical line
/// to `sink`; returns how many there were. The database is read on this
/// thread and the rows made canonical on another, so that both go at once.
pub fn read_rows(
    conn: &mut DbConnection,
    shape: &Shape,
    mut sink: impl FnMut(&[u8]) -> Result<(), String> + Send,
) -> Result<u64, String> {
    std::thread::scope(|scope| {
        let (pages, incoming) = std::sync::mpsc::sync_channel::<Vec<String>>(4);
        let columns = &shape.columns;
        let name = &shape.name;
        let worker = scope.spawn(move || -> Result<(), String> {
            let mut line = Vec::with_capacity(4096);
            for page in incoming {
                for json in page {
                    line.clear();
                    canonical::canonical_row(columns, &json, &mut line)
                        .map_err(|e| format!("{name}: {e}"))?;
                    sink(&line)?;
                }
            }
            Ok(())
        });
        let read = read_pages(conn, shape, |page| {
            pages
                .send(page)
                .map_err(|_| "the rows stopped being read".to_owned())
        });
        drop(pages);
        let worked = worker
            .join()
            .unwrap_or_else(|_| Err("reading the rows panicked".into()));
        // The worker's error says why the reader's pages were refused.
        worked?;
        read
    })
}

/// Reads every row of `table` in key order, a page at a time, as the
/// database writes them (a JSON array each); returns how many there were.
fn read_pages(
    conn: &mut DbConnection,
    shape: &Shape,
    mut each: impl FnMut(Vec<String>) -> Result<(), String>,
) -> Result<u64, String> {
    let list = shape
        .columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let (table, key) = (quote(&shape.name), quote(&shape.key));
    let (first, next) = match conn {
        DbConnection::Sqlite(_) => {
            let select = format!("SELECT json_array({list}) AS json, {key} AS key FROM {table}");
            (
                format!("{select} ORDER BY {key} LIMIT {PAGE}"),
                format!("{select} WHERE {key} > $1 ORDER BY {key} LIMIT {PAGE}"),
            )
        }
        DbConnection::Postgresql(_) => {
            let select = format!(
                "SELECT json_build_array({list})::text AS json, {key}::text AS key FROM {table}"
            );
            (
                format!("{select} ORDER BY {key} COLLATE \"C\" LIMIT {PAGE}"),
                format!(
                    "{select} WHERE {key} COLLATE \"C\" > $1 ORDER BY {key} COLLATE \"C\" LIMIT {PAGE}"
                ),
            )
        }
    };
    let mut rows = 0u64;
    let mut last: Option<String> = None;
    loop {
        let page: Vec<PageRow> = match &last {
            None => diesel::sql_query(&first).load(conn),
            Some(after) => diesel::sql_query(&next).bind::<Text, _>(after).load(conn),
        }
        .map_err(|e| format!("reading {}: {e}", shape.name))?;
        let full = page.len() as i64 == PAGE;
        rows += page.len() as u64;
        last = page.last().map(|r| r.key.clone());
        each(page.into_iter().map(|r| r.json).collect())?;
        if !full {
            return Ok(rows);
        }
    }
}

/// A consistent view of a database, open until [`Snapshot::finish`].
pub struct Snapshot {
    /// The connection that reads it.
    pub conn: DbConnection,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The schema version of the data, if it was ever migrated.
    pub schema_version: Option<String>,
    _copy: Option<CopyFile>,
}

impl Snapshot {
    /// Takes a snapshot of the database at `url`; a SQLite copy is made in
    /// `scratch` (a directory) and removed when the snapshot is.
    pub fn take(url: &str, scratch: &Path) -> Result<Snapshot, String> {
        let (conn, copy) = match Backend::from_url(url)? {
            Backend::Sqlite(path) => {
                let copy = scratch.join(format!(
                    ".baton-snapshot-{}.db",
                    uuid::Uuid::new_v4().simple()
                ));
                let copy = CopyFile(copy);
                copy_sqlite(&path, &copy.0)?;
                (
                    db::connect_unmigrated(&copy.0.to_string_lossy())?,
                    Some(copy),
                )
            }
            Backend::Postgres(_) => {
                let mut conn = db::connect_unmigrated(url)?;
                conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .map_err(|e| format!("starting the snapshot: {e}"))?;
                (conn, None)
            }
        };
        let mut snapshot = Snapshot {
            backend: backend_name(&conn),
            conn,
            schema_version: None,
            _copy: copy,
        };
        snapshot.schema_version = db::migrations::current(&mut snapshot.conn)?;
        Ok(snapshot)
    }

    /// Ends the snapshot (the drop does the same, quietly).
    pub fn finish(mut self) -> Result<(), String> {
        if let DbConnection::Postgresql(_) = self.conn {
            self.conn
                .batch_execute("COMMIT")
                .map_err(|e| format!("ending the snapshot: {e}"))?;
        }
        Ok(())
    }
}

/// A SQLite copy, removed when dropped (after the connection to it, which
/// is declared before it in [`Snapshot`] and so dropped first).
struct CopyFile(PathBuf);

impl Drop for CopyFile {
    fn drop(&mut self) {
        remove_sqlite_files(&self.0);
    }
}

/// Removes a SQLite file and its WAL companions.
pub fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Copies the SQLite database at `source` to `dest` with the online backup
/// API, in one step: one read transaction, consistent, while writers go on.
fn copy_sqlite(source: &str, dest: &Path) -> Result<(), String> {
    use libsqlite3_sys as ffi;
    if !Path::new(source).exists() {
        return Err(format!("there is no SQLite database at {source}"));
    }
    let src_name = CString::new(source).map_err(|_| "the database path holds a NUL".to_owned())?;
    let dst_name = CString::new(dest.to_string_lossy().as_bytes())
        .map_err(|_| "the snapshot path holds a NUL".to_owned())?;
    /// Closes a raw connection when it goes out of scope.
    struct Handle(*mut ffi::sqlite3);
    impl Drop for Handle {
        fn drop(&mut self) {
            // SAFETY: the handle came from sqlite3_open_v2 (or is null,
            // which sqlite3_close accepts) and is closed once, here.
            unsafe {
                ffi::sqlite3_close(self.0);
            }
        }
    }
    fn message(db: *mut ffi::sqlite3) -> String {
        // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by
        // the connection, read before anything else uses the connection.
        unsafe {
            let text = ffi::sqlite3_errmsg(db);
            if text.is_null() {
                "unknown error".into()
            } else {
                std::ffi::CStr::from_ptr(text)
                    .to_string_lossy()
                    .into_owned()
            }
        }
    }
    let open = |name: &CString, flags: i32| -> Result<Handle, String> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: a valid NUL-terminated name and an out pointer for the
        // handle; the handle is closed by `Handle` whatever happens.
        let rc = unsafe { ffi::sqlite3_open_v2(name.as_ptr(), &mut raw, flags, std::ptr::null()) };
        let handle = Handle(raw);
        if rc != ffi::SQLITE_OK {
            return Err(format!(
                "opening {}: {}",
                name.to_string_lossy(),
                message(raw)
            ));
        }
        // SAFETY: an open connection; 5 s of waiting for a write lock.
        unsafe { ffi::sqlite3_busy_timeout(raw, 5_000) };
        Ok(handle)
    };
    let src = open(&src_name, ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_URI)?;
    let dst = open(
        &dst_name,
        ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
    )?;
    // The copy is thrown away after it is read: no journal, no flush.
    // SAFETY: an open connection and a NUL-terminated statement; no callback.
    let rc = unsafe {
        ffi::sqlite3_exec(
            dst.0,
            c"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF".as_ptr(),
            None,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(format!("setting up the snapshot: {}", message(dst.0)));
    }
    let main = c"main";
    // SAFETY: two open connections and the schema name "main"; the backup
    // object is finished below on every path.
    let backup = unsafe { ffi::sqlite3_backup_init(dst.0, main.as_ptr(), src.0, main.as_ptr()) };
    if backup.is_null() {
        return Err(format!("starting the SQLite backup: {}", message(dst.0)));
    }
    let mut tries = 0;
    let step = loop {
        // SAFETY: the backup object is live until sqlite3_backup_finish.
        let rc = unsafe { ffi::sqlite3_backup_step(backup, -1) };
        if (rc == ffi::SQLITE_BUSY || rc == ffi::SQLITE_LOCKED) && tries < 500 {
            tries += 1;
            std::thread::sleep(std::time::Duration::from_millis(10));
            continue;
        }
        break rc;
    };
    // SAFETY: finishes the backup object once; it is not used afterwards.
    let finish = unsafe { ffi::sqlite3_backup_finish(backup) };
    if step != ffi::SQLITE_DONE || finish != ffi::SQLITE_OK {
        return Err(format!("copying the SQLite database: {}", message(dst.0)));
    }
    Ok(())
}
