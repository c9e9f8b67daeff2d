//! Putting an archive's rows into a database fast, inside the restore's
//! transaction, as `pg_restore` does: the secondary indexes (and on
//! PostgreSQL the foreign keys) are set aside while the rows go in and
//! built again once they are all there, which checks them as a whole. The
//! archive is read (inflated, split, checked) on a thread of its own while
//! this one inserts, many rows per statement: the canonical lines as one
//! JSON array bound to an `INSERT … SELECT` that takes it apart.

use std::sync::mpsc;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::archive::{self, Reader, TableEntry, Visit};
use super::canonical::Kind;
use super::snapshot::quote;
use crate::db::DbConnection;

/// Rows per `INSERT`, at most.
const BATCH_ROWS: usize = 5_000;
/// Bytes of rows per `INSERT`, about.
const BATCH_BYTES: usize = 2 << 20;

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    drop: String,
    #[diesel(sql_type = Text)]
    create: String,
}

/// Drops the secondary indexes (and on PostgreSQL the foreign keys) of the
/// schema; returns the statements that make them again.
pub fn set_aside_indexes(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let found: Vec<Definition> = match conn {
        DbConnection::Sqlite(_) => diesel::sql_query(
            "SELECT 'DROP INDEX \"' || replace(name, '\"', '\"\"') || '\"' AS \"drop\", sql AS \"create\" \
             FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        )
        .load(conn)?,
        DbConnection::Postgresql(_) => diesel::sql_query(
            "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS \"drop\", \
                    format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, \
                           pg_get_constraintdef(c.oid)) AS \"create\" \
             FROM pg_constraint c \
             WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace \
             UNION ALL \
             SELECT format('DROP INDEX %s', x.indexrelid::regclass), pg_get_indexdef(x.indexrelid) \
             FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid \
             WHERE t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                               AND d.objid = t.oid AND d.deptype = 'e')",
        )
        .load(conn)?,
    };
    let mut again = Vec::with_capacity(found.len());
    for d in found {
        conn.batch_execute(&d.drop)?;
        again.push(d.create);
    }
    // Foreign keys after the indexes they may lean on.
    again.sort_by_key(|s| s.starts_with("ALTER TABLE"));
    Ok(again)
}

/// What the reading thread hands over.
enum Batch {
    /// The next table's statement.
    Table { name: String, sql: String },
    /// Rows for it, as one JSON array.
    Rows(Vec<u8>),
}

/// Gathers the archive's rows into batches on the reading thread.
struct Batcher {
    out: mpsc::SyncSender<Batch>,
    postgres: bool,
    batch: Vec<u8>,
    rows: usize,
}

impl Batcher {
    fn send(&self, batch: Batch) -> Result<(), String> {
        self.out
            .send(batch)
            .map_err(|_| "the restore stopped taking rows".to_owned())
    }

    fn flush(&mut self) -> Result<(), String> {
        if self.rows == 0 {
            return Ok(());
        }
        self.batch.push(b']');
        let full = std::mem::replace(
            &mut self.batch,
            Vec::with_capacity(BATCH_BYTES + (64 << 10)),
        );
        self.rows = 0;
        self.send(Batch::Rows(full))
    }
}

impl Visit for Batcher {
    fn table(&mut self, table: &TableEntry) -> Result<(), String> {
        self.send(Batch::Table {
            name: table.name.clone(),
            sql: statement(self.postgres, table),
        })
    }

    fn row(&mut self, line: &[u8]) -> Result<(), String> {
        self.batch.push(if self.rows == 0 { b'[' } else { b',' });
        self.batch
            .extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
        self.rows += 1;
        if self.rows >= BATCH_ROWS || self.batch.len() >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn table_end(&mut self, _: &TableEntry) -> Result<(), String> {
        self.flush()
    }
}

/// The statement that inserts a batch of `table`: PostgreSQL casts each
/// value to its column's type; SQLite writes instants as diesel does
/// (`%F %T%.f`: no fraction when it is zero, three digits for milliseconds).
fn statement(postgres: bool, table: &TableEntry) -> String {
    let names = table
        .columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let values = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match (postgres, c.kind) {
            (true, Kind::Text) => format!("r->>{i}"),
            (true, kind) => format!("(r->>{i})::{}", kind.postgres_type()),
            (false, Kind::Timestamp) => format!(
                "CASE WHEN substr(value->>{i}, 21) = '000000' THEN substr(value->>{i}, 1, 19) \
                 WHEN substr(value->>{i}, 24) = '000' THEN substr(value->>{i}, 1, 23) \
                 ELSE value->>{i} END"
            ),
            (false, _) => format!("value->>{i}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let from = if postgres {
        "jsonb_array_elements($1::jsonb) AS e(r)"
    } else {
        "json_each($1)"
    };
    format!(
        "INSERT INTO {} ({names}) SELECT {values} FROM {from}",
        quote(&table.name)
    )
}

/// Reads the rest of the archive (checked as it goes) on another thread
/// and inserts its rows here.
pub fn load(conn: &mut DbConnection, reader: &mut Reader) -> Result<(), String> {
    let postgres = matches!(conn, DbConnection::Postgresql(_));
    std::thread::scope(|scope| {
        let (out, batches) = mpsc::sync_channel::<Batch>(3);
        let reading = scope.spawn(move || {
            let mut batcher = Batcher {
                out,
                postgres,
                batch: Vec::with_capacity(BATCH_BYTES + (64 << 10)),
                rows: 0,
            };
            archive::read_rows(reader, &mut batcher)
        });
        let mut inserted = Ok(());
        let mut table = String::new();
        let mut sql = String::new();
        for batch in &batches {
            match batch {
                Batch::Table { name, sql: s } => (table, sql) = (name, s),
                Batch::Rows(json) => {
                    let done = std::str::from_utf8(&json)
                        .map_err(|_| format!("table {table}: a row that is not UTF-8"))
                        .and_then(|json| {
                            diesel::sql_query(&sql)
                                .bind::<Text, _>(json)
                                .execute(conn)
                                .map_err(|e| format!("restoring table {table}: {e}"))
                        });
                    if let Err(e) = done {
                        inserted = Err(e);
                        break;
                    }
                }
            }
        }
        // The reader stops at its next batch once this end is gone.
        drop(batches);
        let read = reading
            .join()
            .unwrap_or_else(|_| Err("reading the archive panicked".into()));
        inserted.and(read)
    })
}
