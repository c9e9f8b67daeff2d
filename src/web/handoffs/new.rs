//! The new-handoff form and the handoff it opens.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::db::DbConnection;
use crate::db::models::handoffs::{self, NewHandoff, NewNote};
use crate::domain::handoff::{Kind, Severity, Verification, parse_note_body, parse_title};
use crate::domain::handoff_input::{check_first_pass, parse_issue_list};
use crate::error::AppError;
use crate::web::handoffs::{parse_data_loss, recipient};
use crate::web::issues::Prefill;
use crate::web::views::{self, UserOption};
use crate::web::{
    AppState, FormErrors, FormPairs, Layout, Viewer, field, keep_tz, render_page, see_other,
};

/// The values of the new-handoff form.
#[derive(Debug, Clone, Default)]
pub struct NewForm {
    kind: String,
    title: String,
    severity: String,
    issues: String,
    body: String,
    pass_to: String,
    confidential: bool,
    scope: String,
    recovery_point: String,
    verification: String,
    customers_notified: bool,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "handoff_new.html")]
struct NewHandoffPage {
    layout: Layout,
    form: NewForm,
    kinds: Vec<(&'static str, &'static str)>,
    recipients: Vec<UserOption>,
    verifications: Vec<(&'static str, &'static str)>,
}

fn new_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    form: NewForm,
) -> Result<NewHandoffPage, AppError> {
    Ok(NewHandoffPage {
        layout: Layout::load(conn, state, viewer, "New handoff")?,
        form,
        kinds: views::kind_options(),
        recipients: views::recipients_for(conn, viewer)?,
        verifications: Verification::ALL
            .iter()
            .map(|v| (v.as_str(), v.label()))
            .collect(),
    })
}

/// `GET /handoffs/new`, pre-filled from the query when it names a kind,
/// title, severity or issues (the dashboard's "Open a handoff" for an
/// outage nobody holds).
pub async fn new_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    prefill: web::Query<Prefill>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let st = state.clone();
    let prefill = prefill.into_inner();
    let form = NewForm {
        kind: prefill.kind.unwrap_or_else(|| Kind::Outage.as_str().into()),
        title: prefill.title.unwrap_or_default(),
        severity: prefill.severity.unwrap_or_else(|| "2".into()),
        issues: prefill.issues.unwrap_or_default(),
        verification: Verification::Unverified.as_str().into(),
        ..NewForm::default()
    };
    let page = state
        .db
        .run(move |conn| new_page(conn, &st, &viewer, form))
        .await?;
    render_page(&page, StatusCode::OK)
}

/// `POST /handoffs`: open a handoff from the form.
pub async fn create_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let author = viewer.writer()?.clone();
    let chosen_tz = viewer.chosen_tz();
    let form = form.into_inner();
    let kept = NewForm {
        kind: field(&form, "kind").to_owned(),
        title: field(&form, "title").to_owned(),
        severity: field(&form, "severity").to_owned(),
        issues: field(&form, "issues").to_owned(),
        body: field(&form, "body").to_owned(),
        pass_to: field(&form, "pass_to").to_owned(),
        confidential: !field(&form, "confidential").is_empty(),
        scope: field(&form, "scope").to_owned(),
        recovery_point: field(&form, "recovery_point").to_owned(),
        verification: field(&form, "verification").to_owned(),
        customers_notified: !field(&form, "customers_notified").is_empty(),
        errors: FormErrors::default(),
    };
    let st = state.clone();
    let result = state
        .write(move |conn| {
            let gitlab = &st.settings.gitlab;
            let mut errors = FormErrors::default();
            let kind = errors.check("kind", Kind::parse(field(&form, "kind")));
            let title = errors.check("title", parse_title(field(&form, "title")));
            let severity = errors.check("severity", Severity::parse(field(&form, "severity")));
            let issues = errors.check("issues", parse_issue_list(field(&form, "issues"), gitlab));
            let body = match parse_note_body("body", field(&form, "body")) {
                Ok(b) => Some(b),
                Err(e) => errors.absorb("body", e).map(|_| None)?,
            };
            let pass_to = recipient(conn, &mut errors, "pass_to", field(&form, "pass_to"))?;
            if let Err(e) = check_first_pass(&author.id, pass_to.as_ref().map(|u| u.id.as_str())) {
                errors.add("pass_to", e.message());
            }
            let data_loss = match kind {
                Some(Kind::PerceivedDataLoss) => parse_data_loss(&form, &mut errors),
                _ => None,
            };
            if let (Some(kind), Some(title), Some(severity), Some(issues), Some(body), true) =
                (kind, title, severity, issues, body, errors.is_empty())
            {
                let input = NewHandoff {
                    kind,
                    title,
                    severity,
                    confidential: !field(&form, "confidential").is_empty(),
                    issues,
                    data_loss,
                    note: NewNote {
                        body,
                        pass_to,
                        issues: vec![],
                    },
                };
                let handoff = handoffs::create(conn, &author, input, gitlab, &st.chat)?;
                return Ok(Ok(handoff.id));
            }
            let mut kept = kept;
            kept.errors = errors;
            Ok(Err(new_page(conn, &st, &viewer, kept)?))
        })
        .await?;
    match result {
        Ok(id) => Ok(see_other(&keep_tz(&format!("/handoffs/{id}"), chosen_tz))),
        Err(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}
