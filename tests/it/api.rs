//! The JSON API, end to end over HTTP, on both backends.

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

const ISSUE_URL: &str = "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234";

fn outage(pass_to: Option<&str>) -> Value {
    json!({
        "kind": "outage",
        "title": "Patroni failover loop on the main cluster",
        "severity": 1,
        "issues": [ISSUE_URL],
        "note": {"body": "Replica lag 30s. Next: watch failovers.", "pass_to": pass_to},
    })
}

backend_tests! {
    async fn the_server_answers_health_and_readiness(app) {
        let health = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(health.status(), 200);
        let ready = reqwest::get(app.url("/readyz")).await.unwrap();
        assert_eq!(ready.status(), 200);
        assert_eq!(ready.text().await.unwrap().trim(), "ready");
    }

    async fn a_handoff_passes_from_alice_to_bob_who_acknowledges_it(app) {
        let (alice, bob, carol) = app.alice_bob_carol();
        let created = app.create_handoff(&alice, outage(Some("bob"))).await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["holder"]["username"], "alice");
        assert_eq!(created["pending_to"]["username"], "bob");
        assert_eq!(created["issues"][0]["ref"], "gitlab-com/gl-infra/production#1234");
        assert_eq!(created["issues"][0]["url"], ISSUE_URL);
        assert!(created["url"].as_str().unwrap().ends_with(&format!("/handoffs/{id}")));

        // The list shows it waiting for bob, with bob's local time in Tokyo.
        let (status, list) = app.get_json("/api/v1/handoffs", &carol).await;
        assert_eq!(status, 200);
        let item = &list["handoffs"][0];
        assert_eq!(item["id"], id.as_str());
        assert_eq!(item["pending_to"]["timezone"], "Asia/Tokyo");
        assert!(item["pending_to"]["local_time"].as_str().unwrap().ends_with("+09:00"));
        assert!(item["pending_since"].as_str().unwrap().ends_with('Z'));

        // Carol, a viewer, can neither acknowledge nor write.
        let ack = format!("/api/v1/handoffs/{id}/acknowledge");
        let (status, body) = app.send_json(Method::POST, &ack, &carol, &json!({})).await;
        assert_eq!(status, 403, "{body}");
        let (status, _) = app
            .send_json(Method::POST, &format!("/api/v1/handoffs/{id}/notes"), &carol, &json!({"body": "hi"}))
            .await;
        assert_eq!(status, 403);
        // Alice is not the recipient either.
        let (status, _) = app.send_json(Method::POST, &ack, &alice, &json!({})).await;
        assert_eq!(status, 403);

        let (status, taken) = app.send_json(Method::POST, &ack, &bob, &json!({})).await;
        assert_eq!(status, 200, "{taken}");
        assert_eq!(taken["holder"]["username"], "bob");
        assert!(taken["pending_to"].is_null());

        let (_, one) = app.get_json(&format!("/api/v1/handoffs/{id}"), &bob).await;
        assert!(one["notes"][0]["acknowledged_at"].as_str().unwrap().ends_with('Z'));

        // Nothing is pending any more.
        let (status, _) = app.send_json(Method::POST, &ack, &bob, &json!({})).await;
        assert_eq!(status, 409);
    }

    async fn a_stale_version_is_rejected_with_409_and_changes_nothing(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let created = app.create_handoff(&alice, outage(None)).await;
        let path = format!("/api/v1/handoffs/{}", created["id"].as_str().unwrap());
        let version = created["version"].as_i64().unwrap();

        let (status, changed) = app
            .send_json(Method::PATCH, &path, &alice, &json!({"version": version, "title": "New title", "severity": 2}))
            .await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["title"], "New title");
        assert_eq!(changed["version"].as_i64().unwrap(), version + 1);

        let (status, body) = app
            .send_json(Method::PATCH, &path, &alice, &json!({"version": version, "title": "Lost update"}))
            .await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["code"], "conflict");
        let (_, now) = app.get_json(&path, &alice).await;
        assert_eq!(now["title"], "New title");

        let (status, body) = app.send_json(Method::PATCH, &path, &alice, &json!({"title": "x"})).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "version");
    }

    async fn a_pass_to_an_unknown_user_or_a_viewer_is_422_naming_the_field(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let (status, body) = app.send_json(Method::POST, "/api/v1/handoffs", &alice, &outage(Some("zed"))).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "note.pass_to");
        let created = app.create_handoff(&alice, outage(None)).await;
        let notes = format!("/api/v1/handoffs/{}/notes", created["id"].as_str().unwrap());
        let (status, body) = app
            .send_json(Method::POST, &notes, &alice, &json!({"body": "over to you", "pass_to": "carol"}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "pass_to");
        assert!(body["error"]["message"].as_str().unwrap().contains("viewer"));
    }

    async fn a_note_over_64_kib_is_413_and_an_empty_one_422(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let created = app.create_handoff(&alice, outage(None)).await;
        let notes = format!("/api/v1/handoffs/{}/notes", created["id"].as_str().unwrap());
        let big = "x".repeat(64 * 1024 + 1);
        let (status, body) = app.send_json(Method::POST, &notes, &alice, &json!({"body": big})).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(body["error"]["field"], "body");
        let exactly = "x".repeat(64 * 1024);
        let (status, _) = app.send_json(Method::POST, &notes, &alice, &json!({"body": exactly})).await;
        assert_eq!(status, 201);
        let (status, _) = app.send_json(Method::POST, &notes, &alice, &json!({"body": "  "})).await;
        assert_eq!(status, 422);
        let huge = "y".repeat(1024 * 1024);
        let (status, body) = app.send_json(Method::POST, &notes, &alice, &json!({"body": huge})).await;
        assert_eq!(status, 413, "{body}");
    }

    async fn unknown_and_malformed_ids_are_404(app) {
        let (alice, _, _) = app.alice_bob_carol();
        for path in [
            "/api/v1/handoffs/not-a-uuid".to_owned(),
            format!("/api/v1/handoffs/{}", uuid::Uuid::now_v7()),
        ] {
            let (status, body) = app.get_json(&path, &alice).await;
            assert_eq!(status, 404, "{path}");
            assert_eq!(body["error"]["code"], "not_found");
        }
        let ack = format!("/api/v1/handoffs/{}/acknowledge", uuid::Uuid::now_v7());
        let (status, _) = app.send_json(Method::POST, &ack, &alice, &json!({})).await;
        assert_eq!(status, 404);
        let (status, _) = app.get_json("/api/v1/nothing-here", &alice).await;
        assert_eq!(status, 404);
        let res = app.api(Method::DELETE, "/api/v1/shifts/nope", &alice).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }

    async fn requests_without_a_valid_token_are_401(app) {
        app.alice_bob_carol();
        let res = reqwest::get(app.url("/api/v1/handoffs")).await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let (status, body) = app.get_json("/api/v1/handoffs", "baton_0000").await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], "unauthorized");
    }

    async fn malformed_json_is_400_and_wrong_shapes_are_422(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let res = app
            .api(Method::POST, "/api/v1/handoffs", &alice)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let (status, body) = app
            .send_json(Method::POST, "/api/v1/handoffs", &alice, &json!({"kind": "outage", "severity": 1, "note": {"body": "x"}}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "title");
        let (status, body) = app
            .send_json(Method::POST, "/api/v1/handoffs", &alice, &json!({"kind": "fire", "title": "t", "severity": 1, "note": {"body": "x"}}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "kind");
        let (status, body) = app
            .send_json(Method::POST, "/api/v1/handoffs", &alice, &json!({"kind": "outage", "title": "t", "severity": 7, "note": {"body": "x"}}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "severity");
        let (status, body) = app
            .send_json(Method::POST, "/api/v1/handoffs", &alice, &json!({"kind": "outage", "title": "t", "severity": 1, "note": {"body": "x"}, "colour": "red"}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["field"], "colour");
        let (status, _) = app.get_json("/api/v1/handoffs?limit=500", &alice).await;
        assert_eq!(status, 422);
        let (status, _) = app.get_json("/api/v1/handoffs?status=maybe", &alice).await;
        assert_eq!(status, 422);
        let (status, _) = app.get_json("/api/v1/handoffs?cursor=garbage", &alice).await;
        assert_eq!(status, 422);
    }

    async fn every_accepted_issue_form_is_one_canonical_link_and_other_hosts_are_refused(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let mut body = outage(None);
        body["issues"] = json!([
            ISSUE_URL,
            "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/incident/1234",
            "https://gitlab.com/gitlab-com/gl-infra/production/-/work_items/1234#note_55",
            "https://gitlab.com/gitlab-com/gl-infra/production/issues/1234/?x=1",
            "gitlab-com/gl-infra/production#1234",
            "gitlab-org/gitlab#7"
        ]);
        let created = app.create_handoff(&alice, body).await;
        let refs: Vec<&str> = created["issues"].as_array().unwrap().iter().map(|i| i["ref"].as_str().unwrap()).collect();
        assert_eq!(refs, ["gitlab-com/gl-infra/production#1234", "gitlab-org/gitlab#7"]);

        let mut bad = outage(None);
        bad["issues"] = json!([ISSUE_URL, "https://gitlab.example.com/a/b/-/issues/1"]);
        let (status, err) = app.send_json(Method::POST, "/api/v1/handoffs", &alice, &bad).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "issues[1]");
        assert!(err["error"]["message"].as_str().unwrap().contains("not an issue on gitlab.com"), "{err}");

        bad["issues"] = json!(["https://gitlab.com/gitlab-org/gitlab/-/merge_requests/5"]);
        let (status, err) = app.send_json(Method::POST, "/api/v1/handoffs", &alice, &bad).await;
        assert_eq!(status, 422);
        assert!(err["error"]["message"].as_str().unwrap().contains("merge request"), "{err}");

        bad["issues"] = json!(["#1234"]);
        let (status, err) = app.send_json(Method::POST, "/api/v1/handoffs", &alice, &bad).await;
        assert_eq!(status, 422, "a bare #1234 needs a default project: {err}");
    }

    async fn markdown_is_rendered_and_anything_active_is_removed(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let mut body = outage(None);
        body["note"]["body"] = json!(
            "**bold** see https://gitlab.com/gitlab-org/gitlab/-/issues/42\n\n<script>alert(1)</script>\n[x](javascript:alert(2))\n<img src=x onerror=alert(3)>"
        );
        let created = app.create_handoff(&alice, body).await;
        let note = &created["notes"][0];
        let html = note["body_html"].as_str().unwrap();
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains(">gitlab-org/gitlab#42</a>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert_eq!(note["issues"][0]["ref"], "gitlab-org/gitlab#42");

        let browser = common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, page) = app.page(&browser, &format!("/handoffs/{}", created["id"].as_str().unwrap())).await;
        assert_eq!(status, 200);
        assert!(page.contains("<strong>bold</strong>"));
        assert!(!page.contains("<script>alert"), "the page must not carry the script");
    }

    async fn a_resolved_handoff_takes_no_note_pass_or_second_resolution(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let created = app.create_handoff(&alice, outage(None)).await;
        let id = created["id"].as_str().unwrap();
        let (status, body) = app.send_json(Method::POST, &format!("/api/v1/handoffs/{id}/resolve"), &alice, &json!({"body": ""})).await;
        assert_eq!(status, 422, "{body}");
        let (status, resolved) = app
            .send_json(Method::POST, &format!("/api/v1/handoffs/{id}/resolve"), &alice, &json!({"body": "Failover fixed"}))
            .await;
        assert_eq!(status, 200, "{resolved}");
        assert_eq!(resolved["status"], "resolved");
        assert!(resolved["resolved_at"].as_str().unwrap().ends_with('Z'));
        let (status, _) = app
            .send_json(Method::POST, &format!("/api/v1/handoffs/{id}/notes"), &alice, &json!({"body": "x", "pass_to": "bob"}))
            .await;
        assert_eq!(status, 409);
        let (status, _) = app
            .send_json(Method::POST, &format!("/api/v1/handoffs/{id}/resolve"), &alice, &json!({"body": "again"}))
            .await;
        assert_eq!(status, 409);

        let (_, open) = app.get_json("/api/v1/handoffs", &alice).await;
        assert_eq!(open["handoffs"].as_array().unwrap().len(), 0);
        let (_, done) = app.get_json("/api/v1/handoffs?status=resolved", &alice).await;
        assert_eq!(done["handoffs"][0]["id"], id);
    }

    async fn the_list_filters_by_kind_and_issue_and_pages_with_a_cursor(app) {
        let (alice, _, _) = app.alice_bob_carol();
        for n in 0..5 {
            let mut body = outage(None);
            body["title"] = json!(format!("Outage {n}"));
            body["issues"] = json!([format!("gitlab-org/gitlab#{}", n + 1)]);
            app.create_handoff(&alice, body).await;
        }
        app.create_handoff(&alice, json!({
            "kind": "perceived_data_loss", "title": "Missing uploads", "severity": 2,
            "note": {"body": "Users report missing files"}
        })).await;

        let (_, page1) = app.get_json("/api/v1/handoffs?limit=4", &alice).await;
        assert_eq!(page1["handoffs"].as_array().unwrap().len(), 4);
        assert_eq!(page1["handoffs"][0]["title"], "Missing uploads", "newest activity first");
        let cursor = page1["next_cursor"].as_str().unwrap();
        let (_, page2) = app.get_json(&format!("/api/v1/handoffs?limit=4&cursor={cursor}"), &alice).await;
        assert_eq!(page2["handoffs"].as_array().unwrap().len(), 2);
        assert!(page2["next_cursor"].is_null());
        let mut titles: Vec<String> = page1["handoffs"].as_array().unwrap().iter()
            .chain(page2["handoffs"].as_array().unwrap())
            .map(|h| h["title"].as_str().unwrap().to_owned())
            .collect();
        titles.sort();
        titles.dedup();
        assert_eq!(titles.len(), 6, "no handoff twice, none lost");

        let (_, dl) = app.get_json("/api/v1/handoffs?kind=perceived_data_loss", &alice).await;
        assert_eq!(dl["handoffs"].as_array().unwrap().len(), 1);
        let (_, by_issue) = app
            .get_json("/api/v1/handoffs?issue=https://gitlab.com/gitlab-org/gitlab/-/issues/4", &alice)
            .await;
        assert_eq!(by_issue["handoffs"].as_array().unwrap().len(), 1);
        assert_eq!(by_issue["handoffs"][0]["title"], "Outage 3");
        let (status, err) = app.get_json("/api/v1/handoffs?issue=https://github.com/a/b/issues/1", &alice).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "issue");
    }

    async fn data_loss_fields_are_kept_and_refused_on_an_outage(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let created = app.create_handoff(&alice, json!({
            "kind": "perceived_data_loss", "title": "Missing uploads", "severity": 2,
            "note": {"body": "Users report missing files"},
            "data_loss": {"scope": "uploads bucket, project avatars", "recovery_point": "2026-11-29 06:00 UTC snapshot"}
        })).await;
        assert_eq!(created["data_loss"]["verification"], "unverified");
        assert_eq!(created["data_loss"]["customers_notified"], false);
        let path = format!("/api/v1/handoffs/{}", created["id"].as_str().unwrap());
        let (status, patched) = app
            .send_json(Method::PATCH, &path, &alice, &json!({"version": created["version"], "data_loss": {"verification": "ruled_out", "customers_notified": true}}))
            .await;
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["data_loss"]["verification"], "ruled_out");
        assert_eq!(patched["data_loss"]["customers_notified"], true);
        assert_eq!(patched["data_loss"]["scope"], "uploads bucket, project avatars");
        let (status, err) = app
            .send_json(Method::PATCH, &path, &alice, &json!({"version": patched["version"], "data_loss": {"verification": "maybe"}}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "data_loss.verification");

        let outage = app.create_handoff(&alice, outage(None)).await;
        assert!(outage["data_loss"].is_null());
        let (status, err) = app
            .send_json(Method::PATCH, &format!("/api/v1/handoffs/{}", outage["id"].as_str().unwrap()), &alice,
                &json!({"version": outage["version"], "data_loss": {"scope": "x"}}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "data_loss");
    }

    async fn shifts_are_checked_listed_and_show_who_is_on_call(app) {
        let (alice, bob, carol) = app.alice_bob_carol();
        let now = chrono::Utc::now();
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let shift = |user: &str, from, to| json!({"username": user, "role": "EOC", "starts_at": fmt(from), "ends_at": fmt(to)});
        let hour = chrono::Duration::hours(1);

        let (status, err) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift("alice", now, now - hour)).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "ends_at");
        let (status, _) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift("alice", now, now + chrono::Duration::days(15))).await;
        assert_eq!(status, 422);
        let (status, _) = app.send_json(Method::POST, "/api/v1/shifts", &carol, &shift("alice", now - hour, now + hour)).await;
        assert_eq!(status, 403);
        let (status, _) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift("nobody", now - hour, now + hour)).await;
        assert_eq!(status, 422);

        let (status, current) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift("alice", now - hour, now + hour)).await;
        assert_eq!(status, 201, "{current}");
        let (status, _) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift("alice", now, now + hour * 2)).await;
        assert_eq!(status, 409, "overlapping shift of the same person and role");
        let (status, _) = app.send_json(Method::POST, "/api/v1/shifts", &bob, &shift("bob", now + hour, now + hour * 9)).await;
        assert_eq!(status, 201);

        let (_, oncall) = app.get_json("/api/v1/oncall", &carol).await;
        let eoc = &oncall["roles"][0];
        assert_eq!(eoc["role"], "EOC");
        assert_eq!(eoc["on_call"][0]["user"]["username"], "alice");
        assert_eq!(eoc["on_call"][0]["user"]["timezone"], "Europe/Amsterdam");
        assert_eq!(eoc["next"]["user"]["username"], "bob");

        let (_, listed) = app.get_json(&format!("/api/v1/shifts?from={}&to={}", fmt(now - hour * 2), fmt(now + hour * 2)), &carol).await;
        assert_eq!(listed["shifts"].as_array().unwrap().len(), 2);
        let (status, _) = app.get_json("/api/v1/shifts?from=yesterday", &carol).await;
        assert_eq!(status, 422);

        let id = current["id"].as_str().unwrap();
        let res = app.api(Method::DELETE, &format!("/api/v1/shifts/{id}"), &alice).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let res = app.api(Method::DELETE, &format!("/api/v1/shifts/{id}"), &alice).send().await.unwrap();
        assert_eq!(res.status(), 404);
    }

    async fn a_shift_is_kept_to_the_second_and_the_default_span_is_seven_days_of_the_callers_calendar(app) {
        let (alice, _, _) = app.alice_bob_carol();
        app.add_user("nora", "America/New_York", "responder");
        let nora = app.token("nora");
        // Sunday 1 November 2026, 23:30:15.75 in New York (after the fall-back).
        let shift = json!({"username": "bob", "role": "EOC", "starts_at": "2026-11-02T04:30:15.750Z", "ends_at": "2026-11-01T23:50:00.25-05:00"});
        let (status, created) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["starts_at"], "2026-11-02T04:30:15Z");
        assert_eq!(created["ends_at"], "2026-11-02T04:50:00Z");
        // From Monday 26 October 00:00 in New York, a week is 169 hours:
        // it holds the shift late on Sunday 1 November.
        let (status, listed) = app.get_json("/api/v1/shifts?from=2026-10-26T04:00:00Z", &nora).await;
        assert_eq!(status, 200);
        assert_eq!(listed["shifts"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed["shifts"][0]["starts_at"], "2026-11-02T04:30:15Z");
        // In Amsterdam (whose clocks went back on 25 October) the same
        // instant plus seven local days ends at 04:00 UTC, before the shift.
        let (_, listed) = app.get_json("/api/v1/shifts?from=2026-10-26T04:00:00Z", &alice).await;
        assert_eq!(listed["shifts"].as_array().unwrap().len(), 0, "{listed}");
    }

    async fn carry_over_counts_the_shift_changes_a_handoff_survived(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let created = app.create_handoff(&alice, outage(None)).await;
        assert_eq!(created["carry_over"], 0);
        // Shifts that started after the handoff was opened: two changes.
        let now = chrono::Utc::now();
        let mut conn = app.db.conn().unwrap();
        let alice_user = baton::db::models::users::find_by_username(&mut conn, &"alice".parse().unwrap()).unwrap().unwrap();
        for (role, start_ms) in [("EOC", 5), ("IMOC", 10)] {
            let input = baton::db::models::shifts::ShiftInput {
                user_id: alice_user.id.clone(),
                role: role.into(),
                starts_at: now + chrono::Duration::milliseconds(start_ms),
                ends_at: now + chrono::Duration::hours(8),
            };
            baton::db::models::shifts::create(&mut conn, &input).unwrap();
        }
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let (_, again) = app.get_json(&format!("/api/v1/handoffs/{}", created["id"].as_str().unwrap()), &alice).await;
        assert_eq!(again["carry_over"], 2, "{again}");
    }

    async fn your_profile_changes_name_and_zone_and_refuses_an_unknown_zone(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let (status, me) = app.get_json("/api/v1/users/me", &alice).await;
        assert_eq!(status, 200);
        assert_eq!(me["username"], "alice");
        assert_eq!(me["role"], "responder");
        let (status, err) = app.send_json(Method::PATCH, "/api/v1/users/me", &alice, &json!({"timezone": "Mars/Olympus"})).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "timezone");
        let (status, me) = app
            .send_json(Method::PATCH, "/api/v1/users/me", &alice, &json!({"name": "Alice A.", "timezone": "Asia/Kathmandu"}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(me["name"], "Alice A.");
        assert!(me["local_time"].as_str().unwrap().ends_with("+05:45"), "{me}");
    }

    async fn the_openapi_document_describes_every_api_route_and_field(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let doc: Value = reqwest::get(app.url("/api/openapi.json")).await.unwrap().json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        let expected = [
            ("/api/v1/handoffs", "get"), ("/api/v1/handoffs", "post"),
            ("/api/v1/handoffs/{id}", "get"), ("/api/v1/handoffs/{id}", "patch"),
            ("/api/v1/handoffs/{id}/notes", "post"), ("/api/v1/handoffs/{id}/acknowledge", "post"),
            ("/api/v1/handoffs/{id}/resolve", "post"),
            ("/api/v1/shifts", "get"), ("/api/v1/shifts", "post"), ("/api/v1/shifts/{id}", "delete"),
            ("/api/v1/oncall", "get"), ("/api/v1/users/me", "get"), ("/api/v1/users/me", "patch"),
        ];
        for (path, method) in expected {
            assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not described");
        }
        let described: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(described, expected.len(), "the document describes a route the server does not have");

        // The schema names exactly the fields the server answers with.
        let created = app.create_handoff(&alice, outage(Some("bob"))).await;
        let schema = &doc["components"]["schemas"]["HandoffJson"]["properties"];
        let mut documented: Vec<&String> = schema.as_object().unwrap().keys().collect();
        let mut answered: Vec<&String> = created.as_object().unwrap().keys().collect();
        documented.sort();
        answered.sort();
        assert_eq!(documented, answered);
        let error_schema = &doc["components"]["schemas"]["ErrorDetail"]["properties"];
        for key in ["code", "message", "field"] {
            assert!(error_schema.get(key).is_some(), "ErrorDetail.{key}");
        }
    }

    async fn a_list_polled_again_is_kept_until_a_write_and_a_revoked_token_stops_within_moments(app) {
        let (alice, _, _) = app.alice_bob_carol();
        app.create_handoff(&alice, outage(None)).await;
        let first = app.api(reqwest::Method::GET, "/api/v1/handoffs", &alice).send().await.unwrap();
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let held = app.api(reqwest::Method::GET, "/api/v1/handoffs", &alice).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(held.status(), 304);

        // A write shows at once.
        app.create_handoff(&alice, json!({"kind": "outage", "title": "Second one", "severity": 3, "note": {"body": "b"}})).await;
        let (status, list) = app.get_json("/api/v1/handoffs", &alice).await;
        assert_eq!(status, 200);
        assert!(list.to_string().contains("Second one"), "{list}");

        // Revoked elsewhere (the command line): refused within moments.
        let mut conn = app.db.conn().unwrap();
        let id = baton::db::models::tokens::list(&mut conn, Some(&"alice".parse().unwrap())).unwrap()[0].id.clone();
        baton::db::models::tokens::revoke(&mut conn, &id).unwrap();
        let mut refused = false;
        for _ in 0..100 {
            if app.get_json("/api/v1/handoffs", &alice).await.0 == 401 {
                refused = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(refused, "a revoked token still works");
    }
}

#[tokio::test]
async fn local_mode_refuses_to_listen_beyond_loopback_unless_forced() {
    let db = std::env::temp_dir().join(format!("baton-test-{}.db", uuid::Uuid::new_v4().simple()));
    let mut values = std::collections::HashMap::new();
    values.insert(
        "BATON_DATABASE_URL".to_owned(),
        format!("sqlite://{}", db.display()),
    );
    values.insert("BATON_BIND".to_owned(), "0.0.0.0:0".to_owned());
    let settings = baton::config::Settings::from_values(&values).unwrap();
    let refused = baton::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(
        refused.contains("BATON_ALLOW_INSECURE_LOCAL_MODE"),
        "{refused}"
    );
    values.insert("BATON_ALLOW_INSECURE_LOCAL_MODE".to_owned(), "1".to_owned());
    let settings = baton::config::Settings::from_values(&values).unwrap();
    assert!(baton::startup::Application::build(settings).await.is_ok());
    let _ = std::fs::remove_file(&db);
}
