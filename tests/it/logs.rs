//! Structured logs: one line per request (request id, method, route
//! pattern, status, duration) with the id returned in `X-Request-Id`, one
//! line per background job step, as JSON with `BATON_LOG_FORMAT=json`, and
//! nothing a client sent in a path, query or header in them.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::gitlab::{API_TOKEN, FakeGitLab, capture_logs};
use crate::common::{Backend, TestApp};

/// `baton serve` on a free port over a fresh SQLite file, with `env`; its
/// address once it is ready.
async fn serve(env: &[(&str, &str)]) -> (Child, String, tempfile_path::TempDir) {
    let dir = tempfile_path::TempDir::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command
        .arg("serve")
        .env(
            "BATON_DATABASE_URL",
            format!("sqlite://{}", dir.0.join("b.db").display()),
        )
        .env("BATON_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .env_remove("DATABASE_URL")
        .env_remove("BATON_CONFIG")
        .env_remove("BATON_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let address = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = reqwest::get(format!("{address}/readyz")).await
            && res.status() == 200
        {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "baton serve exited");
        assert!(Instant::now() < deadline, "baton serve not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, address, dir)
}

/// Stops the server (SIGTERM) and returns what it wrote to standard error.
fn stop(child: Child) -> String {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    String::from_utf8(out.stderr).unwrap()
}

/// A scratch folder removed when dropped.
mod tempfile_path {
    pub struct TempDir(pub std::path::PathBuf);

    impl TempDir {
        pub fn new() -> TempDir {
            let path = std::env::temp_dir().join(format!("baton-logs-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn request_id(res: &reqwest::Response) -> String {
    let id = res
        .headers()
        .get("x-request-id")
        .expect("an X-Request-Id header")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    id
}

#[tokio::test]
async fn every_request_leaves_one_json_line_naming_its_route_pattern_and_the_id_it_answered_with() {
    let (child, address, _dir) = serve(&[("BATON_LOG_FORMAT", "json")]).await;
    let client = reqwest::Client::new();
    let raw_id = "0193aaaa-bbbb-7ccc-8ddd-eeeeffff0001";
    let page = client
        .get(format!(
            "{address}/handoffs/{raw_id}?code=oauth-code-sekrit"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let page_id = request_id(&page);
    let api = client
        .get(format!("{address}/api/v1/handoffs/{raw_id}"))
        .bearer_auth("baton-token-that-must-not-be-logged")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    let api_id = request_id(&api);
    let lost = client
        .get(format!("{address}/no/such/page/4711"))
        .send()
        .await
        .unwrap();
    assert_eq!(lost.status(), 404);
    let lost_id = request_id(&lost);
    assert!(
        page_id != api_id && api_id != lost_id,
        "each request has its own id"
    );
    let log = stop(child);

    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let line_of = |id: &str| -> &Value {
        let found: Vec<&Value> = lines
            .iter()
            .filter(|l| l["message"] == "request" && l["request_id"] == id)
            .collect();
        assert_eq!(found.len(), 1, "one line for request {id} in\n{log}");
        found[0]
    };
    let page_line = line_of(&page_id);
    assert_eq!(page_line["route"], "/handoffs/{id}");
    assert_eq!(page_line["method"], "GET");
    assert_eq!(page_line["status"], 404);
    assert!(page_line["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(page_line["level"], "INFO");
    let api_line = line_of(&api_id);
    assert_eq!(api_line["route"], "/api/v1/handoffs/{id}");
    assert_eq!(api_line["status"], 401);
    assert_eq!(line_of(&lost_id)["route"], "unmatched");
    for secret in [
        raw_id,
        "oauth-code-sekrit",
        "baton-token-that-must-not-be-logged",
        "4711",
    ] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
}

#[tokio::test]
async fn the_default_log_is_readable_text_with_the_request_id_and_no_colour_codes() {
    let (child, address, _dir) = serve(&[]).await;
    let res = reqwest::get(format!("{address}/healthz")).await.unwrap();
    let id = request_id(&res);
    let log = stop(child);
    let line = log
        .lines()
        .find(|l| l.contains(&id) && l.contains("route=\"/healthz\""))
        .unwrap_or_else(|| panic!("no line for {id} in\n{log}"));
    assert!(
        line.contains("INFO") && line.contains("status=200") && line.contains("method=GET"),
        "{line}"
    );
    assert!(!line.starts_with('{'), "{line}");
    assert!(
        !log.contains('\u{1b}'),
        "no terminal colour codes in a file:\n{log}"
    );
}

#[tokio::test]
async fn a_log_format_baton_does_not_know_stops_start_up_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["user", "list"])
        .env("BATON_LOG_FORMAT", "yaml")
        .env("BATON_DATABASE_URL", "sqlite:///nonexistent/never.db")
        .env_remove("BATON_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("BATON_LOG_FORMAT") && err.contains("yaml"),
        "{err}"
    );
}

#[tokio::test]
async fn each_background_job_step_leaves_one_line_and_the_gitlab_token_is_never_in_the_log() {
    let logs = capture_logs();
    let gitlab = FakeGitLab::start_api().await;
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("BATON_GITLAB_URL", gitlab.url.as_str()),
            ("BATON_GITLAB_API_TOKEN", API_TOKEN),
            ("BATON_GITLAB_REFRESH", "1s"),
            ("BATON_GITLAB_PROJECTS", "gitlab-com/gl-infra/production"),
        ],
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let line = loop {
        let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
        if let Some(line) = text
            .lines()
            .find(|l| l.contains("job step") && l.contains("job=\"gitlab_refresh\""))
        {
            break line.to_owned();
        }
        assert!(Instant::now() < deadline, "no job step line in\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        line.contains("step_id=") && line.contains("outcome=") && line.contains("duration_ms="),
        "{line}"
    );
    drop(app);
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(!text.contains(API_TOKEN), "the GitLab token is in the log");
}
