//! The details form of a handoff: title, severity, issues, confidential
//! flag and data-loss fields, saved against the version shown.

use actix_web::{HttpResponse, web};

use crate::db::models::handoffs::{self, Patch};
use crate::domain::handoff::{Kind, Severity, parse_title};
use crate::domain::handoff_input::parse_issue_list;
use crate::error::AppError;
use crate::web::handoffs::parse_data_loss;
use crate::web::handoffs::show::{DetailsForm, answer};
use crate::web::{AppState, FormErrors, FormPairs, Viewer, field, parse_id, see_other};

/// `POST /handoffs/{id}/details`: change title, severity, issues,
/// confidential flag and data-loss fields, against the version shown.
pub async fn update_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    viewer.writer()?;
    let form = form.into_inner();
    let mut details = DetailsForm {
        title: field(&form, "title").to_owned(),
        severity: field(&form, "severity").to_owned(),
        issues: field(&form, "issues").to_owned(),
        confidential: !field(&form, "confidential").is_empty(),
        scope: field(&form, "scope").to_owned(),
        recovery_point: field(&form, "recovery_point").to_owned(),
        verification: field(&form, "verification").to_owned(),
        customers_notified: !field(&form, "customers_notified").is_empty(),
        version: field(&form, "version").to_owned(),
        errors: FormErrors::default(),
    };
    let st = state.clone();
    let hid = id.clone();
    let result = state
        .write(move |conn| {
            let mut errors = FormErrors::default();
            let current = handoffs::find(conn, &hid)?;
            let title = errors.check("title", parse_title(field(&form, "title")));
            let severity = errors.check("severity", Severity::parse(field(&form, "severity")));
            let issues = errors.check(
                "issues",
                parse_issue_list(field(&form, "issues"), &st.settings.gitlab),
            );
            let version = errors.check(
                "version",
                field(&form, "version")
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| "reload the page: the version is missing"),
            );
            let data_loss = match current.kind {
                Kind::PerceivedDataLoss => parse_data_loss(&form, &mut errors),
                Kind::Outage => None,
            };
            if let (Some(title), Some(severity), Some(issues), Some(version), true) =
                (title, severity, issues, version, errors.is_empty())
            {
                let patch = Patch {
                    version,
                    title: Some(title),
                    severity: Some(severity),
                    issues: Some(issues),
                    confidential: Some(!field(&form, "confidential").is_empty()),
                    data_loss,
                };
                match handoffs::update(conn, &hid, patch) {
                    Ok(_) => return Ok(None),
                    Err(AppError::Conflict(m)) => {
                        errors.add("version", format!("{m}. Your changes are kept below: check them against the page and save again."));
                        // Saving again applies the kept changes to the current version.
                        return Ok(Some((errors, Some(handoffs::find(conn, &hid)?.version))));
                    }
                    Err(e) => errors.absorb("title", e)?,
                }
            }
            Ok(Some((errors, None)))
        })
        .await?;
    match result {
        None => Ok(see_other(&viewer.keep_tz(&format!("/handoffs/{id}")))),
        Some((errors, current_version)) => {
            details.errors = errors;
            if let Some(v) = current_version {
                details.version = v.to_string();
            }
            answer(state, viewer, id, (None, Some(details), None)).await
        }
    }
}
