//! The `baton` binary against PostgreSQL, run as a script would run it.
//!
//! Commands used to die now and then with SIGSEGV after printing their
//! result: the main thread was in `exit()` tearing OpenSSL down while a pool
//! thread was still opening a PostgreSQL connection through libpq. Every
//! command that touches the database now runs many times here, in parallel
//! lanes, and must exit 0 every time; so must a server told to stop. Those
//! two are skipped when `BATON_TEST_POSTGRES_URL` is not set. The command
//! line's refusals of invisible characters run on SQLite.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// How many times each command runs.
const RUNS: usize = 200;
/// How many commands run at once. Opening a PostgreSQL connection takes
/// longer than the command's own work, so more lanes than cores pay off.
const LANES: usize = 8;
/// How many databases `demo` runs in, one lane each, beside the others.
const DEMO_LANES: usize = 4;
/// How many times the server is started and stopped.
const SERVER_RUNS: usize = 20;
/// A password long enough for `user set-password`.
const PASSWORD: &str = "correct horse battery staple\n";

/// A fresh PostgreSQL database, dropped at the end.
struct Scratch {
    admin_url: String,
    name: String,
    url: String,
}

impl Scratch {
    /// A new database, or `None` when PostgreSQL is not configured.
    fn create() -> Option<Scratch> {
        let Ok(admin_url) = std::env::var("BATON_TEST_POSTGRES_URL") else {
            eprintln!("skipped on PostgreSQL: BATON_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("baton_cli_{}", uuid::Uuid::new_v4().simple());
        PgConnection::establish(&admin_url)
            .expect("connect to BATON_TEST_POSTGRES_URL")
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create the database");
        let mut url = url::Url::parse(&admin_url).expect("BATON_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(Scratch {
            admin_url,
            name,
            url: url.to_string(),
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// One run of the binary: its arguments and what it reads on stdin.
#[derive(Clone)]
struct Job {
    args: Vec<String>,
    stdin: Option<&'static str>,
}

fn job(args: &[&str]) -> Job {
    Job {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        stdin: None,
    }
}

/// Runs `baton ARGS` on `database_url`.
fn baton(database_url: &str, job: &Job) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(&job.args)
        .env("BATON_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("BATON_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start baton");
    let mut stdin = child.stdin.take().expect("stdin");
    if let Some(text) = job.stdin {
        stdin.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(stdin);
    child.wait_with_output().expect("wait for baton")
}

/// How an exit reads in a failure message: "exit 1" or "signal 11".
fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        _ => "unknown".into(),
    }
}

/// The command's name, such as "user add", for the tally.
fn command_of(job: &Job) -> String {
    match job.args.first().map(String::as_str) {
        Some("user" | "token") => job.args[..2].join(" "),
        _ => job.args[0].clone(),
    }
}

/// Runs `jobs` in [`LANES`] parallel lanes; returns the tally of outcomes by
/// command ("user add: exit 0" → count) and the first failures in full.
fn run_lanes(
    database_url: &str,
    jobs: Vec<Job>,
    tally: &Mutex<BTreeMap<String, usize>>,
    failures: &Mutex<Vec<String>>,
) {
    let queue = Mutex::new(jobs.into_iter());
    std::thread::scope(|s| {
        for _ in 0..LANES {
            s.spawn(|| {
                loop {
                    let Some(job) = queue.lock().unwrap().next() else {
                        return;
                    };
                    record(database_url, &job, tally, failures);
                }
            });
        }
    });
}

/// Runs one job and records its outcome.
fn record(
    database_url: &str,
    job: &Job,
    tally: &Mutex<BTreeMap<String, usize>>,
    failures: &Mutex<Vec<String>>,
) -> Output {
    let out = baton(database_url, job);
    let key = format!("{}: {}", command_of(job), describe(out.status));
    *tally.lock().unwrap().entry(key).or_default() += 1;
    if !out.status.success() {
        let mut failures = failures.lock().unwrap();
        if failures.len() < 10 {
            failures.push(format!(
                "baton {} → {}: {}",
                job.args.join(" "),
                describe(out.status),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    out
}

#[test]
fn every_database_command_exits_0_two_hundred_times_on_postgresql() {
    let Some(main) = Scratch::create() else {
        return;
    };
    // `demo` adds the same people each time: each of its lanes has a
    // database of its own.
    let demos: Vec<Scratch> = (0..DEMO_LANES).filter_map(|_| Scratch::create()).collect();
    let started = Instant::now();
    let tally = Mutex::new(BTreeMap::new());
    let failures = Mutex::new(vec![]);
    for setup in [
        job(&["migrate"]),
        job(&["user", "add", "ops", "--role", "admin"]),
    ] {
        let out = baton(&main.url, &setup);
        assert!(
            out.status.success(),
            "baton {}: {}",
            setup.args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    std::thread::scope(|s| {
        for (lane, demo) in demos.iter().enumerate() {
            let (tally, failures) = (&tally, &failures);
            s.spawn(move || {
                for i in (lane..RUNS).step_by(DEMO_LANES) {
                    let seed = i.to_string();
                    let args = [
                        "demo", "--users", "3", "--days", "14", "--open", "1", "--notes", "2",
                        "--force", "--seed", &seed,
                    ];
                    record(&demo.url, &job(&args), tally, failures);
                }
            });
        }

        // Commands that add: a user and a token each, for the second round.
        let mut first = vec![];
        for i in 0..RUNS {
            let user = format!("u{i}");
            let label = format!("script {i}");
            first.push(job(&["migrate"]));
            first.push(job(&[
                "user",
                "add",
                &user,
                "--name",
                "Some One",
                "--timezone",
                "Asia/Tokyo",
                "--role",
                "admin",
            ]));
            first.push(job(&["user", "list"]));
            first.push(job(&["token", "create", "ops", "--label", &label]));
            first.push(job(&["token", "list", "ops"]));
        }
        run_lanes(&main.url, first, &tally, &failures);

        let listed = baton(&main.url, &job(&["token", "list", "ops"]));
        let ids: Vec<String> = String::from_utf8_lossy(&listed.stdout)
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
            .collect();
        assert_eq!(ids.len(), RUNS, "one token per `token create`");

        // Commands that change what the first round added.
        let mut second = vec![];
        for (i, id) in ids.iter().enumerate() {
            let user = format!("u{i}");
            second.push(Job {
                args: vec!["user".into(), "set-password".into(), user.clone()],
                stdin: Some(PASSWORD),
            });
            second.push(job(&["user", "clear-password", &user]));
            second.push(job(&["user", "set-role", &user, "responder"]));
            second.push(job(&["user", "deactivate", &user]));
            second.push(job(&["user", "reactivate", &user]));
            second.push(job(&["token", "revoke", id]));
        }
        run_lanes(&main.url, second, &tally, &failures);
    });

    let tally = tally.into_inner().unwrap();
    let summary: Vec<String> = tally.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
    eprintln!(
        "{} runs in {:.1} s: {}",
        tally.values().sum::<usize>(),
        started.elapsed().as_secs_f64(),
        summary.join(", ")
    );
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{}\nfirst failures:\n{}",
        summary.join("\n"),
        failures.join("\n")
    );
    for command in [
        "migrate",
        "user add",
        "user list",
        "user set-password",
        "user clear-password",
        "user set-role",
        "user deactivate",
        "user reactivate",
        "token create",
        "token list",
        "token revoke",
        "demo",
    ] {
        assert_eq!(
            tally.get(&format!("{command}: exit 0")),
            Some(&RUNS),
            "{command} ran {RUNS} times: {summary:?}"
        );
    }
}

/// `GET path` over plain HTTP/1.0: the status line, or `None` when nothing answers.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.lines().next().map(str::to_owned)
}

/// How [`serve_once`] says that its server exited before it was told to
/// stop, another server answering on its port.
const PORT_TAKEN: &str = "exited before it was told to stop: another server on port";

/// [`serve_once`], on another port when the one it picked was taken.
fn serve_once_on_a_free_port(database_url: &str) -> Result<ExitStatus, String> {
    let mut outcome = serve_once(database_url);
    for _ in 0..3 {
        match &outcome {
            Err(e) if e.starts_with(PORT_TAKEN) => outcome = serve_once(database_url),
            _ => break,
        }
    }
    outcome
}

/// Starts `baton serve` on a free port, waits until it is ready, reads a
/// page, stops it with SIGTERM and returns how it exited.
fn serve_once(database_url: &str) -> Result<ExitStatus, String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("serve")
        .env("BATON_DATABASE_URL", database_url)
        .env("BATON_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("BATON_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        if http_get(port, "/readyz").is_some_and(|s| s.contains(" 200")) {
            break true;
        }
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !ready {
        let _ = child.kill();
        let status = child.wait().map_err(|e| e.to_string())?;
        return Err(format!("not ready on port {port} ({})", describe(status)));
    }
    let page = http_get(port, "/").unwrap_or_default();
    if !page.contains(" 200") {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("GET / answered {page:?}"));
    }
    if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
        // Another lane's server took the port between our probe and our
        // bind, and answered for ours: say so, and the caller tries again.
        return Err(format!("{PORT_TAKEN} {port} ({})", describe(status)));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .map_err(|e| e.to_string())?;
    if !killed.success() {
        return Err("kill -TERM failed".into());
    }
    child.wait().map_err(|e| e.to_string())
}

#[test]
fn a_server_told_to_stop_exits_0_every_time_on_postgresql() {
    let Some(db) = Scratch::create() else {
        return;
    };
    let migrated = baton(&db.url, &job(&["migrate"]));
    assert!(migrated.status.success(), "migrate");
    let started = Instant::now();
    let outcomes = Mutex::new(vec![]);
    let next = Mutex::new(0..SERVER_RUNS);
    std::thread::scope(|s| {
        for _ in 0..LANES {
            s.spawn(|| {
                while next.lock().unwrap().next().is_some() {
                    let outcome = serve_once_on_a_free_port(&db.url);
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap();
    eprintln!(
        "{} servers started and stopped in {:.1} s",
        outcomes.len(),
        started.elapsed().as_secs_f64()
    );
    let bad: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Ok(status) if status.success() => None,
            Ok(status) => Some(describe(*status)),
            Err(e) => Some(e.clone()),
        })
        .collect();
    assert!(bad.is_empty(), "servers that did not stop cleanly: {bad:?}");
    assert_eq!(outcomes.len(), SERVER_RUNS);
}

#[test]
fn a_server_that_cannot_listen_exits_1_every_time_on_postgresql() {
    let Some(db) = Scratch::create() else {
        return;
    };
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let tally = Mutex::new(BTreeMap::<String, usize>::new());
    let next = Mutex::new(0..RUNS);
    std::thread::scope(|s| {
        for _ in 0..LANES {
            s.spawn(|| {
                while next.lock().unwrap().next().is_some() {
                    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
                        .arg("serve")
                        .env("BATON_DATABASE_URL", &db.url)
                        .env("BATON_BIND", &bind)
                        .env("RUST_LOG", "off")
                        .env_remove("DATABASE_URL")
                        .env_remove("BATON_CONFIG")
                        .output()
                        .expect("start baton");
                    let mut tally = tally.lock().unwrap();
                    *tally.entry(describe(out.status)).or_default() += 1;
                }
            });
        }
    });
    let tally = tally.into_inner().unwrap();
    assert_eq!(
        tally.get("exit 1"),
        Some(&RUNS),
        "a failed start must end with its error, not a crash: {tally:?}"
    );
}

/// Runs `baton ARGS` on the SQLite file `db`: (exit code, stdout, stderr).
fn baton_sqlite(db: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let url = format!("sqlite://{}", db.display());
    let out = baton(&url, &job(args));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_refuses_invisible_characters_and_compares_usernames_as_parsed() {
    let db = std::env::temp_dir().join(format!("baton-cli-{}.db", uuid::Uuid::new_v4().simple()));
    let refused = |args: &[&str], message: &str| {
        let (code, _, stderr) = baton_sqlite(&db, args);
        assert!(
            matches!(code, Some(c) if c != 0),
            "baton {args:?} exited {code:?}"
        );
        assert!(stderr.contains(message), "baton {args:?}: {stderr}");
    };
    refused(
        &["user", "add", "dave\u{202E}"],
        "a username contains U+202E",
    );
    refused(
        &["user", "add", "dave", "--name", "Da\u{1}ve"],
        "the name contains U+0001",
    );
    refused(
        &["user", "add", "dave", "--timezone", "UTC\u{2066}"],
        "the time zone contains U+2066",
    );
    refused(
        &["user", "add", "dave", "--role", "admin\u{7}"],
        "the role contains U+0007",
    );
    refused(
        &["user", "set-role", "root\u{202D}", "viewer"],
        "a username contains U+202D",
    );

    let (code, out, _) = baton_sqlite(&db, &["user", "add", " root ", "--role", "admin"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("added root "), "{out}");
    refused(&["user", "add", "Root"], "root differs only in case");
    refused(
        &["token", "create", "root", "--label", "bot\u{1B}"],
        "the label contains U+001B",
    );
    let (code, token, _) = baton_sqlite(&db, &["token", "create", "root "]);
    assert_eq!(code, Some(0), "a trailing space names root");
    assert!(token.starts_with("baton_"), "{token}");
    refused(
        &["user", "set-role", " root", "viewer"],
        "last active admin",
    );
    refused(&["user", "deactivate", "root\t"], "last active admin");
    let (_, list, _) = baton_sqlite(&db, &["user", "list"]);
    assert!(list.contains("root") && list.contains("admin"), "{list}");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[test]
fn a_command_over_a_stored_role_baton_does_not_know_fails_naming_the_row() {
    use baton::db::schema::users;
    use diesel::prelude::*;
    // Reads `baton user list` after the role of `root` was set to `owner`
    // behind Baton's back, with `set` running SQL on the same database.
    let check = |url: &str, set: &dyn Fn(&str) -> String| {
        let added = baton(url, &job(&["user", "add", "root", "--role", "admin"]));
        assert!(added.status.success(), "{added:?}");
        let id = set("UPDATE users SET role = 'owner' WHERE username = 'root'");
        let out = baton(url, &job(&["user", "list"]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing listed");
        assert_eq!(
            stderr.trim_end(),
            format!(r#"baton: users row {id} has role "owner", which Baton does not know"#)
        );
    };
    let path = std::env::temp_dir().join(format!("baton-cli-{}.db", uuid::Uuid::new_v4().simple()));
    check(&format!("sqlite://{}", path.display()), &|sql| {
        let mut conn = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
        conn.batch_execute(sql).unwrap();
        users::table
            .filter(users::username.eq("root"))
            .select(users::id)
            .first(&mut conn)
            .unwrap()
    });
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    if let Some(db) = Scratch::create() {
        check(&db.url, &|sql| {
            let mut conn = PgConnection::establish(&db.url).unwrap();
            conn.batch_execute(sql).unwrap();
            users::table
                .filter(users::username.eq("root"))
                .select(users::id)
                .first(&mut conn)
                .unwrap()
        });
    }
}
