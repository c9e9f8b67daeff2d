//! The JSON of a handoff and its notes, shaped from the rows the model
//! loads (`db::models::loaded::Loaded`), as every answer of
//! `/api/v1/handoffs` gives them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::models::handoffs::{self, Handoff, Note};
use crate::db::models::loaded::Loaded;
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::contract::schemas;
use crate::web::api::{IssueJson, UserJson, ts};

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
    /// The severity, 1 (critical) and up.
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
    /// When the pending pass last escalated (unacknowledged too long);
    /// null when it has not.
    #[schema(schema_with = schemas::instant_or_null)]
    pub escalated_at: Option<String>,
    /// Whom that escalation named: on call in the escalation role, or the
    /// holder when nobody was.
    pub escalated_to: Option<UserJson>,
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
    #[schema(schema_with = schemas::next_cursor)]
    pub next_cursor: Option<String>,
}

/// `h` as JSON, with `notes` when given.
pub fn handoff_json(
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
        escalated_at: loaded
            .escalations
            .get(&h.id)
            .map(|e| ts(time::from_db(e.at))),
        escalated_to: loaded
            .escalations
            .get(&h.id)
            .and_then(|e| e.to.as_ref())
            .map(|u| UserJson::new(u, now)),
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
            .map(|i| IssueJson::new(i, gitlab, &loaded.gitlab))
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

/// A note of `h` as JSON.
pub fn note_json(n: &Note, h: &Handoff, loaded: &Loaded, state: &AppState) -> NoteJson {
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
            .map(|i| IssueJson::new(i, &state.settings.gitlab, &loaded.gitlab))
            .collect(),
    }
}

/// Loads one handoff as JSON, with its notes when `with_notes`.
pub fn load_one(
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
    let mut loaded = Loaded::load(conn, vec![h], &people)?;
    loaded.read_gitlab(conn, &state.settings.live)?;
    Ok(handoff_json(
        &loaded.handoffs[0],
        &loaded,
        state,
        with_notes.then_some(notes.as_slice()),
    ))
}
