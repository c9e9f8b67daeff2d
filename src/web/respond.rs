//! Errors answered over HTTP: an [`AppError`] as an HTML page (or a
//! redirect to sign in), an [`ApiError`] as the API's JSON error body.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

use crate::error::AppError;

/// An [`AppError`] answered as the API's JSON error body.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<crate::domain::rejection::Rejection> for ApiError {
    fn from(r: crate::domain::rejection::Rejection) -> Self {
        ApiError(r.into())
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError(e.into())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The JSON error body: `{"error": {"code", "message", "field"}}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `malformed`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `too_large`, `invalid` or `internal`.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// The request field the error is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: crate::web::Layout,
    status: u16,
    reason: &'a str,
    message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::SignInRequired(next) = self {
            let location = format!("/login?next={}", crate::web::encode_query(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        let status = self.status();
        let page = ErrorPage {
            layout: crate::web::Layout::bare(status.canonical_reason().unwrap_or("Error")),
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("Error"),
            message: self.message(),
        };
        match page.render() {
            Ok(html) => HttpResponse::build(status)
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(e) => {
                tracing::error!(error = %e, "rendering the error page");
                HttpResponse::build(status).body(self.message())
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().into(),
                message: self.0.message(),
                field: self.0.field().map(str::to_owned),
            },
        };
        let mut response = HttpResponse::build(self.0.status());
        if matches!(
            self.0,
            AppError::SignInRequired(_) | AppError::Unauthorized(_)
        ) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(body)
    }
}
