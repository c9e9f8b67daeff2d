//! GitLab's REST API v4 as Baton reads it with its own token: one issue,
//! and every page of a project's open issues with a label. Blocking calls,
//! for the job runner's own thread; each has a timeout, the calls are paced
//! (at most [`MAX_PER_SECOND`]), and a 429 comes back with its `Retry-After`.
//!
//! The token travels in the `PRIVATE-TOKEN` header only, marked sensitive:
//! it is in no URL, error or log line.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;

use crate::config::Settings;
use crate::domain::issue_ref::IssueRef;

/// The most requests sent in a second.
pub const MAX_PER_SECOND: u32 = 10;
/// Issues asked for per page (GitLab's maximum).
const PER_PAGE: u32 = 100;
/// The most pages read for one list (5,000 issues).
const MAX_PAGES: u32 = 50;
/// The wait assumed when a 429 names none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// The longest wait a 429 may ask for before Baton tries again anyway.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What went wrong; never holds the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No answer: refused, timed out, or the connection broke.
    Unreachable {
        /// Whether the call ran out of time.
        timed_out: bool,
    },
    /// 429: try again after this long.
    RateLimited {
        /// From `Retry-After`.
        retry_after: Duration,
    },
    /// 404: no such issue or project (or one the token may not see).
    NotFound,
    /// Another error status (401 for a bad token, 5xx when GitLab is ill).
    Refused(u16),
    /// An answer that is not what the API documents.
    Unreadable,
}

impl ApiError {
    /// A short name for the kind of failure, fit to keep and to show.
    pub fn kind(&self) -> String {
        match self {
            ApiError::Unreachable { timed_out: true } => "timed out".into(),
            ApiError::Unreachable { timed_out: false } => "unreachable".into(),
            ApiError::RateLimited { .. } => "rate limited (429)".into(),
            ApiError::NotFound => "not found (404)".into(),
            ApiError::Refused(status) => format!("refused ({status})"),
            ApiError::Unreadable => "unreadable answer".into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GitLab API: {}", self.kind())
    }
}

impl std::error::Error for ApiError {}

/// An issue as the API describes it (what Baton keeps of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The project path asked for.
    pub project: String,
    /// The issue number in its project.
    pub iid: u64,
    /// Title.
    pub title: String,
    /// `opened` or `closed`.
    pub state: String,
    /// Label names.
    pub labels: Vec<String>,
    /// The milestone's title.
    pub milestone: Option<String>,
    /// The milestone's id.
    pub milestone_id: Option<u64>,
    /// The milestone's `start_date`, as 00:00 UTC that day.
    pub milestone_starts_at: Option<DateTime<Utc>>,
    /// Assignees' usernames.
    pub assignees: Vec<String>,
    /// Confidential in GitLab.
    pub confidential: bool,
    /// Its page.
    pub web_url: String,
    /// Opened in GitLab.
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed in GitLab.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Every page of a list, or as many as were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The issues, in GitLab's order.
    pub issues: Vec<Issue>,
    /// Whether every page was read (false when there were more than
    /// [`MAX_PAGES`]).
    pub complete: bool,
}

#[derive(Deserialize)]
struct MilestoneJson {
    id: u64,
    title: String,
    #[serde(default)]
    start_date: Option<chrono::NaiveDate>,
}

impl MilestoneJson {
    fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.start_date
            .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
    }
}

/// An entry of an issue's milestone history (`resource_milestone_events`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneEvent {
    /// When.
    pub created_at: DateTime<Utc>,
    /// `add` or `remove`.
    pub action: String,
    /// The milestone's id (`None` when the milestone was deleted since).
    pub milestone_id: Option<u64>,
}

#[derive(Deserialize)]
struct MilestoneEventJson {
    created_at: DateTime<Utc>,
    action: String,
    #[serde(default)]
    milestone: Option<MilestoneJson>,
}

#[derive(Deserialize)]
struct Named {
    username: String,
}

#[derive(Deserialize)]
struct IssueJson {
    iid: u64,
    title: String,
    state: String,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    milestone: Option<MilestoneJson>,
    #[serde(default)]
    assignees: Vec<Named>,
    #[serde(default)]
    confidential: bool,
    #[serde(default)]
    web_url: String,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    updated_at: Option<DateTime<Utc>>,
}

impl IssueJson {
    fn into_issue(self, project: &str) -> Issue {
        Issue {
            project: project.to_owned(),
            iid: self.iid,
            title: self.title,
            state: self.state,
            labels: self.labels,
            milestone_id: self.milestone.as_ref().map(|m| m.id),
            milestone_starts_at: self.milestone.as_ref().and_then(MilestoneJson::starts_at),
            milestone: self.milestone.map(|m| m.title),
            assignees: self.assignees.into_iter().map(|a| a.username).collect(),
            confidential: self.confidential,
            web_url: self.web_url,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// Baton's client for GitLab's API.
pub struct ApiClient {
    http: reqwest::blocking::Client,
    api: String,
    last_call: Option<Instant>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

/// The time a call may take: the refresh interval, between 1 and 10 s, so
/// that a hanging GitLab is noticed within one refresh.
pub fn call_timeout(refresh: Duration) -> Duration {
    refresh.clamp(Duration::from_secs(1), Duration::from_secs(10))
}

impl ApiClient {
    /// The client for `settings`, or `None` without a token. Builds a
    /// blocking client: call it on the thread that will use it, not on the
    /// server's async runtime.
    pub fn new(settings: &Settings) -> Result<Option<ApiClient>, String> {
        let Some(token) = &settings.live.api_token else {
            return Ok(None);
        };
        let mut value = HeaderValue::from_str(token.expose())
            .map_err(|_| "BATON_GITLAB_API_TOKEN holds characters a header cannot carry")?;
        value.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("private-token", value);
        let timeout = call_timeout(settings.live.refresh);
        let http = reqwest::blocking::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            // Refreshes are bursts minutes apart: close idle connections
            // before the server does, so that no request is written into
            // one it is closing.
            .pool_idle_timeout(Duration::from_secs(2))
            .user_agent(concat!("Baton/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Some(ApiClient {
            http,
            api: format!("{}/api/v4", settings.gitlab.base_url()),
            last_call: None,
        }))
    }

    /// `GET /projects/:path/issues/:iid`.
    pub fn get_issue(&mut self, issue: &IssueRef) -> Result<Issue, ApiError> {
        let url = format!(
            "{}/projects/{}/issues/{}",
            self.api,
            encode(issue.project()),
            issue.iid()
        );
        let (body, _) = self.get(&url)?;
        let json: IssueJson = serde_json::from_slice(&body).map_err(|e| unreadable(&url, &e))?;
        Ok(json.into_issue(issue.project()))
    }

    /// When `issue` was added to milestone `milestone_id` last (`GET
    /// /projects/:path/issues/:iid/resource_milestone_events`, every page);
    /// `None` when its history does not say.
    pub fn added_to_milestone(
        &mut self,
        issue: &IssueRef,
        milestone_id: u64,
    ) -> Result<Option<DateTime<Utc>>, ApiError> {
        let first = format!(
            "{}/projects/{}/issues/{}/resource_milestone_events?per_page={PER_PAGE}&page=1",
            self.api,
            encode(issue.project()),
            issue.iid()
        );
        let mut url = first.clone();
        let mut added = None;
        for page in 1..=MAX_PAGES {
            let (body, headers) = self.get(&url)?;
            let events: Vec<MilestoneEventJson> =
                serde_json::from_slice(&body).map_err(|e| unreadable(&url, &e))?;
            added = events
                .into_iter()
                .map(|e| MilestoneEvent {
                    created_at: e.created_at,
                    action: e.action,
                    milestone_id: e.milestone.map(|m| m.id),
                })
                .filter(|e| e.action == "add" && e.milestone_id == Some(milestone_id))
                .map(|e| e.created_at)
                .chain(added)
                .max();
            match self.next_page(&first, &headers, page) {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok(added)
    }

    /// Every open issue of `project` carrying `label` (`GET
    /// /projects/:path/issues?state=opened&labels=…`), following the pages.
    pub fn list_open_issues(&mut self, project: &str, label: &str) -> Result<Listing, ApiError> {
        let first = format!(
            "{}/projects/{}/issues?state=opened&labels={}&per_page={PER_PAGE}&page=1",
            self.api,
            encode(project),
            encode(label)
        );
        let mut url = first.clone();
        let mut issues = Vec::new();
        for page in 1..=MAX_PAGES {
            let (body, headers) = self.get(&url)?;
            let batch: Vec<IssueJson> =
                serde_json::from_slice(&body).map_err(|e| unreadable(&url, &e))?;
            issues.extend(batch.into_iter().map(|i| i.into_issue(project)));
            match self.next_page(&first, &headers, page) {
                Some(next) => url = next,
                None => {
                    return Ok(Listing {
                        issues,
                        complete: true,
                    });
                }
            }
        }
        tracing::warn!(
            project,
            label,
            "more than {MAX_PAGES} pages of issues; read the first ones"
        );
        Ok(Listing {
            issues,
            complete: false,
        })
    }

    /// The URL of the page after `page`: `X-Next-Page` (offset pages), else
    /// the `Link` header's `rel="next"` (keyset pages) when it points at this
    /// API; `None` on the last page.
    fn next_page(&self, first: &str, headers: &HeaderMap, page: u32) -> Option<String> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(next) = header("x-next-page") {
            let next: u32 = next.trim().parse().ok()?;
            return (next > page).then(|| first.replace("&page=1", &format!("&page={next}")));
        }
        header("link")?
            .split(',')
            .find(|part| part.contains("rel=\"next\""))
            .and_then(|part| part.split(';').next())
            .map(|url| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
            .filter(|url| url.starts_with(&format!("{}/", self.api)))
    }

    /// GETs `url` at the paced rate; the body and headers of a 2xx.
    fn get(&mut self, url: &str) -> Result<(Vec<u8>, HeaderMap), ApiError> {
        self.pace();
        let res = self
            .http
            .get(url)
            .send()
            .map_err(|e| unreachable(url, &e))?;
        let status = res.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ApiError::RateLimited {
                retry_after: retry_after(res.headers()),
            });
        }
        if status == StatusCode::NOT_FOUND {
            return Err(ApiError::NotFound);
        }
        if !status.is_success() {
            tracing::warn!(%status, url, "GitLab API refused a request");
            return Err(ApiError::Refused(status.as_u16()));
        }
        let headers = res.headers().clone();
        let body = res.bytes().map_err(|e| unreachable(url, &e))?;
        Ok((body.to_vec(), headers))
    }

    /// Waits until a request may go out.
    fn pace(&mut self) {
        let gap = Duration::from_secs(1) / MAX_PER_SECOND;
        if let Some(last) = self.last_call {
            let since = last.elapsed();
            if since < gap {
                std::thread::sleep(gap - since);
            }
        }
        self.last_call = Some(Instant::now());
    }
}

/// A path segment or query value, percent-encoded (`/` too, as the API
/// wants a project path).
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `Retry-After` in seconds (GitLab sends seconds), within bounds.
fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_RETRY_AFTER)
        .min(LONGEST_RETRY_AFTER)
}

fn unreachable(url: &str, e: &reqwest::Error) -> ApiError {
    // reqwest's message names the URL, which holds no secret.
    tracing::warn!(error = %e, url, "GitLab API unreachable");
    ApiError::Unreachable {
        timed_out: e.is_timeout(),
    }
}

fn unreadable(url: &str, e: &serde_json::Error) -> ApiError {
    tracing::warn!(error = %e, url, "GitLab API answer not understood");
    ApiError::Unreadable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_seconds_within_bounds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), DEFAULT_RETRY_AFTER);
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Duration::from_secs(7));
        headers.insert("retry-after", HeaderValue::from_static("999999"));
        assert_eq!(retry_after(&headers), LONGEST_RETRY_AFTER);
    }

    #[test]
    fn a_project_path_is_one_encoded_segment() {
        assert_eq!(
            encode("gitlab-com/gl-infra/production"),
            "gitlab-com%2Fgl-infra%2Fproduction"
        );
        assert_eq!(encode("(perceived) data loss"), "%28perceived%29+data+loss");
    }

    #[test]
    fn failures_have_short_names_without_details() {
        assert_eq!(
            ApiError::Unreachable { timed_out: true }.kind(),
            "timed out"
        );
        assert_eq!(
            ApiError::Refused(401).to_string(),
            "GitLab API: refused (401)"
        );
    }
}
