//! `/api/v1/handoffs`: list, create, read, change, note, acknowledge, resolve.

use actix_web::{HttpResponse, http::header, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::DbConnection;
use crate::db::models::handoffs::{
    self, DataLoss, Handoff, ListFilter, NewHandoff, NewNote, Note, Patch,
};
use crate::db::models::users;
use crate::domain::handoff::{
    Kind, Severity, Status, Verification, parse_note_body, parse_short_text, parse_title,
};
use crate::domain::issue_ref::IssueRef;
use crate::domain::time;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::web::api::{ApiUser, IssueJson, UserJson, parse_issues, ts};
use crate::web::views::Loaded;
use crate::web::{AppState, parse_id};

/// The data-loss record of a `perceived_data_loss` handoff.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataLossJson {
    /// What data is affected.
    pub scope: Option<String>,
    /// The recovery point estimate.
    pub recovery_point: Option<String>,
    /// `unverified`, `confirmed` or `ruled_out`.
    pub verification: String,
    /// Whether customers have been told.
    pub customers_notified: bool,
}

/// A note.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteJson {
    /// UUID.
    pub id: String,
    /// Who wrote it.
    pub author: Option<UserJson>,
    /// Markdown.
    pub body: String,
    /// Sanitized HTML.
    pub body_html: String,
    /// The user this note passed the handoff to.
    pub pass_to: Option<UserJson>,
    /// When that user acknowledged.
    pub acknowledged_at: Option<String>,
    /// Whether this is the closing note of the resolution.
    pub resolves: bool,
    /// Written.
    pub created_at: String,
    /// Last edited (earlier texts are kept).
    pub edited_at: Option<String>,
    /// The issues the note links or mentions.
    pub issues: Vec<IssueJson>,
}

/// A handoff.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffJson {
    /// UUID v7.
    pub id: String,
    /// The permalink.
    pub url: String,
    /// `outage` or `perceived_data_loss`.
    pub kind: String,
    /// Title.
    pub title: String,
    /// 1 (critical) to 4.
    pub severity: i32,
    /// `open` or `resolved`.
    pub status: String,
    /// Confidential.
    pub confidential: bool,
    /// The user responsible now.
    pub holder: Option<UserJson>,
    /// The user a pending pass names.
    pub pending_to: Option<UserJson>,
    /// When the pending pass was written.
    pub pending_since: Option<String>,
    /// Shift changes survived while open.
    pub carry_over: usize,
    /// For `perceived_data_loss`; else null.
    pub data_loss: Option<DataLossJson>,
    /// Linked GitLab issues.
    pub issues: Vec<IssueJson>,
    /// Opened.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Resolved.
    pub resolved_at: Option<String>,
    /// Send it back with a PATCH.
    pub version: i32,
    /// With `GET /api/v1/handoffs/{id}` only: the notes, newest last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<NoteJson>>,
}

/// A page of handoffs.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffList {
    /// Newest activity first.
    pub handoffs: Vec<HandoffJson>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

fn handoff_json(
    h: &Handoff,
    loaded: &Loaded,
    state: &AppState,
    notes: Option<&[Note]>,
) -> HandoffJson {
    let gitlab = &state.settings.gitlab;
    let now = loaded.now;
    let person = |id: &str| loaded.user(id).map(|u| UserJson::new(u, now));
    HandoffJson {
        id: h.id.clone(),
        url: format!("{}/handoffs/{}", state.settings.public_url, h.id),
        kind: h.kind.clone(),
        title: h.title.clone(),
        severity: h.severity,
        status: h.status.clone(),
        confidential: h.confidential,
        holder: person(&h.holder_id),
        pending_to: h.pending_to_id.as_deref().and_then(person),
        pending_since: h.pending_since.map(|t| ts(time::from_db(t))),
        carry_over: loaded.carry_over(h),
        data_loss: h.data_loss().map(|d| DataLossJson {
            scope: d.scope,
            recovery_point: d.recovery_point,
            verification: d.verification.as_str().into(),
            customers_notified: d.customers_notified,
        }),
        issues: loaded
            .issues(h)
            .iter()
            .map(|i| IssueJson::new(i, gitlab))
            .collect(),
        created_at: ts(h.created()),
        updated_at: ts(time::from_db(h.updated_at)),
        resolved_at: h.resolved_at.map(|t| ts(time::from_db(t))),
        version: h.version,
        notes: notes.map(|notes| {
            notes
                .iter()
                .map(|n| note_json(n, h, loaded, state))
                .collect()
        }),
    }
}

fn note_json(n: &Note, h: &Handoff, loaded: &Loaded, state: &AppState) -> NoteJson {
    let now = loaded.now;
    NoteJson {
        id: n.id.clone(),
        author: loaded.user(&n.author_id).map(|u| UserJson::new(u, now)),
        body: n.body.clone(),
        body_html: n.body_html.clone(),
        pass_to: n
            .pass_to_id
            .as_deref()
            .and_then(|id| loaded.user(id))
            .map(|u| UserJson::new(u, now)),
        acknowledged_at: n.acknowledged_at.map(|t| ts(time::from_db(t))),
        resolves: n.resolves,
        created_at: ts(time::from_db(n.created_at)),
        edited_at: n.edited_at.map(|t| ts(time::from_db(t))),
        issues: loaded
            .note_issues(h, &n.id)
            .iter()
            .map(|i| IssueJson::new(i, &state.settings.gitlab))
            .collect(),
    }
}

/// Loads one handoff as JSON, with its notes when `with_notes`.
fn load_one(
    conn: &mut DbConnection,
    state: &AppState,
    id: &str,
    with_notes: bool,
) -> Result<HandoffJson, AppError> {
    let h = handoffs::find(conn, id)?;
    let notes = if with_notes {
        handoffs::notes_of(conn, id)?
    } else {
        vec![]
    };
    let mut people: Vec<&str> = notes.iter().map(|n| n.author_id.as_str()).collect();
    people.extend(notes.iter().filter_map(|n| n.pass_to_id.as_deref()));
    let loaded = Loaded::load(conn, vec![h], &people)?;
    Ok(handoff_json(
        &loaded.handoffs[0],
        &loaded,
        state,
        with_notes.then_some(notes.as_slice()),
    ))
}

/// A cursor: the last item's activity time and id.
pub fn cursor_of(h: &Handoff) -> String {
    format!(
        "{}_{}",
        h.last_activity_at.and_utc().timestamp_micros(),
        h.id
    )
}

/// Reads a cursor made by [`cursor_of`].
pub fn parse_cursor(cursor: &str) -> Result<(NaiveDateTime, String), String> {
    let bad = || "the cursor is not one this server gave out".to_owned();
    let (micros, id) = cursor.split_once('_').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((at.naive_utc(), id.to_string()))
}

/// The filters of `GET /api/v1/handoffs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `open` (default), `resolved` or `all`.
    status: Option<String>,
    /// `outage` or `perceived_data_loss`.
    kind: Option<String>,
    /// A GitLab issue in any accepted form.
    issue: Option<String>,
    /// 1 to 200 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List handoffs, newest activity first.
#[utoipa::path(get, path = "/api/v1/handoffs", tag = "handoffs", params(ListParams),
    responses((status = 200, body = HandoffList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_handoffs(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<ListParams>,
) -> Result<web::Json<HandoffList>, ApiError> {
    let params = params.into_inner();
    let gitlab = &state.settings.gitlab;
    let status = match params.status.as_deref().unwrap_or("open") {
        "all" => None,
        s => Some(Status::parse(s).map_err(|e| AppError::invalid("status", format!("{e}, all")))?),
    };
    let kind = params
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(Kind::parse)
        .transpose()
        .map_err(|e| AppError::invalid("kind", e))?;
    let issue = params
        .issue
        .as_deref()
        .filter(|i| !i.is_empty())
        .map(|i| IssueRef::parse(i, gitlab))
        .transpose()
        .map_err(|e| AppError::invalid("issue", e.to_string()))?;
    let limit = match params.limit.as_deref() {
        None | Some("") => 50,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| AppError::invalid("limit", "limit is a number from 1 to 200"))?,
    };
    let after = params
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(parse_cursor)
        .transpose()
        .map_err(|e| AppError::invalid("cursor", e))?;
    let filter = ListFilter {
        status,
        kind,
        issue,
        after,
        limit: limit + 1,
        ..ListFilter::default()
    };
    let st = state.clone();
    let list = state
        .db
        .run(move |conn| {
            let mut found = handoffs::list(conn, &filter)?;
            let more = found.len() as i64 > limit;
            found.truncate(limit as usize);
            let next_cursor = if more {
                found.last().map(cursor_of)
            } else {
                None
            };
            let loaded = Loaded::load_list(conn, found, &[])?;
            Ok(HandoffList {
                handoffs: loaded
                    .handoffs
                    .iter()
                    .map(|h| handoff_json(h, &loaded, &st, None))
                    .collect(),
                next_cursor,
            })
        })
        .await?;
    Ok(web::Json(list))
}

/// The first note of a new handoff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstNote {
    /// Markdown, at most 64 KiB.
    body: String,
    /// Pass the handoff to this username.
    pass_to: Option<String>,
}

/// Data-loss fields; absent ones stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataLossInput {
    /// What data is affected.
    scope: Option<String>,
    /// The recovery point estimate.
    recovery_point: Option<String>,
    /// `unverified`, `confirmed` or `ruled_out`.
    verification: Option<String>,
    /// Whether customers have been told.
    customers_notified: Option<bool>,
}

impl DataLossInput {
    fn apply(self, mut record: DataLoss) -> Result<DataLoss, AppError> {
        if let Some(scope) = self.scope {
            record.scope = parse_short_text("data_loss.scope", &scope, 2000)?;
        }
        if let Some(rp) = self.recovery_point {
            record.recovery_point = parse_short_text("data_loss.recovery_point", &rp, 2000)?;
        }
        if let Some(v) = self.verification {
            record.verification = Verification::parse(&v)
                .map_err(|e| AppError::invalid("data_loss.verification", e))?;
        }
        if let Some(told) = self.customers_notified {
            record.customers_notified = told;
        }
        Ok(record)
    }
}

/// A new handoff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHandoff {
    /// `outage` or `perceived_data_loss`.
    kind: String,
    /// One line, at most 200 characters.
    title: String,
    /// 1 to 4.
    severity: i64,
    /// GitLab issue links in any accepted form.
    #[serde(default)]
    issues: Vec<String>,
    /// The first note.
    note: FirstNote,
    /// Hide from signed-out readers and unfurls.
    #[serde(default)]
    confidential: bool,
    /// For `perceived_data_loss` only.
    data_loss: Option<DataLossInput>,
}

/// Open a handoff, held by the caller.
#[utoipa::path(post, path = "/api/v1/handoffs", tag = "handoffs", request_body = CreateHandoff,
    responses((status = 201, body = HandoffJson, headers(("Location" = String, description = "the handoff's API URL"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CreateHandoff>,
) -> Result<HttpResponse, ApiError> {
    let author = user.writer()?.clone();
    let input = body.into_inner();
    let gitlab = &state.settings.gitlab;
    let kind = Kind::parse(&input.kind).map_err(|e| AppError::invalid("kind", e))?;
    let title = parse_title(&input.title).map_err(|e| AppError::invalid("title", e))?;
    let severity = Severity::new(input.severity).map_err(|e| AppError::invalid("severity", e))?;
    let issues = parse_issues("issues", &input.issues, gitlab)?;
    let body = parse_note_body("note.body", &input.note.body)?;
    let data_loss = match (kind, input.data_loss) {
        (Kind::Outage, Some(_)) => {
            return Err(AppError::invalid(
                "data_loss",
                "only a perceived_data_loss handoff has data-loss fields",
            )
            .into());
        }
        (Kind::Outage, None) => None,
        (Kind::PerceivedDataLoss, d) => Some(match d {
            Some(d) => d.apply(DataLoss::unverified())?,
            None => DataLoss::unverified(),
        }),
    };
    let st = state.clone();
    let created = state
        .db
        .run(move |conn| {
            let pass_to = match input
                .note
                .pass_to
                .as_deref()
                .filter(|p| !p.trim().is_empty())
            {
                Some(name) => Some(users::find_recipient(conn, "note.pass_to", name)?),
                None => None,
            };
            if pass_to.as_ref().is_some_and(|u| u.id == author.id) {
                return Err(AppError::invalid(
                    "note.pass_to",
                    "you hold a handoff you open; pass it to someone else",
                ));
            }
            let new = NewHandoff {
                kind,
                title,
                severity,
                confidential: input.confidential,
                issues,
                data_loss,
                note: NewNote {
                    body,
                    pass_to,
                    issues: vec![],
                },
            };
            let h = handoffs::create(conn, &author, new, &st.settings.gitlab)?;
            load_one(conn, &st, &h.id, true)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/handoffs/{}", created.id)))
        .json(created))
}

/// One handoff with its notes, newest last.
#[utoipa::path(get, path = "/api/v1/handoffs/{id}", tag = "handoffs", params(("id" = String, Path, description = "UUID")),
    responses((status = 200, body = HandoffJson), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_handoff(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    let id = parse_id(&path)?;
    let st = state.clone();
    Ok(web::Json(
        state
            .db
            .run(move |conn| load_one(conn, &st, &id, true))
            .await?,
    ))
}

/// A change to a handoff; `version` is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchHandoff {
    /// The version the change is made against (from the last read).
    version: Option<i32>,
    /// New title.
    title: Option<String>,
    /// New severity, 1 to 4.
    severity: Option<i64>,
    /// The new full list of the handoff's issue links.
    issues: Option<Vec<String>>,
    /// New confidential flag.
    confidential: Option<bool>,
    /// Data-loss fields to change.
    data_loss: Option<DataLossInput>,
}

/// Change title, severity, issues, confidential flag or data-loss fields.
#[utoipa::path(patch, path = "/api/v1/handoffs/{id}", tag = "handoffs", params(("id" = String, Path, description = "UUID")),
    request_body = PatchHandoff,
    responses((status = 200, body = HandoffJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<PatchHandoff>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    user.writer()?;
    let id = parse_id(&path)?;
    let input = body.into_inner();
    let version = input.version.ok_or_else(|| {
        AppError::invalid(
            "version",
            "send the version you read, so that a change made since is not overwritten",
        )
    })?;
    let gitlab = &state.settings.gitlab;
    let mut patch = Patch {
        version,
        title: input
            .title
            .as_deref()
            .map(parse_title)
            .transpose()
            .map_err(|e| AppError::invalid("title", e))?,
        severity: input
            .severity
            .map(Severity::new)
            .transpose()
            .map_err(|e| AppError::invalid("severity", e))?,
        issues: input
            .issues
            .as_deref()
            .map(|i| parse_issues("issues", i, gitlab))
            .transpose()?,
        confidential: input.confidential,
        data_loss: None,
    };
    let st = state.clone();
    let updated = state
        .db
        .run(move |conn| {
            if let Some(d) = input.data_loss {
                let current = handoffs::find(conn, &id)?;
                let record = current.data_loss().ok_or_else(|| {
                    AppError::invalid(
                        "data_loss",
                        "only a perceived_data_loss handoff has data-loss fields",
                    )
                })?;
                patch.data_loss = Some(d.apply(record)?);
            }
            handoffs::update(conn, &id, patch)?;
            load_one(conn, &st, &id, false)
        })
        .await?;
    Ok(web::Json(updated))
}

/// A note to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNote {
    /// Markdown, at most 64 KiB.
    body: String,
    /// Pass the handoff to this username.
    pass_to: Option<String>,
    /// GitLab issues to link (to the note and the handoff).
    #[serde(default)]
    issues: Vec<String>,
}

/// Add a note, maybe passing the handoff.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/notes", tag = "handoffs", params(("id" = String, Path, description = "UUID")),
    request_body = AddNote,
    responses((status = 201, body = NoteJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_note(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<AddNote>,
) -> Result<HttpResponse, ApiError> {
    let author = user.writer()?.clone();
    let id = parse_id(&path)?;
    let input = body.into_inner();
    let note_body = parse_note_body("body", &input.body)?;
    let issues = parse_issues("issues", &input.issues, &state.settings.gitlab)?;
    let st = state.clone();
    let note = state
        .db
        .run(move |conn| {
            handoffs::find(conn, &id)?;
            let pass_to = match input.pass_to.as_deref().filter(|p| !p.trim().is_empty()) {
                Some(name) => Some(users::find_recipient(conn, "pass_to", name)?),
                None => None,
            };
            let note = handoffs::add_note(
                conn,
                &id,
                &author,
                NewNote {
                    body: note_body,
                    pass_to,
                    issues,
                },
                &st.settings.gitlab,
            )?;
            let h = handoffs::find(conn, &id)?;
            let people = [
                note.author_id.as_str(),
                note.pass_to_id.as_deref().unwrap_or_default(),
            ];
            let loaded = Loaded::load(conn, vec![h], &people)?;
            Ok(note_json(&note, &loaded.handoffs[0], &loaded, &st))
        })
        .await?;
    Ok(HttpResponse::Created().json(note))
}

/// The pending recipient takes the handoff.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/acknowledge", tag = "handoffs", params(("id" = String, Path, description = "UUID")),
    responses((status = 200, body = HandoffJson), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn acknowledge_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    let me = user.writer()?.clone();
    let id = parse_id(&path)?;
    let st = state.clone();
    let h = state
        .db
        .run(move |conn| {
            handoffs::acknowledge(conn, &id, &me)?;
            load_one(conn, &st, &id, false)
        })
        .await?;
    Ok(web::Json(h))
}

/// A closing note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveHandoff {
    /// Markdown, at most 64 KiB.
    body: String,
}

/// Resolve with a closing note.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/resolve", tag = "handoffs", params(("id" = String, Path, description = "UUID")),
    request_body = ResolveHandoff,
    responses((status = 200, body = HandoffJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<ResolveHandoff>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    let author = user.writer()?.clone();
    let id = parse_id(&path)?;
    let note_body = parse_note_body("body", &body.body)?;
    let st = state.clone();
    let h = state
        .db
        .run(move |conn| {
            handoffs::resolve(conn, &id, &author, note_body, &st.settings.gitlab)?;
            load_one(conn, &st, &id, false)
        })
        .await?;
    Ok(web::Json(h))
}
