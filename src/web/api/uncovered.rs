//! `/api/v1/uncovered`: the open outages nobody holds, as the dashboard
//! lists them at its top.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::gitlab;
use crate::domain::labels;
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::ApiUser;
use crate::web::respond::{ApiError, ErrorBody};

/// An open GitLab issue in a watched project, with a watch label, that no
/// open handoff links.
#[derive(Debug, Serialize, ToSchema)]
pub struct UncoveredJson {
    /// Canonical reference, `group/project#123`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The issue's URL on the configured GitLab.
    #[schema(format = Uri)]
    pub url: String,
    /// Title in GitLab.
    pub title: String,
    /// Labels in GitLab (scoped ones as `key::value`).
    pub labels: Vec<String>,
    /// The milestone's title.
    pub milestone: Option<String>,
    /// Confidential in GitLab.
    pub confidential: bool,
    /// Opened in GitLab, when known.
    pub opened_at: Option<DateTime<Utc>>,
    /// The handoff kind its labels suggest: `outage` or `perceived_data_loss`.
    pub kind: Option<String>,
    /// The severity its `severity::N` label gives.
    pub severity: Option<u8>,
    /// When Baton last read it.
    pub fetched_at: DateTime<Utc>,
}

/// The uncovered issues (empty without an API token or watched projects).
#[derive(Debug, Serialize, ToSchema)]
pub struct UncoveredList {
    /// Most severe first, then the oldest.
    pub items: Vec<UncoveredJson>,
}

/// The open outages nobody holds.
#[utoipa::path(get, path = "/api/v1/uncovered", tag = "gitlab",
    responses((status = 200, body = UncoveredList, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_uncovered(
    _user: ApiUser,
    state: web::Data<AppState>,
) -> Result<web::Json<UncoveredList>, ApiError> {
    let st = state.clone();
    let cached = state
        .db
        .run(move |conn| {
            if !st.settings.live.reads_issues() || st.settings.live.projects.is_empty() {
                return Ok(vec![]);
            }
            Ok::<_, AppError>(gitlab::uncovered(conn)?)
        })
        .await?;
    let live = &state.settings.live;
    let items = cached
        .iter()
        .filter_map(|c| {
            let issue = c.watched_now(live)?;
            let labels_of = c.labels();
            Some(UncoveredJson {
                reference: issue.to_string(),
                url: issue.url(&state.settings.gitlab),
                title: c.title.clone(),
                kind: labels::kind_of(&labels_of).map(|k| k.as_str().to_owned()),
                severity: labels::severity_of(&labels_of),
                labels: labels_of,
                milestone: c.milestone.clone(),
                confidential: c.confidential,
                opened_at: c.gitlab_created_at.map(time::from_db),
                fetched_at: time::from_db(c.fetched_at),
            })
        })
        .collect();
    Ok(web::Json(UncoveredList { items }))
}
