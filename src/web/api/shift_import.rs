//! `POST /api/v1/shifts/import?role=EOC`: a calendar file (`text/calendar`)
//! imported as override shifts, with a report of every event.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::shift_import::{self, Entry, Outcome, Report};
use crate::domain::ics_import::{self, MAX_BYTES};
use crate::domain::shift::parse_rotation_role;
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::contract::{self, schemas};
use crate::web::api::{ApiUser, ts};
use crate::web::respond::{ApiError, ErrorBody};

/// The role to import into.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The rotation role every imported shift is in (`EOC`, …).
    #[param(schema_with = schemas::rotation_role, required = true)]
    role: String,
}

/// What became of one event (or one occurrence of a recurring event).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportEntryJson {
    /// `added`, `updated`, `unchanged` or `skipped`.
    #[schema(pattern = "^(added|updated|unchanged|skipped)$")]
    pub outcome: String,
    /// The event's UID; for an occurrence of a recurring event, followed by
    /// `/` and its original start in UTC.
    pub uid: String,
    /// The line of the event's `BEGIN:VEVENT`.
    pub line: usize,
    /// The event's SUMMARY.
    pub summary: String,
    /// The person it names, when it names one.
    pub username: Option<String>,
    /// RFC 3339 UTC, when it has a span.
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    /// RFC 3339 UTC, when it has a span.
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
    /// Why it was skipped (null otherwise).
    pub reason: Option<String>,
    /// The override shift's UUID (null when skipped).
    #[schema(format = Uuid)]
    pub shift_id: Option<String>,
}

/// The report of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportJson {
    /// The role imported into.
    pub role: String,
    /// New shifts.
    pub added: usize,
    /// Shifts changed (the event changed since it was imported).
    pub updated: usize,
    /// Shifts already as the file says.
    pub unchanged: usize,
    /// Events and occurrences that became no shift (see `reason`).
    pub skipped: usize,
    /// Every event and occurrence, in file order.
    pub events: Vec<ImportEntryJson>,
}

impl ImportReportJson {
    /// The report as JSON.
    pub fn new(report: &Report) -> ImportReportJson {
        ImportReportJson {
            role: report.role.clone(),
            added: report.count(Outcome::Added),
            updated: report.count(Outcome::Updated),
            unchanged: report.count(Outcome::Unchanged),
            skipped: report.count(Outcome::Skipped),
            events: report.entries.iter().map(entry).collect(),
        }
    }
}

fn entry(e: &Entry) -> ImportEntryJson {
    ImportEntryJson {
        outcome: e.outcome.as_str().to_owned(),
        uid: e.uid.clone(),
        line: e.line,
        summary: e.summary.clone(),
        username: e.username.clone(),
        starts_at: e.span.map(|s| ts(s.0)),
        ends_at: e.span.map(|s| ts(s.1)),
        reason: e.reason.clone(),
        shift_id: e.shift_id.clone(),
    }
}

/// Import a calendar (RFC 5545) as override shifts in `role`: each VEVENT
/// for the person it names (username, GitLab username or address in
/// ATTENDEE, SUMMARY or DESCRIPTION), found again by its UID, so that
/// importing the same file twice changes nothing and a changed event
/// updates its shift. Recurrences are expanded a year ahead (and back).
/// A file that cannot be read (not UTF-8, not RFC 5545) is a 400 whose
/// message starts with the line of the problem (`line 12: …`), and
/// nothing is imported.
#[utoipa::path(post, path = "/api/v1/shifts/import", tag = "shifts", params(ImportParams),
    request_body(content = String, content_type = "text/calendar", description = "an iCalendar file, at most 2 MiB",
        example = json!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//rota//EN\r\nBEGIN:VEVENT\r\nUID:eoc-2027-01-04@example.com\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;TZID=Europe/Amsterdam:20270104T090000\r\nDTEND;TZID=Europe/Amsterdam:20270104T170000\r\nSUMMARY:EOC: alice\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")),
    responses((status = 200, body = ImportReportJson),
        (status = 400, body = ErrorBody, description = "the body is not text/calendar, or not a well-formed iCalendar file: the message starts with the line of the problem (`line 12: …`)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "role is not a rotation role")),
    security(("bearer" = [])))]
pub async fn import_shifts(
    state: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
    params: web::Query<ImportParams>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.writer()?;
    let role = contract::ROLE_TEXT.check("role", &params.role)?;
    let role = parse_rotation_role(role).map_err(|e| AppError::invalid("role", e))?;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("text/calendar") {
        return Err(AppError::Malformed(format!(
            "the body must be an iCalendar file sent as Content-Type: text/calendar, not {:?}",
            essence
        ))
        .into());
    }
    let bytes = body
        .to_bytes_limited(MAX_BYTES)
        .await
        .map_err(|_| AppError::TooLarge {
            field: "file".into(),
            message: format!("the file is larger than {} MiB", MAX_BYTES / 1024 / 1024),
        })?
        .map_err(|e| AppError::Malformed(format!("the body could not be read: {e}")))?;
    let report = state
        .db
        .run(move |conn| {
            let text =
                ics_import::decode(&bytes).map_err(|e| AppError::Malformed(e.to_string()))?;
            let parsed = ics_import::parse(text, time::now())
                .map_err(|e| AppError::Malformed(e.to_string()))?;
            shift_import::import(conn, &role, &parsed)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ImportReportJson::new(&report)))
}
