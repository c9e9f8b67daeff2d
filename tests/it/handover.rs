//! The handover that writes itself (issue 15, item 2): `/handover` starts
//! the shift summary from exactly the outgoing shift's events and handoff
//! changes; the submitted summary is kept as a handover, shown on `/log`
//! and in `GET /api/v1/handovers`; the log pages through everything.

use chrono::{Duration, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{Value, json};

fn fmt(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The text of the page's summary box, unescaped as a browser shows it.
fn summary_box(html: &str) -> String {
    let start = html.find("name=\"summary\"").expect("a summary box");
    let open = start + html[start..].find('>').expect("its tag ends") + 1;
    let close = open + html[open..].find("</textarea>").expect("it closes");
    html[open..close]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

async fn event(app: &crate::common::TestApp, token: &str, body: Value) -> Value {
    let (status, made) = app
        .send_json(Method::POST, "/api/v1/events", token, &body)
        .await;
    assert_eq!(status, 201, "{made}");
    made
}

backend_tests! {
    async fn the_summary_starts_from_exactly_the_outgoing_shift_and_is_kept_on_the_log_and_the_api(app) {
        let (alice, bob, _carol) = app.alice_bob_carol();
        let now = Utc::now();
        let shift_start = now - Duration::hours(3);
        let (status, shift) = app
            .send_json(Method::POST, "/api/v1/shifts", &alice, &json!({
                "username": "alice", "role": "EOC",
                "starts_at": fmt(shift_start), "ends_at": fmt(now + Duration::hours(1)),
            }))
            .await;
        assert_eq!(status, 201, "{shift}");
        // Before the shift: not in its summary.
        event(&app, &alice, json!({"kind": "change", "title": "Rotated the TLS keys",
            "occurred_at": fmt(now - Duration::hours(5))})).await;
        // During it.
        event(&app, &bob, json!({"kind": "incident", "title": "Registry answered 502",
            "issues": ["gitlab-org/gitlab#3"], "occurred_at": fmt(now - Duration::hours(2))})).await;
        event(&app, &alice, json!({"kind": "change", "title": "Raised the registry's disk to 2 TB"})).await;
        let passed = app
            .create_handoff(&alice, json!({"kind": "outage", "title": "Disk full on the registry",
                "severity": 2, "issues": [], "note": {"body": "Grew the disk.", "pass_to": "bob"}}))
            .await;
        let passed_id = passed["id"].as_str().unwrap();
        let (status, acked) = app
            .send_json(Method::POST, &format!("/api/v1/handoffs/{passed_id}/acknowledge"), &bob, &json!({}))
            .await;
        assert_eq!(status, 200, "{acked}");
        let secret = app
            .create_handoff(&alice, json!({"kind": "outage", "title": "Leaked customer export",
                "severity": 1, "confidential": true, "issues": [], "note": {"body": "Contained."}}))
            .await;
        let secret_id = secret["id"].as_str().unwrap();
        let resolved = app
            .create_handoff(&alice, json!({"kind": "outage", "title": "Slow CI runners",
                "severity": 3, "issues": [], "note": {"body": "Scaled up."}}))
            .await;
        let resolved_id = resolved["id"].as_str().unwrap();
        let (status, body) = app
            .send_json(Method::POST, &format!("/api/v1/handoffs/{resolved_id}/resolve"), &alice,
                &json!({"body": "Back to normal."}))
            .await;
        assert_eq!(status, 200, "{body}");

        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, html) = app.page(&browser, "/handover").await;
        assert_eq!(status, 200);
        assert!(html.contains("Written from your EOC shift"), "{html}");
        let summary = summary_box(&html);
        assert!(summary.starts_with("**EOC shift**"), "{summary}");
        assert!(!summary.contains("Rotated the TLS keys"), "an event before the shift: {summary}");
        assert!(summary.contains("incident: Registry answered 502 (gitlab-org/gitlab#3)"), "{summary}");
        assert!(summary.contains("change: Raised the registry's disk to 2 TB"), "{summary}");
        let link = |id: &str, title: &str| format!("[{title}](/handoffs/{id})");
        let disk = link(passed_id, "Disk full on the registry");
        assert!(summary.contains(&format!("opened {disk} (Outage, severity 2)")), "{summary}");
        assert!(summary.contains(&format!("passed {disk} to ")), "{summary}");
        assert!(summary.contains(&format!("acknowledged {disk}")), "{summary}");
        let ci = link(resolved_id, "Slow CI runners");
        assert!(summary.contains(&format!("resolved {ci}")), "{summary}");
        assert!(summary.contains(&format!("opened [a confidential handoff](/handoffs/{secret_id})")), "{summary}");
        assert!(!summary.contains("Leaked customer export"), "a confidential title: {summary}");
        // Oldest first: the incident two hours ago before the handoffs.
        let incident = summary.find("Registry answered").unwrap();
        assert!(incident < summary.find("opened").unwrap(), "{summary}");
        // Times in alice's zone (Europe/Amsterdam).
        assert!(summary.contains(" CET ") || summary.contains(" CEST "), "{summary}");

        // Submitted (edited), it is kept as a handover.
        let edited = format!("{summary}\nWatch the registry's disk graph.");
        let (status, location, body) = app
            .post_form(&browser, "/handover", &[("pass_to", "bob"), ("summary", &edited),
                (&format!("note_{secret_id}"), "Still contained.")])
            .await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/"));
        let (status, list) = app.get_json("/api/v1/handovers", &bob).await;
        assert_eq!(status, 200, "{list}");
        let handovers = list["handovers"].as_array().unwrap();
        assert_eq!(handovers.len(), 1, "{list}");
        let h = &handovers[0];
        assert_eq!(h["from"]["username"], "alice");
        assert_eq!(h["to"]["username"], "bob");
        assert_eq!(h["summary"], edited.trim());
        assert!(h["summary_html"].as_str().unwrap().contains("Watch the registry"), "{h}");
        assert_eq!(h["handoff_count"], 1, "alice held only the confidential one: {h}");
        assert!(list["next_cursor"].is_null());

        // On the log, among the events, and by itself with kind=handover.
        let (_, log) = app.page(&browser, "/log").await;
        let handover_line = "<strong>alice handed over to bob</strong> · 1 handoff passed";
        assert!(log.contains(handover_line), "{log}");
        assert!(log.contains("Watch the registry"), "{log}");
        let incident_line = "class=\"event event-incident\"";
        assert!(log.contains(incident_line), "{log}");
        let (_, only) = app.page(&browser, "/log?kind=handover").await;
        assert!(only.contains(handover_line) && !only.contains(incident_line), "{only}");
        let (_, changes) = app.page(&browser, "/log?kind=change").await;
        assert!(!changes.contains(handover_line) && changes.contains("class=\"event event-change\""), "{changes}");
        let (_, by_issue) = app.page(&browser, "/log?issue=gitlab-org%2Fgitlab%233").await;
        assert!(!by_issue.contains(handover_line) && by_issue.contains(incident_line), "{by_issue}");
    }

    async fn without_a_shift_the_summary_starts_empty(app) {
        let (_alice, _bob, _carol) = app.alice_bob_carol();
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, html) = app.page(&browser, "/handover").await;
        assert_eq!(status, 200);
        assert!(html.contains("no current or recent shift"), "{html}");
        assert_eq!(summary_box(&html), "");
    }

    async fn the_handovers_api_pages_and_refuses_bad_parameters_by_name(app) {
        let (alice, bob, _carol) = app.alice_bob_carol();
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        for summary in ["First.", "Second.", "Third."] {
            let (status, _, body) = app
                .post_form(&browser, "/handover", &[("pass_to", "bob"), ("summary", summary)])
                .await;
            assert_eq!(status, 303, "{body}");
        }
        let (status, page) = app.get_json("/api/v1/handovers?limit=2", &bob).await;
        assert_eq!(status, 200, "{page}");
        let summaries = |page: &Value| -> Vec<String> {
            page["handovers"].as_array().unwrap().iter().map(|h| h["summary"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(summaries(&page), ["Third.", "Second."]);
        let cursor = page["next_cursor"].as_str().unwrap();
        let (_, rest) = app.get_json(&format!("/api/v1/handovers?limit=2&cursor={cursor}"), &bob).await;
        assert_eq!(summaries(&rest), ["First."]);
        assert!(rest["next_cursor"].is_null());
        let (_, by_bob) = app.get_json("/api/v1/handovers?author=bob", &alice).await;
        assert_eq!(summaries(&by_bob).len(), 0);
        for (query, field) in [("limit=0", "limit"), ("cursor=nonsense", "cursor"), ("from=yesterday", "from"), ("author=no%20one", "author")] {
            let (status, body) = app.get_json(&format!("/api/v1/handovers?{query}"), &bob).await;
            assert_eq!(status, 422, "{query}: {body}");
            assert!(body["error"]["message"].as_str().unwrap_or_default().contains(field)
                || body["error"]["field"] == field, "{query}: {body}");
        }
    }

    async fn the_log_pages_through_events_and_handovers_newest_first(app) {
        let (alice, _bob, _carol) = app.alice_bob_carol();
        let now = Utc::now();
        let mut conn = app.db.conn().unwrap();
        let author = baton::db::models::users::find_by_username(&mut conn, &"alice".parse().unwrap()).unwrap().unwrap();
        let gitlab = baton::domain::issue_ref::GitLab::new("https://gitlab.com", None).unwrap();
        // 205 events, one a minute, oldest "Event 0".
        for i in 0..205 {
            let input = baton::domain::event::EventDraft {
                kind: "change", title: &format!("Event {i}"), body: "", issues: vec![],
                occurred_at: Some(now - Duration::minutes(300 - i)),
            }
            .check(now, &gitlab)
            .unwrap();
            baton::db::models::events::create(&mut conn, &author, &input, None, None, &gitlab).unwrap();
        }
        drop(conn);
        let _ = alice;
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, first) = app.page(&browser, "/log").await;
        assert_eq!(status, 200);
        assert!(first.contains("<strong>Event 204</strong>") && first.contains("<strong>Event 5</strong>"));
        assert!(!first.contains("<strong>Event 4</strong>"), "200 a page");
        let start = first.find("href=\"/log?cursor=").expect("a link to older entries") + 6;
        let link = &first[start..start + first[start..].find('"').unwrap()];
        let (status, second) = app.page(&browser, &link.replace("&amp;", "&")).await;
        assert_eq!(status, 200);
        for i in 0..5 {
            assert!(second.contains(&format!("<strong>Event {i}</strong>")), "{second}");
        }
        assert!(!second.contains("<strong>Event 5</strong>"));
        assert!(!second.contains("Older entries"));
        let (status, bad) = app.page(&browser, "/log?cursor=nonsense").await;
        assert_eq!(status, 422);
        assert!(bad.contains("not one this server gave out"), "{bad}");
    }
}
