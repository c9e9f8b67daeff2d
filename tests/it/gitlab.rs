//! GitLab, live, against a stand-in GitLab: linked issues read back onto
//! the pages, GitLab failing or hanging, the webhook, the open outages
//! nobody holds, confidential issues, one refresher per database, and a
//! token that never shows.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::gitlab::{API_TOKEN, FakeGitLab, Issue, Mode, OTHER_API_TOKEN, capture_logs};
use crate::common::{self, Backend, TestApp};

const PRODUCTION: &str = "gitlab-com/gl-infra/production";
const SECRET: &str = "hook-secret-3f9d2a71";

/// Declares each test on SQLite and, when configured, on PostgreSQL; the
/// body starts its own Baton on `backend`.
macro_rules! live_tests {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $backend = Backend::Sqlite;
                    $body
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    if std::env::var("BATON_TEST_POSTGRES_URL").is_err() {
                        eprintln!("skipped on PostgreSQL: BATON_TEST_POSTGRES_URL is not set");
                        return;
                    }
                    let $backend = Backend::Postgres;
                    $body
                }
            )*
        }
    };
}

/// Baton in local mode reading issues from `gitlab` every `refresh`, with
/// the webhook and the production project watched.
async fn live(backend: Backend, gitlab: &FakeGitLab, refresh: &str) -> TestApp {
    live_with(backend, gitlab, refresh, &[]).await
}

async fn live_with(
    backend: Backend,
    gitlab: &FakeGitLab,
    refresh: &str,
    extra: &[(&str, &str)],
) -> TestApp {
    let mut settings = vec![
        ("BATON_GITLAB_URL", gitlab.url.as_str()),
        ("BATON_GITLAB_API_TOKEN", API_TOKEN),
        ("BATON_GITLAB_REFRESH", refresh),
        ("BATON_GITLAB_WEBHOOK_SECRET", SECRET),
        ("BATON_GITLAB_PROJECTS", PRODUCTION),
    ];
    for (k, v) in extra {
        settings.retain(|(key, _)| key != k);
        settings.push((*k, *v));
    }
    TestApp::spawn_with(backend, &settings)
        .await
        .expect("baton")
}

/// Waits until `check` holds, polling; fails naming `what` after `limit`.
async fn until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A page as `browser` gets it: (status, body, how long it took).
async fn timed(app: &TestApp, browser: &reqwest::Client, path: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let (status, body) = app.page(browser, path).await;
    (status, body, started.elapsed())
}

/// Opens an outage linking `issues` as `token`'s user; its id.
async fn open_linking(app: &TestApp, token: &str, title: &str, issues: &[String]) -> String {
    let handoff = app
        .create_handoff(
            token,
            json!({"kind": "outage", "title": title, "severity": 2, "issues": issues, "note": {"body": "Watching it."}}),
        )
        .await;
    handoff["id"].as_str().unwrap().to_owned()
}

/// `minutes` from now, as GitLab writes times in webhooks.
fn minutes_from_now(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

fn reference(iid: u64) -> String {
    format!("{PRODUCTION}#{iid}")
}

/// An Issue Hook's body, as GitLab's documentation shows it.
fn issue_hook(iid: u64, title: &str, state: &str, labels: &[&str], updated_at: &str) -> Value {
    let labels: Vec<Value> = labels
        .iter()
        .enumerate()
        .map(
            |(n, l)| json!({"id": 200 + n, "title": l, "color": "#ffffff", "type": "ProjectLabel"}),
        )
        .collect();
    json!({
        "object_kind": "issue",
        "event_type": "issue",
        "user": {"id": 1, "name": "Dana", "username": "dana"},
        "project": {"id": 42, "name": "production", "path_with_namespace": PRODUCTION,
                    "web_url": format!("https://gitlab.example.com/{PRODUCTION}")},
        "object_attributes": {
            "id": iid * 1000, "iid": iid, "title": title, "state": state,
            "action": if state == "closed" { "close" } else { "update" },
            "confidential": false, "milestone_id": null,
            "created_at": "2026-12-01T10:00:00Z", "updated_at": updated_at,
            "url": format!("https://gitlab.example.com/{PRODUCTION}/-/issues/{iid}"),
            "labels": labels,
        },
        "labels": labels,
        "assignees": [{"name": "Dana", "username": "dana"}],
        "changes": {"updated_at": {"previous": "2026-12-01 10:00:00 UTC", "current": updated_at}},
    })
}

/// `POST /hooks/gitlab` with `token` and `event`: (status, JSON body).
async fn deliver(
    app: &TestApp,
    token: Option<&str>,
    event: &str,
    delivery: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(app.url("/hooks/gitlab"))
        .header("Content-Type", "application/json")
        .header("X-Gitlab-Event", event)
        .body(body.to_owned());
    if let Some(token) = token {
        req = req.header("X-Gitlab-Token", token);
    }
    if let Some(id) = delivery {
        req = req.header("X-Gitlab-Event-UUID", id);
    }
    common::json(req.send().await.unwrap()).await
}

/// The part of a page about the handoff's linked issues.
fn issues_of(page: &str) -> &str {
    let start = page
        .find("<dt>GitLab issues</dt>")
        .expect("the issues of the handoff");
    let end = page[start..].find("</dd>").unwrap() + start;
    &page[start..end]
}

live_tests! {
    async fn a_linked_issue_shows_its_title_state_and_labels_on_the_handoff_page_and_dashboard(backend) {
        let gitlab = FakeGitLab::start_api().await;
        gitlab.state.lock().unwrap().put(Issue::open(
            PRODUCTION, 101, "Patroni failover loop on main", &["incident", "severity::2", "Service::Patroni"],
        ));
        let app = live(backend, &gitlab, "1s").await;
        let (alice, _, _) = app.alice_bob_carol();
        let id = open_linking(&app, &alice, "Failover loop", &[reference(101)]).await;
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        let path = format!("/handoffs/{id}");
        until("the issue's title on the handoff page", Duration::from_secs(5), || async {
            app.page(&browser, &path).await.1.contains("Patroni failover loop on main")
        })
        .await;
        let (_, page) = app.page(&browser, &path).await;
        let issues = issues_of(&page);
        assert!(issues.contains(r#"<span class="badge gl-open">Open</span>"#), "{issues}");
        assert!(issues.contains(r#"<span class="gl-label">incident</span>"#), "{issues}");
        assert!(
            issues.contains(r#"<span class="gl-label scoped"><span class="gl-scope">severity</span><span class="visually-hidden">::</span><span class="gl-value">2</span></span>"#),
            "a scoped label in two parts: {issues}"
        );
        let (_, dashboard) = app.page(&browser, "/").await;
        assert!(dashboard.contains("Patroni failover loop on main"), "{dashboard}");
        assert!(!dashboard.contains("issue closed — resolve?"));
        // The API says the same of it, in the handoff, its list and its first note.
        let (status, handoff) = app.get_json(&format!("/api/v1/handoffs/{id}"), &alice).await;
        assert_eq!(status, 200);
        let issue = &handoff["issues"][0];
        assert_eq!(issue["ref"], reference(101));
        assert_eq!(issue["title"], "Patroni failover loop on main");
        assert_eq!(issue["state"], "opened");
        assert_eq!(issue["labels"], json!(["incident", "severity::2", "Service::Patroni"]));
        assert_eq!(issue["confidential"], false);
        assert!(issue["milestone"].is_null());
        assert!(issue["fetched_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{issue}");
        let (_, list) = app.get_json("/api/v1/handoffs", &alice).await;
        assert_eq!(list["handoffs"][0]["issues"][0]["title"], "Patroni failover loop on main", "{list}");
        assert!(!dashboard.contains("GitLab unavailable"));
        // It was read once, by its path encoded as one segment, with the token.
        let fake = gitlab.state.lock().unwrap();
        assert!(fake.issue_reads(PRODUCTION, 101) >= 1);
        assert!(fake.seen.iter().all(|s| s.token.as_deref() == Some(API_TOKEN) && s.status == 200), "{:?}", fake.seen);
    }

    async fn a_closed_linked_issue_flags_its_open_handoff_on_the_dashboard(backend) {
        let gitlab = FakeGitLab::start_api().await;
        gitlab.state.lock().unwrap().put(Issue::open(PRODUCTION, 7, "Redis saturation", &["outage"]));
        let app = live(backend, &gitlab, "1s").await;
        let (alice, _, _) = app.alice_bob_carol();
        open_linking(&app, &alice, "Redis", &[reference(7)]).await;
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        until("the title on the dashboard", Duration::from_secs(5), || async {
            app.page(&browser, "/").await.1.contains("Redis saturation")
        })
        .await;
        {
            let mut fake = gitlab.state.lock().unwrap();
            let issue = fake.issue(PRODUCTION, 7);
            issue.state = "closed".into();
            issue.updated_at = chrono::Utc::now().to_rfc3339();
        }
        until("the closed flag on the dashboard", Duration::from_secs(5), || async {
            app.page(&browser, "/").await.1.contains("issue closed — resolve?")
        })
        .await;
        let (_, dashboard) = app.page(&browser, "/").await;
        assert!(dashboard.contains(r#"<span class="badge gl-closed">Closed</span>"#));
    }

    async fn with_gitlab_failing_or_hanging_pages_answer_at_once_with_the_last_known_title_and_since_when(backend) {
        let gitlab = FakeGitLab::start_api().await;
        gitlab.state.lock().unwrap().put(Issue::open(PRODUCTION, 5, "Disk full on file-23", &["outage"]));
        let app = live(backend, &gitlab, "1s").await;
        let (alice, _, _) = app.alice_bob_carol();
        let id = open_linking(&app, &alice, "Disk", &[reference(5)]).await;
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        let path = format!("/handoffs/{id}");
        until("the title", Duration::from_secs(5), || async {
            app.page(&browser, &path).await.1.contains("Disk full on file-23")
        })
        .await;

        for (mode, kind) in [(Mode::Fail, "refused (500)"), (Mode::Hang, "timed out")] {
            gitlab.set_mode(mode);
            until("the unavailable marker", Duration::from_secs(8), || async {
                app.page(&browser, &path).await.1.contains("GitLab unavailable since")
            })
            .await;
            let status = {
                let mut conn = app.db.conn().unwrap();
                baton::db::models::gitlab::status(&mut conn).unwrap()
            };
            assert_eq!(status.last_error.as_deref(), Some(kind));
            let since = status.unavailable_since().unwrap();
            let (_, clock) = common::expected_local(&since.to_rfc3339(), "Europe/Amsterdam");
            for page in ["/", path.as_str(), "/handoffs", "/handover"] {
                let (code, body, took) = timed(&app, &browser, page).await;
                assert_eq!(code, 200, "{page}");
                assert!(took < Duration::from_secs(1), "{page} took {took:?} while GitLab is {mode:?}");
                if page != "/handover" {
                    assert!(body.contains("Disk full on file-23"), "{page} lost the last known title");
                }
                if page == "/" || page == path {
                    assert!(body.contains(&format!("GitLab unavailable since <time datetime=\"{}\">{clock}</time>", baton::domain::time::rfc3339(since))), "{page}: {body}");
                }
            }
            gitlab.set_mode(Mode::Normal);
            until("the marker gone once GitLab answers", Duration::from_secs(8), || async {
                !app.page(&browser, &path).await.1.contains("GitLab unavailable since")
            })
            .await;
        }
    }

    async fn without_a_token_links_render_as_before_and_gitlab_is_never_called(backend) {
        let gitlab = FakeGitLab::start_api().await;
        gitlab.state.lock().unwrap().put(Issue::open(PRODUCTION, 9, "Never shown", &["outage"]));
        let app = TestApp::spawn_with(backend, &[("BATON_GITLAB_URL", gitlab.url.as_str()), ("BATON_GITLAB_PROJECTS", PRODUCTION)]).await.unwrap();
        let (alice, _, _) = app.alice_bob_carol();
        let id = open_linking(&app, &alice, "No token", &[reference(9)]).await;
        {
            // Even with something kept from an earlier configuration.
            let mut conn = app.db.conn().unwrap();
            let mut data = baton::db::models::gitlab::IssueData::missing(PRODUCTION, 9, chrono::Utc::now());
            data.title = "Kept from before".into();
            data.state = "opened".into();
            data.watched = true;
            baton::db::models::gitlab::store(&mut conn, &[data], &Default::default()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        let (_, page) = app.page(&browser, &format!("/handoffs/{id}")).await;
        let link = format!(r#"<dd><a href="{}/{PRODUCTION}/-/issues/9">{PRODUCTION}#9</a></dd>"#, gitlab.url);
        assert!(page.contains(&link), "{}", issues_of(&page));
        let (_, dashboard) = app.page(&browser, "/").await;
        let card = format!(r#"<p class="issues"><a href="{}/{PRODUCTION}/-/issues/9">{PRODUCTION}#9</a></p>"#, gitlab.url);
        assert!(dashboard.contains(&card), "{dashboard}");
        for body in [&page, &dashboard] {
            assert!(!body.contains("Kept from before") && !body.contains("Not handed off") && !body.contains("gl-live"));
        }
        assert!(gitlab.state.lock().unwrap().seen.is_empty(), "GitLab was called without a token");
        let (status, _) = deliver(&app, Some(SECRET), "Issue Hook", None, "{}").await;
        assert_eq!(status, 404, "no webhook without its secret");
    }

    async fn a_linked_issue_closed_while_its_handoff_is_open_is_told_to_chat_once(backend) {
        let gitlab = FakeGitLab::start_api().await;
        gitlab.state.lock().unwrap().put(Issue::open(PRODUCTION, 12, "Disk pressure", &["outage"]));
        let chat = crate::common::chat::FakeChat::start().await;
        let app = live_with(backend, &gitlab, "1h", &[("BATON_SLACK_WEBHOOK_URL", chat.url.as_str())]).await;
        let (alice, _, _) = app.alice_bob_carol();
        let id = open_linking(&app, &alice, "Disk pressure on the primary", &[reference(12)]).await;
        let resolved = open_linking(&app, &alice, "An old one", &[reference(12)]).await;
        let (status, body) = app
            .send_json(reqwest::Method::POST, &format!("/api/v1/handoffs/{resolved}/resolve"), &alice, &json!({"body": "Done."}))
            .await;
        assert_eq!(status, 200, "{body}");
        until("the first read", Duration::from_secs(5), || async {
            app.get_json(&format!("/api/v1/handoffs/{id}"), &alice).await.1["issues"][0]["state"] == "opened"
        })
        .await;
        let closed_texts = || chat.texts().into_iter().filter(|t| t.contains("was closed in GitLab")).collect::<Vec<_>>();
        assert!(closed_texts().is_empty(), "{:?}", chat.texts());

        let closing = issue_hook(12, "Disk pressure", "closed", &["outage"], &minutes_from_now(1)).to_string();
        assert_eq!(deliver(&app, Some(SECRET), "Issue Hook", Some("c-1"), &closing).await.0, 200);
        assert!(
            crate::common::chat::eventually(Duration::from_secs(5), || !closed_texts().is_empty()).await,
            "no message about the closed issue: {:?}",
            chat.texts()
        );
        // Closed again under another delivery, and reopened and closed: the
        // handoff was told once; the resolved handoff never.
        assert_eq!(deliver(&app, Some(SECRET), "Issue Hook", Some("c-2"), &closing).await.0, 200);
        let reopening = issue_hook(12, "Disk pressure", "opened", &["outage"], &minutes_from_now(2)).to_string();
        assert_eq!(deliver(&app, Some(SECRET), "Issue Hook", Some("c-3"), &reopening).await.0, 200);
        let again = issue_hook(12, "Disk pressure", "closed", &["outage"], &minutes_from_now(3)).to_string();
        assert_eq!(deliver(&app, Some(SECRET), "Issue Hook", Some("c-4"), &again).await.0, 200);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let texts = closed_texts();
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(texts[0].contains(&id) && !texts[0].contains(&resolved), "{texts:?}");
        assert!(texts[0].contains(&reference(12)), "{texts:?}");
    }

    async fn a_webhook_with_the_right_token_updates_state_and_labels_at_once_and_a_repeat_is_harmless(backend) {
        let gitlab = FakeGitLab::start_api().await;
        gitlab.state.lock().unwrap().put(Issue::open(PRODUCTION, 11, "Queue backlog", &["outage", "severity::3"]));
        // Read once, then not again for an hour: what changes is the webhook's doing.
        let app = live(backend, &gitlab, "1h").await;
        let (alice, _, _) = app.alice_bob_carol();
        let id = open_linking(&app, &alice, "Backlog", &[reference(11)]).await;
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        let path = format!("/handoffs/{id}");
        until("the first read", Duration::from_secs(5), || async {
            app.page(&browser, &path).await.1.contains("Queue backlog")
        })
        .await;
        let reads = gitlab.state.lock().unwrap().seen.len();

        let closing = issue_hook(11, "Queue backlog drained", "closed", &["outage", "severity::1"], &minutes_from_now(1)).to_string();
        // A wrong or missing token is refused and changes nothing.
        for token in [Some("not-the-secret"), None] {
            let (status, body) = deliver(&app, token, "Issue Hook", Some("d-0"), &closing).await;
            assert_eq!(status, 401, "{body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("X-Gitlab-Token"));
        }
        let (_, page) = app.page(&browser, &path).await;
        assert!(issues_of(&page).contains("gl-open") && !page.contains("drained"));

        let (status, body) = deliver(&app, Some(SECRET), "Issue Hook", Some("d-1"), &closing).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("applied")), "{body}");
        let (_, page) = app.page(&browser, &path).await;
        let issues = issues_of(&page);
        assert!(issues.contains("Queue backlog drained"), "{issues}");
        assert!(issues.contains(r#"<span class="badge gl-closed">Closed</span>"#), "{issues}");
        assert!(issues.contains(r#"<span class="gl-value">1</span>"#) && !issues.contains(r#"<span class="gl-value">3</span>"#), "{issues}");
        assert!(app.page(&browser, "/").await.1.contains("issue closed — resolve?"));

        // Reopened later; then GitLab retries the first delivery: nothing changes.
        let reopening = issue_hook(11, "Queue backlog is back", "opened", &["outage", "severity::2"], &minutes_from_now(2)).to_string();
        assert_eq!(deliver(&app, Some(SECRET), "Issue Hook", Some("d-2"), &reopening).await.0, 200);
        let (status, body) = deliver(&app, Some(SECRET), "Issue Hook", Some("d-1"), &closing).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("already received")), "{body}");
        // An older delivery under a new id does not undo a newer one either.
        let (status, _) = deliver(&app, Some(SECRET), "Issue Hook", Some("d-3"), &closing).await;
        assert_eq!(status, 200);
        let (_, page) = app.page(&browser, &path).await;
        let issues = issues_of(&page);
        assert!(issues.contains("Queue backlog is back") && issues.contains("gl-open"), "{issues}");
        assert_eq!(gitlab.state.lock().unwrap().seen.len(), reads, "the webhook needed no read");

        // A comment moves the issue's last activity.
        let note = json!({
            "object_kind": "note", "event_type": "note",
            "project": {"id": 42, "path_with_namespace": PRODUCTION},
            "object_attributes": {"id": 5, "note": "Drained again", "noteable_type": "Issue",
                                  "created_at": "2026-12-03 12:00:00 UTC", "updated_at": "2026-12-03 12:00:00 UTC"},
            "issue": {"id": 11000, "iid": 11, "title": "Queue backlog is back", "state": "opened"},
        });
        assert_eq!(deliver(&app, Some(SECRET), "Note Hook", Some("d-4"), &note.to_string()).await.0, 200);
        let mut conn = app.db.conn().unwrap();
        let key = baton::db::models::gitlab::key(PRODUCTION, 11);
        let kept = baton::db::models::gitlab::find_many(&mut conn, std::slice::from_ref(&key)).unwrap();
        assert_eq!(kept[&key].last_activity_at.unwrap().to_string(), "2026-12-03 12:00:00");
    }

    async fn a_malformed_or_foreign_delivery_is_refused_or_ignored_with_a_reason(backend) {
        let gitlab = FakeGitLab::start_api().await;
        let app = live(backend, &gitlab, "1h").await;
        let (status, body) = deliver(&app, Some(SECRET), "Issue Hook", None, "{").await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("not JSON"), "{body}");
        let missing = json!({"object_kind": "issue", "project": {"path_with_namespace": PRODUCTION}, "object_attributes": {"iid": 3, "state": "opened"}, "labels": []});
        let (status, body) = deliver(&app, Some(SECRET), "Issue Hook", None, &missing.to_string()).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("title"), "{body}");
        let bad_state = issue_hook(3, "x", "locked", &[], "2026-12-03T10:00:00Z");
        let (status, body) = deliver(&app, Some(SECRET), "Issue Hook", None, &bad_state.to_string()).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("object_attributes.state"), "{body}");
        let (status, body) = deliver(&app, Some(SECRET), "Push Hook", None, r#"{"object_kind":"push"}"#).await;
        assert_eq!((status, body["status"].as_str()), (202, Some("ignored")), "{body}");
        let mut task = issue_hook(4, "A task", "opened", &[], "2026-12-03T10:00:00Z");
        task["object_kind"] = json!("work_item");
        assert_eq!(deliver(&app, Some(SECRET), "Issue Hook", None, &task.to_string()).await.0, 202);
        let too_big = "x".repeat(3 * 1024 * 1024);
        assert_eq!(deliver(&app, Some(SECRET), "Issue Hook", None, &too_big).await.0, 413);
        let mut conn = app.db.conn().unwrap();
        assert!(baton::db::models::gitlab::watched_open(&mut conn).unwrap().is_empty());
        let keys = [baton::db::models::gitlab::key(PRODUCTION, 3), baton::db::models::gitlab::key(PRODUCTION, 4)];
        assert!(baton::db::models::gitlab::find_many(&mut conn, &keys).unwrap().is_empty(), "nothing stored");
    }

    async fn the_uncovered_list_holds_exactly_the_watched_open_issues_nobody_holds(backend) {
        let gitlab = FakeGitLab::start_api().await;
        {
            let mut fake = gitlab.state.lock().unwrap();
            fake.page_size = Some(2);
            fake.put(Issue::open(PRODUCTION, 1, "Database down", &["outage", "severity::1"]));
            fake.put(Issue::open(PRODUCTION, 2, "Uploads missing", &["(perceived) data loss", "severity::2"]));
            let mut closed = Issue::open(PRODUCTION, 3, "Closed outage", &["outage"]);
            closed.state = "closed".into();
            fake.put(closed);
            fake.put(Issue::open(PRODUCTION, 4, "Meta discussion", &["meta"]));
            fake.put(Issue::open("gitlab-com/gl-infra/other", 5, "Elsewhere", &["outage"]));
            fake.put(Issue::open(PRODUCTION, 6, "Held outage", &["outage"]));
            fake.put(Issue::open(PRODUCTION, 7, "Outage of a resolved handoff", &["outage"]));
            fake.put(Issue::open(PRODUCTION, 8, "Both labels", &["outage", "(perceived) data loss", "severity::4"]));
            for n in 20..26 {
                fake.put(Issue::open(PRODUCTION, n, &format!("Old outage {n}"), &["outage", "severity::3"]));
            }
        }
        let app = live(backend, &gitlab, "1s").await;
        let (alice, _, _) = app.alice_bob_carol();
        open_linking(&app, &alice, "Held", &[reference(6)]).await;
        let resolved = open_linking(&app, &alice, "Was held", &[reference(7)]).await;
        let (status, _) = app.send_json(reqwest::Method::POST, &format!("/api/v1/handoffs/{resolved}/resolve"), &alice, &json!({"body": "done"})).await;
        assert_eq!(status, 200);
        {
            // Kept as watched while its project was: not listed once it is not.
            let mut conn = app.db.conn().unwrap();
            let mut retired = baton::db::models::gitlab::IssueData::missing("gitlab-com/gl-infra/retired", 90, chrono::Utc::now());
            retired.title = "Retired project's outage".into();
            retired.state = "opened".into();
            retired.labels = vec!["outage".into()];
            retired.watched = true;
            baton::db::models::gitlab::store(&mut conn, &[retired], &Default::default()).unwrap();
        }
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        until("the inventory on the dashboard", Duration::from_secs(8), || async {
            app.page(&browser, "/").await.1.contains("Not handed off (10)")
        })
        .await;
        let (_, dashboard) = app.page(&browser, "/").await;
        let listed = |iid: u64| dashboard.contains(&format!(">{}</a>", reference(iid)));
        let section = &dashboard[dashboard.find("uncovered-h").unwrap()..dashboard.find("oncall-h").unwrap()];
        for iid in [1, 2, 7, 8, 20, 25] {
            assert!(section.contains(&format!(">{}</a>", reference(iid))), "#{iid} is missing: {section}");
        }
        for iid in [3, 4, 6] {
            assert!(!section.contains(&format!(">{}</a>", reference(iid))), "#{iid} is listed: {section}");
        }
        assert!(!section.contains("Elsewhere") && !section.contains("Retired"));
        assert!(listed(6), "the held one is on its handoff's card");
        // Severity first: the severity::1 outage leads.
        assert!(section.find(&reference(1)).unwrap() < section.find(&reference(2)).unwrap());
        // Its button opens the new-handoff form filled in from it.
        assert!(section.contains(r#"<input type="hidden" name="kind" value="perceived_data_loss">"#), "{section}");
        let (status, form) = app.page(&browser, &format!("/handoffs/new?issues={}&kind=perceived_data_loss&severity=2&title=Uploads+missing", common::gitlab::encode(&reference(2)))).await;
        assert_eq!(status, 200);
        assert!(form.contains(r#"id="kind-perceived_data_loss" name="kind" value="perceived_data_loss" checked"#), "{form}");
        assert!(form.contains(r#"<option value="2" selected>"#));
        assert!(form.contains(r#"value="Uploads missing""#));
        assert!(form.contains(&format!(">{}</textarea>", reference(2))));

        // The API lists the same, most severe first, with what to open a handoff with.
        let listed_by_api = |list: &Value| -> Vec<String> {
            list["items"].as_array().unwrap().iter().map(|i| i["ref"].as_str().unwrap().to_owned()).collect()
        };
        let (status, api) = app.get_json("/api/v1/uncovered", &alice).await;
        assert_eq!(status, 200, "{api}");
        let refs = listed_by_api(&api);
        assert_eq!(refs.len(), 10, "{api}");
        assert_eq!(refs[0], reference(1));
        for iid in [3, 4, 6] {
            assert!(!refs.contains(&reference(iid)), "#{iid} is listed: {api}");
        }
        let second = &api["items"][1];
        assert_eq!(second["title"], "Uploads missing");
        assert_eq!(second["kind"], "perceived_data_loss");
        assert_eq!(second["severity"], 2);

        // A handoff for one takes it off the list at once.
        open_linking(&app, &alice, "Database", &[reference(1)]).await;
        let (_, api) = app.get_json("/api/v1/uncovered", &alice).await;
        assert!(!listed_by_api(&api).contains(&reference(1)), "{api}");
        assert_eq!(listed_by_api(&api).len(), 9);
        let (_, dashboard) = app.page(&browser, "/").await;
        assert!(dashboard.contains("Not handed off (9)"), "{dashboard}");
        let section = &dashboard[dashboard.find("uncovered-h").unwrap()..dashboard.find("oncall-h").unwrap()];
        assert!(!section.contains(&format!(">{}</a>", reference(1))));
        // And one closed in GitLab leaves it at the next inventory.
        {
            let mut fake = gitlab.state.lock().unwrap();
            fake.issue(PRODUCTION, 20).state = "closed".into();
        }
        until("the closed one gone", Duration::from_secs(8), || async {
            app.page(&browser, "/").await.1.contains("Not handed off (8)")
        })
        .await;
    }

    async fn pages_told_only_by_link_headers_are_followed(backend) {
        let gitlab = FakeGitLab::start_api().await;
        {
            let mut fake = gitlab.state.lock().unwrap();
            fake.page_size = Some(2);
            fake.link_only = true;
            for n in 1..=5 {
                fake.put(Issue::open(PRODUCTION, n, &format!("Outage {n}"), &["outage"]));
            }
        }
        let app = live(backend, &gitlab, "1s").await;
        let mut conn = app.db.conn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(8);
        while baton::db::models::gitlab::uncovered(&mut conn).unwrap().len() < 5 {
            assert!(Instant::now() < deadline, "the third page was not read");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn a_confidential_gitlab_issue_shows_only_its_reference_to_signed_out_readers(backend) {
        let gitlab = FakeGitLab::start_api().await;
        {
            let mut fake = gitlab.state.lock().unwrap();
            let mut secret = Issue::open(PRODUCTION, 31, "Credential leak in CI runner", &["outage", "security"]);
            secret.confidential = true;
            fake.put(secret);
            let mut unheld = Issue::open(PRODUCTION, 32, "Leaked key rotation", &["outage"]);
            unheld.confidential = true;
            fake.put(unheld);
        }
        let app = live(backend, &gitlab, "1s").await;
        let (alice, _, _) = app.alice_bob_carol();
        let id = open_linking(&app, &alice, "Investigating a leak", &[reference(31)]).await;
        let signed_in = common::browser();
        app.sign_in(&signed_in, "alice").await;
        let path = format!("/handoffs/{id}");
        until("the title, signed in", Duration::from_secs(8), || async {
            let (_, dashboard) = app.page(&signed_in, "/").await;
            dashboard.contains("Credential leak in CI runner") && dashboard.contains("Leaked key rotation")
        })
        .await;
        // Local mode reads publicly: a signed-out reader sees the pages.
        let visitor = common::browser();
        for page in ["/", path.as_str(), "/handoffs"] {
            let (status, body) = app.page(&visitor, page).await;
            assert_eq!(status, 200, "{page}");
            for secret in ["Credential leak", "Leaked key", "security"] {
                assert!(!body.contains(secret), "{page} shows {secret:?} to a signed-out reader");
            }
            if page != "/handoffs" {
                assert!(body.contains(&reference(31)), "{page} lost the reference");
            }
        }
        let (_, page) = app.page(&visitor, &path).await;
        let head = &page[..page.find("</head>").unwrap()];
        assert!(head.contains("og:title") && !head.contains("Credential"), "{head}");
        let (_, page) = app.page(&signed_in, &path).await;
        assert!(page.contains("Credential leak in CI runner"));
        let head = &page[..page.find("</head>").unwrap()];
        assert!(!head.contains("Credential"), "never in the title or an unfurl: {head}");
    }

    async fn a_429_pauses_the_refresher_for_its_retry_after(backend) {
        let gitlab = FakeGitLab::start_api().await;
        gitlab.state.lock().unwrap().put(Issue::open(PRODUCTION, 41, "Rate limited", &["outage"]));
        gitlab.set_mode(Mode::RateLimited { seconds: 2, times: 1 });
        let app = live_with(backend, &gitlab, "1s", &[("BATON_GITLAB_PROJECTS", "")]).await;
        let (alice, _, _) = app.alice_bob_carol();
        open_linking(&app, &alice, "Limits", &[reference(41)]).await;
        until("a read after the 429", Duration::from_secs(8), || async {
            gitlab.state.lock().unwrap().seen.iter().any(|s| s.status == 200)
        })
        .await;
        let seen = gitlab.state.lock().unwrap().seen.clone();
        let limited = seen.iter().position(|s| s.status == 429).expect("a 429");
        let next = &seen[limited + 1];
        let waited = next.at - seen[limited].at;
        assert!(waited >= Duration::from_millis(1900), "asked again after {waited:?}");
        let mut conn = app.db.conn().unwrap();
        assert_eq!(baton::db::models::gitlab::status(&mut conn).unwrap().unavailable_since, None, "a 429 is not an outage");
    }

    async fn two_instances_on_one_database_run_one_refresher(backend) {
        let gitlab = FakeGitLab::start_api().await;
        for n in 51..=53 {
            gitlab.state.lock().unwrap().put(Issue::open(PRODUCTION, n, &format!("Shared {n}"), &["outage"]));
        }
        let app = live(backend, &gitlab, "1s").await;
        let other = app
            .another_instance(&[
                ("BATON_GITLAB_URL", gitlab.url.as_str()),
                ("BATON_GITLAB_API_TOKEN", OTHER_API_TOKEN),
                ("BATON_GITLAB_REFRESH", "1s"),
                ("BATON_GITLAB_PROJECTS", PRODUCTION),
            ])
            .await;
        let (alice, _, _) = app.alice_bob_carol();
        open_linking(&app, &alice, "Shared", &[reference(51), reference(52), reference(53)]).await;
        // Several refresh intervals: every issue read again and again.
        tokio::time::sleep(Duration::from_secs(4)).await;
        let (reads, tokens) = {
            let fake = gitlab.state.lock().unwrap();
            let reads: Vec<usize> = (51..=53).map(|n| fake.issue_reads(PRODUCTION, n)).collect();
            let tokens: std::collections::BTreeSet<_> = fake.seen.iter().map(|s| s.token.clone()).collect();
            (reads, tokens)
        };
        assert!(reads.iter().all(|r| *r >= 2), "each issue read again and again: {reads:?}");
        assert_eq!(tokens.len(), 1, "both instances called GitLab: {tokens:?}");
        drop(other);
    }

    async fn the_lease_goes_to_one_owner_until_it_expires(backend) {
        let app = TestApp::spawn(backend).await.unwrap();
        let mut conn = app.db.conn().unwrap();
        use baton::jobs::lease;
        let now = chrono::Utc::now();
        let minute = chrono::Duration::minutes(1);
        lease::ensure(&mut conn, "test_job").unwrap();
        lease::ensure(&mut conn, "test_job").unwrap();
        assert!(lease::claim(&mut conn, "test_job", "a", now, now + minute).unwrap());
        assert!(!lease::claim(&mut conn, "test_job", "b", now, now + minute).unwrap(), "taken");
        assert!(lease::claim(&mut conn, "test_job", "a", now, now + minute).unwrap(), "renewed by its owner");
        let later = now + minute + chrono::Duration::seconds(1);
        assert!(lease::claim(&mut conn, "test_job", "b", later, later + minute).unwrap(), "expired, so free");
        assert!(!lease::claim(&mut conn, "test_job", "a", later, later + minute).unwrap());
        lease::release(&mut conn, "test_job", "b").unwrap();
        assert!(lease::claim(&mut conn, "test_job", "a", later, later + minute).unwrap(), "released");
    }

    async fn the_api_token_never_appears_in_a_page_a_log_line_or_an_error(backend) {
        let logs = capture_logs();
        let gitlab = FakeGitLab::start_api().await;
        gitlab.state.lock().unwrap().put(Issue::open(PRODUCTION, 61, "Token check", &["outage"]));
        let wrong = "glpat-wrong-token-never-shown-4d2c";
        let app = live(backend, &gitlab, "1s").await;
        let refused = live_with(backend, &gitlab, "1s", &[("BATON_GITLAB_API_TOKEN", wrong)]).await;
        let mut pages = String::new();
        for app in [&app, &refused] {
            let (alice, _, _) = app.alice_bob_carol();
            let id = open_linking(app, &alice, "Token", &[reference(61)]).await;
            let browser = common::browser();
            app.sign_in(&browser, "alice").await;
            let path = format!("/handoffs/{id}");
            until("a read (or a refusal)", Duration::from_secs(5), || async {
                let page = app.page(&browser, &path).await.1;
                page.contains("Token check") || page.contains("GitLab unavailable since")
            })
            .await;
            gitlab.set_mode(Mode::Fail);
            until("a failure", Duration::from_secs(5), || async {
                app.page(&browser, &path).await.1.contains("GitLab unavailable since")
            })
            .await;
            gitlab.set_mode(Mode::Normal);
            for page in ["/", path.as_str(), "/handoffs", "/handover", "/me"] {
                pages.push_str(&app.page(&browser, page).await.1);
            }
            let (_, body) = deliver(app, Some("wrong"), "Issue Hook", None, "{}").await;
            pages.push_str(&body.to_string());
        }
        let mut conn = refused.db.conn().unwrap();
        let status = baton::db::models::gitlab::status(&mut conn).unwrap();
        assert!(status.last_error.is_some());
        let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
        assert!(text.contains("GitLab API refused a request"), "nothing was logged of the refusals");
        for secret in [API_TOKEN, wrong, SECRET] {
            assert!(!text.contains(secret), "{secret:?} appears in the logs");
            assert!(!pages.contains(secret), "{secret:?} appears in a page");
            assert!(!format!("{status:?}").contains(secret));
        }
    }
}
