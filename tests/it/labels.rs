//! Labels in Baton, against a stand-in GitLab: handoff lists (dashboard,
//! history, API) filtered by a linked issue's labels and milestone, never
//! on a confidential issue for a signed-out reader; bad filters named; and
//! the hint for an issue added to the "WoW" milestone after the week
//! started without ~unscheduled, learnt from the webhook and from the
//! refresher.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::gitlab::{API_TOKEN, FakeGitLab, Issue};
use crate::common::{self, Backend, TestApp};

const PRODUCTION: &str = "gitlab-com/gl-infra/production";
const SECRET: &str = "hook-secret-labels-51c2";
const HINT: &str = "added to WoW after the week started, without ~unscheduled";

/// Declares each test on SQLite and, when configured, on PostgreSQL.
macro_rules! both_backends {
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

/// Baton in local mode (signed-out readers read) reading `gitlab`.
async fn live(backend: Backend, gitlab: &FakeGitLab) -> TestApp {
    TestApp::spawn_with(
        backend,
        &[
            ("BATON_GITLAB_URL", gitlab.url.as_str()),
            ("BATON_GITLAB_API_TOKEN", API_TOKEN),
            ("BATON_GITLAB_REFRESH", "1s"),
            ("BATON_GITLAB_WEBHOOK_SECRET", SECRET),
        ],
    )
    .await
    .expect("baton")
}

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

fn reference(iid: u64) -> String {
    format!("{PRODUCTION}#{iid}")
}

async fn open_linking(app: &TestApp, token: &str, title: &str, iids: &[u64]) -> String {
    let issues: Vec<String> = iids.iter().map(|i| reference(*i)).collect();
    let handoff = app
        .create_handoff(
            token,
            json!({"kind": "outage", "title": title, "severity": 2, "issues": issues, "note": {"body": "Watching it."}}),
        )
        .await;
    handoff["id"].as_str().unwrap().to_owned()
}

/// The titles of every handoff `GET /api/v1/handoffs?{query}` lists,
/// following the pages `limit` at a time.
async fn api_titles(app: &TestApp, token: &str, query: &str, limit: u32) -> Vec<String> {
    let mut titles = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/handoffs?{query}&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, body) = app.get_json(&path, token).await;
        assert_eq!(status, 200, "{path}: {body}");
        for h in body["handoffs"].as_array().unwrap() {
            titles.push(h["title"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return titles,
        }
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Which of `titles` `page` shows.
fn shown(page: &str, titles: &[&str]) -> BTreeSet<String> {
    titles
        .iter()
        .filter(|t| page.contains(&format!(">{t}<")))
        .map(|t| t.to_string())
        .collect()
}

const TITLES: [&str; 5] = [
    "Alpha sev1 outage WoW",
    "Bravo sev1 only",
    "Charlie outage WoW",
    "Delta split labels",
    "Echo confidential",
];

/// Five handoffs over five issues: Alpha links an issue with both labels
/// and WoW; Bravo one with severity::1 only; Charlie one with outage and
/// WoW; Delta both of those (the two labels, but on different issues);
/// Echo a confidential issue with both labels and WoW.
async fn five_handoffs(backend: Backend) -> (FakeGitLab, TestApp, String) {
    let gitlab = FakeGitLab::start_api().await;
    {
        let mut fake = gitlab.state.lock().unwrap();
        let mut one = Issue::open(PRODUCTION, 1, "one", &["severity::1", "outage"]);
        one.milestone = Some("WoW".into());
        fake.put(one);
        fake.put(Issue::open(PRODUCTION, 2, "two", &["severity::1"]));
        let mut three = Issue::open(PRODUCTION, 3, "three", &["outage", "severity::2"]);
        three.milestone = Some("WoW".into());
        fake.put(three);
        let mut four = Issue::open(PRODUCTION, 4, "four", &["severity::1", "outage"]);
        four.milestone = Some("WoW".into());
        four.confidential = true;
        fake.put(four);
    }
    let app = live(backend, &gitlab).await;
    let (alice, _, _) = app.alice_bob_carol();
    for (title, iids) in TITLES.iter().zip([&[1][..], &[2], &[3], &[2, 3], &[4]]) {
        open_linking(&app, &alice, title, iids).await;
    }
    until("every issue read", Duration::from_secs(10), || async {
        let (_, body) = app.get_json("/api/v1/handoffs?limit=50", &alice).await;
        body["handoffs"].as_array().is_some_and(|hs| {
            hs.iter().all(|h| {
                h["issues"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|i| !i["fetched_at"].is_null())
            })
        })
    })
    .await;
    (gitlab, app, alice)
}

both_backends! {
    async fn the_api_filters_by_every_label_on_one_issue_and_by_milestone_across_pages(backend) {
        let (_gitlab, app, alice) = five_handoffs(backend).await;
        for (query, expected) in [
            ("label=severity::1", &["Alpha sev1 outage WoW", "Bravo sev1 only", "Delta split labels", "Echo confidential"][..]),
            ("label=severity::1&label=outage", &["Alpha sev1 outage WoW", "Echo confidential"]),
            ("label=SEVERITY::1&label=Outage", &["Alpha sev1 outage WoW", "Echo confidential"]),
            ("milestone=WoW", &["Alpha sev1 outage WoW", "Charlie outage WoW", "Delta split labels", "Echo confidential"]),
            ("label=severity::1&milestone=WoW", &["Alpha sev1 outage WoW", "Echo confidential"]),
            ("label=outage&milestone=wow", &[]),
            ("label=security", &[]),
            ("status=all&kind=outage&label=severity::2", &["Charlie outage WoW", "Delta split labels"]),
        ] {
            let query = query.replace("::", "%3A%3A");
            let everything = api_titles(&app, &alice, &query, 200).await;
            let paged = api_titles(&app, &alice, &query, 1).await;
            assert_eq!(paged, everything, "{query}: one at a time, the same handoffs in the same order");
            assert_eq!(paged.iter().cloned().collect::<BTreeSet<_>>(), set(expected), "{query}");
            assert_eq!(paged.len(), expected.len(), "{query}: no repeats");
        }
    }

    async fn the_history_and_the_dashboard_filter_by_label_and_milestone_and_say_so(backend) {
        let (_gitlab, app, alice) = five_handoffs(backend).await;
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        // Kept pages answer by the whole query string: the dashboard before,
        // filtered, and after.
        let (_, all) = app.page(&browser, "/").await;
        assert_eq!(shown(&all, &TITLES), set(&TITLES));
        let (status, page) = app.page(&browser, "/?label=severity%3A%3A1&label=outage").await;
        assert_eq!(status, 200);
        assert_eq!(shown(&page, &TITLES), set(&["Alpha sev1 outage WoW", "Echo confidential"]));
        assert!(page.contains("Only handoffs linking a GitLab issue with the label <strong>severity::1</strong>"), "{page}");
        assert!(page.contains(r#"href="/?label=outage">clear"#), "a link clears each filter: {page}");
        assert!(page.contains(r#"href="/?label=severity%3A%3A1">clear"#), "{page}");
        let (_, again) = app.page(&browser, "/").await;
        assert_eq!(shown(&again, &TITLES), set(&TITLES), "the unfiltered dashboard is not the filtered one");

        // History: resolved handoffs only, with the filter.
        let (_, body) = app.get_json("/api/v1/handoffs?label=severity%3A%3A2", &alice).await;
        let charlie = body["handoffs"].as_array().unwrap().iter()
            .find(|h| h["title"] == "Charlie outage WoW").unwrap()["id"].as_str().unwrap().to_owned();
        let (status, _) = app.send_json(reqwest::Method::POST, &format!("/api/v1/handoffs/{charlie}/resolve"), &alice, &json!({"body": "Done."})).await;
        assert_eq!(status, 200);
        let (status, page) = app.page(&browser, "/handoffs?status=resolved&milestone=WoW").await;
        assert_eq!(status, 200);
        assert_eq!(shown(&page, &TITLES), set(&["Charlie outage WoW"]));
        assert!(page.contains(r#"href="/handoffs?status=resolved">clear"#), "{page}");
        let (_, page) = app.page(&browser, "/handoffs?milestone=WoW").await;
        assert_eq!(shown(&page, &TITLES), set(&["Alpha sev1 outage WoW", "Delta split labels", "Echo confidential"]));

        // A label chip links to the list filtered by it.
        let (_, page) = app.page(&browser, "/").await;
        assert!(page.contains(r#"href="/handoffs?status=all&amp;label=severity%3A%3A1""#), "{page}");
        let (_, page) = app.page(&browser, "/handoffs?status=all&label=severity%3A%3A1").await;
        assert_eq!(shown(&page, &TITLES), set(&["Alpha sev1 outage WoW", "Bravo sev1 only", "Delta split labels", "Echo confidential"]));
    }

    async fn a_signed_out_reader_cannot_filter_on_a_confidential_issue(backend) {
        let (_gitlab, app, _alice) = five_handoffs(backend).await;
        let visitor = common::browser();
        for path in ["/?label=severity%3A%3A1&label=outage", "/handoffs?label=severity%3A%3A1&label=outage", "/?milestone=WoW"] {
            let (status, page) = app.page(&visitor, path).await;
            assert_eq!(status, 200, "{path}");
            assert!(!page.contains("Echo confidential"), "{path} tells a confidential issue's labels: {page}");
        }
        let (_, page) = app.page(&visitor, "/handoffs?label=severity%3A%3A1&label=outage").await;
        assert_eq!(shown(&page, &TITLES), set(&["Alpha sev1 outage WoW"]));
        let signed_in = common::browser();
        app.sign_in(&signed_in, "alice").await;
        let (_, page) = app.page(&signed_in, "/handoffs?label=severity%3A%3A1&label=outage").await;
        assert_eq!(shown(&page, &TITLES), set(&["Alpha sev1 outage WoW", "Echo confidential"]));
    }

    async fn bad_filter_values_are_refused_naming_the_field(backend) {
        let gitlab = FakeGitLab::start_api().await;
        let app = live(backend, &gitlab).await;
        let (alice, _, _) = app.alice_bob_carol();
        let long = "x".repeat(256);
        for (query, field) in [
            ("label=".to_owned(), "label"),
            ("label=%20".to_owned(), "label"),
            ("label=a%00b".to_owned(), "label"),
            ("label=ok&label=a%E2%80%AEb".to_owned(), "label"),
            (format!("label={long}"), "label"),
            ("milestone=".to_owned(), "milestone"),
            ("milestone=W%0AoW".to_owned(), "milestone"),
        ] {
            let (status, body) = app.get_json(&format!("/api/v1/handoffs?{query}"), &alice).await;
            assert_eq!((status, body["error"]["field"].as_str()), (422, Some(field)), "{query}: {body}");
        }
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        for (path, id) in [
            ("/handoffs?label=%20".to_owned(), "f-label-error"),
            (format!("/?label={long}"), "f-label-error"),
            ("/handoffs?status=all&milestone=a%01b".to_owned(), "f-milestone-error"),
        ] {
            let (status, page) = app.page(&browser, &path).await;
            assert_eq!(status, 422, "{path}");
            assert!(page.contains(&format!(r#"<p class="field-error" id="{id}">"#)), "{path}: beside the filter: {page}");
        }
        // An empty box on the form is no filter.
        let (status, _) = app.page(&browser, "/handoffs?label=&milestone=").await;
        assert_eq!(status, 200);
    }

    async fn without_gitlab_read_back_the_pages_say_the_filter_needs_it_and_the_api_lists_nothing(backend) {
        let app = TestApp::spawn(backend).await.expect("baton");
        let (alice, _, _) = app.alice_bob_carol();
        app.create_handoff(&alice, json!({"kind": "outage", "title": "Unfiltered", "severity": 2, "issues": [reference(9)], "note": {"body": "x"}})).await;
        let (status, body) = app.get_json("/api/v1/handoffs?label=outage", &alice).await;
        assert_eq!((status, body["handoffs"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
        let (status, body) = app.get_json("/api/v1/handoffs", &alice).await;
        assert_eq!((status, body["handoffs"].as_array().map(Vec::len)), (200, Some(1)), "{body}");
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        for path in ["/?label=outage", "/handoffs?milestone=WoW"] {
            let (status, page) = app.page(&browser, path).await;
            assert_eq!(status, 422, "{path}");
            assert!(page.contains("needs GitLab read-back (BATON_GITLAB_API_TOKEN)"), "{path}: {page}");
            assert!(!page.contains(">Unfiltered<"), "{path}");
        }
    }

    async fn the_wow_hint_follows_the_milestone_history_read_by_the_refresher(backend) {
        let gitlab = FakeGitLab::start_api().await;
        let now = chrono::Utc::now();
        let day = |n: i64| (now - chrono::Duration::days(n)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let start = (now - chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
        {
            let mut fake = gitlab.state.lock().unwrap();
            for (iid, labels, added_days_ago) in [
                (11, &["database"][..], 1),
                (12, &["database"], 6),
                (13, &["database", "Unscheduled"], 1),
                (14, &["outage"], 1),
            ] {
                let mut issue = Issue::open(PRODUCTION, iid, &format!("Issue {iid}"), labels);
                issue.milestone = Some("WoW".into());
                issue.milestone_start = Some(start.clone());
                issue.milestone_events = vec![
                    (day(20), "add".into(), 5, "Old WoW".into()),
                    (day(added_days_ago), "add".into(), 7, "WoW".into()),
                ];
                fake.put(issue);
            }
            let mut other = Issue::open(PRODUCTION, 15, "Issue 15", &["database"]);
            other.milestone = Some("17.8".into());
            other.milestone_id = 8;
            other.milestone_events = vec![(day(1), "add".into(), 8, "17.8".into())];
            fake.put(other);
        }
        let app = live(backend, &gitlab).await;
        let (alice, _, _) = app.alice_bob_carol();
        let mut pages = vec![];
        for iid in 11..=15 {
            pages.push((iid, format!("/handoffs/{}", open_linking(&app, &alice, &format!("Handoff {iid}"), &[iid]).await)));
        }
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        until("the late issue's hint", Duration::from_secs(10), || async {
            app.page(&browser, &pages[0].1).await.1.contains(HINT)
        })
        .await;
        until("every issue read", Duration::from_secs(10), || async {
            let (_, page) = app.page(&browser, "/").await;
            (11..=15).all(|i| page.contains(&format!("Issue {i}")))
        })
        .await;
        for (iid, path) in &pages {
            let (_, page) = app.page(&browser, path).await;
            assert_eq!(page.contains(HINT), *iid == 11, "issue {iid}: {page}");
        }
        let (_, dashboard) = app.page(&browser, "/").await;
        assert_eq!(dashboard.matches(HINT).count(), 1, "the dashboard shows the hint beside the issue");
        // The history is read once per issue and milestone, and never for
        // an issue in another milestone.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let fake = gitlab.state.lock().unwrap();
        assert!(fake.issue_reads(PRODUCTION, 11) >= 2, "read again at the refresh");
        assert_eq!(fake.milestone_event_reads(PRODUCTION, 11), 1);
        assert_eq!(fake.milestone_event_reads(PRODUCTION, 15), 0);
    }

    async fn the_wow_hint_appears_when_the_webhook_says_an_issue_was_just_added_to_wow(backend) {
        let gitlab = FakeGitLab::start_api().await;
        {
            let mut fake = gitlab.state.lock().unwrap();
            for (iid, labels) in [(21, &["database"][..]), (22, &["unscheduled"]), (23, &["outage"])] {
                fake.put(Issue::open(PRODUCTION, iid, &format!("Issue {iid}"), labels));
            }
        }
        let app = live(backend, &gitlab).await;
        let (alice, _, _) = app.alice_bob_carol();
        let mut pages = vec![];
        for iid in 21..=23 {
            pages.push((iid, format!("/handoffs/{}", open_linking(&app, &alice, &format!("Handoff {iid}"), &[iid]).await)));
        }
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        until("every issue read", Duration::from_secs(10), || async {
            let (_, page) = app.page(&browser, "/").await;
            (21..=23).all(|i| page.contains(&format!("Issue {i}")))
        })
        .await;
        for (iid, _) in &pages {
            // GitLab now has it in WoW (no start date: the week began on
            // Monday), and tells Baton by webhook.
            let updated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            {
                let mut fake = gitlab.state.lock().unwrap();
                let issue = fake.issue(PRODUCTION, *iid);
                issue.milestone = Some("WoW".into());
                issue.updated_at = updated_at.clone();
            }
            let labels: Vec<Value> = gitlab.state.lock().unwrap().issue(PRODUCTION, *iid).labels.iter()
                .map(|l| json!({"id": 1, "title": l})).collect();
            let hook = json!({
                "object_kind": "issue", "event_type": "issue",
                "project": {"id": 42, "path_with_namespace": PRODUCTION},
                "object_attributes": {"iid": iid, "title": format!("Issue {iid}"), "state": "opened",
                    "confidential": false, "milestone_id": 7, "updated_at": updated_at,
                    "labels": labels},
                "labels": labels,
                "changes": {"milestone_id": {"previous": null, "current": 7}},
            });
            let res = reqwest::Client::new().post(app.url("/hooks/gitlab"))
                .header("X-Gitlab-Token", SECRET).header("X-Gitlab-Event", "Issue Hook")
                .json(&hook).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200);
        }
        until("the hint on the late issue", Duration::from_secs(10), || async {
            app.page(&browser, &pages[0].1).await.1.contains(HINT)
        })
        .await;
        for (iid, path) in &pages {
            let (_, page) = app.page(&browser, path).await;
            assert_eq!(page.contains(HINT), *iid == 21, "issue {iid}");
        }
        // The stand-in keeps no history: the hint came from the webhook.
        assert!(gitlab.state.lock().unwrap().issue(PRODUCTION, 21).milestone_events.is_empty());
    }

    async fn a_failing_milestone_history_keeps_the_pages_answering_and_the_hint_comes_once_it_answers(backend) {
        let gitlab = FakeGitLab::start_api().await;
        {
            let mut fake = gitlab.state.lock().unwrap();
            let mut issue = Issue::open(PRODUCTION, 31, "Issue 31", &["database"]);
            issue.milestone = Some("WoW".into());
            issue.milestone_start = Some((chrono::Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%d").to_string());
            let added = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            issue.milestone_events = vec![(added, "add".into(), 7, "WoW".into())];
            fake.put(issue);
            fake.events_status = Some(500);
        }
        let app = live(backend, &gitlab).await;
        let (alice, _, _) = app.alice_bob_carol();
        let path = format!("/handoffs/{}", open_linking(&app, &alice, "Handoff 31", &[31]).await);
        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        until("the history asked for and refused", Duration::from_secs(10), || async {
            gitlab.state.lock().unwrap().seen.iter().any(|s| s.path.contains("resource_milestone_events") && s.status == 500)
        })
        .await;
        let (status, page) = app.page(&browser, &path).await;
        assert_eq!(status, 200);
        assert!(page.contains("Issue 31"), "what was read is kept: {page}");
        assert!(!page.contains(HINT), "no hint while the time is not known");
        gitlab.state.lock().unwrap().events_status = Some(429);
        until("the history asked for and rate limited", Duration::from_secs(20), || async {
            gitlab.state.lock().unwrap().seen.iter().any(|s| s.path.contains("resource_milestone_events") && s.status == 429)
        })
        .await;
        gitlab.state.lock().unwrap().events_status = None;
        until("the hint once the history answers", Duration::from_secs(30), || async {
            app.page(&browser, &path).await.1.contains(HINT)
        })
        .await;
    }
}
