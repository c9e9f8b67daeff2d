//! `POST /shifts/import`: the calendar import of the shifts page. The form
//! (`_shift_import.html`, on `/shifts`) sends a file as
//! `multipart/form-data`; the answer is the report of what was added,
//! updated, unchanged and skipped, or the form again with the problem
//! beside its field (a malformed file: the line of the problem), and
//! nothing imported.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::db::models::shift_import::{self, Outcome, Report};
use crate::domain::ics_import;
use crate::domain::shift::parse_rotation_role;
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::csrf::form_body;
use crate::web::{AppState, FormErrors, Layout, Viewer, multipart, render_page};

/// The import form's values, kept when it comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct ImportForm {
    /// The rotation role.
    pub role: String,
    /// Errors by field (`role`, `file`).
    pub errors: FormErrors,
}

impl ImportForm {
    /// The form as `/shifts` first shows it.
    pub fn blank() -> ImportForm {
        ImportForm {
            role: "EOC".to_owned(),
            errors: FormErrors::default(),
        }
    }
}

/// One line of the report as shown.
pub struct ReportRow {
    line: usize,
    outcome: &'static str,
    summary: String,
    username: String,
    starts: Option<TimeView>,
    ends: Option<TimeView>,
    reason: String,
    uid: String,
}

/// The report as shown.
pub struct ReportView {
    role: String,
    summary: String,
    rows: Vec<ReportRow>,
    /// The week of `/shifts` holding the first shift imported (its link).
    week: Option<String>,
}

#[derive(Template)]
#[template(path = "shift_import.html")]
struct ImportPage {
    layout: Layout,
    import: ImportForm,
    report: Option<ReportView>,
}

fn report_view(report: &Report, viewer: &Viewer) -> ReportView {
    let week = report
        .entries
        .iter()
        .filter(|e| e.outcome != Outcome::Skipped)
        .filter_map(|e| e.span.map(|s| s.0))
        .min()
        .map(|first| {
            let week = format!("/shifts?week={}", time::iso_date(viewer.tz.date(first)));
            viewer.keep_tz(&week)
        });
    ReportView {
        role: report.role.clone(),
        summary: report.summary(),
        rows: report
            .entries
            .iter()
            .map(|e| ReportRow {
                line: e.line,
                outcome: e.outcome.as_str(),
                summary: e.summary.clone(),
                username: e.username.clone().unwrap_or_default(),
                starts: e.span.map(|s| TimeView::new(s.0, viewer.tz)),
                ends: e.span.map(|s| TimeView::new(s.1, viewer.tz)),
                reason: e.reason.clone().unwrap_or_default(),
                uid: e.uid.clone(),
            })
            .collect(),
        week,
    }
}

/// `POST /shifts/import`.
pub async fn import_shifts(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let (bytes, content_type) = form_body(&req, body, "file").await?;
    let parts = multipart::parse(&content_type, &bytes).map_err(AppError::Malformed)?;
    let mut form = ImportForm {
        role: multipart::text(&parts, "role"),
        errors: FormErrors::default(),
    };
    let role = form.errors.check("role", parse_rotation_role(&form.role));
    let file = parts
        .iter()
        .find(|p| p.name == "file")
        .map(|p| p.data.clone())
        .unwrap_or_default();
    let parsed = if file.is_empty() {
        form.errors
            .add("file", "choose a calendar file (.ics) to import");
        None
    } else {
        form.errors.check(
            "file",
            ics_import::decode(&file)
                .and_then(|text| ics_import::parse(text, time::now()))
                .map_err(|e| format!("{e}; nothing was imported")),
        )
    };
    let st = state.clone();
    let (page, status) = state
        .db
        .run(move |conn| {
            let report = match (role, parsed) {
                (Some(role), Some(parsed)) => Some(shift_import::import(conn, &role, &parsed)?),
                _ => None,
            };
            let status = if report.is_some() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let page = ImportPage {
                layout: Layout::load(conn, &st, &viewer, "Import shifts")?,
                report: report.as_ref().map(|r| report_view(r, &viewer)),
                import: form,
            };
            Ok((page, status))
        })
        .await?;
    render_page(&page, status)
}
