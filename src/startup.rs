//! Builds the application and its server; used by `main` and by the tests.

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpServer, web};

use crate::config::{LogFormat, Settings};
use crate::db::Db;
use crate::db::models::{settings, tokens};
use crate::web::AppState;

/// Sessions outlive a GitLab outage; each day of use renews them.
const SESSION_DAYS: i64 = 7;

/// The Content-Security-Policy of every response: no inline script or style.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Sets up the process's log: `RUST_LOG` filters (default `info`), to
/// standard error, as readable lines or one JSON object a line. Every
/// event inside a request carries its request id (its span).
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let done = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    if let Err(e) = done {
        eprintln!("baton: the log is already set up: {e}");
    }
}

/// A built, listening application.
pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    watcher: Option<crate::web::watcher::Watcher>,
    jobs: Option<crate::jobs::Runner>,
}

/// How long stopping waits for the jobs (an HTTP call in flight ends by its
/// timeout, at most 10 s).
const JOBS_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(12);
/// Blocking threads of each worker: database work waits on the pool of 8
/// (SQLite) or 10 (PostgreSQL) connections, so more threads only wait. Two
/// workers with 5 each match the larger pool; each thread keeps an allocator
/// heap of its own, and 12 each held 7 MB more at the bench's peak, for the
/// same stampede times.
const BLOCKING_THREADS_PER_WORKER: usize = 5;

impl Application {
    /// Opens the database, migrates it, binds the listener and builds the
    /// server, then starts the change watcher and the background jobs. If
    /// anything fails once the
    /// pool is open, the pool is closed before the error is returned: the
    /// process is about to exit with it, and no pool thread may still be
    /// connecting then.
    pub async fn build(settings: Settings) -> Result<Application, String> {
        settings.check_local_mode_bind()?;
        let db = Db::connect(&settings.database_url)?;
        let mut jobs_settings = settings.clone();
        let bell = crate::db::models::outbox::Doorbell::default();
        let built = Self::build_server(settings, &db, bell.clone());
        if built.is_err() {
            db.close();
        }
        let (port, server, changes, public_url) = built?;
        // Permalinks in chat use the address the server really listens on.
        jobs_settings.public_url = public_url;
        let watcher = crate::web::watcher::watch(&db, &changes);
        let jobs = crate::jobs::start(&db, &jobs_settings, &bell);
        Ok(Application {
            port,
            server,
            db,
            watcher,
            jobs,
        })
    }

    /// The running server on `db`: its port, the server, and the count of
    /// changes its kept pages depend on.
    fn build_server(
        mut settings: Settings,
        db: &Db,
        bell: crate::db::models::outbox::Doorbell,
    ) -> Result<
        (
            u16,
            Server,
            std::sync::Arc<crate::web::cache::Changes>,
            String,
        ),
        String,
    > {
        if let Some(note) = crate::backup::upgrade::backup_before_migrating(&settings)? {
            tracing::warn!("{note}");
        }
        db.migrate()?;
        let key = session_key(db, &settings)?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        if settings.public_url == format!("http://{}", settings.bind) {
            settings.public_url = format!("http://{addr}");
        }
        let mode = if settings.local_mode() {
            "local mode"
        } else {
            "GitLab sign-in"
        };
        tracing::info!(%addr, public_url = %settings.public_url, mode, "Baton listening");
        let secure = settings.is_https();
        let gitlab = crate::integrations::gitlab::OAuthClient::new(&settings)?;
        let caches = crate::web::cache::Caches::default();
        let changes = caches.changes.clone();
        let metrics = std::sync::Arc::new(crate::web::metrics::HttpMetrics::new(
            crate::routes::all().map(|route| route.path),
        ));
        let chat = crate::db::models::outbox::Notify::new(settings.chat.targets(), bell);
        let public_url = settings.public_url.clone();
        let state = web::Data::new(AppState {
            db: db.clone(),
            settings,
            local_mode: gitlab.is_none(),
            gitlab,
            caches,
            chat,
            memos: Default::default(),
        });
        let server = HttpServer::new(move || {
            let mut headers = DefaultHeaders::new()
                .add(("Content-Security-Policy", CSP))
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("Referrer-Policy", "same-origin"))
                .add(("X-Frame-Options", "DENY"));
            if secure {
                headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
            }
            App::new()
                .app_data(state.clone())
                .app_data(web::Data::from(metrics.clone()))
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                        .cookie_name("baton_session".into())
                        .cookie_secure(secure)
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        .session_lifecycle(
                            PersistentSession::default()
                                .session_ttl(actix_web::cookie::time::Duration::days(SESSION_DAYS))
                                .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                        )
                        .build(),
                )
                .wrap(headers)
                .wrap(Compress::default())
                .wrap(actix_web::middleware::from_fn({
                    let metrics = metrics.clone();
                    move |req, next| crate::web::telemetry::observe(metrics.clone(), req, next)
                }))
                .configure(crate::routes::configure)
        })
        // The blocking threads only wait for a pooled connection: beyond a
        // few more than the pool holds, a stampede of 500 requests would
        // start hundreds of threads (actix's default is 512), each with a
        // stack and an allocator heap of its own, to wait in line.
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        Ok((addr.port(), server, changes, public_url))
    }

    /// The port it listens on (the tests bind port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is told to stop (SIGINT, SIGTERM), then
    /// winds down in order: the server has finished its requests, the
    /// background jobs and the change watcher are stopped and joined, and
    /// the pool is closed, so that nothing is still connecting to the
    /// database when the process exits.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(jobs) = self.jobs {
            jobs.stop(JOBS_STOP_WAIT);
        }
        if let Some(watcher) = self.watcher {
            watcher.stop();
        }
        self.db.close();
        tracing::info!("Baton stopped");
        served
    }

    /// The background jobs, to stop apart from the server (tests); taken,
    /// they are no longer stopped by [`Application::run_until_stopped`].
    pub fn take_jobs(&mut self) -> Option<crate::jobs::Runner> {
        self.jobs.take()
    }

    /// The server, to spawn (tests); the watcher, the jobs and the pool keep
    /// running for as long as the server does.
    pub fn into_server(self) -> Server {
        self.server
    }
}

/// The session key: from the settings, or generated once and kept in the
/// database so that a restart (or another instance) keeps everyone signed in.
fn session_key(db: &Db, settings: &Settings) -> Result<Key, String> {
    let material = match &settings.session_key {
        Some(k) => k.expose().to_owned(),
        None => {
            let mut fresh = [0u8; 64];
            getrandom::fill(&mut fresh).map_err(|e| format!("random: {e}"))?;
            let mut conn = db.conn().map_err(|e| e.to_string())?;
            settings::get_or_create(&mut conn, "session_key", || tokens::hex(&fresh))
                .map_err(|e| format!("reading the session key: {e}"))?
        }
    };
    Key::try_from(material.as_bytes()).map_err(|e| format!("session key: {e}"))
}

/// The title of a handoff as a page shows it (escaped as askama escapes).
#[derive(askama::Template)]
#[template(source = "{{ title }}", ext = "html")]
struct Escaped<'a> {
    title: &'a str,
}

/// The restore drill's last look: starts Baton on the restored database at
/// `url` with connections that refuse every write, and renders the
/// dashboard and the newest handoff anyone may read from it (in process,
/// signed out, as local mode lets a visitor read). Says what it rendered.
/// Runs on a thread of its own, so it can be called from anywhere.
pub fn render_restored(url: &str) -> Result<String, String> {
    let url = url.to_owned();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(render_pages(url)))
        .join()
        .map_err(|_| "rendering the restored data panicked".to_owned())?
}

async fn render_pages(url: String) -> Result<String, String> {
    use actix_web::test::{TestRequest, call_service, init_service, read_body};
    use diesel::prelude::*;

    let mut values = std::collections::HashMap::new();
    values.insert("BATON_DATABASE_URL".to_owned(), url.clone());
    values.insert("BATON_BIND".to_owned(), "127.0.0.1:0".to_owned());
    let settings = Settings::from_values(&values)?;
    let db = Db::connect_read_only(&url)?;
    let newest: Result<Option<(String, String)>, String> =
        db.conn().map_err(|e| e.to_string()).and_then(|mut conn| {
            use crate::db::schema::handoffs::dsl as h;
            h::handoffs
                .filter(h::confidential.eq(false))
                .order(h::id.desc())
                .select((h::id, h::title))
                .first::<(String, String)>(&mut *conn)
                .optional()
                .map_err(|e| format!("reading the restored handoffs: {e}"))
        });
    let mut key = [0u8; 64];
    getrandom::fill(&mut key).map_err(|e| format!("random: {e}"))?;
    let state = web::Data::new(AppState {
        db: db.clone(),
        settings,
        local_mode: true,
        gitlab: None,
        caches: crate::web::cache::Caches::default(),
        chat: Default::default(),
        memos: Default::default(),
    });
    let app = init_service(
        App::new()
            .app_data(state)
            .wrap(SessionMiddleware::new(
                CookieSessionStore::default(),
                Key::from(&key),
            ))
            .configure(crate::routes::configure),
    )
    .await;
    let mut seen = vec![];
    let mut pages = vec![(
        "/".to_owned(),
        "<title>Dashboard · Baton</title>".to_owned(),
    )];
    if let Some((id, title)) = newest.as_ref().ok().and_then(Option::as_ref) {
        let title = askama::Template::render(&Escaped { title }).map_err(|e| e.to_string())?;
        pages.push((format!("/handoffs/{id}"), title));
    }
    let mut outcome = Ok(());
    for (path, expected) in &pages {
        let res = call_service(&app, TestRequest::get().uri(path).to_request()).await;
        let status = res.status();
        let body = read_body(res).await;
        let text = String::from_utf8_lossy(&body);
        if !status.is_success() || !text.contains(expected.as_str()) {
            outcome = Err(format!(
                "GET {path} answered {status} without the page expected"
            ));
            break;
        }
        seen.push(format!(
            "{path} ({})",
            crate::backup::human_bytes(body.len() as u64)
        ));
    }
    db.close();
    outcome?;
    newest?;
    if pages.len() == 1 {
        seen.push("no handoff to render".into());
    }
    Ok(format!("rendered {}", seen.join(", ")))
}
