//! `/api/v1/handovers`: the shift handovers made at `/handover`, newest
//! first, each with its summary.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::handovers::{self, HandoverFilter, LoadedHandover};
use crate::db::models::users;
use crate::domain::issue_ref::GitLab;
use crate::domain::markdown;
use crate::domain::paging::Cursor;
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::contract::{self, schemas};
use crate::web::api::{ApiUser, UserJson, ts};
use crate::web::respond::{ApiError, ErrorBody};

/// A handover.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverJson {
    /// UUID.
    #[schema(schema_with = schemas::uuid)]
    pub id: String,
    /// The outgoing engineer.
    pub from: UserJson,
    /// The incoming engineer, to whom every held handoff was passed.
    pub to: UserJson,
    /// The shift summary as written (Markdown; may be empty).
    pub summary: String,
    /// The summary rendered and cleaned.
    pub summary_html: String,
    /// How many handoffs it passed.
    pub handoff_count: i32,
    /// When it was made.
    #[schema(schema_with = schemas::instant)]
    pub created_at: String,
}

impl HandoverJson {
    fn new(loaded: &LoadedHandover, gitlab: &GitLab) -> HandoverJson {
        let h = &loaded.handover;
        let now = time::now();
        HandoverJson {
            id: h.id.clone(),
            from: UserJson::new(&loaded.from, now),
            to: UserJson::new(&loaded.to, now),
            summary_html: if h.summary.is_empty() {
                String::new()
            } else {
                markdown::render(&h.summary, gitlab)
            },
            summary: h.summary.clone(),
            handoff_count: h.handoff_count,
            created_at: ts(time::from_db(h.created_at)),
        }
    }
}

/// A page of handovers.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoverList {
    /// Newest first.
    pub handovers: Vec<HandoverJson>,
    /// Pass as `cursor` for the next page; null on the last.
    #[schema(schema_with = schemas::next_cursor)]
    pub next_cursor: Option<String>,
}

/// The filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoverParams {
    /// Only those by this outgoing engineer.
    #[param(schema_with = schemas::username)]
    author: Option<String>,
    /// Only those made at or after this instant.
    #[param(schema_with = schemas::start)]
    from: Option<String>,
    /// Only those made before this instant.
    #[param(schema_with = schemas::end)]
    to: Option<String>,
    /// How many at most.
    #[param(schema_with = schemas::limit)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(schema_with = schemas::cursor)]
    cursor: Option<String>,
}

/// Handovers, newest first.
#[utoipa::path(get, path = "/api/v1/handovers", tag = "handovers", params(HandoverParams),
    responses((status = 200, body = HandoverList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_handovers(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<HandoverParams>,
) -> Result<web::Json<HandoverList>, ApiError> {
    let params = params.into_inner();
    let author = params
        .author
        .as_deref()
        .map(|a| contract::username("author", a))
        .transpose()?;
    let from = contract::optional_instant("from", params.from.as_deref())?;
    let to = contract::optional_instant("to", params.to.as_deref())?;
    let limit = contract::page_limit(params.limit.as_deref())?;
    let before = contract::page_cursor(params.cursor.as_deref())?;
    let st = state.clone();
    let list = state
        .db
        .run(move |conn| {
            let from_user_id = match author {
                None => None,
                Some(name) => match users::find_by_username(conn, &name)? {
                    Some(user) => Some(user.id),
                    // Nobody by that name handed anything over.
                    None => {
                        return Ok(HandoverList {
                            handovers: vec![],
                            next_cursor: None,
                        });
                    }
                },
            };
            let filter = HandoverFilter {
                from_user_id,
                from,
                to,
                before,
            };
            let mut found = handovers::list(conn, &filter, limit + 1)?;
            let more = found.len() as i64 > limit;
            found.truncate(usize::try_from(limit).unwrap_or(0));
            let next_cursor = more
                .then(|| found.last())
                .flatten()
                .map(|h| Cursor::after(h.handover.created_at, &h.handover.id).to_string());
            let gitlab = &st.settings.gitlab;
            Ok::<_, AppError>(HandoverList {
                handovers: found.iter().map(|h| HandoverJson::new(h, gitlab)).collect(),
                next_cursor,
            })
        })
        .await?;
    Ok(web::Json(list))
}
