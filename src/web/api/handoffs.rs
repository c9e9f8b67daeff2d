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
use crate::domain::time;
use crate::error::AppError;
use crate::web::api::contract::{self, ApiJson, Int, IssueLink, schemas};
use crate::web::api::{ApiUser, IssueJson, UserJson, ts};
use crate::web::respond::{ApiError, ErrorBody};
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
    #[schema(schema_with = schemas::verification)]
    pub verification: String,
    /// Whether customers have been told.
    pub customers_notified: bool,
}

/// A note.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteJson {
    /// UUID.
    #[schema(schema_with = schemas::uuid)]
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
    #[schema(schema_with = schemas::instant_or_null)]
    pub acknowledged_at: Option<String>,
    /// Whether this is the closing note of the resolution.
    pub resolves: bool,
    /// Written.
    #[schema(schema_with = schemas::instant)]
    pub created_at: String,
    /// Last edited (earlier texts are kept).
    #[schema(schema_with = schemas::instant_or_null)]
    pub edited_at: Option<String>,
    /// The issues the note links or mentions.
    pub issues: Vec<IssueJson>,
}

/// A handoff.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffJson {
    /// UUID v7.
    #[schema(schema_with = schemas::uuid)]
    pub id: String,
    /// The permalink.
    #[schema(format = Uri)]
    pub url: String,
    /// `outage` or `perceived_data_loss`.
    #[schema(schema_with = schemas::kind)]
    pub kind: String,
    /// Title.
    pub title: String,
    /// 1 (critical) to 4.
    #[schema(schema_with = schemas::severity)]
    pub severity: i32,
    /// `open` or `resolved`.
    #[schema(schema_with = schemas::status)]
    pub status: String,
    /// Confidential.
    pub confidential: bool,
    /// The user responsible now.
    pub holder: Option<UserJson>,
    /// The user a pending pass names.
    pub pending_to: Option<UserJson>,
    /// When the pending pass was written.
    #[schema(schema_with = schemas::instant_or_null)]
    pub pending_since: Option<String>,
    /// Shift changes survived while open.
    pub carry_over: usize,
    /// For `perceived_data_loss`; else null.
    pub data_loss: Option<DataLossJson>,
    /// Linked GitLab issues.
    pub issues: Vec<IssueJson>,
    /// Opened.
    #[schema(schema_with = schemas::instant)]
    pub created_at: String,
    /// Last changed.
    #[schema(schema_with = schemas::instant)]
    pub updated_at: String,
    /// Resolved.
    #[schema(schema_with = schemas::instant_or_null)]
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
    #[schema(
        nullable,
        pattern = r"^[0-9]{1,18}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
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
        kind: h.kind.as_str().to_owned(),
        title: h.title.clone(),
        severity: h.severity.get(),
        status: h.status.as_str().to_owned(),
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
    #[param(schema_with = schemas::status_filter)]
    status: Option<String>,
    /// `outage` or `perceived_data_loss`.
    #[param(schema_with = schemas::kind)]
    kind: Option<String>,
    /// Only handoffs that link this GitLab issue.
    #[param(value_type = Option<IssueLink>)]
    issue: Option<String>,
    /// 1 to 200 (default 50).
    #[param(schema_with = schemas::limit)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(schema_with = schemas::cursor)]
    cursor: Option<String>,
}

/// List handoffs, newest activity first.
#[utoipa::path(get, path = "/api/v1/handoffs", tag = "handoffs", params(ListParams),
    responses((status = 200, body = HandoffList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_handoffs(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<ListParams>,
) -> Result<web::Json<HandoffList>, ApiError> {
    let params = params.into_inner();
    let gitlab = &state.settings.gitlab;
    let status = match params.status.as_deref() {
        None => Some(Status::Open),
        Some(s) => match contract::one_of("status", s, &contract::status_filters())? {
            "all" => None,
            s => Some(Status::parse(s).map_err(|e| AppError::invalid("status", e))?),
        },
    };
    let kind = params
        .kind
        .as_deref()
        .map(|k| contract::one_of("kind", k, &contract::kinds()))
        .transpose()?
        .map(Kind::parse)
        .transpose()
        .map_err(|e| AppError::invalid("kind", e))?;
    let issue = params
        .issue
        .as_deref()
        .map(|i| contract::issue("issue", i, gitlab))
        .transpose()?;
    let limit = match params.limit.as_deref() {
        None => 50,
        Some(l) => contract::int_param("limit", l, 1, 200)?,
    };
    let after = params
        .cursor
        .as_deref()
        .map(|c| contract::CURSOR_TEXT.check("cursor", c))
        .transpose()?
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
    #[schema(schema_with = schemas::note_body)]
    body: String,
    /// Pass the handoff to this username.
    #[serde(default)]
    #[schema(schema_with = schemas::recipient_or_null)]
    pass_to: Option<String>,
}

/// Data-loss fields; absent ones stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataLossInput {
    /// What data is affected.
    #[serde(default)]
    #[schema(schema_with = schemas::data_loss_text_or_null)]
    scope: Option<String>,
    /// The recovery point estimate.
    #[serde(default)]
    #[schema(schema_with = schemas::data_loss_text_or_null)]
    recovery_point: Option<String>,
    /// `unverified`, `confirmed` or `ruled_out`.
    #[serde(default)]
    #[schema(schema_with = schemas::verification_or_null)]
    verification: Option<String>,
    /// Whether customers have been told.
    #[serde(default)]
    customers_notified: Option<bool>,
}

impl DataLossInput {
    /// Checks the fields as the document describes them, before anything is read.
    fn check(&self) -> Result<(), AppError> {
        let text = &contract::DATA_LOSS_TEXT;
        if let Some(scope) = &self.scope {
            text.check("data_loss.scope", scope)?;
        }
        if let Some(rp) = &self.recovery_point {
            text.check("data_loss.recovery_point", rp)?;
        }
        if let Some(v) = &self.verification {
            contract::one_of("data_loss.verification", v, &contract::verifications())?;
        }
        Ok(())
    }

    fn apply(self, mut record: DataLoss) -> Result<DataLoss, AppError> {
        self.check()?;
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
    #[schema(schema_with = schemas::kind)]
    kind: String,
    /// One line, at most 200 characters.
    #[schema(schema_with = schemas::title)]
    title: String,
    /// 1 to 4.
    #[schema(schema_with = schemas::severity)]
    severity: Int,
    /// GitLab issue links in any accepted form.
    #[serde(default)]
    #[schema(value_type = Vec<IssueLink>, max_items = 50)]
    issues: Vec<String>,
    /// The first note.
    note: FirstNote,
    /// Hide from signed-out readers and unfurls.
    #[serde(default)]
    confidential: bool,
    /// For `perceived_data_loss` only (an outage takes null or nothing).
    #[serde(default)]
    data_loss: Option<DataLossInput>,
}

/// Open a handoff, held by the caller.
#[utoipa::path(post, path = "/api/v1/handoffs", tag = "handoffs", request_body = CreateHandoff,
    responses((status = 201, body = HandoffJson, headers(("Location" = String, description = "the handoff's API URL"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "note.pass_to names no user, a viewer, or the caller (who holds the handoff they open)"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    body: ApiJson<CreateHandoff>,
) -> Result<HttpResponse, ApiError> {
    let author = user.writer()?.clone();
    let input = body.0;
    let gitlab = &state.settings.gitlab;
    let kind = contract::one_of("kind", &input.kind, &contract::kinds())?;
    let kind = Kind::parse(kind).map_err(|e| AppError::invalid("kind", e))?;
    let title = contract::TITLE.check("title", &input.title)?;
    let title = parse_title(title).map_err(|e| AppError::invalid("title", e))?;
    let severity = contract::int_in("severity", input.severity, 1, 4)?;
    let severity = Severity::new(severity).map_err(|e| AppError::invalid("severity", e))?;
    let issues = contract::issues("issues", &input.issues, gitlab)?;
    let body = contract::NOTE_BODY.check("note.body", &input.note.body)?;
    let body = parse_note_body("note.body", body)?;
    let pass_to = input
        .note
        .pass_to
        .as_deref()
        .map(|p| contract::RECIPIENT_TEXT.check("note.pass_to", p))
        .transpose()?
        .map(str::to_owned);
    if let Some(d) = &input.data_loss {
        d.check()?;
    }
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
            let pass_to = match pass_to.as_deref() {
                Some(name) => Some(recipient(conn, "note.pass_to", name)?),
                None => None,
            };
            if pass_to.as_ref().is_some_and(|u| u.id == author.id) {
                // Well formed, but a pass from the holder to the holder
                // changes nothing: a conflict with who holds it.
                return Err(contract::conflict(
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
#[utoipa::path(get, path = "/api/v1/handoffs/{id}", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 200, body = HandoffJson, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
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
    #[schema(schema_with = schemas::version)]
    version: Int,
    /// New title.
    #[serde(default)]
    #[schema(schema_with = schemas::title_or_null)]
    title: Option<String>,
    /// New severity, 1 to 4.
    #[serde(default)]
    #[schema(schema_with = schemas::severity_or_null)]
    severity: Option<Int>,
    /// The new full list of the handoff's issue links.
    #[serde(default)]
    #[schema(value_type = Option<Vec<IssueLink>>, max_items = 50)]
    issues: Option<Vec<String>>,
    /// New confidential flag.
    #[serde(default)]
    confidential: Option<bool>,
    /// Data-loss fields to change (a perceived_data_loss handoff only; on
    /// an outage, a 409).
    #[serde(default)]
    data_loss: Option<DataLossInput>,
}

/// Change title, severity, issues, confidential flag or data-loss fields.
#[utoipa::path(patch, path = "/api/v1/handoffs/{id}", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    request_body = PatchHandoff,
    responses((status = 200, body = HandoffJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "a stale version, or data_loss on an outage"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn patch_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: ApiJson<PatchHandoff>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    user.writer()?;
    let id = parse_id(&path)?;
    let input = body.0;
    let version = contract::int_in("version", input.version, 1, i64::from(i32::MAX))?;
    let version = i32::try_from(version).map_err(|_| AppError::invalid("version", "too large"))?;
    let gitlab = &state.settings.gitlab;
    if let Some(d) = &input.data_loss {
        d.check()?;
    }
    let mut patch = Patch {
        version,
        title: input
            .title
            .as_deref()
            .map(|t| contract::TITLE.check("title", t))
            .transpose()?
            .map(parse_title)
            .transpose()
            .map_err(|e| AppError::invalid("title", e))?,
        severity: input
            .severity
            .map(|s| contract::int_in("severity", s, 1, 4))
            .transpose()?
            .map(Severity::new)
            .transpose()
            .map_err(|e| AppError::invalid("severity", e))?,
        issues: input
            .issues
            .as_deref()
            .map(|i| contract::issues("issues", i, gitlab))
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
                // The request is well formed; this handoff's kind is what
                // refuses it (the message names the field).
                let record = current.data_loss().ok_or_else(|| {
                    contract::conflict(
                        "data_loss",
                        "this handoff is an outage; only a perceived_data_loss handoff has data-loss fields",
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
    #[schema(schema_with = schemas::note_body)]
    body: String,
    /// Pass the handoff to this username.
    #[serde(default)]
    #[schema(schema_with = schemas::recipient_or_null)]
    pass_to: Option<String>,
    /// GitLab issues to link (to the note and the handoff).
    #[serde(default)]
    #[schema(value_type = Vec<IssueLink>, max_items = 50)]
    issues: Vec<String>,
}

/// Add a note, maybe passing the handoff.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/notes", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    request_body = AddNote,
    responses((status = 201, body = NoteJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such handoff"),
        (status = 409, body = ErrorBody, description = "the handoff is resolved, or pass_to names no user, a viewer, or who holds it already"), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_note(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: ApiJson<AddNote>,
) -> Result<HttpResponse, ApiError> {
    let author = user.writer()?.clone();
    let id = parse_id(&path)?;
    let input = body.0;
    let note_body = contract::NOTE_BODY.check("body", &input.body)?;
    let note_body = parse_note_body("body", note_body)?;
    let pass_to = input
        .pass_to
        .as_deref()
        .map(|p| contract::RECIPIENT_TEXT.check("pass_to", p))
        .transpose()?
        .map(str::to_owned);
    let issues = contract::issues("issues", &input.issues, &state.settings.gitlab)?;
    let st = state.clone();
    let note = state
        .db
        .run(move |conn| {
            let current = handoffs::find(conn, &id)?;
            let pass_to = match pass_to.as_deref() {
                Some(name) => Some(recipient(conn, "pass_to", name)?),
                None => None,
            };
            // Passing to whoever holds it with nothing pending changes
            // nothing: a conflict with the handoff's state, as resolved is.
            if let Some(to) = &pass_to
                && current.status == Status::Open
                && to.id == current.holder_id
                && current.pending_to_id.is_none()
            {
                return Err(contract::conflict(
                    "pass_to",
                    format!("{} already holds this handoff", to.username),
                ));
            }
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
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/acknowledge", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 200, body = HandoffJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "a viewer, or not the pending recipient"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "nothing is pending")),
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
    #[schema(schema_with = schemas::note_body)]
    body: String,
}

/// Resolve with a closing note.
#[utoipa::path(post, path = "/api/v1/handoffs/{id}/resolve", tag = "handoffs", params(("id" = String, Path, format = Uuid, description = "UUID")),
    request_body = ResolveHandoff,
    responses((status = 200, body = HandoffJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "already resolved"), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resolve_handoff(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: ApiJson<ResolveHandoff>,
) -> Result<web::Json<HandoffJson>, ApiError> {
    let author = user.writer()?.clone();
    let id = parse_id(&path)?;
    let note_body = contract::NOTE_BODY.check("body", &body.0.body)?;
    let note_body = parse_note_body("body", note_body)?;
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

/// The user `name` (an `@` in front allowed) who may take a handoff; a 409
/// on `field` when there is no such user or they are a viewer.
fn recipient(conn: &mut DbConnection, field: &str, name: &str) -> Result<users::User, AppError> {
    let username = name.strip_prefix('@').unwrap_or(name);
    users::find_recipient(conn, field, username).map_err(|e| match e {
        AppError::Invalid { field, message } => contract::conflict(&field, message),
        other => other,
    })
}
