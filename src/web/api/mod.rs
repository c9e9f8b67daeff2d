//! The JSON API under `/api/v1`, for chat bots, scripts and the tests.
//! Bearer tokens; errors as `{"error": {"code", "message", "field"}}`.

pub mod calendar;
pub mod contract;
pub mod cover_requests;
pub mod events;
pub mod export;
pub mod handoffs;
pub mod handovers;
pub mod openapi;
pub mod review;
pub mod rotations;
pub mod shift_import;
pub mod shifts;
pub mod uncovered;
pub mod users;

use std::future::{Ready, ready};

use actix_web::error::{JsonPayloadError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::gitlab::{self as gitlab_cache, GitLabCache};
use crate::db::models::users::User;
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::error::AppError;
use crate::web::respond::ApiError;

/// The largest JSON body; beyond: 413. Every body the document allows fits,
/// and so does one a character or an item past a documented limit (which
/// is then a 422 naming the field): a 64 KiB note, 50 issue links and the
/// rest, even with every character escaped as `\uXXXX` (12 bytes for an
/// astral one).
pub const JSON_LIMIT: usize = 1024 * 1024;

/// The user a bearer token belongs to.
pub struct ApiUser(pub User);

impl ApiUser {
    /// The user, if their role may write; else a 403.
    pub fn writer(&self) -> Result<&User, ApiError> {
        if self.0.role.can_write() {
            Ok(&self.0)
        } else {
            Err(AppError::Forbidden(format!(
                "{} is a viewer: viewers read, responders and admins write",
                self.0.username
            ))
            .into())
        }
    }
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = Ready<Result<ApiUser, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The authorization middleware has checked the token already.
        let Some(user) = crate::web::identity::decided(req) else {
            return ready(Err(ApiError(crate::web::identity::undecided())));
        };
        ready(user.map(ApiUser).ok_or_else(|| {
            ApiError(AppError::Unauthorized(
                "send a token as 'Authorization: Bearer …'".into(),
            ))
        }))
    }
}

/// The field a serde message is about: the name between backticks.
fn serde_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// Answers a JSON body that could not be read: 413 too large, 400 not
/// JSON, 422 JSON of the wrong shape (with the field when serde names it).
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let app = match &err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::TooLarge {
                field: "body".into(),
                message: format!("the request body is larger than {} KiB", JSON_LIMIT / 1024),
            }
        }
        JsonPayloadError::ContentType => {
            AppError::Malformed("send JSON with Content-Type: application/json".into())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            let message = e.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            AppError::invalid(
                serde_field(&message).unwrap_or_else(|| "body".into()),
                message,
            )
        }
        other => AppError::Malformed(format!("the body is not valid JSON: {other}")),
    };
    ApiError(app).into()
}

/// Answers a query string that could not be read.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError(AppError::Malformed(format!(
        "the query string is malformed: {err}"
    )))
    .into()
}

/// Answers a path that could not be read.
pub fn path_error(_err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError(AppError::NotFound("no such resource".into())).into()
}

/// An instant as the API writes it: RFC 3339, UTC.
pub fn ts(instant: DateTime<Utc>) -> String {
    crate::domain::time::rfc3339(instant)
}

/// A person as the API shows them, with their local time now.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserJson {
    /// Username.
    pub username: String,
    /// Display name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// Their local time now, RFC 3339 with their UTC offset.
    #[schema(format = DateTime)]
    pub local_time: String,
    /// Whether it is night (22:00–07:00) for them now.
    pub night: bool,
}

impl UserJson {
    /// `user` at `now`.
    pub fn new(user: &User, now: DateTime<Utc>) -> UserJson {
        let tz = user.timezone;
        UserJson {
            username: user.username.clone(),
            name: user.name.clone(),
            timezone: tz.name().to_owned(),
            local_time: tz.rfc3339_local(now),
            night: tz.is_night(now),
        }
    }
}

/// A GitLab issue link.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssueJson {
    /// Canonical reference, `group/project#123`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The issue's URL on the configured GitLab.
    #[schema(format = Uri)]
    pub url: String,
    /// The title in GitLab, as last read (null until read, or without an
    /// API token).
    pub title: Option<String>,
    /// `opened`, `closed`, or `missing` when GitLab has no such issue
    /// (null until read).
    pub state: Option<String>,
    /// The labels in GitLab, as last read (scoped ones as `key::value`).
    pub labels: Vec<String>,
    /// The milestone's title.
    pub milestone: Option<String>,
    /// Confidential in GitLab (null until read).
    pub confidential: Option<bool>,
    /// When Baton last read the issue from GitLab or a webhook; null when
    /// never.
    pub fetched_at: Option<DateTime<Utc>>,
}

impl IssueJson {
    /// The link of `issue`, with what `known` says of it.
    pub fn new(issue: &IssueRef, gitlab: &GitLab, known: &GitLabCache) -> IssueJson {
        let cached = known.issues.get(&gitlab_cache::key_of(issue));
        IssueJson {
            reference: issue.to_string(),
            url: issue.url(gitlab),
            title: cached.map(|c| c.title.clone()),
            state: cached.map(|c| c.state.clone()),
            labels: cached.map(|c| c.labels()).unwrap_or_default(),
            milestone: cached.and_then(|c| c.milestone.clone()),
            confidential: cached.map(|c| c.confidential),
            fetched_at: cached.map(|c| crate::domain::time::from_db(c.fetched_at)),
        }
    }
}
