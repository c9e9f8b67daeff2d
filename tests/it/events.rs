//! Production events as stored (issue 15, item 1; the pages and the API
//! come next): written with their issues, read back newest first, narrowed
//! by kind, author, day and issue, by handoff oldest first, and a
//! correction refers to the event it corrects. Both backends.

use baton::db::models::events::{self, EventFilter};
use baton::domain::event::{EventDraft, EventKind};
use baton::domain::issue_ref::{GitLab, IssueRef};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

fn gitlab() -> GitLab {
    GitLab::new("https://gitlab.com", Some("gitlab-com/gl-infra/production")).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

backend_tests! {
    async fn events_are_kept_with_their_issues_and_listed_newest_first_by_each_filter(app) {
        let (alice, _bob, _carol) = app.alice_bob_carol();
        let handoff = app
            .create_handoff(&alice, json!({"kind": "outage", "title": "Slow API", "severity": 2,
                "issues": [], "note": {"body": "Looking."}}))
            .await;
        let handoff_id = handoff["id"].as_str().unwrap().to_owned();
        let mut conn = app.db.conn().unwrap();
        let alice_user = baton::db::models::users::find_by_username(&mut conn, &"alice".parse().unwrap()).unwrap().unwrap();
        let bob_user = baton::db::models::users::find_by_username(&mut conn, &"bob".parse().unwrap()).unwrap().unwrap();
        let now = Utc::now();
        let write = |conn: &mut _, who, kind, title, issues: Vec<&'static str>, when, handoff: Option<&str>, corrects: Option<&str>| {
            let input = EventDraft { kind, title, body: "Done with **care**.", issues, occurred_at: Some(when) }
                .check(now, &gitlab())
                .unwrap();
            events::create(conn, who, &input, handoff, corrects, &gitlab()).unwrap()
        };
        let first = write(&mut conn, &alice_user, "change", "Deployed 17.6", vec!["#17"], at("2026-11-30T09:00:00Z"), None, None);
        let second = write(&mut conn, &bob_user, "incident", "API errors", vec!["#17", "gitlab-org/gitlab#3"], at("2026-11-30T23:30:00Z"), Some(&handoff_id), None);
        let third = write(&mut conn, &alice_user, "change", "Deployed 17.6 (it was 17.6.1)", vec![], at("2026-12-01T08:00:00Z"), Some(&handoff_id), Some(&first.id));

        let all = events::list(&mut conn, &EventFilter::default(), 50).unwrap();
        let ids: Vec<&str> = all.iter().map(|e| e.event.id.as_str()).collect();
        assert_eq!(ids, [third.id.as_str(), second.id.as_str(), first.id.as_str()], "newest first");
        assert_eq!(all[1].issues.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
            ["gitlab-com/gl-infra/production#17", "gitlab-org/gitlab#3"]);
        assert_eq!(all[1].author.username, "bob");
        assert_eq!(all[0].event.corrects_id.as_deref(), Some(first.id.as_str()));
        assert!(all[0].event.body_html.contains("<strong>care</strong>"), "{}", all[0].event.body_html);

        let count = |conn: &mut _, filter: EventFilter| -> Vec<String> {
            events::list(conn, &filter, 50).unwrap().into_iter().map(|e| e.event.title).collect()
        };
        assert_eq!(count(&mut conn, EventFilter { kind: Some(EventKind::Incident), ..Default::default() }), ["API errors"]);
        assert_eq!(count(&mut conn, EventFilter { author_id: Some(alice_user.id.clone()), ..Default::default() }).len(), 2);
        let day = EventFilter { from: Some(at("2026-11-30T00:00:00Z")), to: Some(at("2026-12-01T00:00:00Z")), ..Default::default() };
        assert_eq!(count(&mut conn, day), ["API errors", "Deployed 17.6"]);
        let issue = IssueRef::new("gitlab-com/gl-infra/production", 17).unwrap();
        assert_eq!(count(&mut conn, EventFilter { issue: Some(issue), ..Default::default() }), ["API errors", "Deployed 17.6"]);
        assert_eq!(events::list(&mut conn, &EventFilter::default(), 1).unwrap().len(), 1);

        let timeline: Vec<String> = events::for_handoff(&mut conn, &handoff_id).unwrap().into_iter().map(|e| e.event.title).collect();
        assert_eq!(timeline, ["API errors", "Deployed 17.6 (it was 17.6.1)"], "oldest first on the handoff");
        let one = events::get(&mut conn, &second.id).unwrap().unwrap();
        assert_eq!(one.event.occurred(), at("2026-11-30T23:30:00Z"));
        assert!(events::get(&mut conn, &uuid::Uuid::now_v7().to_string()).unwrap().is_none());
        assert!(events::exists(&mut conn, &first.id).unwrap());
        assert!(now - one.event.created() < Duration::minutes(1));
    }

    async fn events_written_through_the_api_are_read_back_newest_first_and_one_by_one(app) {
        let (alice, bob, carol) = app.alice_bob_carol();
        let handoff = app
            .create_handoff(&alice, json!({"kind": "outage", "title": "Slow API", "severity": 2,
                "issues": [], "note": {"body": "Looking."}}))
            .await;
        let handoff_id = handoff["id"].as_str().unwrap();
        let (status, first) = app
            .send_json(reqwest::Method::POST, "/api/v1/events", &alice, &json!({
                "kind": "change", "title": "Deployed 17.6",
                "issues": ["https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234"],
                "occurred_at": "2026-11-30T09:00:00+01:00"}))
            .await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["occurred_at"], "2026-11-30T08:00:00Z");
        assert_eq!(first["issues"][0]["ref"], "gitlab-com/gl-infra/production#1234");
        assert_eq!(first["author"]["username"], "alice");
        let (status, second) = app
            .send_json(reqwest::Method::POST, "/api/v1/events", &bob, &json!({
                "kind": "incident", "title": "Errors after the deploy", "body": "5xx at *2%*",
                "handoff_id": handoff_id, "corrects": first["id"]}))
            .await;
        assert_eq!(status, 201, "{second}");
        assert_eq!(second["handoff_id"], handoff_id);
        assert_eq!(second["corrects"], first["id"]);
        assert!(second["body_html"].as_str().unwrap().contains("<em>2%</em>"));

        let (status, list) = app.get_json("/api/v1/events", &carol).await;
        assert_eq!(status, 200);
        let titles: Vec<&str> = list["events"].as_array().unwrap().iter().map(|e| e["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Errors after the deploy", "Deployed 17.6"]);
        let (_, changes) = app.get_json("/api/v1/events?kind=change", &carol).await;
        assert_eq!(changes["events"].as_array().unwrap().len(), 1);
        let (_, by_bob) = app.get_json("/api/v1/events?author=bob", &carol).await;
        assert_eq!(by_bob["events"][0]["title"], "Errors after the deploy");
        let (_, by_nobody) = app.get_json("/api/v1/events?author=nobody", &carol).await;
        assert_eq!(by_nobody["events"].as_array().unwrap().len(), 0);
        let (_, linking) = app.get_json("/api/v1/events?issue=gitlab-com/gl-infra/production%231234", &carol).await;
        assert_eq!(linking["events"][0]["title"], "Deployed 17.6");
        let (_, that_day) = app.get_json("/api/v1/events?from=2026-11-30T00:00:00Z&to=2026-12-01T00:00:00Z", &carol).await;
        assert_eq!(that_day["events"].as_array().unwrap().len(), 1);

        let id = second["id"].as_str().unwrap();
        let (status, one) = app.get_json(&format!("/api/v1/events/{id}"), &carol).await;
        assert_eq!(status, 200);
        assert_eq!(one["title"], "Errors after the deploy");
        let (status, _) = app.get_json(&format!("/api/v1/events/{}", uuid::Uuid::now_v7()), &carol).await;
        assert_eq!(status, 404);

        // A viewer reads but does not write.
        let (status, _) = app
            .send_json(reqwest::Method::POST, "/api/v1/events", &carol, &json!({"kind": "change", "title": "x"}))
            .await;
        assert_eq!(status, 403);
    }

    async fn bad_event_input_is_a_422_naming_the_field(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let ahead = (Utc::now() + Duration::minutes(5)).to_rfc3339();
        for (body, field) in [
            (json!({"kind": "outage", "title": "x"}), "kind"),
            (json!({"kind": "change", "title": ""}), "title"),
            (json!({"kind": "change", "title": "   "}), "title"),
            (json!({"kind": "change", "title": "x", "occurred_at": ahead}), "occurred_at"),
            (json!({"kind": "change", "title": "x", "issues": ["https://github.com/o/r/issues/1"]}), "issues[0]"),
            (json!({"kind": "change", "title": "x", "occurred_at": "yesterday"}), "occurred_at"),
        ] {
            let (status, answer) = app.send_json(reqwest::Method::POST, "/api/v1/events", &alice, &body).await;
            assert_eq!((status, answer["error"]["field"].as_str()), (422, Some(field)), "{body}: {answer}");
        }
        let (_, list) = app.get_json("/api/v1/events", &alice).await;
        assert_eq!(list["events"].as_array().unwrap().len(), 0, "nothing was written");
    }

    async fn an_event_naming_a_handoff_or_event_that_does_not_exist_is_409(app) {
        let (alice, _, _) = app.alice_bob_carol();
        for field in ["handoff_id", "corrects"] {
            let body = json!({"kind": "change", "title": "x", field: uuid::Uuid::now_v7().to_string()});
            let (status, answer) = app.send_json(reqwest::Method::POST, "/api/v1/events", &alice, &body).await;
            assert_eq!((status, answer["error"]["field"].as_str()), (409, Some(field)), "{answer}");
        }
    }

    async fn events_show_on_the_log_and_on_their_handoff_in_the_viewers_zone(app) {
        let (alice, _bob, _carol) = app.alice_bob_carol();
        let handoff = app
            .create_handoff(&alice, json!({"kind": "outage", "title": "Slow API", "severity": 2,
                "issues": [], "note": {"body": "Looking."}}))
            .await;
        let handoff_id = handoff["id"].as_str().unwrap();
        let iso = "2026-11-30T08:00:00Z";
        let (status, _) = app
            .send_json(reqwest::Method::POST, "/api/v1/events", &alice, &json!({
                "kind": "incident", "title": "Replica lag over 30s", "handoff_id": handoff_id,
                "issues": ["gitlab-com/gl-infra/production#4242"], "occurred_at": iso}))
            .await;
        assert_eq!(status, 201);
        let browser = crate::common::browser();
        app.sign_in(&browser, "bob").await;
        let bob_zone = app.get_json("/api/v1/users/me", &_bob).await.1["timezone"].as_str().unwrap().to_owned();
        let (text, _) = crate::common::expected_local(iso, &bob_zone);
        for path in ["/log".to_owned(), format!("/handoffs/{handoff_id}")] {
            let (status, page) = app.page(&browser, &path).await;
            assert_eq!(status, 200, "{path}");
            assert!(page.contains("Replica lag over 30s"), "{path}");
            assert!(page.contains(&format!("<time datetime=\"{iso}\">{text}</time>")), "{path} in {bob_zone}: {text}");
        }
        let (_, log) = app.page(&browser, "/log?tz=UTC").await;
        assert!(log.contains(&format!("<time datetime=\"{iso}\">Mon 30 Nov 08:00 UTC</time>")), "?tz= wins");

        // The quick form: one line, now.
        let (status, location, _) = app.post_form(&browser, "/log", &[("kind", "change"), ("title", "Restarted the replica"), ("issues", "")]).await;
        assert_eq!((status, location.as_deref()), (303, Some("/log")));
        let (_, log) = app.page(&browser, "/log").await;
        let newest = log.find("Restarted the replica").unwrap();
        assert!(newest < log.find("Replica lag over 30s").unwrap(), "newest first");
        let (status, _, page) = app.post_form(&browser, "/log", &[("kind", "change"), ("title", "  "), ("issues", "")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("id=\"title-error\""), "the error beside the title");
        let (status, _, page) = app.post_form(&browser, "/log", &[("kind", "change"), ("title", "x"), ("issues", "https://example.com/a/b/-/issues/1")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("id=\"issues-error\""), "the error beside the issues");

        // Filters: kind, author, day (the viewer's calendar), issue.
        let (_, changes) = app.page(&browser, "/log?kind=change").await;
        assert!(changes.contains("Restarted the replica") && !changes.contains("Replica lag over 30s"));
        let (_, by_alice) = app.page(&browser, "/log?author=alice").await;
        assert!(!by_alice.contains("Restarted the replica") && by_alice.contains("Replica lag over 30s"));
        let (_, that_day) = app.page(&browser, "/log?day=2026-11-30&tz=UTC").await;
        assert!(that_day.contains("Replica lag over 30s") && !that_day.contains("Restarted the replica"));
        let (_, linking) = app.page(&browser, "/log?issue=gitlab-com/gl-infra/production%234242").await;
        assert!(linking.contains("Replica lag over 30s") && !linking.contains("Restarted the replica"));
        let (status, bad) = app.page(&browser, "/log?day=someday").await;
        assert_eq!(status, 422);
        assert!(bad.contains("id=\"f_day-error\""));
    }
}
