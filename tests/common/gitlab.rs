//! A stand-in GitLab on a free loopback port, shaped as GitLab's documented
//! API: the OAuth application (authorize, token with PKCE), `/user`,
//! `/groups`, and the issues API (`/projects/:path/issues/:iid`, and the
//! list with `state`, `labels` and offset pagination) behind a
//! `PRIVATE-TOKEN`, with switches: fail (500), hang (never answers), 429
//! with `Retry-After`, small pages, pages told only by `Link`. It records
//! every API request. Also: capturing this test binary's logs.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "baton-client-id";
pub const CLIENT_SECRET: &str = "very-secret-client-secret-7f3a";
/// The API token the stand-in accepts (and another, for a second instance).
pub const API_TOKEN: &str = "glpat-stand-in-token-5e1b9c";
pub const OTHER_API_TOKEN: &str = "glpat-second-instance-token-77aa";

// ---------------------------------------------------------------- logs

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every log line of this test binary, at debug level.
pub fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    static INIT: Once = Once::new();
    let buffer = LOGS
        .get_or_init(|| Arc::new(Mutex::new(Vec::new())))
        .clone();
    INIT.call_once(|| {
        let writer = LogWriter(buffer.clone());
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
    });
    buffer
}

// ------------------------------------------------------- stand-in GitLab

/// How the issues API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// 500 to everything.
    Fail,
    /// Never answers.
    Hang,
    /// 429 with `Retry-After: seconds`, `times` times, then normally.
    RateLimited { seconds: u64, times: u32 },
}

/// An issue the stand-in holds.
#[derive(Debug, Clone)]
pub struct Issue {
    pub project: String,
    pub iid: u64,
    pub title: String,
    pub state: String,
    pub labels: Vec<String>,
    pub milestone: Option<String>,
    /// The milestone's id (7 unless set).
    pub milestone_id: u64,
    /// The milestone's `start_date` (`YYYY-MM-DD`), if it has one.
    pub milestone_start: Option<String>,
    /// The issue's milestone history: (created_at, `add` or `remove`,
    /// milestone id, milestone title).
    pub milestone_events: Vec<(String, String, u64, String)>,
    pub confidential: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Issue {
    /// An open issue created an hour ago.
    pub fn open(project: &str, iid: u64, title: &str, labels: &[&str]) -> Issue {
        let created = chrono::Utc::now() - chrono::Duration::hours(1);
        Issue {
            project: project.to_owned(),
            iid,
            title: title.to_owned(),
            state: "opened".into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            milestone: None,
            milestone_id: 7,
            milestone_start: None,
            milestone_events: vec![],
            confidential: false,
            created_at: created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }

    fn json(&self, base: &str) -> Value {
        json!({
            "id": self.iid * 1000,
            "iid": self.iid,
            "project_id": 42,
            "title": self.title,
            "description": "",
            "state": self.state,
            "labels": self.labels,
            "milestone": self.milestone.as_ref().map(|m| milestone_json(self.milestone_id, m, self.milestone_start.as_deref())),
            "assignees": [{"id": 1, "username": "dana", "name": "Dana"}],
            "author": {"id": 1, "username": "dana"},
            "confidential": self.confidential,
            "web_url": format!("{base}/{}/-/issues/{}", self.project, self.iid),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "references": {"full": format!("{}#{}", self.project, self.iid)},
        })
    }
}

/// One API request as the stand-in saw it.
/// A milestone as GitLab's API describes it (in an issue, and in a
/// milestone event).
fn milestone_json(id: u64, title: &str, start: Option<&str>) -> Value {
    json!({
        "id": id, "iid": id, "project_id": 42, "title": title,
        "description": "", "state": "active",
        "created_at": "2026-01-05T09:00:00.000Z", "updated_at": "2026-01-05T09:00:00.000Z",
        "due_date": null, "start_date": start,
        "web_url": format!("https://gitlab.example.com/groups/gitlab-com/-/milestones/{id}"),
    })
}

impl Issue {
    /// `GET …/issues/:iid/resource_milestone_events`, as documented.
    fn milestone_events_json(&self) -> Value {
        let events: Vec<Value> = self
            .milestone_events
            .iter()
            .enumerate()
            .map(|(n, (at, action, id, title))| {
                json!({
                    "id": 142 + n,
                    "user": {"id": 1, "name": "Administrator", "username": "root", "state": "active",
                             "avatar_url": "", "web_url": "https://gitlab.example.com/root"},
                    "created_at": at,
                    "resource_type": "Issue",
                    "resource_id": self.iid * 1000,
                    "milestone": milestone_json(*id, title, self.milestone_start.as_deref()),
                    "action": action,
                })
            })
            .collect();
        Value::Array(events)
    }
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub token: Option<String>,
    pub at: Instant,
    pub status: u16,
}

#[derive(Default)]
pub struct Fake {
    pub user: (i64, String, String),
    pub groups: Vec<String>,
    /// code → (PKCE challenge, used)
    pub codes: HashMap<String, (String, bool)>,
    /// Pretend the browser's challenge was another one (a verifier mismatch).
    pub tamper_challenge: bool,
    pub issued: Vec<String>,
    /// Issues by (project in lower case, iid).
    pub issues: BTreeMap<(String, u64), Issue>,
    pub mode: Mode,
    /// The most issues a page holds, whatever `per_page` asks.
    pub page_size: Option<usize>,
    /// Tell the next page only with `Link` (as keyset pagination does).
    pub link_only: bool,
    /// When set, milestone histories answer this status (a 429 with
    /// `Retry-After: 1`) instead of the events.
    pub events_status: Option<u16>,
    pub seen: Vec<Seen>,
}

impl Fake {
    /// Adds (or replaces) an issue.
    pub fn put(&mut self, issue: Issue) {
        self.issues
            .insert((issue.project.to_lowercase(), issue.iid), issue);
    }

    /// The issue `project#iid`, to change.
    pub fn issue(&mut self, project: &str, iid: u64) -> &mut Issue {
        self.issues
            .get_mut(&(project.to_lowercase(), iid))
            .expect("a stand-in issue")
    }

    /// How many requests asked for one issue.
    pub fn issue_reads(&self, project: &str, iid: u64) -> usize {
        let path = format!("/issues/{iid}");
        let encoded = encode(project);
        self.seen
            .iter()
            .filter(|s| s.path.contains(&encoded) && s.path.ends_with(&path))
            .count()
    }

    /// How many requests asked for one issue's milestone history.
    pub fn milestone_event_reads(&self, project: &str, iid: u64) -> usize {
        let path = format!("/issues/{iid}/resource_milestone_events");
        let encoded = encode(project);
        self.seen
            .iter()
            .filter(|s| s.path.contains(&encoded) && s.path.contains(&path))
            .count()
    }
}

pub struct FakeGitLab {
    pub url: String,
    pub state: Arc<Mutex<Fake>>,
    handle: actix_web::dev::ServerHandle,
}

/// Percent-encodes as GitLab wants a project path (`/` too).
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn decode(value: &str) -> String {
    url::form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

async fn authorize(
    state: web::Data<Arc<Mutex<Fake>>>,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    assert_eq!(q.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(
        q.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    let code = uuid::Uuid::new_v4().simple().to_string();
    let mut challenge = q["code_challenge"].clone();
    let mut fake = state.lock().unwrap();
    if fake.tamper_challenge {
        challenge = base64url(&Sha256::digest(b"some other verifier"));
    }
    fake.codes.insert(code.clone(), (challenge, false));
    fake.issued.push(code.clone());
    let location = format!("{}?code={code}&state={}", q["redirect_uri"], q["state"]);
    HttpResponse::Found()
        .insert_header(("Location", location))
        .finish()
}

async fn token(
    state: web::Data<Arc<Mutex<Fake>>>,
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let refuse = |why: &str| {
        HttpResponse::BadRequest().json(json!({"error": "invalid_grant", "error_description": why}))
    };
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let expected = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let sent_in_body = form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    let mut standard = String::new();
    for c in base64url(expected.as_bytes()).chars() {
        standard.push(match c {
            '-' => '+',
            '_' => '/',
            c => c,
        });
    }
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    if basic != format!("Basic {standard}") && !sent_in_body {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let mut fake = state.lock().unwrap();
    let Some(code) = form.get("code") else {
        return refuse("no code");
    };
    let Some((challenge, used)) = fake.codes.get_mut(code) else {
        return refuse("unknown code");
    };
    if *used {
        return refuse("code already used");
    }
    *used = true;
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if base64url(&Sha256::digest(verifier.as_bytes())) != *challenge {
        return refuse("PKCE verification failed");
    }
    HttpResponse::Ok().json(json!({"access_token": format!("fake-access-{code}"), "token_type": "bearer", "expires_in": 7200}))
}

fn bearer_ok(req: &HttpRequest) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer fake-access-"))
}

async fn user(state: web::Data<Arc<Mutex<Fake>>>, req: HttpRequest) -> HttpResponse {
    if !bearer_ok(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    let fake = state.lock().unwrap();
    let (id, username, name) = fake.user.clone();
    HttpResponse::Ok()
        .json(json!({"id": id, "username": username, "name": name, "state": "active"}))
}

async fn list_groups(state: web::Data<Arc<Mutex<Fake>>>, req: HttpRequest) -> HttpResponse {
    if !bearer_ok(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    let fake = state.lock().unwrap();
    let groups: Vec<_> = fake
        .groups
        .iter()
        .map(|g| json!({"full_path": g}))
        .collect();
    HttpResponse::Ok().json(groups)
}

/// `/api/v4/projects/:path/issues[/:iid]`, read from the raw path: the
/// project path must come as one segment, `/` encoded, as GitLab wants it.
async fn projects(
    state: web::Data<Arc<Mutex<Fake>>>,
    base: web::Data<String>,
    req: HttpRequest,
    q: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let token = req
        .headers()
        .get("private-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = req.uri().to_string();
    let mode = {
        let mut fake = state.lock().unwrap();
        let mode = fake.mode;
        if let Mode::RateLimited { seconds, times } = mode {
            fake.mode = if times > 1 {
                Mode::RateLimited {
                    seconds,
                    times: times - 1,
                }
            } else {
                Mode::Normal
            };
        }
        mode
    };
    let answer = match mode {
        Mode::Hang => {
            state.lock().unwrap().seen.push(Seen {
                path,
                token,
                at: Instant::now(),
                status: 0,
            });
            actix_web::rt::time::sleep(Duration::from_secs(3600)).await;
            return HttpResponse::GatewayTimeout().finish();
        }
        Mode::Fail => HttpResponse::InternalServerError()
            .json(json!({"message": "500 Internal Server Error"})),
        Mode::RateLimited { seconds, .. } => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", seconds.to_string()))
            .json(json!({"message": "Retry later"})),
        Mode::Normal => answer(&state.lock().unwrap(), &base, &req, &q, token.as_deref()),
    };
    state.lock().unwrap().seen.push(Seen {
        path,
        token,
        at: Instant::now(),
        status: answer.status().as_u16(),
    });
    answer
}

fn answer(
    fake: &Fake,
    base: &str,
    req: &HttpRequest,
    q: &HashMap<String, String>,
    token: Option<&str>,
) -> HttpResponse {
    if !matches!(token, Some(API_TOKEN | OTHER_API_TOKEN)) {
        return HttpResponse::Unauthorized().json(json!({"message": "401 Unauthorized"}));
    }
    let not_found = || HttpResponse::NotFound().json(json!({"message": "404 Not found"}));
    let raw = req.uri().path().trim_start_matches("/api/v4/projects/");
    let Some((project, rest)) = raw.split_once("/issues") else {
        return not_found();
    };
    if project.contains('/') {
        return not_found();
    }
    let project = decode(project).to_lowercase();
    if let Some(tail) = rest.strip_prefix('/') {
        let (iid, sub) = tail.split_once('/').unwrap_or((tail, ""));
        let Ok(iid) = iid.parse::<u64>() else {
            return not_found();
        };
        return match (fake.issues.get(&(project, iid)), sub) {
            (Some(issue), "") => HttpResponse::Ok().json(issue.json(base)),
            (Some(issue), "resource_milestone_events") => match fake.events_status {
                None => HttpResponse::Ok().json(issue.milestone_events_json()),
                Some(status) => {
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .insert_header(("Retry-After", "1"))
                        .json(json!({"message": format!("{status}")}))
                }
            },
            _ => not_found(),
        };
    }
    if !rest.is_empty() {
        return not_found();
    }
    let wanted: Vec<&str> = q
        .get("labels")
        .map(|l| l.split(',').collect())
        .unwrap_or_default();
    let state = q.get("state").map(String::as_str).unwrap_or("all");
    let mut found: Vec<&Issue> = fake
        .issues
        .values()
        .filter(|i| i.project.to_lowercase() == project)
        .filter(|i| state == "all" || i.state == state)
        .filter(|i| wanted.iter().all(|w| i.labels.iter().any(|l| l == w)))
        .collect();
    found.reverse();
    let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(20);
    let per_page = per_page.min(fake.page_size.unwrap_or(100)).max(1);
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let pages = found.len().div_ceil(per_page).max(1);
    let items: Vec<Value> = found
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|i| i.json(base))
        .collect();
    let mut res = HttpResponse::Ok();
    let next = (page < pages).then(|| page + 1);
    let link_to = |n: usize| {
        let mut pairs: Vec<String> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        pairs.sort();
        pairs.push(format!("page={n}"));
        format!("{base}{}?{}", req.uri().path(), pairs.join("&"))
    };
    let mut links = vec![format!("<{}>; rel=\"first\"", link_to(1))];
    if let Some(n) = next {
        links.push(format!("<{}>; rel=\"next\"", link_to(n)));
    }
    res.insert_header(("Link", links.join(", ")));
    if !fake.link_only {
        res.insert_header(("X-Page", page.to_string()))
            .insert_header(("X-Per-Page", per_page.to_string()))
            .insert_header(("X-Total", found.len().to_string()))
            .insert_header(("X-Total-Pages", pages.to_string()))
            .insert_header((
                "X-Next-Page",
                next.map(|n| n.to_string()).unwrap_or_default(),
            ));
    }
    res.json(items)
}

impl FakeGitLab {
    /// Starts a stand-in whose OAuth user is `username`, member of `groups`.
    pub async fn start(username: &str, groups: &[&str]) -> FakeGitLab {
        let state = Arc::new(Mutex::new(Fake {
            user: (4242, username.to_owned(), format!("{username} from GitLab")),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ..Fake::default()
        }));
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let data = web::Data::new(state.clone());
        let base = web::Data::new(url.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(base.clone())
                .route("/oauth/authorize", web::get().to(authorize))
                .route("/oauth/token", web::post().to(token))
                .route("/api/v4/user", web::get().to(user))
                .route("/api/v4/groups", web::get().to(list_groups))
                .route("/api/v4/projects/{tail:.*}", web::get().to(projects))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeGitLab { url, state, handle }
    }

    /// A stand-in with no OAuth user, for the issues API.
    pub async fn start_api() -> FakeGitLab {
        FakeGitLab::start("nobody", &[]).await
    }

    /// Switches how the issues API answers.
    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = mode;
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}
