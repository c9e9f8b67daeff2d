//! `POST /hooks/gitlab`: GitLab's webhook. An Issue Hook (an issue opened,
//! closed, reopened, retitled or relabelled) is stored at once, a Note Hook
//! (a comment on an issue) moves the issue's last activity; any other event
//! is acknowledged (202) and ignored.
//!
//! The caller is GitLab, not a person: no session, no CSRF token. It proves
//! itself with `X-Gitlab-Token`, compared in constant time with
//! `BATON_GITLAB_WEBHOOK_SECRET` (without it the webhook answers 404).
//! GitLab retries a delivery it did not see answered: the delivery's id
//! (`Idempotency-Key`, or `X-Gitlab-Event-UUID`) is kept in the transaction
//! that applies it, so a repeat changes nothing.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::models::gitlab::{self as cache, IssueData};
use crate::db::models::outbox::Notify;
use crate::domain::labels;
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::respond::ApiError;

/// The largest webhook body read (an issue's description rides along).
pub const HOOK_LIMIT: usize = 2 * 1024 * 1024;
/// The longest delivery id kept.
const MAX_DELIVERY_ID: usize = 200;

#[derive(Deserialize)]
struct Project {
    path_with_namespace: String,
}

#[derive(Deserialize)]
struct Label {
    title: String,
}

#[derive(Deserialize)]
struct Person {
    username: String,
}

#[derive(Deserialize)]
struct IssueAttributes {
    iid: u64,
    title: String,
    state: String,
    #[serde(default)]
    confidential: Option<bool>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    milestone_id: Option<u64>,
    #[serde(default)]
    labels: Option<Vec<Label>>,
}

#[derive(Deserialize)]
struct IssueHook {
    object_kind: String,
    project: Project,
    object_attributes: IssueAttributes,
    #[serde(default)]
    labels: Option<Vec<Label>>,
    #[serde(default)]
    assignees: Option<Vec<Person>>,
    #[serde(default)]
    changes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct NoteAttributes {
    noteable_type: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

#[derive(Deserialize)]
struct NotedIssue {
    iid: u64,
}

#[derive(Deserialize)]
struct NoteHook {
    project: Project,
    object_attributes: NoteAttributes,
    #[serde(default)]
    issue: Option<NotedIssue>,
}

/// Whether two secrets are equal, in time that depends on neither
/// (their digests are compared, so not even on their lengths).
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A header's value as text, if it is there and readable.
fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Reads the body as `T`; the message names the field that is wrong.
fn parse<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let why = if inner.is_syntax() || inner.is_eof() {
            format!("the body is not JSON: {inner}")
        } else if path == "." {
            format!("the body is not an {what}: {inner}")
        } else {
            format!("{path}: {inner}")
        };
        AppError::Malformed(format!("not a GitLab {what} payload: {why}"))
    })
}

/// An instant as GitLab writes it in webhooks: RFC 3339, or
/// `2017-09-15 16:52:00 UTC`.
fn instant(field: &str, text: &str) -> Result<DateTime<Utc>, AppError> {
    time::parse_rfc3339(text)
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text.trim_end_matches(" UTC"), "%Y-%m-%d %H:%M:%S")
                .map(|t| t.and_utc())
        })
        .map_err(|_| AppError::Malformed(format!("{field}: {text:?} is not a time")))
}

fn maybe_instant(field: &str, text: &Option<String>) -> Result<Option<DateTime<Utc>>, AppError> {
    text.as_deref().map(|t| instant(field, t)).transpose()
}

/// `202 Accepted`, ignored, with the reason.
fn ignored(reason: &str) -> HttpResponse {
    HttpResponse::Accepted().json(json!({"status": "ignored", "reason": reason}))
}

/// `POST /hooks/gitlab`.
pub async fn receive_gitlab_hook(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(secret) = &state.settings.live.webhook_secret else {
        return Err(AppError::NotFound(
            "no GitLab webhook is configured here (BATON_GITLAB_WEBHOOK_SECRET)".into(),
        )
        .into());
    };
    if !header(&req, "x-gitlab-token").is_some_and(|sent| same_secret(sent, secret.expose())) {
        tracing::warn!("GitLab webhook refused: missing or wrong X-Gitlab-Token");
        return Err(AppError::Unauthorized(
            "the X-Gitlab-Token header is missing or is not this Baton's webhook secret".into(),
        )
        .into());
    }
    let event = header(&req, "x-gitlab-event")
        .ok_or_else(|| AppError::Malformed("the X-Gitlab-Event header is missing".into()))?
        .to_owned();
    let delivery = match header(&req, "idempotency-key").or(header(&req, "x-gitlab-event-uuid")) {
        Some(id) if id.len() <= MAX_DELIVERY_ID && id.bytes().all(|b| b.is_ascii_graphic()) => {
            Some(id.to_owned())
        }
        Some(_) => {
            return Err(AppError::Malformed(format!(
                "the delivery id (Idempotency-Key or X-Gitlab-Event-UUID) must be at most {MAX_DELIVERY_ID} visible ASCII characters"
            ))
            .into());
        }
        None => None,
    };
    let body = payload
        .to_bytes_limited(HOOK_LIMIT)
        .await
        .map_err(|_| AppError::TooLarge {
            field: "body".into(),
            message: format!("a webhook body is at most {} MiB", HOOK_LIMIT >> 20),
        })?
        .map_err(|e| AppError::Malformed(format!("the body could not be read: {e}")))?;
    let change = match event.as_str() {
        "Issue Hook" | "Confidential Issue Hook" => {
            let hook: IssueHook = parse(&body, "issue event")?;
            if hook.object_kind != "issue" {
                // Tasks, epics and other work items come as Issue Hooks too.
                return Ok(ignored("not an issue (a work item of another type)"));
            }
            Change::Issue(Box::new(issue_change(
                hook,
                event.starts_with("Confidential"),
                &state,
            )?))
        }
        "Note Hook" | "Confidential Note Hook" => {
            let hook: NoteHook = parse(&body, "comment event")?;
            if hook.object_attributes.noteable_type != "Issue" {
                return Ok(ignored("a comment on something other than an issue"));
            }
            let iid = hook
                .issue
                .ok_or_else(|| {
                    AppError::Malformed("issue: missing on a comment on an issue".into())
                })?
                .iid;
            let attrs = &hook.object_attributes;
            let at = maybe_instant("object_attributes.updated_at", &attrs.updated_at)?
                .or(maybe_instant(
                    "object_attributes.created_at",
                    &attrs.created_at,
                )?)
                .unwrap_or_else(time::now);
            Change::Note {
                project: hook.project.path_with_namespace,
                iid,
                at,
            }
        }
        _ => return Ok(ignored("Baton reads only issue and comment events")),
    };
    let notify = state.chat.clone();
    let rings = notify.bell.clone();
    let applied = state
        .db
        .run(move |conn| {
            use diesel::Connection;
            conn.transaction(|conn| {
                let now = time::now();
                if let Some(id) = &delivery {
                    if !cache::record_delivery(conn, id, now)? {
                        return Ok(false);
                    }
                    cache::prune_deliveries(conn, now)?;
                }
                change.apply(conn, &notify)?;
                Ok::<_, AppError>(true)
            })
        })
        .await?;
    if applied {
        rings.ring();
    }
    Ok(HttpResponse::Ok().json(json!({
        "status": if applied { "applied" } else { "already received" }
    })))
}

/// What a delivery changes.
enum Change {
    /// An issue as it now is.
    Issue(Box<IssueChange>),
    /// A comment on an issue.
    Note {
        project: String,
        iid: u64,
        at: DateTime<Utc>,
    },
}

impl Change {
    fn apply(self, conn: &mut crate::db::DbConnection, notify: &Notify) -> Result<(), AppError> {
        match self {
            Change::Issue(change) => {
                let IssueChange {
                    mut data,
                    milestone_id,
                    milestone_changed,
                } = *change;
                let key = cache::key(&data.project, data.iid);
                let known = cache::find_many(conn, std::slice::from_ref(&key))?.remove(&key);
                if let Some(id) = milestone_id {
                    // The payload names the milestone by id only: what is
                    // known of the same milestone is kept (by the store);
                    // another one is read again soon for its title.
                    let same = known.as_ref().is_some_and(|row| {
                        row.milestone_id == Some(i64::try_from(id).unwrap_or(i64::MAX))
                    });
                    if milestone_changed {
                        // Added to it now (GitLab sends the hook as it happens).
                        data.milestone_added_at = Some(time::now());
                    }
                    if !same {
                        data.fetched_at = DateTime::<Utc>::UNIX_EPOCH;
                    }
                }
                cache::store(conn, &[data], notify)?;
            }
            Change::Note { project, iid, at } => {
                cache::record_activity(conn, &project, iid, at)?;
            }
        }
        Ok(())
    }
}

/// An issue as an Issue Hook describes it.
struct IssueChange {
    /// What to store (the milestone still to be worked out).
    data: IssueData,
    /// The milestone's id, the only thing the payload says of it.
    milestone_id: Option<u64>,
    /// Whether the milestone changed with this event.
    milestone_changed: bool,
}

/// The issue an Issue Hook describes, to be stored.
fn issue_change(
    hook: IssueHook,
    confidential_event: bool,
    state: &AppState,
) -> Result<IssueChange, AppError> {
    let attrs = hook.object_attributes;
    if !matches!(attrs.state.as_str(), "opened" | "closed") {
        return Err(AppError::Malformed(format!(
            "object_attributes.state: {:?} is not opened or closed",
            attrs.state
        )));
    }
    let labels: Vec<String> = hook
        .labels
        .or(attrs.labels)
        .ok_or_else(|| AppError::Malformed("labels: missing".into()))?
        .into_iter()
        .map(|l| l.title)
        .collect();
    let project = hook.project.path_with_namespace;
    crate::domain::issue_ref::IssueRef::new(&project, attrs.iid).map_err(|e| {
        AppError::Malformed(format!(
            "project.path_with_namespace / object_attributes.iid: {e}"
        ))
    })?;
    let live = &state.settings.live;
    let watched = live
        .projects
        .iter()
        .any(|p| p.eq_ignore_ascii_case(&project))
        && labels::carries_any(&labels, &live.watch_labels);
    let milestone_changed = hook
        .changes
        .as_ref()
        .is_some_and(|c| c.contains_key("milestone_id"));
    let data = IssueData {
        project,
        iid: attrs.iid,
        title: attrs.title,
        state: attrs.state,
        labels,
        milestone: None,
        assignees: hook
            .assignees
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.username)
            .collect(),
        confidential: attrs.confidential.unwrap_or(confidential_event) || confidential_event,
        web_url: String::new(),
        created_at: maybe_instant("object_attributes.created_at", &attrs.created_at)?,
        updated_at: maybe_instant("object_attributes.updated_at", &attrs.updated_at)?,
        fetched_at: time::now(),
        watched,
        milestone_id: attrs.milestone_id,
        milestone_starts_at: None,
        milestone_added_at: None,
    };
    Ok(IssueChange {
        data,
        milestone_id: attrs.milestone_id,
        milestone_changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3creT"));
        assert!(!same_secret("s3cret", "s3cret "));
        assert!(!same_secret("", "s3cret"));
    }

    #[test]
    fn gitlab_writes_times_two_ways() {
        let a = instant("t", "2017-09-15 16:52:00 UTC").unwrap();
        let b = instant("t", "2017-09-15T16:52:00Z").unwrap();
        assert_eq!(a, b);
        assert!(
            instant("t", "yesterday")
                .unwrap_err()
                .to_string()
                .contains("t:")
        );
    }

    #[test]
    fn a_malformed_body_is_named() {
        let err = parse::<IssueHook>(b"{", "issue event").err().unwrap();
        assert!(err.to_string().contains("not JSON"), "{err}");
        let err = parse::<IssueHook>(
            br#"{"object_kind":"issue","project":{"path_with_namespace":"a/b"},"object_attributes":{"iid":"x"}}"#,
            "issue event",
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("object_attributes.iid"), "{err}");
    }
}
