//! A stand-in chat webhook (Slack or Mattermost: both take a JSON POST) on
//! a free loopback port. It records every message it accepts, and has
//! switches: answer 500 until a time, answer 429 with `Retry-After` a
//! number of times, or hang (never answer).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::Value;

#[derive(Default)]
struct State {
    received: Vec<Value>,
    attempts: u32,
    fail_until: Option<Instant>,
    rate_limited: Option<(u64, u32)>,
    hang: bool,
    refuse: Option<u16>,
}

/// The stand-in.
pub struct FakeChat {
    /// The webhook's URL (its path plays the secret).
    pub url: String,
    state: Arc<Mutex<State>>,
}

/// The secret part of every stand-in's URL.
pub const SECRET_PATH: &str = "T000/B000/very-secret-hook-path";

async fn hook(state: web::Data<Arc<Mutex<State>>>, body: web::Json<Value>) -> HttpResponse {
    let hang = {
        let mut s = state.lock().unwrap();
        s.attempts += 1;
        if s.hang {
            true
        } else if let Some(status) = s.refuse {
            return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                .body("no such hook");
        } else if s.fail_until.is_some_and(|t| Instant::now() < t) {
            return HttpResponse::InternalServerError().body("down");
        } else if let Some((seconds, times)) = s.rate_limited.filter(|(_, t)| *t > 0) {
            s.rate_limited = Some((seconds, times - 1));
            return HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", seconds.to_string()))
                .body("slow down");
        } else {
            s.received.push(body.into_inner());
            false
        }
    };
    if hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    HttpResponse::Ok().body("ok")
}

impl FakeChat {
    /// Starts a stand-in on the test's runtime.
    pub async fn start() -> FakeChat {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hooks/{tail:.*}", web::post().to(hook))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        FakeChat {
            url: format!("http://127.0.0.1:{port}/hooks/{SECRET_PATH}"),
            state,
        }
    }

    /// Every message accepted, in order.
    pub fn received(&self) -> Vec<Value> {
        self.state.lock().unwrap().received.clone()
    }

    /// The `text` of every message accepted.
    pub fn texts(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// How many posts reached it, answered or not.
    pub fn attempts(&self) -> u32 {
        self.state.lock().unwrap().attempts
    }

    /// Answers 500 for `span` from now.
    pub fn fail_for(&self, span: Duration) {
        self.state.lock().unwrap().fail_until = Some(Instant::now() + span);
    }

    /// Answers 429 with `Retry-After: seconds`, `times` times.
    pub fn rate_limit(&self, seconds: u64, times: u32) {
        self.state.lock().unwrap().rate_limited = Some((seconds, times));
    }

    /// Answers every post with `status` (`None`: normally again).
    pub fn refuse(&self, status: Option<u16>) {
        self.state.lock().unwrap().refuse = status;
    }

    /// Never answers (or answers again).
    pub fn hang(&self, on: bool) {
        self.state.lock().unwrap().hang = on;
    }
}

/// Waits up to `within` for `done`, looking every 50 ms; whether it came.
pub async fn eventually(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
