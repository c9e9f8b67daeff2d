//! `GET /tzdata?zone=Area/City`: a zone's offsets and their names, from the
//! rules compiled into Baton, for the page script. The script shows a
//! signed-out visitor the times in their browser's zone; with these it
//! reads them exactly as the server would (`Sun 29 Nov 18:00 JST`, with
//! tzdata's rules and names), not with the browser's own rules, which may
//! be older, nor its names (`GMT+9`).

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::time::{TZDATA_VERSION, Timezone};
use crate::error::AppError;
use crate::web::cache;

/// `?zone=…&v=…`.
#[derive(Deserialize)]
pub struct ZoneQuery {
    zone: Option<String>,
    /// The rules' version the page asks for; when current, the answer is
    /// kept by the browser for a year.
    v: Option<String>,
}

/// The answer.
#[derive(Serialize)]
struct ZoneRules<'a> {
    zone: &'a str,
    tzdata: &'a str,
    /// The offset (seconds east of UTC) and its name before the first change.
    before: (i32, String),
    /// Each change: (Unix seconds, offset in seconds, its name), in order.
    changes: Vec<(i64, i32, String)>,
}

/// The span the answer covers: the instants Baton's pages show.
static SPAN: LazyLock<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> = LazyLock::new(|| {
    (
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
        Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default(),
    )
});

/// `GET /tzdata?zone=Europe/Amsterdam`: the offsets of that zone from 2000
/// to 2100 as JSON. An unknown zone is a 422 naming it.
pub async fn tzdata(
    req: HttpRequest,
    query: web::Query<ZoneQuery>,
) -> Result<HttpResponse, AppError> {
    let zone = Timezone::parse(query.zone.as_deref().unwrap_or(""))
        .map_err(|e| AppError::invalid("zone", e))?;
    let (from, to) = *SPAN;
    let (before, changes) = zone.transitions(from, to);
    let body = serde_json::to_vec(&ZoneRules {
        zone: zone.name(),
        tzdata: TZDATA_VERSION,
        before,
        changes,
    })
    .map_err(AppError::internal)?;
    let etag = HeaderValue::from_str(&format!("\"{TZDATA_VERSION}-{}\"", zone.name()))
        .map_err(AppError::internal)?;
    let cache_control = if query.v.as_deref() == Some(TZDATA_VERSION) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let body = Bytes::from(body);
    let mut res = cache::conditional(&req, &etag, cache_control, &body, || cache::gzip(&body));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}
