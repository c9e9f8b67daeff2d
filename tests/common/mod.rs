//! Test harness: the real server on port 0 with a fresh database per test,
//! on SQLite and (when `BATON_TEST_POSTGRES_URL` is set) on PostgreSQL.
#![allow(dead_code)]

pub mod chat;
pub mod gitlab;

use std::collections::HashMap;

use baton::config::Settings;
use baton::db::Db;
use baton::db::models::{tokens, users};
use baton::domain::handoff::Role;
use baton::domain::time::Timezone;
use baton::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::{Client, Response, redirect};
use serde_json::Value;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running Baton with its own database.
pub struct TestApp {
    pub address: String,
    pub db: Db,
    /// The database it runs on (for the command line; a second instance may share it).
    pub database_url: String,
    pub backend: Backend,
    /// A client that keeps cookies and does not follow redirects.
    pub browser: Client,
    /// The background jobs, stopped when the test ends.
    jobs: Option<baton::jobs::Runner>,
    cleanup: Cleanup,
}

/// What to remove when a test's database is done with.
pub enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

/// A fresh, empty database for a test on `backend` (`None` when PostgreSQL
/// is not configured): its URL, and what removes it when dropped.
pub struct FreshDatabase {
    pub url: String,
    pub cleanup: Cleanup,
}

impl FreshDatabase {
    pub fn new(backend: Backend) -> Option<FreshDatabase> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("baton-test-{id}.db"));
                (format!("sqlite://{}", path.display()), Cleanup::File(path))
            }
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("BATON_TEST_POSTGRES_URL") else {
                    eprintln!("skipped on PostgreSQL: BATON_TEST_POSTGRES_URL is not set");
                    return None;
                };
                let name = format!("baton_test_{id}");
                let mut conn = PgConnection::establish(&admin_url)
                    .expect("connect to BATON_TEST_POSTGRES_URL");
                conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .expect("create test database");
                let mut url =
                    url::Url::parse(&admin_url).expect("BATON_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                (url.to_string(), Cleanup::Database { admin_url, name })
            }
        };
        Some(FreshDatabase { url, cleanup })
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The jobs stop before the database they use is removed.
        if let Some(jobs) = self.jobs.take() {
            jobs.stop(std::time::Duration::from_secs(3));
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ = conn
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
                }
            }
        }
    }
}

/// A new browser-like client: keeps cookies, does not follow redirects,
/// and closes a connection idle for 2 s (the server closes them after 5 s;
/// a request written into one it is closing fails with "incomplete message").
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("client")
}

impl TestApp {
    /// Starts Baton on `backend`; `None` when PostgreSQL is not configured.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, &[]).await
    }

    /// Starts Baton with extra settings (`KEY`, value).
    pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
        let fresh = FreshDatabase::new(backend)?;
        Some(Self::spawn_on(backend, fresh, extra).await)
    }

    /// Starts Baton on a database of the test's own (made by
    /// [`FreshDatabase::new`], and filled or not), removed with the app.
    pub async fn spawn_on(
        backend: Backend,
        fresh: FreshDatabase,
        extra: &[(&str, &str)],
    ) -> TestApp {
        let FreshDatabase {
            url: database_url,
            cleanup,
        } = fresh;
        let mut values: HashMap<String, String> = HashMap::new();
        values.insert("BATON_DATABASE_URL".into(), database_url.clone());
        values.insert("BATON_BIND".into(), "127.0.0.1:0".into());
        for (k, v) in extra {
            values.insert((*k).into(), (*v).into());
        }
        let settings = Settings::from_values(&values).expect("settings");
        let mut app = Application::build(settings)
            .await
            .expect("build the application");
        let address = format!("http://127.0.0.1:{}", app.port());
        let jobs = app.take_jobs();
        tokio::spawn(app.into_server());
        let db = Db::connect(&database_url).expect("test pool");
        TestApp {
            address,
            db,
            database_url,
            backend,
            browser: browser(),
            jobs,
            cleanup,
        }
    }

    /// Starts another Baton on this one's database, with `extra` settings.
    /// Its server runs until the test process ends; its jobs until the
    /// returned instance is dropped.
    pub async fn another_instance(&self, extra: &[(&str, &str)]) -> Instance {
        let mut values: HashMap<String, String> = HashMap::new();
        values.insert("BATON_DATABASE_URL".into(), self.database_url.clone());
        values.insert("BATON_BIND".into(), "127.0.0.1:0".into());
        for (k, v) in extra {
            values.insert((*k).into(), (*v).into());
        }
        let settings = Settings::from_values(&values).expect("settings");
        let mut app = Application::build(settings)
            .await
            .expect("build the second instance");
        let address = format!("http://127.0.0.1:{}", app.port());
        let jobs = app.take_jobs();
        tokio::spawn(app.into_server());
        Instance { address, jobs }
    }

    /// `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Adds a user directly through the model.
    pub fn add_user(&self, username: &str, timezone: &str, role: &str) -> users::User {
        let mut conn = self.db.conn().expect("conn");
        users::create(
            &mut conn,
            &username.parse().expect("username"),
            username,
            Timezone::parse(timezone).expect("zone"),
            Role::parse(role).expect("role"),
        )
        .expect("add user")
    }

    /// A new API token for `username`.
    pub fn token(&self, username: &str) -> String {
        let mut conn = self.db.conn().expect("conn");
        let user = users::find_by_username(&mut conn, &username.parse().expect("username"))
            .expect("query")
            .expect("user exists");
        tokens::create(&mut conn, &user.id, "test").expect("token")
    }

    /// The three people of the shift-change story, with their tokens.
    pub fn alice_bob_carol(&self) -> (String, String, String) {
        self.add_user("alice", "Europe/Amsterdam", "responder");
        self.add_user("bob", "Asia/Tokyo", "responder");
        self.add_user("carol", "UTC", "viewer");
        (self.token("alice"), self.token("bob"), self.token("carol"))
    }

    /// An API request with a bearer token.
    pub fn api(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        Client::new()
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// `GET path` with a token, as JSON (any status).
    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        json(
            self.api(reqwest::Method::GET, path, token)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// `method path` with a JSON body and a token (any status).
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> (u16, Value) {
        json(
            self.api(method, path, token)
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Opens a handoff as `token`'s user; returns its JSON.
    pub async fn create_handoff(&self, token: &str, body: Value) -> Value {
        let (status, json) = self
            .send_json(reqwest::Method::POST, "/api/v1/handoffs", token, &body)
            .await;
        assert_eq!(status, 201, "create handoff: {json}");
        json
    }

    /// The CSRF token of `browser`'s session, as the sign-in page's form carries it.
    pub async fn csrf_token(&self, browser: &Client) -> String {
        let (_, html) = self.page(browser, "/login").await;
        let marker = "name=\"csrf\" value=\"";
        let start = html.find(marker).expect("a csrf field") + marker.len();
        let len = html[start..].find('"').expect("end of the csrf value");
        html[start..start + len].to_owned()
    }

    /// Sends `method target` exactly as written (no normalisation of `%61`,
    /// `//` or `/./`, as a client library would do) and returns the status
    /// and the body.
    pub async fn raw(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> (u16, String) {
        use std::io::{Read, Write};
        let host = self.address.trim_start_matches("http://").to_owned();
        let mut request =
            format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(&host).expect("connect");
            stream.write_all(request.as_bytes()).expect("send");
            let mut response = Vec::new();
            stream.read_to_end(&mut response).expect("receive");
            let response = String::from_utf8_lossy(&response).into_owned();
            let status = response
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .expect("a status line");
            let body = response
                .split_once("\r\n\r\n")
                .map(|(_, b)| b.to_owned())
                .unwrap_or_default();
            (status, body)
        })
        .await
        .expect("raw request")
    }

    /// Signs `browser` in as `username` (local mode).
    pub async fn sign_in(&self, browser: &Client, username: &str) {
        let (status, _, _) = self
            .post_form(browser, "/login", &[("username", username), ("next", "/")])
            .await;
        assert_eq!(status, 303, "sign in as {username}");
    }

    /// `GET path` in `browser`: (status, body).
    pub async fn page(&self, browser: &Client, path: &str) -> (u16, String) {
        let res = browser.get(self.url(path)).send().await.expect("get page");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// `POST path` of a form in `browser`: (status, Location, body).
    pub async fn post_form(
        &self,
        browser: &Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let token = self.csrf_token(browser).await;
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            fields.push(("csrf", &token));
        }
        let res = browser
            .post(self.url(path))
            .form(&fields)
            .send()
            .await
            .expect("post form");
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        (status, location, res.text().await.expect("body"))
    }
}

/// A second Baton on a test's database.
pub struct Instance {
    pub address: String,
    jobs: Option<baton::jobs::Runner>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(jobs) = self.jobs.take() {
            jobs.stop(std::time::Duration::from_secs(3));
        }
    }
}

/// Status and JSON body of a response (`null` when the body is empty).
pub async fn json(res: Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, value)
}

/// Declares each test twice: on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await.expect("sqlite");
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let Some($app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await else {
                        return;
                    };
                    $body
                }
            )*
        }
    };
}

/// How a page should read the instant `iso` in `zone` by the bundled
/// tzdata, worked out with jiff directly rather than with Baton's own
/// formatting: (`Sun 29 Nov 09:00 CET`, `09:00`). For zones whose offsets
/// have abbreviations (the numeric ones Baton writes as `UTC+05:45`).
pub fn expected_local(iso: &str, zone: &str) -> (String, String) {
    let ts: jiff::Timestamp = iso
        .parse()
        .unwrap_or_else(|_| panic!("datetime {iso:?} is not RFC 3339"));
    let tz = jiff::tz::TimeZoneDatabase::bundled()
        .get(zone)
        .unwrap_or_else(|_| panic!("no zone {zone}"));
    let local = ts.to_zoned_datetime(tz);
    (
        local.strftime("%a %d %b %H:%M %Z").to_string(),
        local.strftime("%H:%M").to_string(),
    )
}

/// The clock in `zone` a minute ago, now, and a minute later: a page read
/// now was made a moment ago (or kept for a few seconds), and either may
/// straddle a minute.
pub fn clocks_now(zone: &str) -> [String; 3] {
    let now = chrono::Utc::now();
    let minute = chrono::Duration::minutes(1);
    [now - minute, now, now + minute]
        .map(|t| expected_local(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), zone).1)
}

/// An instant as a `datetime-local` value in `zone` (to the minute), by the
/// bundled tzdata.
pub fn local_input(t: chrono::DateTime<chrono::Utc>, zone: &str) -> String {
    let tz = jiff::tz::TimeZoneDatabase::bundled()
        .get(zone)
        .unwrap_or_else(|_| panic!("no zone {zone}"));
    jiff::Timestamp::from_second(t.timestamp())
        .expect("an instant jiff can hold")
        .to_zoned_datetime(tz)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Every Rust source file under `src/`, with its text.
pub fn sources() -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                found.push((path, text));
            }
        }
    }
    found
}
