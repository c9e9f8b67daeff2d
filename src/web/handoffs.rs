//! Handoff pages: the permalink with its timeline and forms, the new-handoff
//! form, and the list with filters (history).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::DbConnection;
use crate::db::models::handoffs::{self, DataLoss, ListFilter, NewHandoff, NewNote, Patch};
use crate::db::models::users::{self, User};
use crate::domain::handoff::{
    Kind, Severity, Status, Verification, parse_note_body, parse_short_text, parse_title,
};
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::domain::text::check_line;
use crate::domain::time::{self, TimeView};
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::unfurl::Unfurl;
use crate::web::views::{self, DualTime, HandoffCard, IssueView, Loaded, UserOption};
use crate::web::{
    AppState, FormErrors, FormPairs, Layout, Viewer, field, keep_tz, parse_id, render_page,
    see_other, split_issue_list,
};

/// The longest free-text data-loss field.
const DATA_LOSS_TEXT: usize = 2000;

/// Parses a box of issue links; every bad entry is named in the error.
pub fn parse_issue_list(text: &str, gitlab: &GitLab) -> Result<Vec<IssueRef>, String> {
    let mut issues = vec![];
    let mut bad = vec![];
    for entry in split_issue_list(text) {
        match IssueRef::parse(entry, gitlab) {
            Ok(i) => issues.push(i),
            Err(e) => bad.push(format!("{entry}: {e}")),
        }
    }
    if !bad.is_empty() {
        return Err(bad.join("; "));
    }
    if issues.len() > crate::domain::handoff::MAX_ISSUES {
        return Err(format!(
            "at most {} issues",
            crate::domain::handoff::MAX_ISSUES
        ));
    }
    Ok(issues)
}

/// The values of the note form, kept when it comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct NoteForm {
    body: String,
    pass_to: String,
    issues: String,
    errors: FormErrors,
}

/// The values of the details form.
#[derive(Debug, Clone, Default)]
pub struct DetailsForm {
    title: String,
    severity: String,
    issues: String,
    confidential: bool,
    scope: String,
    recovery_point: String,
    verification: String,
    customers_notified: bool,
    version: String,
    errors: FormErrors,
}

/// The values of the resolve form.
#[derive(Debug, Clone, Default)]
pub struct ResolveForm {
    body: String,
    errors: FormErrors,
}

/// One note in the timeline.
pub struct NoteView {
    id: String,
    author: String,
    body: String,
    written: DualTime,
    body_html: String,
    pass_to: Option<(String, DualTime)>,
    acknowledged: Option<TimeView>,
    resolves: bool,
    edited: Option<TimeView>,
    revisions: Vec<(String, TimeView)>,
    issues: Vec<IssueView>,
    mine: bool,
}

/// The data-loss record as shown.
pub struct DataLossView {
    scope: String,
    recovery_point: String,
    verification: &'static str,
    verification_value: &'static str,
    customers_notified: bool,
}

#[derive(Template)]
#[template(path = "handoff.html")]
struct HandoffPage {
    layout: Layout,
    card: HandoffCard,
    data_loss: Option<DataLossView>,
    notes: Vec<NoteView>,
    can_write: bool,
    can_acknowledge: bool,
    recipients: Vec<UserOption>,
    note_form: NoteForm,
    details_form: DetailsForm,
    resolve_form: ResolveForm,
    verifications: Vec<(&'static str, &'static str)>,
    unfurl: Unfurl,
}

fn details_form_of(h: &handoffs::Handoff, issues: &[IssueRef]) -> DetailsForm {
    let dl = h.data_loss();
    DetailsForm {
        title: h.title.clone(),
        severity: h.severity.to_string(),
        issues: issues
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        confidential: h.confidential,
        scope: dl
            .as_ref()
            .and_then(|d| d.scope.clone())
            .unwrap_or_default(),
        recovery_point: dl
            .as_ref()
            .and_then(|d| d.recovery_point.clone())
            .unwrap_or_default(),
        verification: dl
            .as_ref()
            .map(|d| d.verification.as_str())
            .unwrap_or("unverified")
            .to_owned(),
        customers_notified: dl.as_ref().is_some_and(|d| d.customers_notified),
        version: h.version.to_string(),
        errors: FormErrors::default(),
    }
}

/// Loads the handoff page; forms that came back with errors replace the empty ones.
fn load_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    note_form: Option<NoteForm>,
    details_form: Option<DetailsForm>,
    resolve_form: Option<ResolveForm>,
) -> Result<HandoffPage, AppError> {
    let gitlab = &state.settings.gitlab;
    let handoff = handoffs::find(conn, id)?;
    if handoff.confidential && viewer.user.is_none() {
        // With public read on, a signed-out reader of a confidential handoff
        // is answered as if public read were off: sign in first. A chat
        // service unfurling the link so sees only the sign-in page's
        // "Baton handoff", exactly as for any other handoff.
        return Err(AppError::SignInRequired(viewer.path.clone()));
    }
    let notes = handoffs::notes_of(conn, id)?;
    let mut people: Vec<&str> = notes.iter().map(|n| n.author_id.as_str()).collect();
    people.extend(notes.iter().filter_map(|n| n.pass_to_id.as_deref()));
    let note_ids: Vec<&str> = notes.iter().map(|n| n.id.as_str()).collect();
    let revisions = handoffs::revisions_of(conn, &note_ids)?;
    let loaded = Loaded::load(conn, vec![handoff], &people)?;
    let h = &loaded.handoffs[0];
    let layout = Layout::load(conn, state, viewer, &h.title)?;
    let card = HandoffCard::new(h, &loaded, viewer, gitlab);
    let unfurl = Unfurl::of_handoff(
        &state.settings.public_url,
        &card,
        notes.last().map(|n| n.body.as_str()),
    );
    let user = |id: &str| loaded.user(id);
    let notes = notes
        .iter()
        .map(|n| NoteView {
            id: n.id.clone(),
            author: user(&n.author_id)
                .map(|u| u.username.clone())
                .unwrap_or_default(),
            body: n.body.clone(),
            written: DualTime::new(time::from_db(n.created_at), viewer, user(&n.author_id)),
            body_html: n.body_html.clone(),
            pass_to: n.pass_to_id.as_deref().map(|to| {
                (
                    user(to).map(|u| u.username.clone()).unwrap_or_default(),
                    DualTime::new(time::from_db(n.created_at), viewer, user(to)),
                )
            }),
            acknowledged: n
                .acknowledged_at
                .map(|t| TimeView::new(time::from_db(t), viewer.tz)),
            resolves: n.resolves,
            edited: n
                .edited_at
                .map(|t| TimeView::new(time::from_db(t), viewer.tz)),
            revisions: revisions
                .get(&n.id)
                .into_iter()
                .flatten()
                .map(|(body, at)| (body.clone(), TimeView::new(time::from_db(*at), viewer.tz)))
                .collect(),
            issues: loaded
                .note_issues(h, &n.id)
                .iter()
                .map(|i| IssueView::new(i, gitlab))
                .collect(),
            mine: viewer.is(&n.author_id) && h.status() == Status::Open,
        })
        .collect();
    let can_write = viewer.user.as_ref().is_some_and(|u| u.role().can_write());
    Ok(HandoffPage {
        layout,
        data_loss: h.data_loss().map(|d| DataLossView {
            scope: d.scope.unwrap_or_default(),
            recovery_point: d.recovery_point.unwrap_or_default(),
            verification: d.verification.label(),
            verification_value: d.verification.as_str(),
            customers_notified: d.customers_notified,
        }),
        notes,
        can_write,
        can_acknowledge: card.waiting_for_you(),
        recipients: if can_write {
            views::recipient_options(conn)?
        } else {
            vec![]
        },
        note_form: note_form.unwrap_or_default(),
        details_form: details_form.unwrap_or_else(|| details_form_of(h, &loaded.issues(h))),
        resolve_form: resolve_form.unwrap_or_default(),
        verifications: Verification::ALL
            .iter()
            .map(|v| (v.as_str(), v.label()))
            .collect(),
        card,
        unfurl,
    })
}

/// `GET /handoffs/{id}`: the permalink.
pub async fn show_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| load_page(conn, &st, &viewer, &id, None, None, None))
        .await?;
    render_page(&page, StatusCode::OK)
}

/// Re-renders the handoff page with a form's errors (422), or redirects.
async fn answer(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: String,
    forms: (Option<NoteForm>, Option<DetailsForm>, Option<ResolveForm>),
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| load_page(conn, &st, &viewer, &id, forms.0, forms.1, forms.2))
        .await?;
    render_page(&page, StatusCode::UNPROCESSABLE_ENTITY)
}

/// Resolves the optional "pass to" username of a form.
fn recipient(
    conn: &mut DbConnection,
    errors: &mut FormErrors,
    field_name: &str,
    username: &str,
) -> Result<Option<User>, AppError> {
    if username.trim().is_empty() {
        return Ok(None);
    }
    match users::find_recipient(conn, field_name, username) {
        Ok(u) => Ok(Some(u)),
        Err(e) => errors.absorb(field_name, e).map(|_| None),
    }
}

/// `POST /handoffs/{id}/notes`: add a note, maybe passing the handoff.
pub async fn create_note(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let author = viewer.writer()?.clone();
    let mut note_form = NoteForm {
        body: field(&form, "body").to_owned(),
        pass_to: field(&form, "pass_to").to_owned(),
        issues: field(&form, "issues").to_owned(),
        errors: FormErrors::default(),
    };
    let st = state.clone();
    let hid = id.clone();
    let form_copy = note_form.clone();
    let result = state
        .db
        .run(move |conn| {
            let gitlab = &st.settings.gitlab;
            let mut errors = FormErrors::default();
            let body = match parse_note_body("body", &form_copy.body) {
                Ok(b) => Some(b),
                Err(e) => errors.absorb("body", e).map(|_| None)?,
            };
            let pass_to = recipient(conn, &mut errors, "pass_to", &form_copy.pass_to)?;
            let issues = errors.check("issues", parse_issue_list(&form_copy.issues, gitlab));
            if let (Some(body), Some(issues), true) = (body, issues, errors.is_empty()) {
                match handoffs::add_note(
                    conn,
                    &hid,
                    &author,
                    NewNote {
                        body,
                        pass_to,
                        issues,
                    },
                    gitlab,
                ) {
                    Ok(note) => return Ok(Ok(note.id)),
                    Err(e) => errors.absorb("body", e)?,
                }
            }
            Ok(Err(errors))
        })
        .await?;
    match result {
        Ok(note_id) => Ok(see_other(
            &viewer.keep_tz(&format!("/handoffs/{id}#note-{note_id}")),
        )),
        Err(errors) => {
            note_form.errors = errors;
            answer(state, viewer, id, (Some(note_form), None, None)).await
        }
    }
}

/// `POST /handoffs/{id}/acknowledge`: "I have it".
pub async fn acknowledge_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let user = viewer.writer()?.clone();
    let hid = id.clone();
    state
        .db
        .run(move |conn| handoffs::acknowledge(conn, &hid, &user))
        .await?;
    Ok(see_other(&viewer.keep_tz(&format!("/handoffs/{id}"))))
}

/// `POST /handoffs/{id}/resolve`: resolve with a closing note.
pub async fn resolve_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let author = viewer.writer()?.clone();
    let mut resolve_form = ResolveForm {
        body: field(&form, "body").to_owned(),
        errors: FormErrors::default(),
    };
    let st = state.clone();
    let hid = id.clone();
    let body = resolve_form.body.clone();
    let result = state
        .db
        .run(move |conn| {
            let mut errors = FormErrors::default();
            let outcome = parse_note_body("body", &body)
                .and_then(|body| handoffs::resolve(conn, &hid, &author, body, &st.settings.gitlab));
            match outcome {
                Ok(_) => Ok(None),
                Err(e) => errors.absorb("body", e).map(|_| Some(errors)),
            }
        })
        .await?;
    match result {
        None => Ok(see_other(&viewer.keep_tz(&format!("/handoffs/{id}")))),
        Some(errors) => {
            resolve_form.errors = errors;
            answer(state, viewer, id, (None, None, Some(resolve_form))).await
        }
    }
}

/// Reads the data-loss fields of a form into a record.
fn parse_data_loss(form: &FormPairs, errors: &mut FormErrors) -> Option<DataLoss> {
    let scope = parse_short_text("scope", field(form, "scope"), DATA_LOSS_TEXT);
    let recovery_point = parse_short_text(
        "recovery_point",
        field(form, "recovery_point"),
        DATA_LOSS_TEXT,
    );
    let verification = match field(form, "verification") {
        "" => Ok(Verification::Unverified),
        v => Verification::parse(v),
    };
    let scope = scope.map_err(|e| errors.add("scope", e.message())).ok()?;
    let recovery_point = recovery_point
        .map_err(|e| errors.add("recovery_point", e.message()))
        .ok()?;
    let verification = errors.check("verification", verification)?;
    Some(DataLoss {
        scope,
        recovery_point,
        verification,
        customers_notified: !field(form, "customers_notified").is_empty(),
    })
}

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
        .db
        .run(move |conn| {
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
            let data_loss = match current.kind() {
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

/// `POST /handoffs/{id}/notes/{note_id}`: edit one's own note; the earlier
/// text stays in its history.
pub async fn edit_note(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_note) = path.into_inner();
    let id = parse_id(&raw_id)?;
    let note_id = parse_id(&raw_note)?;
    let author = viewer.writer()?.clone();
    let body = parse_note_body("body", field(&form, "body"))?;
    let st = state.clone();
    let hid = id.clone();
    let nid = note_id.clone();
    state
        .db
        .run(move |conn| handoffs::edit_note(conn, &hid, &nid, &author, body, &st.settings.gitlab))
        .await?;
    Ok(see_other(
        &viewer.keep_tz(&format!("/handoffs/{id}#note-{note_id}")),
    ))
}

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
        recipients: views::recipient_options(conn)?,
        verifications: Verification::ALL
            .iter()
            .map(|v| (v.as_str(), v.label()))
            .collect(),
    })
}

/// `GET /handoffs/new`.
pub async fn new_handoff(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let st = state.clone();
    let form = NewForm {
        kind: Kind::Outage.as_str().into(),
        severity: "2".into(),
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
        .db
        .run(move |conn| {
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
            if pass_to.as_ref().is_some_and(|u| u.id == author.id) {
                errors.add(
                    "pass_to",
                    "you will hold it yourself; leave this empty or name someone else",
                );
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
                let handoff = handoffs::create(conn, &author, input, gitlab)?;
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

/// The filters of the list page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    issue: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

#[derive(Template)]
#[template(path = "handoffs.html")]
struct ListPage {
    layout: Layout,
    query: ListQuery,
    errors: FormErrors,
    cards: Vec<HandoffCard>,
    next_link: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<&'static str>,
    holders: Vec<UserOption>,
}

/// Page size of the list.
const PAGE: i64 = 50;

/// `GET /handoffs?status=&kind=&severity=&issue=&holder=&q=`: open
/// handoffs, or history with `status=resolved`.
pub async fn list_handoffs(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let st = state.clone();
    let (page, failed) = state
        .db
        .run(move |conn| {
            let gitlab = &st.settings.gitlab;
            let mut errors = FormErrors::default();
            let mut filter = ListFilter {
                limit: PAGE + 1,
                ..ListFilter::default()
            };
            filter.status = match query.status.as_str() {
                "" => Some(Status::Open),
                "all" => None,
                s => errors.check("status", Status::parse(s)),
            };
            if !query.kind.is_empty() {
                filter.kind = errors.check("kind", Kind::parse(&query.kind));
            }
            if !query.severity.is_empty() {
                filter.severity = errors.check("severity", Severity::parse(&query.severity));
            }
            if !query.issue.trim().is_empty() {
                filter.issue = errors.check("issue", IssueRef::parse(&query.issue, gitlab));
            }
            if !query.holder.is_empty() {
                match Username::parse(&query.holder) {
                    Ok(name) => match users::find_by_username(conn, &name)? {
                        Some(u) => filter.holder_id = Some(u.id),
                        None => errors.add("holder", format!("there is no user {name}")),
                    },
                    Err(e) => errors.add("holder", e),
                }
            }
            if !query.q.trim().is_empty() {
                filter.text = errors.check(
                    "q",
                    check_line("the search text", query.q.trim())
                        .map(|_| query.q.trim().to_owned()),
                );
            }
            if !query.cursor.is_empty() {
                filter.after = errors.check(
                    "cursor",
                    crate::web::api::handoffs::parse_cursor(&query.cursor),
                );
            }
            let found = if errors.is_empty() {
                handoffs::list(conn, &filter)?
            } else {
                vec![]
            };
            let found: Vec<_> = found
                .into_iter()
                .filter(|h| viewer.user.is_some() || !h.confidential)
                .collect();
            let more = found.len() as i64 > PAGE;
            let found: Vec<_> = found.into_iter().take(PAGE as usize).collect();
            let next_link = match (more, found.last()) {
                (true, Some(last)) => {
                    let mut q = query.clone();
                    q.cursor = crate::web::api::handoffs::cursor_of(last);
                    Some(list_link(&q))
                }
                _ => None,
            };
            let loaded = Loaded::load_list(conn, found, &[])?;
            let cards = loaded
                .handoffs
                .iter()
                .map(|h| HandoffCard::new(h, &loaded, &viewer, gitlab))
                .collect();
            let title = if filter.status == Some(Status::Resolved) {
                "History"
            } else {
                "Handoffs"
            };
            let failed = !errors.is_empty();
            Ok((
                ListPage {
                    layout: Layout::load(conn, &st, &viewer, title)?,
                    query,
                    errors,
                    cards,
                    next_link,
                    kinds: views::kind_options(),
                    statuses: views::status_options(),
                    holders: views::recipient_options(conn)?,
                },
                failed,
            ))
        })
        .await?;
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render_page(&page, status)
}

/// The URL of the list page with these filters.
fn list_link(q: &ListQuery) -> String {
    let pairs = [
        ("status", &q.status),
        ("kind", &q.kind),
        ("severity", &q.severity),
        ("issue", &q.issue),
        ("holder", &q.holder),
        ("q", &q.q),
        ("cursor", &q.cursor),
    ];
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::web::encode_query(v)))
        .collect();
    format!("/handoffs?{}", query.join("&"))
}
