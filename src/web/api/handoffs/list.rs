//! `GET /api/v1/handoffs`: a page of handoffs, newest activity first.

use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::DbConnection;
use crate::db::models::handoffs::{self, IssueMatch, ListFilter};
use crate::db::models::loaded::Loaded;
use crate::domain::handoff::{Kind, Status};
use crate::domain::issue_filter::IssueFilter;
use crate::domain::paging::Cursor;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::ApiUser;
use crate::web::api::contract::{self, IssueLink, schemas};
use crate::web::api::handoffs::json::{HandoffList, handoff_json};
use crate::web::respond::{ApiError, ErrorBody};

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
    /// Only handoffs linking a GitLab issue in the milestone with this
    /// title (see `label` for how an issue matches).
    #[param(schema_with = schemas::milestone_filter)]
    milestone: Option<String>,
    /// How many to a page (see `schemas::limit`).
    #[param(schema_with = schemas::limit)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(schema_with = schemas::cursor)]
    cursor: Option<String>,
}

/// The repeatable `label` filter, for the document only: it is read from
/// the query string, as a repeated key is not a field.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct LabelParams {
    /// Only handoffs linking a GitLab issue that carries every label given
    /// (repeat it: `label=severity::1&label=outage`; any case) and, with
    /// `milestone`, is in that milestone, as Baton last read the issue from
    /// GitLab. Without GitLab read-back (no `BATON_GITLAB_API_TOKEN`) no
    /// handoff matches: the list is empty.
    #[param(schema_with = schemas::label_filter, style = Form, explode)]
    label: Option<Vec<String>>,
}

/// List handoffs, newest activity first.
#[utoipa::path(get, path = "/api/v1/handoffs", tag = "handoffs", params(ListParams, LabelParams),
    responses((status = 200, body = HandoffList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_handoffs(
    state: web::Data<AppState>,
    _user: ApiUser,
    req: HttpRequest,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let labels = crate::domain::issue_filter::labels_in(req.query_string());
    for label in &labels {
        contract::LABEL_TEXT.check("label", label)?;
    }
    if let Some(milestone) = &params.milestone {
        contract::MILESTONE_TEXT.check("milestone", milestone)?;
    }
    let by_issue = IssueFilter::parse(&labels, params.milestone.as_deref())
        .map_err(AppError::from)?
        .map(|filter| IssueMatch {
            filter,
            // Only signed-in callers have tokens.
            confidential: true,
        });
    if by_issue.is_some() && !state.settings.live.reads_issues() {
        // Nothing is known of any issue's labels: nothing matches.
        return Ok(HttpResponse::Ok().json(HandoffList {
            handoffs: vec![],
            next_cursor: None,
        }));
    }
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
    let limit = contract::page_limit(params.limit.as_deref())?;
    let after = contract::page_cursor(params.cursor.as_deref())?.map(Cursor::into_parts);
    let filter = ListFilter {
        status,
        kind,
        issue,
        issues: by_issue,
        after,
        limit: limit + 1,
        ..ListFilter::default()
    };
    let st = state.clone();
    let key = req.query_string().to_owned();
    let list = state
        .db
        .run(move |conn| {
            let load = || list_json(conn, &filter, limit, &st);
            st.memos
                .api_lists
                .get_or_load(&st.caches.changes, key, load)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body((*list).clone()))
}

/// The page of handoffs `filter` finds (at most `limit`; `filter` asks for
/// one more, to know whether there is a next page), as JSON.
fn list_json(
    conn: &mut DbConnection,
    filter: &ListFilter,
    limit: i64,
    st: &AppState,
) -> Result<Bytes, AppError> {
    let mut found = handoffs::list(conn, filter)?;
    let more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let next_cursor = if more {
        found
            .last()
            .map(|h| Cursor::after(h.last_activity_at, &h.id).to_string())
    } else {
        None
    };
    let mut loaded = Loaded::load_list(conn, found, &[])?;
    loaded.read_gitlab(conn, &st.settings.live)?;
    let list = HandoffList {
        handoffs: loaded
            .handoffs
            .iter()
            .map(|h| handoff_json(h, &loaded, st, None))
            .collect(),
        next_cursor,
    };
    serde_json::to_vec(&list)
        .map(Bytes::from)
        .map_err(|e| AppError::internal(format!("a handoff list as JSON: {e}")))
}
