//! Pages that everyone opens at once, kept ready.
//!
//! At shift change and mid-outage the same people reload the same pages
//! over and over, and scripts poll the same API lists. A page (or API
//! answer) made for a session (or token) is kept from the second time it
//! asks for it, and sent again, byte for byte, until anything is written or
//! it is [`PAGE_TTL`] old (its clocks and ages move on). Sessions and tokens
//! are resolved the same way, for at most [`CALLER_TTL`].
//!
//! "Anything is written" is one counter, [`Changes`]: every request that may
//! write bumps it as its response leaves (the write has committed by then),
//! and a watcher thread (`web::watcher`) bumps it when the database says
//! that another connection committed: another instance, a `baton` command,
//! psql. So a page is never older than the last write made through this
//! instance, and never more than a moment older than any other.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use actix_session::{SessionExt, SessionStatus};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::db::models::users::User;
use crate::web::AppState;

/// How long a kept page may be sent again: its clocks and ages move on.
pub const PAGE_TTL: Duration = Duration::from_secs(5);
/// How long a resolved session or token is trusted without asking the
/// database.
pub const CALLER_TTL: Duration = Duration::from_secs(60);
/// The most page bytes kept (uncompressed and gzip together): pages are
/// made from memory once per change (`web::memo`), so a page kept is worth
/// little more than the memory it holds.
const PAGE_BUDGET: usize = 4 << 20;
/// The most sessions and tokens kept.
const CALLER_LIMIT: usize = 10_000;
/// The most pages remembered as asked for once (see [`Caches::asked_before`]).
const ASKED_LIMIT: usize = 10_000;

/// The count of writes seen: anything kept from before the last one is stale.
/// Callers (who a session or token is) have a count of their own, moved by
/// every write except those known to leave sessions, tokens and users alone,
/// so that a stream of notes does not make every token be looked up again.
#[derive(Debug, Default)]
pub struct Changes {
    all: AtomicU64,
    callers: AtomicU64,
}

impl Changes {
    /// The current count; read it before loading what is to be kept.
    pub fn generation(&self) -> u64 {
        self.all.load(Ordering::Acquire)
    }

    /// The count of writes that may have changed who a caller is.
    pub fn callers_generation(&self) -> u64 {
        self.callers.load(Ordering::Acquire)
    }

    /// Something was written.
    pub fn bump(&self) {
        self.callers.fetch_add(1, Ordering::AcqRel);
        self.all.fetch_add(1, Ordering::AcqRel);
    }

    /// Something was written that no session, token or user is made of.
    pub fn bump_besides_callers(&self) {
        self.all.fetch_add(1, Ordering::AcqRel);
    }
}

/// Marks a response whose request wrote no session, token or user: it moves
/// only [`Changes::bump_besides_callers`]. Unmarked writes move both counts.
#[derive(Debug, Clone, Copy)]
pub struct CallersUntouched;

impl CallersUntouched {
    /// `res`, marked.
    pub fn mark(mut res: HttpResponse) -> HttpResponse {
        res.extensions_mut().insert(CallersUntouched);
        res
    }
}

/// What was kept, and when: fresh while nothing was written since and it is
/// younger than its time to live. The one place freshness is decided.
pub(super) struct Kept<T> {
    generation: u64,
    at: Instant,
    value: T,
}

/// Entries kept under a key, each as fresh as [`Kept`] says, within a
/// budget: when the entries are over it, the stale ones go, and if that is
/// not enough, all of them.
pub(super) struct KeptMap<K, T> {
    ttl: Duration,
    entries: RwLock<HashMap<K, Kept<T>>>,
}

impl<K: std::hash::Hash + Eq, T: Clone> KeptMap<K, T> {
    pub(super) fn new(ttl: Duration) -> KeptMap<K, T> {
        KeptMap {
            ttl,
            entries: RwLock::default(),
        }
    }

    fn fresh(&self, kept: &Kept<T>, generation: u64) -> bool {
        kept.generation == generation && kept.at.elapsed() < self.ttl
    }

    /// The value kept under `key`, if it is fresh as of `generation`.
    pub(super) fn get<Q>(&self, key: &Q, generation: u64) -> Option<T>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let entries = self.entries.read().ok()?;
        let kept = entries.get(key)?;
        self.fresh(kept, generation).then(|| kept.value.clone())
    }

    /// Keeps `value`, made as of `generation`; `over` says whether the
    /// entries exceed the budget, `now` is the current generation.
    pub(super) fn keep(
        &self,
        key: K,
        generation: u64,
        value: T,
        now: u64,
        over: impl Fn(&HashMap<K, Kept<T>>) -> bool,
    ) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        entries.insert(
            key,
            Kept {
                generation,
                at: Instant::now(),
                value,
            },
        );
        if over(&entries) {
            entries.retain(|_, kept| kept.generation == now && kept.at.elapsed() < self.ttl);
            if over(&entries) {
                entries.clear();
            }
        }
    }
}

/// A page as it was sent.
struct KeptPage {
    /// The handler's headers worth sending again (see [`res_keeps`]).
    headers: HeaderMap,
    body: Bytes,
    gzip: OnceLock<Bytes>,
    etag: HeaderValue,
}

impl KeptPage {
    fn size(&self) -> usize {
        self.body.len() + self.gzip.get().map_or(0, Bytes::len)
    }

    /// The gzip body, compressed once.
    fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| gzip(&self.body))
    }
}

/// The kept callers and pages of this instance.
pub struct Caches {
    /// The writes seen; see the module documentation.
    pub changes: Arc<Changes>,
    /// Users by session or token, for [`CALLER_TTL`].
    callers: KeptMap<String, User>,
    /// Pages by caller and path, for [`PAGE_TTL`].
    pages: KeptMap<(String, String), Arc<KeptPage>>,
    /// The pages (a hash of caller and path) asked for once in the last
    /// [`PAGE_TTL`], and when.
    asked: Mutex<HashMap<u64, Instant>>,
}

impl Default for Caches {
    fn default() -> Caches {
        Caches {
            changes: Arc::default(),
            callers: KeptMap::new(CALLER_TTL),
            pages: KeptMap::new(PAGE_TTL),
            asked: Mutex::default(),
        }
    }
}

impl Caches {
    /// The user of the caller kept as `kept_as`, if it was resolved a moment
    /// ago and nothing was written since.
    pub fn caller(&self, kept_as: &str) -> Option<User> {
        self.callers.get(kept_as, self.changes.callers_generation())
    }

    /// Keeps a caller resolved from the database as of `generation`
    /// ([`Changes::callers_generation`]).
    pub fn keep_caller(&self, kept_as: &str, generation: u64, user: &User) {
        let now = self.changes.callers_generation();
        self.callers.keep(
            kept_as.to_owned(),
            generation,
            user.clone(),
            now,
            |callers| callers.len() >= CALLER_LIMIT,
        );
    }

    fn page(&self, key: &(String, String), generation: u64) -> Option<Arc<KeptPage>> {
        self.pages.get(key, generation)
    }

    /// Whether the page `key` was asked for before, within [`PAGE_TTL`];
    /// when not, that it was asked for now is remembered. A page is kept
    /// the second time its caller asks for it: the people who open a link
    /// posted in chat each look once, and a stampede of them kept 4 MiB of
    /// pages nobody asked for again (`bench/README.md`).
    fn asked_before(&self, key: &(String, String)) -> bool {
        use std::hash::{Hash, Hasher};
        // A collision only keeps a page one look early.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let hash = hasher.finish();
        let Ok(mut asked) = self.asked.lock() else {
            return true;
        };
        let now = Instant::now();
        if asked.get(&hash).is_some_and(|at| now - *at < PAGE_TTL) {
            return true;
        }
        if asked.len() >= ASKED_LIMIT {
            asked.retain(|_, at| now - *at < PAGE_TTL);
            if asked.len() >= ASKED_LIMIT {
                asked.clear();
            }
        }
        asked.insert(hash, now);
        false
    }

    fn keep_page(&self, key: (String, String), generation: u64, page: Arc<KeptPage>) {
        let now = self.changes.generation();
        self.pages.keep(key, generation, page, now, |pages| {
            pages.values().map(|p| p.value.size()).sum::<usize>() > PAGE_BUDGET
        });
    }
}

/// `body`, gzip-compressed.
pub fn gzip(body: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(body);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// Whether the client takes gzip (`Accept-Encoding`, without `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    accept.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// Whether the client already holds `etag` (`If-None-Match`).
fn holds(req: &HttpRequest, etag: &HeaderValue) -> bool {
    let Some(etag) = etag.to_str().ok().map(|e| e.trim_start_matches("W/")) else {
        return false;
    };
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        })
}

/// The answer for a body made once, with its validator: `304` when the
/// client holds it already, gzip (made by `gzip`, once) when the client takes
/// it, the body otherwise.
pub fn conditional(
    req: &HttpRequest,
    etag: &HeaderValue,
    cache_control: &'static str,
    body: &Bytes,
    gzip: impl FnOnce() -> Bytes,
) -> HttpResponse {
    let mut res = if holds(req, etag) {
        HttpResponse::NotModified().finish()
    } else if accepts_gzip(req) {
        let mut res = HttpResponse::Ok().body(gzip());
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        res
    } else {
        HttpResponse::Ok().body(body.clone())
    };
    let headers = res.headers_mut();
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    res
}

/// The response for a kept page.
fn respond(req: &HttpRequest, page: &KeptPage) -> HttpResponse {
    let mut res = conditional(req, &page.etag, "private, no-cache", &page.body, || {
        page.gzip().clone()
    });
    for (name, value) in &page.headers {
        res.headers_mut().insert(name.clone(), value.clone());
    }
    res
}

/// What the caller of this request's answers are kept under (its session,
/// or its token's hash), left in the request by the access decision; a
/// request without it is never answered from, or kept in, the cache.
#[derive(Debug, Clone)]
pub struct KeptAs(pub String);

/// The headers of a page worth sending again.
fn res_keeps(name: &header::HeaderName) -> bool {
    name == header::CONTENT_TYPE || name == header::CONTENT_LANGUAGE
}

/// A weak validator: a hash of the page.
fn etag_of(body: &[u8]) -> HeaderValue {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish()))
        .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""))
}

/// Middleware for the page and API scopes, inside `authorize`: a signed-in
/// caller's `GET` is answered from what was kept for it when that is still
/// fresh; otherwise the handler answers, and its answer is kept when it is a
/// plain `200` of HTML or JSON that changed nothing in the session, and the
/// caller asked for it before ([`Caches::asked_before`]). Either way it
/// carries its `ETag`.
pub async fn keep_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let kept_as = req.extensions().get::<KeptAs>().map(|k| k.0.clone());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Method::GET, Some(kept_as), Some(state)) = (req.method().clone(), kept_as, state) else {
        return Ok(next
            .call(req)
            .await?
            .map_into_boxed_body()
            .map_into_left_body());
    };
    let key = (
        kept_as,
        req.uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
    );
    let caches = &state.caches;
    let generation = caches.changes.generation();
    if let Some(page) = caches.page(&key, generation) {
        let res = respond(req.request(), &page);
        return Ok(req.into_response(res).map_into_right_body());
    }

    let res = next.call(req).await?;
    let keepable = res.status() == StatusCode::OK
        && res.request().get_session().status() == SessionStatus::Unchanged
        && !res.headers().contains_key(header::SET_COOKIE)
        && !res.headers().contains_key(header::CONTENT_ENCODING)
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"));
    if !keepable {
        return Ok(res.map_into_boxed_body().map_into_left_body());
    }
    let (req, res) = res.into_parts();
    let headers = res
        .headers()
        .iter()
        .filter(|(name, _)| res_keeps(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let body = actix_web::body::to_bytes(res.into_body())
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    let page = Arc::new(KeptPage {
        headers,
        etag: etag_of(&body),
        body,
        gzip: OnceLock::new(),
    });
    let res = respond(&req, &page);
    if caches.asked_before(&key) {
        caches.keep_page(key, generation, page);
    }
    Ok(ServiceResponse::new(req, res).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn gzip_is_taken_unless_refused() {
        let with = |v: &str| {
            accepts_gzip(
                &TestRequest::default()
                    .insert_header((header::ACCEPT_ENCODING, v))
                    .to_http_request(),
            )
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, gzip;q=0.8"));
        assert!(with("*"));
        assert!(!with("br"));
        assert!(!with("gzip;q=0"));
        assert!(!accepts_gzip(&TestRequest::default().to_http_request()));
    }

    #[test]
    fn a_held_etag_matches_weakly_or_in_a_list() {
        let etag = HeaderValue::from_static("W/\"abc\"");
        let with = |v: &str| {
            holds(
                &TestRequest::default()
                    .insert_header((header::IF_NONE_MATCH, v))
                    .to_http_request(),
                &etag,
            )
        };
        assert!(with("W/\"abc\""));
        assert!(with("\"abc\""));
        assert!(with("\"x\", W/\"abc\""));
        assert!(!with("W/\"abd\""));
        assert!(!holds(&TestRequest::default().to_http_request(), &etag));
    }

    #[test]
    fn a_write_makes_kept_pages_stale() {
        let caches = Caches::default();
        let key = ("s".to_owned(), "/".to_owned());
        let generation = caches.changes.generation();
        caches.keep_page(
            key.clone(),
            generation,
            Arc::new(KeptPage {
                headers: HeaderMap::new(),
                body: Bytes::from_static(b"page"),
                gzip: OnceLock::new(),
                etag: etag_of(b"page"),
            }),
        );
        assert!(caches.page(&key, caches.changes.generation()).is_some());
        caches.changes.bump();
        assert!(caches.page(&key, caches.changes.generation()).is_none());
    }

    #[test]
    fn a_write_besides_callers_keeps_callers_and_nothing_else() {
        let caches = Caches::default();
        let user = crate::db::models::users::User::fixture("alice");
        caches.keep_caller("token t", caches.changes.callers_generation(), &user);
        let key = ("s".to_owned(), "/".to_owned());
        let page = Arc::new(KeptPage {
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"page"),
            gzip: OnceLock::new(),
            etag: etag_of(b"page"),
        });
        caches.keep_page(key.clone(), caches.changes.generation(), page);
        caches.changes.bump_besides_callers();
        assert!(
            caches.page(&key, caches.changes.generation()).is_none(),
            "pages go stale"
        );
        assert_eq!(
            caches.caller("token t").map(|u| u.username),
            Some("alice".to_owned())
        );
        caches.changes.bump();
        assert!(
            caches.caller("token t").is_none(),
            "any other write may change a caller"
        );
    }

    #[test]
    fn a_page_is_kept_the_second_time_its_caller_asks_for_it() {
        let caches = Caches::default();
        let alice = ("alice".to_owned(), "/".to_owned());
        let bob = ("bob".to_owned(), "/".to_owned());
        assert!(!caches.asked_before(&alice), "the first look");
        assert!(!caches.asked_before(&bob), "someone else's first look");
        assert!(caches.asked_before(&alice), "the second look");
        assert!(!caches.asked_before(&("alice".to_owned(), "/log".to_owned())));
    }

    #[test]
    fn an_entry_is_stale_after_its_time_to_live_and_the_budget_drops_stale_ones_first() {
        let kept: KeptMap<&str, u32> = KeptMap::new(Duration::from_millis(50));
        kept.keep("old", 1, 1, 1, |_| false);
        assert_eq!(kept.get("old", 1), Some(1));
        assert_eq!(kept.get("old", 2), None, "a write since makes it stale");
        kept.keep("new", 2, 2, 2, |e| e.len() > 1);
        assert_eq!(kept.get("new", 2), Some(2), "the fresh one stays");
        assert!(kept.entries.read().map(|e| e.len() == 1).unwrap_or(false));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(kept.get("new", 2), None, "older than its time to live");
    }
}
