//! `baton drill`: a backup counts only once it has been restored, checked
//! and timed. The drill backs the database up, restores the archive into a
//! fresh scratch database (a temporary SQLite file, or the PostgreSQL
//! database `BATON_DRILL_DATABASE_URL` names, which it creates and drops),
//! compares every table with the manifest, renders pages from the restored
//! data, drops the scratch database, and records the result with the time
//! of each step. A failed step skips the rest but the clean-up.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;

use super::archive::Manifest;
use super::{restore, snapshot};
use crate::config::Settings;
use crate::db::models;
use crate::db::{self, Backend};

/// The steps, in order.
pub const STEPS: [&str; 5] = ["backup", "restore", "verify", "render", "cleanup"];

/// What the render step is given: the scratch database's URL; it answers
/// what it rendered, or why it could not.
pub type Render<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Where the archive is restored to.
enum Scratch {
    /// A file in the drill's own temporary directory.
    Sqlite(PathBuf),
    /// A database the drill created, on the server of `admin_url`.
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
}

impl Scratch {
    fn url(&self) -> String {
        match self {
            Scratch::Sqlite(path) => format!("sqlite://{}", path.display()),
            Scratch::Postgres { url, .. } => url.clone(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Scratch::Sqlite(_) => "a temporary SQLite file".into(),
            Scratch::Postgres { name, .. } => format!("the PostgreSQL database {name}"),
        }
    }

    /// A PostgreSQL database the drill creates (and so may drop): it must
    /// not exist yet.
    fn create_postgres(url: &str) -> Result<Scratch, String> {
        let mut parsed =
            url::Url::parse(url).map_err(|e| format!("BATON_DRILL_DATABASE_URL: {e}"))?;
        let name = parsed.path().trim_start_matches('/').to_owned();
        if name.is_empty() || name.contains('/') || name.contains('"') {
            return Err(
                "BATON_DRILL_DATABASE_URL must name a database: postgres://…/baton_drill".into(),
            );
        }
        parsed.set_path("/postgres");
        let admin_url = parsed.to_string();
        let mut admin = db::connect_unmigrated(&admin_url)?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|e| {
                format!(
                    "creating the scratch database {name} (BATON_DRILL_DATABASE_URL): {e}; the drill creates \
                     it and drops it afterwards, so it must name a database that does not exist"
                )
            })?;
        Ok(Scratch::Postgres {
            url: url.to_owned(),
            admin_url,
            name,
        })
    }

    fn drop_it(&self) -> Result<(), String> {
        match self {
            Scratch::Sqlite(path) => {
                snapshot::remove_sqlite_files(path);
                Ok(())
            }
            Scratch::Postgres {
                admin_url, name, ..
            } => db::connect_unmigrated(admin_url)?
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .map_err(|e| format!("dropping the scratch database {name}: {e}")),
        }
    }
}

/// A drill under way; [`run`] takes it through every step.
pub struct Drill {
    settings: Settings,
    started: Instant,
    record: models::drills::Drill,
    work: PathBuf,
    archive: PathBuf,
    manifest: Option<Manifest>,
    scratch: Option<Scratch>,
    /// What each step did, for the report.
    lines: Vec<(&'static str, Duration, String)>,
}

impl Drill {
    /// Starts a drill of the database of `settings`, run by `actor`.
    pub fn start(settings: &Settings, actor: &str) -> Drill {
        let work =
            std::env::temp_dir().join(format!("baton-drill-{}", uuid::Uuid::new_v4().simple()));
        let backend = match Backend::from_url(&settings.database_url) {
            Ok(Backend::Postgres(_)) => "postgres",
            _ => "sqlite",
        };
        let mut drill = Drill {
            settings: settings.clone(),
            started: Instant::now(),
            record: Drill::blank(actor, backend),
            archive: work.join("drill.jsonl.gz"),
            work,
            manifest: None,
            scratch: None,
            lines: vec![],
        };
        if let Err(e) = std::fs::create_dir_all(&drill.work) {
            drill.fail("backup", format!("creating {}: {e}", drill.work.display()));
        }
        drill
    }

    fn blank(actor: &str, backend: &str) -> models::drills::Drill {
        models::drills::Drill {
            id: models::new_id(),
            started_at: crate::domain::time::to_db(crate::domain::time::now()),
            actor: actor.to_owned(),
            backend: backend.to_owned(),
            schema_version: String::new(),
            passed: false,
            failed_step: None,
            failure: None,
            archive_bytes: None,
            row_count: None,
            backup_ms: None,
            restore_ms: None,
            verify_ms: None,
            render_ms: None,
            cleanup_ms: None,
            total_ms: 0,
        }
    }

    /// Whether a step failed.
    pub fn failed(&self) -> bool {
        self.record.failed_step.is_some()
    }

    fn fail(&mut self, step: &'static str, why: String) {
        if !self.failed() {
            self.record.failed_step = Some(step.to_owned());
            self.record.failure = Some(why);
        }
    }

    /// Runs one step unless an earlier one failed; records its time.
    fn step(
        &mut self,
        name: &'static str,
        work: impl FnOnce(&mut Drill) -> Result<String, String>,
    ) {
        if self.failed() && name != "cleanup" {
            return;
        }
        let began = Instant::now();
        let outcome = work(self);
        let took = began.elapsed();
        let ms = Some(took.as_millis() as i64);
        match name {
            "backup" => self.record.backup_ms = ms,
            "restore" => self.record.restore_ms = ms,
            "verify" => self.record.verify_ms = ms,
            "render" => self.record.render_ms = ms,
            _ => self.record.cleanup_ms = ms,
        }
        match outcome {
            Ok(what) => self.lines.push((name, took, what)),
            Err(why) => {
                self.lines.push((name, took, format!("FAILED: {why}")));
                self.fail(name, why);
            }
        }
    }

    /// Step 1: the backup, into the drill's temporary directory.
    pub fn backup(&mut self) {
        self.step("backup", |d| {
            let mut conn = db::connect_unmigrated(&d.settings.database_url)?;
            let pending = db::migrations::pending(&mut conn)?;
            if !pending.is_empty() && !db::migrations::applied(&mut conn)?.is_empty() {
                return Err(format!(
                    "{} migration(s) are pending: run baton migrate first",
                    pending.len()
                ));
            }
            drop(conn);
            let written = super::write_archive(&d.settings.database_url, &d.archive)?;
            d.record.archive_bytes = Some(written.bytes as i64);
            d.record.row_count = Some(written.manifest.total_rows() as i64);
            d.record.schema_version = written.manifest.schema_version.clone().unwrap_or_default();
            let what = format!(
                "{} archive, {} rows in {} tables",
                super::human_bytes(written.bytes),
                written.manifest.total_rows(),
                written.manifest.tables.len()
            );
            d.manifest = Some(written.manifest);
            Ok(what)
        });
    }

    /// Step 2: the restore into a fresh scratch database.
    pub fn restore(&mut self) {
        self.step("restore", |d| {
            let scratch = match &d.settings.drill_database_url {
                Some(url) => Scratch::create_postgres(url)?,
                None => Scratch::Sqlite(d.work.join("scratch.db")),
            };
            let url = scratch.url();
            let what = format!("into {}", scratch.describe());
            d.scratch = Some(scratch);
            restore::restore(&d.archive, &url, false)?;
            Ok(what)
        });
    }

    /// The scratch database's URL, once the restore step has made it.
    pub fn scratch_url(&self) -> Option<String> {
        self.scratch.as_ref().map(Scratch::url)
    }

    /// Step 3: every table of the scratch database against the manifest.
    pub fn verify(&mut self) {
        self.step("verify", |d| {
            let (Some(manifest), Some(url)) = (&d.manifest, d.scratch_url()) else {
                return Err("there is nothing restored to verify".into());
            };
            let mut conn = db::connect_unmigrated(&url)?;
            restore::verify_database(&mut conn, manifest)?;
            Ok(format!(
                "{} tables: row counts and SHA-256 match the manifest",
                manifest.tables.len()
            ))
        });
    }

    /// Step 4: pages rendered from the restored data by `render`.
    pub fn render(&mut self, render: Render<'_>) {
        self.step("render", |d| {
            let url = d
                .scratch_url()
                .ok_or("there is nothing restored to render")?;
            render(&url)
        });
    }

    /// Step 5 and the end: drops the scratch database and the archive,
    /// records the drill in the database drilled, and reports.
    pub fn finish(mut self) -> Report {
        self.step("cleanup", |d| {
            let dropped = d.scratch.as_ref().map(Scratch::drop_it).unwrap_or(Ok(()));
            let _ = std::fs::remove_dir_all(&d.work);
            dropped.map(|()| "scratch database and archive removed".into())
        });
        self.record.passed = !self.failed();
        self.record.total_ms = self.started.elapsed().as_millis() as i64;
        let recorded = db::connect_unmigrated(&self.settings.database_url).and_then(|mut conn| {
            models::drills::record(&mut conn, &self.record)
                .map_err(|e| format!("recording the drill: {e}"))
        });
        Report {
            drill: self.record,
            lines: self.lines,
            recorded,
            total: self.started.elapsed(),
        }
    }
}

/// What a drill did.
pub struct Report {
    /// The drill as recorded.
    pub drill: models::drills::Drill,
    /// Each step run: its name, time and what it did (or why it failed).
    pub lines: Vec<(&'static str, Duration, String)>,
    /// Whether it could be recorded (shown on `/admin/drills`).
    pub recorded: Result<(), String>,
    /// The whole drill.
    pub total: Duration,
}

impl Report {
    /// Passed, and recorded.
    pub fn passed(&self) -> bool {
        self.drill.passed && self.recorded.is_ok()
    }

    /// The report for people.
    pub fn text(&self) -> String {
        let d = &self.drill;
        let mut out = match &d.failed_step {
            None => "Restore drill passed".to_owned(),
            Some(step) => format!("Restore drill FAILED at {step}"),
        };
        out.push_str(&format!(
            ": {} database, schema {}, run by {}\n",
            d.backend,
            if d.schema_version.is_empty() {
                "none"
            } else {
                &d.schema_version
            },
            d.actor
        ));
        for (name, took, what) in &self.lines {
            out.push_str(&format!(
                "{name:<8} {:>9.2} s  {what}\n",
                took.as_secs_f64()
            ));
        }
        out.push_str(&format!(
            "{:<8} {:>9.2} s",
            "total",
            self.total.as_secs_f64()
        ));
        match &self.recorded {
            Ok(()) => out.push_str("\nrecorded; see /admin/drills"),
            Err(e) => out.push_str(&format!("\nNOT RECORDED: {e}")),
        }
        out
    }
}

/// Runs every step.
pub fn run(settings: &Settings, actor: &str, render: Render<'_>) -> Report {
    let mut drill = Drill::start(settings, actor);
    drill.backup();
    drill.restore();
    drill.verify();
    drill.render(render);
    drill.finish()
}

/// Who runs a command on this machine: `user@host`.
pub fn actor() -> String {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(user_of_process)
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    if host.is_empty() {
        user
    } else {
        format!("{user}@{host}")
    }
}

/// The name of the user this process runs as, from its uid (cron and
/// systemd may leave `USER` unset).
fn user_of_process() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let name = passwd.lines().find_map(|l| {
        let mut fields = l.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    });
    Some(name.unwrap_or(format!("uid {uid}")))
}
