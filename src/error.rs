//! One error type for the whole application, answered as an HTML page
//! ([`AppError`]) or as the API's JSON error body ([`ApiError`]).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

/// Everything that can go wrong while answering a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// 400: the request could not be read at all.
    Malformed(String),
    /// 401 (API) or a redirect to the sign-in page (HTML); carries the path to come back to.
    SignInRequired(String),
    /// 401 (API): no token, or one that is not valid.
    Unauthorized(String),
    /// 403: signed in, but not allowed.
    Forbidden(String),
    /// 404: no such thing.
    NotFound(String),
    /// 405: the address does not answer this method (the `Allow` header says which it does).
    MethodNotAllowed(String),
    /// 409 on a field: a well-formed value that conflicts with what exists
    /// (a user who is not there, a pass to whoever holds it already).
    ConflictAt {
        /// The field that holds the value.
        field: String,
        /// What it conflicts with.
        message: String,
    },
    /// 409: a stale version or a state change that is not possible now.
    Conflict(String),
    /// 413: a value or a body is too large.
    TooLarge {
        /// The field that is too large.
        field: String,
        /// What the limit is.
        message: String,
    },
    /// 429: too many attempts; wait.
    RateLimited(String),
    /// 503: a service Baton depends on did not answer.
    Unavailable(String),
    /// 422: a value that was read but is not acceptable.
    Invalid {
        /// The field that holds the value.
        field: String,
        /// Why it is not acceptable.
        message: String,
    },
    /// 500: unexpected; the cause is logged, never shown.
    Internal(String),
}

impl AppError {
    /// A 422 for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A 500 whose cause is logged here and never shown to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        AppError::Internal(cause.to_string())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Malformed(_) => StatusCode::BAD_REQUEST,
            AppError::SignInRequired(_) | AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) | AppError::ConflictAt { .. } => StatusCode::CONFLICT,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Malformed(_) => "malformed",
            AppError::SignInRequired(_) | AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::Conflict(_) | AppError::ConflictAt { .. } => "conflict",
            AppError::TooLarge { .. } => "too_large",
            AppError::Invalid { .. } => "invalid",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message a person reads; never internals.
    pub fn message(&self) -> String {
        match self {
            AppError::Malformed(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::MethodNotAllowed(m)
            | AppError::RateLimited(m)
            | AppError::Unavailable(m) => m.clone(),
            AppError::SignInRequired(_) => "sign in first".into(),
            AppError::TooLarge { message, .. }
            | AppError::Invalid { message, .. }
            | AppError::ConflictAt { message, .. } => message.clone(),
            AppError::Internal(_) => "something went wrong on our side; it has been logged".into(),
        }
    }

    /// The field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::TooLarge { field, .. }
            | AppError::Invalid { field, .. }
            | AppError::ConflictAt { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field() {
            Some(field) => write!(f, "{field}: {}", self.message()),
            None => f.write_str(&self.message()),
        }
    }
}

impl std::error::Error for AppError {}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound("not found".into()),
            other => AppError::internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::internal(format!("database pool: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::internal(format!("blocking task: {e}"))
    }
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

/// An [`AppError`] answered as the API's JSON error body.
#[derive(Debug)]
pub struct ApiError(pub AppError);

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
