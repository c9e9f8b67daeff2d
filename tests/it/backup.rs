//! Backups that count (issue 16): `baton backup` while notes are written,
//! `baton restore` into the other backend and back (a server on the copy
//! answers as the original did at the snapshot), archives that are damaged,
//! cut short or not archives at all refused before the target is touched,
//! non-empty targets, archives from older and newer schemas, `baton drill`
//! passing and failing, the backup before a migration, every migration run
//! forward over data, the export over the API, and `--keep`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use baton::backup::{self, TABLES, archive, snapshot};
use baton::db::migrations;
use baton::demo::{DemoArgs, seed};
use baton::domain::issue_ref::GitLab;
use diesel::prelude::*;
use serde_json::Value;

use crate::common::{self, Backend, FreshDatabase, TestApp};

fn small() -> DemoArgs {
    DemoArgs {
        users: 8,
        days: 20,
        open: 5,
        notes: 150,
        ..DemoArgs::default()
    }
}

/// A test's own scratch directory, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let dir = std::env::temp_dir().join(format!(
            "baton-backup-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn archives(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".jsonl.gz"))
            .collect();
        names.sort();
        names
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the `baton` binary on `database_url` with `args` and extra settings.
fn baton(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command
        .args(args)
        .env("BATON_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("BATON_CONFIG")
        .env_remove("BATON_BACKUP_DIR")
        .env_remove("BATON_DRILL_DATABASE_URL");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run baton")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `baton` and expects it to succeed; returns its standard output.
fn baton_ok(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = baton(database_url, args, env);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "baton {args:?} failed: {stdout}\n{stderr}"
    );
    stdout
}

fn seeded(app: &TestApp) {
    let mut conn = app.db.conn().expect("conn");
    seed(
        &mut conn,
        &small(),
        &GitLab::new("https://gitlab.com", None).unwrap(),
    )
    .expect("demo");
}

/// A token for every user: (username, token).
fn tokens_for_everyone(app: &TestApp) -> Vec<(String, String)> {
    let mut conn = app.db.conn().unwrap();
    let users = baton::db::models::users::list_all(&mut conn).unwrap();
    drop(conn);
    users
        .into_iter()
        .map(|u| (u.username.clone(), app.token(&u.username)))
        .collect()
}

/// An API answer without what moves with the clock or the server's
/// address: users' local time and night, permalinks' origin.
fn steady(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for moving in ["local_time", "night", "now"] {
                    map.remove(moving);
                }
                if let Some(Value::String(url)) = map.get_mut("url")
                    && let Some(at) = url.find("/handoffs/")
                {
                    *url = url[at..].to_owned();
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = app.get_json(path, token).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    steady(body)
}

/// Everything the JSON API says about the data: every handoff with its
/// notes, every shift, every user (as themselves), the on-call picture.
async fn api_picture(app: &TestApp, tokens: &[(String, String)]) -> BTreeMap<String, Value> {
    let mut picture = BTreeMap::new();
    let token = &tokens[0].1;
    for (username, token) in tokens {
        picture.insert(
            format!("user {username}"),
            get(app, "/api/v1/users/me", token).await,
        );
    }
    let mut cursor: Option<String> = None;
    let mut listed = vec![];
    loop {
        let path = match &cursor {
            None => "/api/v1/handoffs?status=all&limit=200".to_owned(),
            Some(c) => format!("/api/v1/handoffs?status=all&limit=200&cursor={c}"),
        };
        let page = get(app, &path, token).await;
        listed.extend(page["handoffs"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    for h in &listed {
        let id = h["id"].as_str().unwrap();
        picture.insert(
            format!("handoff {id}"),
            get(app, &format!("/api/v1/handoffs/{id}"), token).await,
        );
    }
    picture.insert("handoff list".into(), Value::Array(listed));
    // The same span for every picture taken today.
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Duration::days(60)).format("%Y-%m-%dT00:00:00Z");
    let to = (today + chrono::Duration::days(30)).format("%Y-%m-%dT00:00:00Z");
    picture.insert(
        "shifts".into(),
        get(app, &format!("/api/v1/shifts?from={from}&to={to}"), token).await,
    );
    picture.insert("on call".into(), get(app, "/api/v1/oncall", token).await);
    picture
}

/// `picture` without handoff `id` (in the list, and its own answer).
fn without(mut picture: BTreeMap<String, Value>, id: &str) -> (BTreeMap<String, Value>, Value) {
    let own = picture.remove(&format!("handoff {id}")).unwrap();
    if let Some(Value::Array(list)) = picture.get_mut("handoff list") {
        list.retain(|h| h["id"] != id);
    }
    (picture, own)
}

/// The whole story, from a database on `from` to one on `to`: demo data,
/// a token per user, a writer adding notes to one handoff while `baton
/// backup` runs, `baton restore` into a fresh database, a server on it.
async fn backup_while_writing_then_restore(from: Backend, to: Backend) {
    let Some(source) = TestApp::spawn(from).await else {
        return;
    };
    let Some(target) = FreshDatabase::new(to) else {
        return;
    };
    seeded(&source);
    let tokens = tokens_for_everyone(&source);
    let writer = tokens
        .iter()
        .find(|(name, _)| {
            let mut conn = source.db.conn().unwrap();
            baton::db::models::users::find_any(&mut conn, &name.parse().unwrap())
                .unwrap()
                .role
                != baton::domain::handoff::Role::Viewer
        })
        .unwrap()
        .1
        .clone();
    let open = get(&source, "/api/v1/handoffs?status=open&limit=1", &writer).await;
    let busy = open["handoffs"][0]["id"].as_str().unwrap().to_owned();

    // The writer keeps adding notes to one handoff while the backup runs;
    // each state of that handoff is kept by its version.
    let mut states: BTreeMap<i64, Value> = BTreeMap::new();
    let write_note = async |n: usize| {
        let (status, body) = source
            .send_json(
                reqwest::Method::POST,
                &format!("/api/v1/handoffs/{busy}/notes"),
                &writer,
                &serde_json::json!({"body": format!("Still watching, check {n}.")}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let state = get(&source, &format!("/api/v1/handoffs/{busy}"), &writer).await;
        state["version"].as_i64().unwrap()
    };
    let first = write_note(0).await;
    states.insert(
        first,
        get(&source, &format!("/api/v1/handoffs/{busy}"), &writer).await,
    );
    let dir = Dir::new();
    let file = dir.join("live.jsonl.gz");
    let (url, out) = (source.database_url.clone(), file.clone());
    let backup_run = tokio::task::spawn_blocking(move || {
        baton(&url, &["backup", "--output", out.to_str().unwrap()], &[])
    });
    let mut n = 1;
    while !backup_run.is_finished() {
        let v = write_note(n).await;
        states.insert(
            v,
            get(&source, &format!("/api/v1/handoffs/{busy}"), &writer).await,
        );
        n += 1;
    }
    let out = backup_run.await.unwrap();
    assert!(out.status.success(), "backup: {:?}", text(&out));
    let last = write_note(n).await;
    states.insert(
        last,
        get(&source, &format!("/api/v1/handoffs/{busy}"), &writer).await,
    );
    assert!(text(&out).0.contains("rows in"), "{:?}", text(&out));

    let out = baton(
        &target.url,
        &[
            "restore",
            file.to_str().unwrap(),
            "--database-url",
            &target.url,
        ],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "restore: {stdout}\n{stderr}");
    assert!(stdout.contains("counts and SHA-256 checked"), "{stdout}");

    let copy = TestApp::spawn_on(to, target, &[]).await;
    let original = api_picture(&source, &tokens).await;
    let restored = api_picture(&copy, &tokens).await;
    let (original, _) = without(original, &busy);
    let (restored, busy_restored) = without(restored, &busy);
    assert_eq!(original.len(), restored.len());
    for (key, value) in &original {
        assert_eq!(
            Some(value),
            restored.get(key),
            "{key} differs after {from:?} -> {to:?}"
        );
    }
    // The busy handoff is exactly as it was at one moment of the backup.
    let version = busy_restored["version"].as_i64().unwrap();
    assert!(
        (first..=last).contains(&version),
        "version {version} outside {first}..={last}"
    );
    assert_eq!(
        Some(&busy_restored),
        states.get(&version),
        "the busy handoff at version {version}"
    );
    // The copy takes writes of its own.
    let (status, _) = copy
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/handoffs/{busy}/notes"),
            &writer,
            &serde_json::json!({"body": "On the copy."}),
        )
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_sqlite_backup_taken_while_notes_are_written_restores_into_postgresql_as_it_was() {
    backup_while_writing_then_restore(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test]
async fn a_postgresql_backup_taken_while_notes_are_written_restores_into_sqlite_as_it_was() {
    backup_while_writing_then_restore(Backend::Postgres, Backend::Sqlite).await;
}

#[tokio::test]
async fn a_sqlite_backup_restores_into_sqlite_as_it_was() {
    backup_while_writing_then_restore(Backend::Sqlite, Backend::Sqlite).await;
}

/// What each table holds, as the manifest of a backup says.
fn contents(url: &str, dir: &Dir) -> Vec<(String, u64, String)> {
    let path = dir.join(&format!(
        "contents-{}.jsonl.gz",
        uuid::Uuid::new_v4().simple()
    ));
    let written = backup::write_archive(url, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    written
        .manifest
        .tables
        .into_iter()
        .map(|t| (t.name, t.rows, t.sha256))
        .collect()
}

/// The archive at `from` with its manifest changed by `change`.
fn with_manifest(from: &Path, to: &Path, change: impl FnOnce(&mut Value)) {
    let bytes = std::fs::read(from).unwrap();
    let mut rest: &[u8] = &bytes;
    let mut manifest = String::new();
    flate2::bufread::GzDecoder::new(&mut rest)
        .read_to_string(&mut manifest)
        .unwrap();
    let mut value: Value = serde_json::from_str(manifest.trim_end()).unwrap();
    change(&mut value);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(format!("{value}\n").as_bytes()).unwrap();
    let mut out = gz.finish().unwrap();
    out.extend_from_slice(rest);
    std::fs::write(to, out).unwrap();
}

backend_tests! {
    async fn damaged_cut_short_and_foreign_files_are_refused_and_the_target_is_left_as_it_was(app) {
        seeded(&app);
        let dir = Dir::new();
        let good = dir.join("good.jsonl.gz");
        baton_ok(&app.database_url, &["backup", "-o", good.to_str().unwrap()], &[]);
        let bytes = std::fs::read(&good).unwrap();

        let mut bad: Vec<(String, Vec<u8>, &[&str])> = vec![];
        for at in [4, 12, bytes.len() / 3, bytes.len() / 2, bytes.len() - 6] {
            let mut changed = bytes.clone();
            changed[at] ^= 0x20;
            bad.push((format!("byte {at} changed"), changed, &["damaged", "manifest says", "not a Baton backup"]));
        }
        bad.push(("cut in half".into(), bytes[..bytes.len() / 2].to_vec(), &["truncated"]));
        bad.push(("the last byte missing".into(), bytes[..bytes.len() - 1].to_vec(), &["truncated"]));
        bad.push(("a text file".into(), b"id,title\n1,hello\n".to_vec(), &["not a Baton backup archive"]));
        bad.push(("an empty file".into(), vec![], &["not a Baton backup archive"]));

        // A target with data of its own (replaced only by a good archive),
        // and one that does not exist yet.
        let Some(other) = TestApp::spawn(app.backend).await else { return };
        other.alice_bob_carol();
        let before = contents(&other.database_url, &dir);
        let missing = dir.join("never.db");
        for (what, content, expected) in bad {
            let path = dir.join("bad.jsonl.gz");
            std::fs::write(&path, &content).unwrap();
            for (target, replace) in [(other.database_url.clone(), true), (format!("sqlite://{}", missing.display()), false)] {
                let mut args = vec!["restore", path.to_str().unwrap(), "--database-url", &target];
                if replace {
                    args.push("--replace");
                }
                let out = baton(&app.database_url, &args, &[]);
                let (_, stderr) = text(&out);
                assert!(!out.status.success(), "{what}: restored");
                assert!(expected.iter().any(|e| stderr.contains(e)), "{what}: the message {stderr:?} names none of {expected:?}");
            }
            assert_eq!(contents(&other.database_url, &dir), before, "{what}: the target changed");
            assert!(!missing.exists(), "{what}: a target file was left behind");
        }
        // The good archive does replace it.
        baton_ok(&app.database_url, &["restore", good.to_str().unwrap(), "--database-url", &other.database_url, "--replace"], &[]);
        assert_eq!(contents(&other.database_url, &dir), contents(&app.database_url, &dir));
    }

    async fn a_database_with_rows_is_not_restored_into_without_replace(app) {
        seeded(&app);
        let dir = Dir::new();
        let file = dir.join("a.jsonl.gz");
        baton_ok(&app.database_url, &["backup", "-o", file.to_str().unwrap()], &[]);
        let Some(other) = TestApp::spawn(app.backend).await else { return };
        other.alice_bob_carol();
        let before = contents(&other.database_url, &dir);
        let out = baton(&app.database_url, &["restore", file.to_str().unwrap(), "--database-url", &other.database_url], &[]);
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        assert!(stderr.contains("not empty") && stderr.contains("--replace"), "{stderr}");
        assert_eq!(contents(&other.database_url, &dir), before);
        // Migrated but empty is empty (a served one holds its session key).
        let Some(empty) = FreshDatabase::new(app.backend) else { return };
        baton_ok(&empty.url, &["migrate"], &[]);
        baton_ok(&app.database_url, &["restore", file.to_str().unwrap(), "--database-url", &empty.url], &[]);
        assert_eq!(contents(&empty.url, &dir), contents(&app.database_url, &dir));
    }

    async fn an_archive_from_a_newer_baton_is_refused_with_both_versions_named(app) {
        seeded(&app);
        let dir = Dir::new();
        let file = dir.join("a.jsonl.gz");
        baton_ok(&app.database_url, &["backup", "-o", file.to_str().unwrap()], &[]);
        let newer = dir.join("newer.jsonl.gz");
        with_manifest(&file, &newer, |m| {
            m["baton_version"] = "9.1.0".into();
            m["schema_version"] = "29991231000001".into();
        });
        let Some(target) = FreshDatabase::new(app.backend) else { return };
        let out = baton(&app.database_url, &["restore", newer.to_str().unwrap(), "--database-url", &target.url], &[]);
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        let ours = migrations::latest().unwrap();
        for named in ["9.1.0", "29991231000001", env!("CARGO_PKG_VERSION"), ours.as_str()] {
            assert!(stderr.contains(named), "{named} is not named: {stderr}");
        }
        // A manifest whose checksums were not recomputed is refused too.
        let tampered = dir.join("tampered.jsonl.gz");
        with_manifest(&file, &tampered, |m| m["tables"][0]["rows"] = 1_000.into());
        let out = baton(&app.database_url, &["restore", tampered.to_str().unwrap(), "--database-url", &target.url], &[]);
        let (_, stderr) = text(&out);
        assert!(!out.status.success());
        assert!(stderr.contains("table users: the manifest says 1000 rows"), "{stderr}");
    }

    async fn an_archive_from_the_previous_schema_is_migrated_forward(app) {
        let known = migrations::known().unwrap();
        let previous = &known[known.len() - 2];
        let Some(old) = FreshDatabase::new(app.backend) else { return };
        {
            let mut conn = baton::db::connect_unmigrated(&old.url).unwrap();
            migrations::migrate_to(&mut conn, &previous.version).unwrap();
            seed(&mut conn, &small(), &GitLab::new("https://gitlab.com", None).unwrap()).unwrap();
        }
        let dir = Dir::new();
        let file = dir.join("old.jsonl.gz");
        // A backup takes an older database as it is.
        baton_ok(&old.url, &["backup", "--no-backup", "-o", file.to_str().unwrap()], &[]);
        let manifest = archive::Reader::open(&file).unwrap().manifest;
        assert_eq!(manifest.schema_version.as_deref(), Some(previous.version.as_str()));
        let Some(target) = FreshDatabase::new(app.backend) else { return };
        let stdout = baton_ok(&old.url, &["restore", file.to_str().unwrap(), "--database-url", &target.url], &[]);
        assert!(stdout.contains(&format!("migrated forward to schema {}", known[known.len() - 1].version)), "{stdout}");
        let mut conn = baton::db::connect_unmigrated(&target.url).unwrap();
        assert!(migrations::pending(&mut conn).unwrap().is_empty());
        for table in &manifest.tables {
            let shape = snapshot::Shape { name: table.name.clone(), key: table.key.clone(), columns: table.columns.clone() };
            let rows = snapshot::read_rows(&mut conn, &shape, |_| Ok(())).unwrap();
            assert_eq!(rows, table.rows, "{}", table.name);
        }
        // And a server runs on it.
        let copy = TestApp::spawn_on(app.backend, target, &[]).await;
        let token = copy.token("alice");
        let (status, list) = copy.get_json("/api/v1/handoffs?status=all", &token).await;
        assert_eq!(status, 200);
        assert!(!list["handoffs"].as_array().unwrap().is_empty());
    }

    async fn the_drill_passes_prints_its_timings_and_shows_on_the_admin_page(app) {
        seeded(&app);
        let admin = common::browser();
        app.sign_in(&admin, "alice").await;
        let (_, dashboard) = app.page(&admin, "/").await;
        assert!(dashboard.contains("No restore drill has passed yet"), "the dashboard does not warn");

        let scratch = drill_scratch(app.backend);
        let mut env = vec![];
        if let Some((url, _)) = &scratch {
            env.push(("BATON_DRILL_DATABASE_URL", url.as_str()));
        }
        let stdout = baton_ok(&app.database_url, &["drill"], &env);
        assert!(stdout.starts_with("Restore drill passed"), "{stdout}");
        for step in ["backup", "restore", "verify", "render", "cleanup", "total"] {
            let line = stdout.lines().find(|l| l.starts_with(step)).unwrap_or_else(|| panic!("no {step} line: {stdout}"));
            assert!(line.contains(" s"), "{line}");
        }
        assert!(stdout.contains("row counts and SHA-256 match"), "{stdout}");
        if let Some((_, name)) = &scratch {
            assert!(stdout.contains(&format!("the PostgreSQL database {name}")), "{stdout}");
            assert!(!database_exists(name), "the scratch database was not dropped");
        }

        let (status, page) = app.page(&admin, "/admin/drills").await;
        assert_eq!(status, 200);
        assert!(page.contains("<td data-label=\"Result\">passed</td>"), "{page}");
        let backend = match app.backend { Backend::Sqlite => "sqlite", Backend::Postgres => "postgres" };
        assert!(page.contains(&format!("<td data-label=\"Database\">{backend}")), "{page}");
        // Pages kept from before see the drill's commit within moments.
        let mut warns = true;
        for _ in 0..100 {
            if !app.page(&admin, "/").await.1.contains("restore drill") {
                warns = false;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(!warns, "the dashboard still warns after a drill passed");
        // Responders do not see the page.
        let bob = common::browser();
        let responder = baton::db::models::users::list_all(&mut app.db.conn().unwrap()).unwrap().into_iter().find(|u| u.role == baton::domain::handoff::Role::Responder).unwrap();
        app.sign_in(&bob, &responder.username).await;
        assert_eq!(app.page(&bob, "/admin/drills").await.0, 403);
    }

    async fn a_drill_whose_verification_does_not_match_fails_and_says_where(app) {
        seeded(&app);
        let scratch = drill_scratch(app.backend);
        let mut values = std::collections::HashMap::new();
        values.insert("BATON_DATABASE_URL".to_owned(), app.database_url.clone());
        if let Some((url, _)) = &scratch {
            values.insert("BATON_DRILL_DATABASE_URL".to_owned(), url.clone());
        }
        let settings = baton::config::Settings::from_values(&values).unwrap();
        let report = tokio::task::spawn_blocking(move || {
            let mut drill = backup::drill::Drill::start(&settings, "tester@here");
            drill.backup();
            drill.restore();
            // Something changes the copy behind the restore's back.
            let scratch = drill.scratch_url().expect("restored");
            let mut conn = baton::db::connect_unmigrated(&scratch).unwrap();
            diesel::sql_query("UPDATE notes SET body = body || '!' WHERE id = (SELECT min(id) FROM notes)")
                .execute(&mut conn)
                .unwrap();
            drop(conn);
            drill.verify();
            drill.render(&baton::startup::render_restored);
            drill.finish()
        })
        .await
        .unwrap();
        assert!(!report.passed());
        assert_eq!(report.drill.failed_step.as_deref(), Some("verify"));
        let why = report.drill.failure.clone().unwrap();
        assert!(why.contains("table notes") && why.contains("expected"), "{why}");
        assert!(report.drill.render_ms.is_none(), "a step after the failure ran");
        assert!(report.drill.cleanup_ms.is_some(), "the clean-up did not run");
        assert!(report.text().contains("FAILED at verify"), "{}", report.text());
        if let Some((_, name)) = &scratch {
            assert!(!database_exists(name), "the scratch database was not dropped");
        }

        let admin = common::browser();
        app.sign_in(&admin, "alice").await;
        let (_, page) = app.page(&admin, "/admin/drills").await;
        assert!(page.contains("<strong>failed</strong> at verify: table notes"), "{page}");
        assert!(page.contains("tester@here"), "{page}");
        let (_, dashboard) = app.page(&admin, "/").await;
        assert!(dashboard.contains("No restore drill has passed yet"));
    }

    async fn a_migration_is_preceded_by_a_backup_and_the_restore_command(app) {
        let known = migrations::known().unwrap();
        let previous = &known[known.len() - 2];
        let dir = Dir::new();
        for no_backup in [false, true] {
            let Some(old) = FreshDatabase::new(app.backend) else { return };
            {
                let mut conn = baton::db::connect_unmigrated(&old.url).unwrap();
                migrations::migrate_to(&mut conn, &previous.version).unwrap();
                seed(&mut conn, &small(), &GitLab::new("https://gitlab.com", None).unwrap()).unwrap();
            }
            let dir_setting = dir.0.to_str().unwrap();
            if app.backend == Backend::Postgres && !no_backup {
                // No file to put it next to: the setting is required.
                let out = baton(&old.url, &["migrate"], &[]);
                assert!(!out.status.success());
                assert!(text(&out).1.contains("BATON_BACKUP_DIR"), "{:?}", text(&out));
                let mut conn = baton::db::connect_unmigrated(&old.url).unwrap();
                assert!(!migrations::pending(&mut conn).unwrap().is_empty(), "migrated without a backup");
            }
            let mut args = vec!["migrate"];
            if no_backup {
                args.push("--no-backup");
            }
            let stdout = baton_ok(&old.url, &args, &[("BATON_BACKUP_DIR", dir_setting)]);
            let archives = dir.archives();
            if no_backup {
                assert!(archives.is_empty(), "{archives:?}");
                assert!(stdout.contains("without a backup"), "{stdout}");
                continue;
            }
            assert_eq!(archives.len(), 1, "{archives:?}");
            let file = dir.join(&archives[0]);
            assert!(stdout.contains(&format!("backed the database up to {}", file.display())), "{stdout}");
            assert!(stdout.contains(&format!("baton restore {} --database-url", file.display())), "{stdout}");
            // What it took is the database before the migration.
            let manifest = archive::Reader::open(&file).unwrap().manifest;
            assert_eq!(manifest.schema_version.as_deref(), Some(previous.version.as_str()));
            let Some(target) = FreshDatabase::new(app.backend) else { return };
            baton_ok(&old.url, &["restore", file.to_str().unwrap(), "--database-url", &target.url], &[]);
            std::fs::remove_file(&file).unwrap();
        }
    }

    async fn every_migration_runs_forward_over_the_data_of_the_schema_before_it(app) {
        seeded(&app);
        let (alice, _, _) = (app.token("alice"), (), ());
        let before_api = api_picture(&app, &[("alice".into(), alice.clone())]).await;
        let known = migrations::known().unwrap();
        let mut conn = baton::db::connect_unmigrated(&app.database_url).unwrap();
        for at in (1..known.len()).rev() {
            let previous = &known[at - 1];
            migrations::revert_to(&mut conn, &previous.version).unwrap();
            let old = dump(&mut conn);
            assert!(old.values().any(|rows| !rows.is_empty()), "no data at {}", previous.name);
            baton::db::migrate_connection(&mut conn)
                .unwrap_or_else(|e| panic!("{} and after, over data of {}: {e}", known[at].name, previous.name));
            let new = dump(&mut conn);
            for (table, rows) in &old {
                let after = new.get(table).unwrap_or_else(|| panic!("{table} is gone after {}", known[at].name));
                assert_eq!(rows.len(), after.len(), "{table}: rows after {}", known[at].name);
                for (key, values) in rows {
                    let now = &after[key];
                    for (column, value) in values {
                        assert_eq!(now.get(column), Some(value), "{table} {key} {column} after {}", known[at].name);
                    }
                }
            }
        }
        drop(conn);
        let after_api = api_picture(&app, &[("alice".into(), alice)]).await;
        assert_eq!(before_api, after_api);
    }

    async fn an_admin_exports_the_archive_over_the_api_and_the_audit_log_says_who(app) {
        seeded(&app);
        let admin = app.token("alice");
        let res = app.api(reqwest::Method::GET, "/api/v1/export", &admin).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/gzip");
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"baton-backup-"), "{disposition}");
        let body = res.bytes().await.unwrap();
        let dir = Dir::new();
        let file = dir.join("export.jsonl.gz");
        std::fs::write(&file, &body).unwrap();
        let Some(target) = FreshDatabase::new(app.backend) else { return };
        let restored = backup::restore::restore(&file, &target.url, false).unwrap();
        let mut conn = app.db.conn().unwrap();
        let entries = baton::db::models::audit::recent(&mut conn, 10).unwrap();
        let export = entries.iter().find(|e| e.action == baton::domain::audit::AuditAction::Export).expect("the export is in the audit log");
        assert_eq!(export.actor, "alice");
        assert!(export.detail.contains(&format!("{} rows", restored.manifest.total_rows())), "{}", export.detail);
        // Not for responders.
        let responder = baton::db::models::users::list_all(&mut conn).unwrap().into_iter().find(|u| u.role == baton::domain::handoff::Role::Responder).unwrap();
        drop(conn);
        let token = app.token(&responder.username);
        let (status, body) = app.get_json("/api/v1/export", &token).await;
        assert_eq!(status, 403, "{body}");
    }

    async fn backups_into_the_backup_directory_keep_the_newest_n(app) {
        app.alice_bob_carol();
        let dir = Dir::new();
        let setting = dir.0.to_str().unwrap().to_owned();
        for round in 1..=3 {
            let stdout = baton_ok(&app.database_url, &["backup", "--keep", "2"], &[("BATON_BACKUP_DIR", &setting)]);
            assert!(stdout.contains(&format!("removed {} older backup", usize::from(round == 3))), "{stdout}");
        }
        let archives = dir.archives();
        assert_eq!(archives.len(), 2, "{archives:?}");
        assert!(archives.iter().all(|a| a.starts_with("baton-backup-")));
        let out = baton(&app.database_url, &["backup", "--keep", "0"], &[("BATON_BACKUP_DIR", &setting)]);
        assert!(!out.status.success());
        let out = baton(&app.database_url, &["backup", "--keep", "2", "-o", "x.jsonl.gz"], &[]);
        assert!(!out.status.success());
        assert!(text(&out).1.contains("--keep"));
    }
}

/// `(BATON_DRILL_DATABASE_URL, name)` for a PostgreSQL drill.
fn drill_scratch(backend: Backend) -> Option<(String, String)> {
    if backend != Backend::Postgres {
        return None;
    }
    let admin = std::env::var("BATON_TEST_POSTGRES_URL").ok()?;
    let name = format!("baton_drill_{}", uuid::Uuid::new_v4().simple());
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    Some((url.to_string(), name))
}

fn database_exists(name: &str) -> bool {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[allow(dead_code)]
        datname: String,
    }
    let admin = std::env::var("BATON_TEST_POSTGRES_URL").unwrap();
    let mut conn = diesel::PgConnection::establish(&admin).unwrap();
    let found: Vec<Found> =
        diesel::sql_query("SELECT datname::text AS datname FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .load(&mut conn)
            .unwrap();
    !found.is_empty()
}

/// Every row of every table, by key, as column → canonical value.
fn dump(
    conn: &mut baton::db::DbConnection,
) -> BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>> {
    let mut out = BTreeMap::new();
    for name in snapshot::table_names(conn).unwrap() {
        if backup::NOT_KEPT.iter().any(|(t, _)| *t == name) {
            continue;
        }
        let key = TABLES
            .iter()
            .find(|(t, _)| *t == name)
            .map(|(_, k)| *k)
            .unwrap_or("id");
        let columns = snapshot::columns(conn, &name).unwrap();
        let shape = snapshot::Shape {
            name: name.clone(),
            key: key.into(),
            columns: columns.clone(),
        };
        let mut rows = BTreeMap::new();
        snapshot::read_rows(conn, &shape, |line| {
            let values: Vec<Value> = serde_json::from_slice(line).unwrap();
            let row: BTreeMap<String, Value> =
                columns.iter().map(|c| c.name.clone()).zip(values).collect();
            rows.insert(row[key].as_str().unwrap().to_owned(), row);
            Ok(())
        })
        .unwrap();
        out.insert(name, rows);
    }
    out
}

#[test]
fn the_backup_lists_every_table_of_schema_rs_by_its_key() {
    let schema = std::fs::read_to_string("src/db/schema.rs").unwrap();
    let declared: BTreeMap<String, String> = schema
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_suffix('{'))
        .filter_map(|l| l.trim().split_once(" ("))
        .map(|(name, key)| (name.to_owned(), key.trim_end_matches(')').to_owned()))
        .collect();
    let mut declared = declared;
    for (table, _) in backup::NOT_KEPT {
        assert!(
            declared.remove(*table).is_some(),
            "{table} is left out of backups but is not in schema.rs"
        );
    }
    let listed: BTreeMap<String, String> = TABLES
        .iter()
        .map(|(t, k)| ((*t).to_owned(), (*k).to_owned()))
        .collect();
    assert_eq!(listed.len(), TABLES.len(), "a table is listed twice");
    assert_eq!(
        listed, declared,
        "backup::TABLES must list every table of src/db/schema.rs with its key, in the order a restore fills them"
    );
}

#[tokio::test]
async fn the_tables_are_listed_after_the_tables_they_reference() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    #[derive(QueryableByName)]
    struct Reference {
        #[diesel(sql_type = diesel::sql_types::Text)]
        target: String,
    }
    let mut conn = app.db.conn().unwrap();
    for (at, (table, _)) in TABLES.iter().enumerate() {
        let refs: Vec<Reference> = diesel::sql_query(format!(
            "SELECT \"table\" AS target FROM pragma_foreign_key_list('{table}')"
        ))
        .load(&mut *conn)
        .unwrap();
        for r in refs {
            let target_at = TABLES.iter().position(|(t, _)| *t == r.target).unwrap();
            assert!(
                target_at < at || r.target == *table,
                "{table} references {}, listed after it",
                r.target
            );
        }
    }
}
