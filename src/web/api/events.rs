//! `/api/v1/events`: production events of the on-call log, append-only.

use actix_web::{HttpResponse, http::header, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::openapi::schema::KnownFormat;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::events::{self, EventFilter, LoadedEvent};
use crate::db::models::{handoffs as handoff_rows, users};
use crate::domain::event::{EventDraft, EventKind};
use crate::domain::issue_ref::GitLab;
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::contract::{self, ApiJson, IssueLink, schemas};
use crate::web::api::{ApiUser, UserJson, ts};
use crate::web::respond::{ApiError, ErrorBody};

/// The kinds, as the API names them.
fn kind_names() -> Vec<&'static str> {
    EventKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// `change` or `incident`.
fn kind_schema() -> Object {
    contract::enum_schema(&kind_names(), false, "`change` or `incident`")
}

/// A UUID naming another resource, or null; null in the examples (an
/// example id would name nothing).
fn uuid_or_null() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .examples([serde_json::Value::Null])
        .build()
}

/// When it happened; the example is in the past.
fn occurred_at_or_null() -> Object {
    contract::instant_schema(
        true,
        "RFC 3339 with any offset; default now; never more than a minute ahead of the server's clock",
        Some("2026-01-05T09:00:00Z"),
    )
}

/// A linked issue.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventIssueJson {
    /// Canonical reference, `group/project#123`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The issue's URL on the configured GitLab.
    #[schema(format = Uri)]
    pub url: String,
}

/// A production event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventJson {
    /// UUID.
    #[schema(schema_with = schemas::uuid)]
    pub id: String,
    /// `change` or `incident`.
    pub kind: String,
    /// One line.
    pub title: String,
    /// Markdown (may be empty).
    pub body: String,
    /// The body rendered and cleaned.
    pub body_html: String,
    /// Who wrote it.
    pub author: UserJson,
    /// The handoff it belongs to.
    #[schema(schema_with = uuid_or_null)]
    pub handoff_id: Option<String>,
    /// The event it corrects.
    #[schema(schema_with = uuid_or_null)]
    pub corrects: Option<String>,
    /// The linked GitLab issues.
    pub issues: Vec<EventIssueJson>,
    /// When it happened, RFC 3339 UTC.
    #[schema(schema_with = schemas::instant)]
    pub occurred_at: String,
    /// When it was written, RFC 3339 UTC.
    #[schema(schema_with = schemas::instant)]
    pub created_at: String,
}

impl EventJson {
    fn new(loaded: &LoadedEvent, gitlab: &GitLab) -> EventJson {
        let event = &loaded.event;
        EventJson {
            id: event.id.clone(),
            kind: event.kind.as_str().to_owned(),
            title: event.title.clone(),
            body: event.body.clone(),
            body_html: event.body_html.clone(),
            author: UserJson::new(&loaded.author, time::now()),
            handoff_id: event.handoff_id.clone(),
            corrects: event.corrects_id.clone(),
            issues: loaded
                .issues
                .iter()
                .map(|i| EventIssueJson {
                    reference: i.to_string(),
                    url: i.url(gitlab),
                })
                .collect(),
            occurred_at: ts(event.occurred()),
            created_at: ts(event.created()),
        }
    }
}

/// Events, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// Newest first, by when they happened.
    pub events: Vec<EventJson>,
}

/// The filters of `GET /api/v1/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// `change` or `incident`.
    #[param(schema_with = kind_schema)]
    kind: Option<String>,
    /// Only events written by this username.
    #[param(schema_with = schemas::username)]
    author: Option<String>,
    /// Only events that link this GitLab issue.
    #[param(value_type = Option<IssueLink>)]
    issue: Option<String>,
    /// Only events that happened at or after this instant.
    #[param(schema_with = schemas::start)]
    from: Option<String>,
    /// Only events that happened before this instant.
    #[param(schema_with = schemas::end)]
    to: Option<String>,
    /// How many (see `schemas::limit`).
    #[param(schema_with = schemas::limit)]
    limit: Option<String>,
}

/// List production events, newest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams),
    responses((status = 200, body = EventList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_events(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<EventParams>,
) -> Result<web::Json<EventList>, ApiError> {
    let params = params.into_inner();
    let kind = params
        .kind
        .as_deref()
        .map(|k| contract::one_of("kind", k, &kind_names()))
        .transpose()?
        .map(EventKind::parse)
        .transpose()
        .map_err(|e| AppError::invalid("kind", e))?;
    let author = params
        .author
        .as_deref()
        .map(|a| contract::username("author", a))
        .transpose()?;
    let issue = params
        .issue
        .as_deref()
        .map(|i| contract::issue("issue", i, &state.settings.gitlab))
        .transpose()?;
    let from = contract::optional_instant("from", params.from.as_deref())?;
    let to = contract::optional_instant("to", params.to.as_deref())?;
    let limit = contract::page_limit(params.limit.as_deref())?;
    let st = state.clone();
    let list = state
        .db
        .run(move |conn| {
            let author_id = match author {
                None => None,
                Some(name) => match users::find_by_username(conn, &name)? {
                    Some(user) => Some(user.id),
                    // Nobody by that name wrote anything.
                    None => return Ok(vec![]),
                },
            };
            let filter = EventFilter {
                kind,
                author_id,
                from,
                to,
                issue,
                before: None,
            };
            Ok(events::list(conn, &filter, limit)?)
        })
        .await?;
    let gitlab = &st.settings.gitlab;
    Ok(web::Json(EventList {
        events: list.iter().map(|e| EventJson::new(e, gitlab)).collect(),
    }))
}

/// One production event.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = String, Path, format = Uuid, description = "UUID")),
    responses((status = 200, body = EventJson, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_event(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
) -> Result<web::Json<EventJson>, ApiError> {
    let id = uuid::Uuid::parse_str(&path)
        .map(|u| u.to_string())
        .map_err(|_| AppError::NotFound("no such event: the id is not a UUID".into()))?;
    let found = state
        .db
        .run(move |conn| Ok(events::get(conn, &id)?))
        .await?;
    let event = found.ok_or_else(|| AppError::NotFound("no such event".into()))?;
    Ok(web::Json(EventJson::new(&event, &state.settings.gitlab)))
}

/// A new production event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    /// `change` or `incident`.
    #[schema(schema_with = kind_schema)]
    kind: String,
    /// One line.
    #[schema(schema_with = schemas::title)]
    title: String,
    /// Markdown.
    #[serde(default)]
    #[schema(schema_with = schemas::note_body)]
    body: Option<String>,
    /// GitLab issue links in any accepted form.
    #[serde(default)]
    #[schema(schema_with = schemas::handoff_issues)]
    issues: Vec<String>,
    /// The handoff it belongs to (it then shows on the handoff's timeline).
    #[serde(default)]
    #[schema(schema_with = uuid_or_null)]
    handoff_id: Option<String>,
    /// The event this one corrects (events are never changed).
    #[serde(default)]
    #[schema(schema_with = uuid_or_null)]
    corrects: Option<String>,
    /// When it happened.
    #[serde(default)]
    #[schema(schema_with = occurred_at_or_null)]
    occurred_at: Option<String>,
}

/// Write a production event.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = CreateEvent,
    responses((status = 201, body = EventJson, headers(("Location" = String, description = "the event's API URL"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "handoff_id or corrects names nothing"),
        (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "a value the document refuses, or occurred_at more than a minute ahead")),
    security(("bearer" = [])))]
pub async fn create_event(
    state: web::Data<AppState>,
    user: ApiUser,
    body: ApiJson<CreateEvent>,
) -> Result<HttpResponse, ApiError> {
    let author = user.writer()?.clone();
    let input = body.0;
    let gitlab = state.settings.gitlab.clone();
    contract::one_of("kind", &input.kind, &kind_names())?;
    contract::TITLE.check("title", &input.title)?;
    if let Some(body) = &input.body {
        contract::NOTE_BODY.check("body", body)?;
    }
    let issues = contract::issues("issues", &input.issues, &gitlab)?;
    let handoff_id = input
        .handoff_id
        .as_deref()
        .map(|h| uuid_field("handoff_id", h))
        .transpose()?;
    let corrects = input
        .corrects
        .as_deref()
        .map(|c| uuid_field("corrects", c))
        .transpose()?;
    let occurred_at = input
        .occurred_at
        .as_deref()
        .map(|t| contract::instant("occurred_at", t))
        .transpose()?;
    let canonical: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    let checked = EventDraft {
        kind: &input.kind,
        title: &input.title,
        body: input.body.as_deref().unwrap_or_default(),
        issues: canonical.iter().map(String::as_str).collect(),
        occurred_at,
    }
    .check(time::now(), &gitlab)?;
    let created = state
        .db
        .run(move |conn| {
            if let Some(id) = &handoff_id {
                match handoff_rows::find(conn, id) {
                    Err(AppError::NotFound(_)) => {
                        return Err(contract::conflict("handoff_id", "no handoff has this id"));
                    }
                    Err(e) => return Err(e),
                    Ok(_) => {}
                }
            }
            if let Some(id) = &corrects
                && !events::exists(conn, id)?
            {
                return Err(contract::conflict("corrects", "no event has this id"));
            }
            let row = events::create(
                conn,
                &author,
                &checked,
                handoff_id.as_deref(),
                corrects.as_deref(),
                &gitlab,
            )?;
            events::get(conn, &row.id)?.ok_or_else(|| AppError::NotFound("no such event".into()))
        })
        .await?;
    let json = EventJson::new(&created, &state.settings.gitlab);
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("{}/api/v1/events/{}", state.settings.public_url, json.id),
        ))
        .json(json!(json)))
}

/// A UUID in a body field, else a 422 naming it.
fn uuid_field(field: &str, text: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(text)
        .map(|u| u.to_string())
        .map_err(|_| AppError::invalid(field, format!("{text:?} is not a UUID")))
}
