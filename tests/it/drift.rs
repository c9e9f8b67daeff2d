//! Checks that keep the lists that must agree in agreement: `schema.rs` and
//! the migrations of each backend, the two migration folders, the README's
//! configuration table and the options the code reads.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::common::{Backend, TestApp};

/// A column as the database describes it: (type, nullable).
type Columns = BTreeMap<(String, String), (String, bool)>;

/// The columns `src/db/schema.rs` declares, with diesel's type names.
fn declared() -> Columns {
    let text = std::fs::read_to_string("src/db/schema.rs").expect("schema.rs");
    let mut columns = Columns::new();
    let mut table: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_suffix('{').map(str::trim)
            && let Some((name, _)) = name.split_once(" (")
        {
            table = Some(name.to_owned());
        } else if line == "}" {
            table = None;
        } else if let (Some(table), Some((column, ty))) = (&table, line.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',');
            let (ty, nullable) = match ty.strip_prefix("Nullable<") {
                Some(inner) => (inner.trim_end_matches('>'), true),
                None => (ty, false),
            };
            columns.insert(
                (table.clone(), column.to_owned()),
                (ty.to_owned(), nullable),
            );
        }
    }
    columns
}

#[derive(QueryableByName)]
struct Described {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

/// The columns the migrations made, with the database's type names mapped
/// to diesel's.
fn migrated(app: &TestApp) -> Columns {
    let query = match app.backend {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type, is_nullable = 'YES' AS nullable \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name <> '__diesel_schema_migrations'"
        }
    };
    let mut conn = app.db.conn().expect("conn");
    let rows: Vec<Described> = diesel::sql_query(query).load(&mut *conn).expect("describe");
    rows.into_iter()
        .map(|r| {
            let ty = match r.data_type.to_ascii_lowercase().as_str() {
                "text" => "Text",
                "integer" => "Integer",
                "bigint" => "BigInt",
                "boolean" => "Bool",
                "timestamp" | "timestamp without time zone" => "Timestamp",
                other => panic!(
                    "{}.{} has a type schema.rs cannot say: {other}",
                    r.table_name, r.column_name
                ),
            };
            ((r.table_name, r.column_name), (ty.to_owned(), r.nullable))
        })
        .collect()
}

fn differences(declared: &Columns, migrated: &Columns) -> Vec<String> {
    let keys: BTreeSet<_> = declared.keys().chain(migrated.keys()).collect();
    keys.into_iter()
        .filter_map(|key| match (declared.get(key), migrated.get(key)) {
            (Some(a), Some(b)) if a == b => None,
            (a, b) => Some(format!(
                "{}.{}: schema.rs {a:?}, migrations {b:?}",
                key.0, key.1
            )),
        })
        .collect()
}

backend_tests! {
    async fn schema_rs_matches_what_the_migrations_make(app) {
        let diff = differences(&declared(), &migrated(&app));
        assert!(diff.is_empty(), "schema.rs and the migrations disagree:\n{}", diff.join("\n"));
    }
}

#[test]
fn a_changed_column_is_a_difference() {
    let mut a = Columns::new();
    a.insert(("t".into(), "c".into()), ("Text".into(), false));
    let mut b = a.clone();
    assert!(differences(&a, &b).is_empty());
    b.insert(("t".into(), "c".into()), ("Text".into(), true));
    assert_eq!(differences(&a, &b).len(), 1);
    b.clear();
    assert_eq!(differences(&a, &b).len(), 1);
}

fn changes(backend: &str) -> BTreeSet<String> {
    std::fs::read_dir(format!("migrations/{backend}"))
        .expect("migrations folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_migration_folders_hold_the_same_changes() {
    let (sqlite, postgres) = (changes("sqlite"), changes("postgres"));
    assert_eq!(
        sqlite.symmetric_difference(&postgres).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "each change needs a folder of the same name for both backends"
    );
    for change in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = format!("migrations/{backend}/{change}/{file}");
                assert!(std::path::Path::new(&path).exists(), "{path} is missing");
            }
        }
    }
}

#[test]
fn the_readme_lists_exactly_the_options_the_code_reads() {
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let listed: BTreeSet<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|name| name.starts_with("BATON_"))
        .collect();
    let known: BTreeSet<&str> = baton::config::OPTIONS
        .iter()
        .map(|(k, _, _)| *k)
        .chain([baton::config::CONFIG_FILE])
        .collect();
    assert_eq!(
        listed, known,
        "README's configuration table against config::OPTIONS"
    );
    // Every BATON_ name in the code is one of the options.
    for (path, text) in crate::common::sources() {
        for (at, _) in text.match_indices("\"BATON_") {
            let name: String = text[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if name == "BATON_" {
                continue; // the prefix itself
            }
            assert!(
                known.contains(name.as_str()),
                "{} reads {name}, which config::OPTIONS (and so the README) does not list",
                path.display()
            );
        }
    }
}
