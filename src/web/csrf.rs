//! Cross-site request forgery: every page form carries the session's token,
//! and every POST to a page is refused (403, nothing changed) without it.
//! The JSON API takes bearer tokens, not cookies, and is exempt.

use actix_session::{Session, SessionExt};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, http::Method, web};

use crate::db::models::tokens;
use crate::error::AppError;

/// The session key and form field of the token.
pub const FIELD: &str = "csrf";

/// The largest form a page accepts.
pub const FORM_LIMIT: usize = 4 * 1024 * 1024;

/// The session's token, made on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(FIELD) {
        return token;
    }
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // Without randomness no token can be trusted; an empty one never matches.
        return String::new();
    }
    let token = tokens::hex(&bytes);
    let _ = session.insert(FIELD, &token);
    token
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Middleware for the page scope: a POST must carry the session's token in
/// its form body (read here, then handed on to the handler unchanged).
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.method() != Method::POST {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    match check(&mut req).await {
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        // Answered here so that the response still gets the security headers.
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

/// Reads the form, compares its token with the session's, and puts the form back.
/// A form's whole body, at most [`FORM_LIMIT`] (past it a 413 naming
/// `field`), with its `Content-Type`.
pub async fn form_body(
    req: &actix_web::HttpRequest,
    payload: web::Payload,
    field: &str,
) -> Result<(web::Bytes, String), AppError> {
    let body = payload
        .to_bytes_limited(FORM_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge {
            field: field.into(),
            message: "the form is larger than 4 MiB".into(),
        })?
        .map_err(|e| AppError::Malformed(format!("the form could not be read: {e}")))?;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    Ok((body, content_type))
}

async fn check(req: &mut ServiceRequest) -> Result<(), AppError> {
    let expected = req.get_session().get::<String>(FIELD).ok().flatten();
    let (http_req, payload) = req.parts_mut();
    let payload = web::Payload::from_request(http_req, payload)
        .await
        .map_err(|e| AppError::Malformed(format!("the form could not be read: {e}")))?;
    let (body, content_type) = form_body(http_req, payload, "form").await?;
    let content_type = content_type.as_str();
    // A form with a file (the calendar import) comes as multipart.
    let sent = if super::multipart::is_multipart(content_type) {
        super::multipart::parse(content_type, &body)
            .ok()
            .map(|parts| super::multipart::text(&parts, FIELD))
    } else {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
    };
    match (expected, sent) {
        (Some(expected), Some(sent)) if !expected.is_empty() && same(&expected, &sent) => {}
        _ => {
            tracing::warn!(path = %req.path(), "form post refused: missing or wrong CSRF token");
            return Err(AppError::Forbidden(
                "this form was not sent from a page of this Baton (its security token is missing or old); reload the page and send it again".into(),
            ));
        }
    }
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(())
}
