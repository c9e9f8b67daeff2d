//! What every request leaves behind: one log line (request id, method,
//! route pattern, status, duration) and its count in the HTTP metrics; the
//! request id also goes back to the client in `X-Request-Id`, so that a
//! complaint in chat leads to the log line.
//!
//! The line names the route *pattern* (`/handoffs/{id}`), never the path
//! the client sent, nor its query string or headers: nothing a client
//! wrote (an OAuth code, a token, an id) reaches the log this way.

use std::sync::Arc;
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use super::metrics::HttpMetrics;

/// The response header that carries the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served (in its extensions), for a handler
/// that wants to show it (an error page, say).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Serves `req` under a fresh request id: logs its line, counts it, and
/// returns the id in `X-Request-Id`. The outermost middleware.
pub async fn observe<B: MessageBody + 'static>(
    metrics: Arc<HttpMetrics>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let started = Instant::now();
    let id = uuid::Uuid::new_v4().to_string();
    let method = req.method().clone();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id);
    let outcome = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    // An error no inner layer turned into a response is answered by actix
    // after this: it is logged and counted with its status all the same
    // (there is no response yet to carry the header).
    let (status, pattern) = match &outcome {
        Ok(res) => (res.status(), res.request().match_pattern()),
        Err(error) => (error.as_response_error().status_code(), None),
    };
    let route = metrics.record(pattern.as_deref(), &method, status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            target: "baton::request",
            request_id = %id,
            method = %method,
            route,
            status = status.as_u16(),
            duration_ms = elapsed.as_micros() as f64 / 1000.0,
            "request"
        );
    });
    let mut res = outcome?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}
