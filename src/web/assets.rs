//! The stylesheet and the script: embedded in the binary, compressed once,
//! and linked from every page by an address that carries a hash of their
//! content. Browsers keep them for a year without asking again, so a page
//! loaded mid-outage on a bad connection waits for nothing but itself, and a
//! release that changes them changes the address.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::web::cache;

/// One embedded file.
struct Asset {
    content_type: &'static str,
    body: Bytes,
    gzip: Bytes,
    version: String,
    url: String,
    etag: HeaderValue,
}

impl Asset {
    fn new(path: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
        let digest = Sha256::digest(body);
        let version: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Asset {
            content_type,
            body: Bytes::from_static(body),
            gzip: cache::gzip(body),
            url: format!("{path}?v={version}"),
            etag: HeaderValue::from_str(&format!("\"{version}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("\"0\"")),
            version,
        }
    }

    /// The file: kept for a year when asked for by its current address,
    /// for an hour otherwise (an older page after a release); `304` when the
    /// client holds it already, gzip when it takes it.
    fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let current = req
            .query_string()
            .split('&')
            .any(|pair| pair.strip_prefix("v=") == Some(self.version.as_str()));
        let cache_control = if current {
            "public, max-age=31536000, immutable"
        } else {
            "public, max-age=3600"
        };
        let mut res = cache::conditional(req, &self.etag, cache_control, &self.body, || {
            self.gzip.clone()
        });
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        res
    }
}

static CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "/static/baton.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/baton.css"),
    )
});

static JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "/static/baton.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/baton.js"),
    )
});

/// The stylesheet's address, with its version.
pub fn css_url() -> &'static str {
    &CSS.url
}

/// The script's address, with its version.
pub fn js_url() -> &'static str {
    &JS.url
}

/// `GET /static/baton.css`.
pub async fn stylesheet(req: HttpRequest) -> HttpResponse {
    CSS.respond(&req)
}

/// `GET /static/baton.js`.
pub async fn script(req: HttpRequest) -> HttpResponse {
    JS.respond(&req)
}
