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

    async fn notes_written_at_once_to_one_handoff_all_land_each_once(app) {
        let (alice, bob, _) = app.alice_bob_carol();
        let created = app.create_handoff(&alice, outage(None)).await;
        let id = created["id"].as_str().unwrap();
        let path = format!("/api/v1/handoffs/{id}/notes");
        // Plain notes (written without a lock on PostgreSQL) and notes that
        // name an issue (written under it), all racing for the same row.
        let mut writes = tokio::task::JoinSet::new();
        for i in 0..28 {
            let body = match i % 7 {
                0 => format!("check {i}, see gitlab-com/gl-infra/production#{}", 100 + i),
                _ => format!("check {i}"),
            };
            let token = if i % 2 == 0 { &alice } else { &bob };
            let request = app.api(Method::POST, &path, token).json(&json!({ "body": body }));
            writes.spawn(async move { request.send().await.expect("request").status().as_u16() });
        }
        while let Some(status) = writes.join_next().await {
            assert_eq!(status.expect("a write"), 201);
        }
        let (_, one) = app.get_json(&format!("/api/v1/handoffs/{id}"), &alice).await;
        assert_eq!(one["version"], 29, "every note moves the version once: {one}");
        let mut bodies: Vec<&str> = one["notes"].as_array().unwrap()[1..]
            .iter()
            .map(|n| n["body"].as_str().unwrap())
            .collect();
        bodies.sort_unstable();
        bodies.dedup();
        assert_eq!(bodies.len(), 28, "a note is lost or written twice");
        let linking = one["notes"].as_array().unwrap().iter().filter(|n| n["issues"].as_array().is_some_and(|i| i.len() == 1));
        assert_eq!(linking.count(), 4, "the notes' issues are not all linked");
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

    async fn a_pass_to_an_unknown_user_a_viewer_or_oneself_is_409_naming_the_field(app) {
        let (alice, _, _) = app.alice_bob_carol();
        // Well formed, so not a 422: it conflicts with who there is.
        let (status, body) = app.send_json(Method::POST, "/api/v1/handoffs", &alice, &outage(Some("zed"))).await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["field"], "note.pass_to");
        assert_eq!(body["error"]["code"], "conflict");
        let (status, body) = app.send_json(Method::POST, "/api/v1/handoffs", &alice, &outage(Some("alice"))).await;
        assert_eq!(status, 409, "a pass to oneself: {body}");
        assert_eq!(body["error"]["field"], "note.pass_to");
        let created = app.create_handoff(&alice, outage(None)).await;
        let notes = format!("/api/v1/handoffs/{}/notes", created["id"].as_str().unwrap());
        let (status, body) = app
            .send_json(Method::POST, &notes, &alice, &json!({"body": "over to you", "pass_to": "carol"}))
            .await;
        assert_eq!(status, 409);
        assert_eq!(body["error"]["field"], "pass_to");
        assert!(body["error"]["message"].as_str().unwrap().contains("viewer"));
    }

    async fn a_note_over_64_kib_or_an_empty_one_is_422_and_a_body_over_1_mib_413(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let created = app.create_handoff(&alice, outage(None)).await;
        let notes = format!("/api/v1/handoffs/{}/notes", created["id"].as_str().unwrap());
        let big = "x".repeat(64 * 1024 + 1);
        let (status, body) = app.send_json(Method::POST, &notes, &alice, &json!({"body": big})).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "body");
        // Counted in bytes: 40,000 two-byte characters are 80,000 bytes.
        let (status, body) = app.send_json(Method::POST, &notes, &alice, &json!({"body": "é".repeat(40_000)})).await;
        assert_eq!(status, 422, "{body}");
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
        // Every JSON body is an object: serde would read a struct from an array.
        for body in [json!([null, null]), json!(["Alice", "UTC"]), json!("x"), json!(5), json!(null), json!(true)] {
            let (status, err) = app.send_json(Method::PATCH, "/api/v1/users/me", &alice, &body).await;
            assert_eq!(status, 400, "{body}: {err}");
            assert_eq!(err["error"]["code"], "malformed");
            assert!(err["error"]["message"].as_str().unwrap().contains("JSON object"), "{err}");
        }
        let (_, me) = app.get_json("/api/v1/users/me", &alice).await;
        assert_eq!(me["timezone"], "Europe/Amsterdam", "nothing changed");
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
        assert_eq!(status, 409, "a well-formed change this handoff's kind refuses: {err}");
        assert_eq!(err["error"]["field"], "data_loss");
        let (status, err) = app
            .send_json(Method::POST, "/api/v1/handoffs", &alice,
                &json!({"kind": "outage", "title": "t", "severity": 1, "note": {"body": "b"}, "data_loss": {"scope": "x"}}))
            .await;
        assert_eq!(status, 422, "the document says an outage takes no data_loss: {err}");
        assert_eq!(err["error"]["field"], "data_loss");
    }

    async fn shifts_are_checked_listed_and_show_who_is_on_call(app) {
        let (alice, bob, carol) = app.alice_bob_carol();
        let now = chrono::Utc::now();
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let shift = |user: &str, from, to| json!({"username": user, "role": "EOC", "starts_at": fmt(from), "ends_at": fmt(to)});
        let hour = chrono::Duration::hours(1);

        // Each time is well formed; the pair is not a shift the schedule can hold.
        let (status, err) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift("alice", now, now - hour)).await;
        assert_eq!(status, 409);
        assert_eq!(err["error"]["field"], "ends_at");
        let (status, _) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift("alice", now, now + chrono::Duration::days(15))).await;
        assert_eq!(status, 409);
        let (status, _) = app.send_json(Method::POST, "/api/v1/shifts", &carol, &shift("alice", now - hour, now + hour)).await;
        assert_eq!(status, 403);
        let (status, err) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift("nobody", now - hour, now + hour)).await;
        assert_eq!(status, 409);
        assert_eq!(err["error"]["field"], "username");
        let (status, err) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &json!({"username": "alice", "role": "EOC", "starts_at": "2026-11-29 09:00:00Z", "ends_at": "2026-11-29T17:00:00Z"})).await;
        assert_eq!(status, 422);
        assert_eq!(err["error"]["field"], "starts_at");

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
        // A longer span is answered in part, and says where it stopped; an
        // empty one has no shifts.
        let (status, part) = app.get_json("/api/v1/shifts?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", &carol).await;
        assert_eq!(status, 200);
        assert_eq!(part["to"], "2026-04-03T00:00:00Z");
        let (status, empty) = app.get_json(&format!("/api/v1/shifts?from={}&to={}", fmt(now + hour), fmt(now - hour)), &carol).await;
        assert_eq!(status, 200);
        assert_eq!(empty["shifts"].as_array().unwrap().len(), 0);

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
            ("/api/v1/shifts", "get"), ("/api/v1/shifts", "post"), ("/api/v1/shifts/import", "post"), ("/api/v1/shifts/{id}", "delete"),
            ("/api/v1/oncall", "get"), ("/api/v1/users/me", "get"), ("/api/v1/users/me", "patch"),
            ("/api/v1/uncovered", "get"), ("/api/v1/export", "get"),
            ("/api/v1/events", "get"), ("/api/v1/events", "post"), ("/api/v1/events/{id}", "get"),
            ("/api/v1/handovers", "get"),
            ("/api/v1/rotations", "get"), ("/api/v1/rotations", "post"),
            ("/api/v1/rotations/{id}", "get"), ("/api/v1/rotations/{id}", "patch"),
            ("/api/v1/rotations/{id}", "delete"), ("/api/v1/shifts.ics", "get"),
            ("/api/v1/cover-requests", "get"), ("/api/v1/cover-requests", "post"),
            ("/api/v1/cover-requests/{id}/take", "post"), ("/api/v1/cover-requests/{id}/cancel", "post"),
            ("/api/v1/review", "get"),
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

    async fn the_openapi_document_says_what_every_operation_answers_to_valid_and_invalid_requests(app) {
        let (alice, bob, carol) = app.alice_bob_carol();
        // Admin routes are tried with an admin's token after the responders'.
        app.add_user("dana", "UTC", "admin");
        let dana = app.token("dana");
        // Cover requests are asked for and taken by members of their role.
        let (status, made) = app.send_json(Method::POST, "/api/v1/rotations", &alice, &json!({
            "name": "EOC weekly", "role": "EOC", "starts_at": "2026-01-05T00:00:00Z",
            "rhythm": "7d", "members": ["alice", "bob", "dana"],
        })).await;
        assert_eq!(status, 201, "{made}");
        let doc: Value = reqwest::get(app.url("/api/openapi.json")).await.unwrap().json().await.unwrap();
        let contract = Contract { doc: &doc, app: &app };

        // Exactly the served API routes are documented.
        let mut served: Vec<(String, String)> = baton::routes::API_ROUTES
            .iter()
            .map(|r| (r.method.to_owned(), r.path.to_owned()))
            .collect();
        let mut documented: Vec<(String, String)> = contract.operations().iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
        served.sort();
        documented.sort();
        assert_eq!(documented, served, "every API route documented, and nothing else");

        let mut seen: Vec<(String, String, u16)> = Vec::new();
        for (method, path, op) in contract.operations() {
            let label = format!("{} {path}", method.to_uppercase());
            let statuses: Vec<u16> = op["responses"].as_object().unwrap().keys().map(|s| s.parse().unwrap()).collect();
            let mut record = |status: u16, what: &str, body: &Value| {
                assert!(statuses.contains(&status), "{label}: {what} answered {status}, which is not documented ({statuses:?}): {body}");
                let schema = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
                if !schema.is_null() {
                    let errors = contract.validate(schema, body, "", true);
                    assert!(errors.is_empty(), "{label}: {what} answered {status} with a body the document does not describe: {errors:?}\n{body}");
                }
                if status >= 400 {
                    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{label}: {what}: the JSON error format: {body}");
                }
                seen.push((method.clone(), path.clone(), status));
            };

            // A valid request, built from the document: the examples, the
            // path from the link of the operation that creates the resource.
            let valid = contract.valid_request(&method, &path, &op, false).await;
            let mut answered = None;
            for token in [&alice, &bob, &dana] {
                let (status, body, headers) = contract.send(&valid, token).await;
                record(status, "a valid request", &body);
                if (200..300).contains(&status) {
                    for (name, _) in op["responses"][status.to_string()]["headers"].as_object().into_iter().flatten() {
                        assert!(headers.contains_key(name.to_lowercase().as_str()), "{label}: the documented {name} header");
                    }
                    answered = Some((token.clone(), headers));
                    break;
                }
                assert!(matches!(status, 403 | 409), "{label}: a valid request is refused with {status}: {body}");
            }
            let (token, headers) = answered.unwrap_or_else(|| panic!("{label}: no valid request succeeded, a responder's or an admin's"));
            // Once more: a write that was done is a conflict (stale version,
            // nothing pending, resolved, overlapping) or a 404, not an error.
            let (status, body, _) = contract.send(&valid, &token).await;
            record(status, "the same request again", &body);
            // With every documented field: still documented answers.
            let full = contract.valid_request(&method, &path, &op, true).await;
            let (status, body, _) = contract.send(&full, &alice).await;
            record(status, "a valid request with every field", &body);
            // Kept answers are answered 304 to their ETag. The writes above
            // (the full request made its own resource) end what was kept, and
            // the answer made again may read a second later on its clocks, so
            // a new ETag: then that one is answered 304.
            if let Some(etag) = headers.get("etag") {
                let held = |etag: reqwest::header::HeaderValue| {
                    app.api(valid.method(), &valid.url(), &alice).header("if-none-match", etag).send()
                };
                let mut res = held(etag.clone()).await.unwrap();
                if res.status() == 200 {
                    let etag = res.headers().get("etag").cloned().unwrap_or_else(|| panic!("{label}: an answer made again has an ETag"));
                    res = held(etag).await.unwrap();
                }
                record(res.status().as_u16(), "a request with the ETag", &Value::Null);
            }

            // Invalid requests: each is answered by a documented 4xx in the
            // JSON error format; a 422 names the field.
            let (status, body, _) = contract.send(&valid, "").await;
            record(status, "no token", &body);
            assert_eq!(status, 401, "{label}: no token");
            let (status, body, _) = contract.send(&valid, &carol).await;
            record(status, "a viewer", &body);
            assert_eq!(status == 403, statuses.contains(&403), "{label}: a viewer is refused where the document says so: {status}");
            if path.contains("{id}") {
                for id in ["not-a-uuid".to_owned(), uuid::Uuid::now_v7().to_string()] {
                    let mut other = valid.clone();
                    other.path = path.replace("{id}", &id);
                    let (status, body, _) = contract.send(&other, &alice).await;
                    record(status, "an unknown id", &body);
                    assert_eq!(status, 404, "{label}: the id {id}");
                }
            }
            for (name, value, field) in contract.invalid_queries(&op) {
                let mut other = valid.clone();
                other.query.retain(|(n, _)| *n != name);
                other.query.push((name.clone(), value.clone()));
                let (status, body, _) = contract.send(&other, &alice).await;
                record(status, &format!("{name}={value:?}"), &body);
                assert_eq!((status, body["error"]["field"].as_str()), (422, Some(field.as_str())), "{label}: {name}={value:?}: {body}");
            }
            if let Some(first) = op["parameters"].as_array().into_iter().flatten().find(|p| p["in"] == "query") {
                let name = first["name"].as_str().unwrap().to_owned();
                let mut twice = valid.clone();
                twice.query = vec![(name.clone(), "1".into()), (name, "2".into())];
                let (status, body, _) = contract.send(&twice, &alice).await;
                record(status, "a parameter given twice", &body);
                assert_eq!(status, 400, "{label}: a parameter given twice: {body}");
            }
            if let Some(body_schema) = op["requestBody"]["content"]["application/json"]["schema"].as_object() {
                let body_schema = Value::Object(body_schema.clone());
                for bad in [json!([null, null]), json!("text"), json!(5), json!(null), json!([{}])] {
                    let mut other = valid.clone();
                    other.body = Some(bad.clone());
                    let (status, body, _) = contract.send(&other, &alice).await;
                    record(status, &format!("the body {bad}"), &body);
                    assert_eq!(status, 400, "{label}: the body {bad} is not an object");
                }
                let mut other = valid.clone();
                other.raw = Some("{\"not json".into());
                let (status, body, _) = contract.send(&other, &alice).await;
                record(status, "malformed JSON", &body);
                assert_eq!(status, 400);
                other.raw = Some(format!("{{\"x\": \"{}\"}}", "y".repeat(1024 * 1024)));
                let (status, body, _) = contract.send(&other, &alice).await;
                record(status, "a body over 1 MiB", &body);
                assert_eq!(status, 413);
                let base = full.body.clone().unwrap();
                let mutations = contract.invalid_bodies(&body_schema, &base);
                assert!(mutations.len() >= 3, "{label}: some invalid bodies to try");
                for (bad, field, what) in mutations {
                    let mut other = full.clone();
                    other.body = Some(bad.clone());
                    let (status, body, _) = contract.send(&other, &alice).await;
                    record(status, &format!("{field}: {what}"), &body);
                    assert_eq!((status, body["error"]["field"].as_str()), (422, Some(field.as_str())), "{label}: {field}: {what}: {bad}: {body}");
                }
            }
        }

        // Every documented status was answered to one of these requests,
        // but for those only a particular story reaches (other tests here).
        let elsewhere = [
            ("post", "/api/v1/handoffs", 409, "a_pass_to_an_unknown_user_a_viewer_or_oneself_is_409_naming_the_field"),
            ("post", "/api/v1/handoffs/{id}/notes", 409, "a_resolved_handoff_takes_no_note_pass_or_second_resolution"),
            ("post", "/api/v1/events", 409, "events::an_event_naming_a_handoff_or_event_that_does_not_exist_is_409"),
            ("post", "/api/v1/shifts/import", 413, "import::a_malformed_file_changes_nothing_and_names_its_line"),
        ];
        for (method, path, op) in contract.operations() {
            for status in op["responses"].as_object().unwrap().keys() {
                let status: u16 = status.parse().unwrap();
                let answered = seen.iter().any(|(m, p, s)| *m == method && *p == path && *s == status);
                let story = elsewhere.iter().any(|(m, p, s, _)| *m == method && *p == path && *s == status);
                assert!(answered || story, "{method} {path} documents {status}, which nothing here produced");
            }
        }
    }

    async fn a_list_polled_again_is_kept_until_a_write_and_a_revoked_token_stops_within_moments(app) {
        let (alice, _, _) = app.alice_bob_carol();
        app.create_handoff(&alice, outage(None)).await;
        // The change watcher may see that write a moment after the first
        // answer (on a busy machine) and make the list once more: poll until
        // an answer is kept, then it stays kept.
        let mut etag = String::new();
        let mut held = false;
        for _ in 0..50 {
            let res = app.api(reqwest::Method::GET, "/api/v1/handoffs", &alice).header("if-none-match", &etag).send().await.unwrap();
            if res.status() == 304 {
                held = true;
                break;
            }
            assert_eq!(res.status(), 200);
            etag = res.headers()["etag"].to_str().unwrap().to_owned();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(held, "a list polled again with its ETag is never kept");
        let again = app.api(reqwest::Method::GET, "/api/v1/handoffs", &alice).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304, "kept until a write");

        // A write shows at once.
        let second = app.create_handoff(&alice, json!({"kind": "outage", "title": "Second one", "severity": 3, "note": {"body": "b"}})).await;
        let (status, list) = app.get_json("/api/v1/handoffs", &alice).await;
        assert_eq!(status, 200);
        assert!(list.to_string().contains("Second one"), "{list}");

        // A note leaves the token kept (no session, token or user changed);
        // revoked elsewhere (the command line), it is refused within moments
        // all the same.
        let notes = format!("/api/v1/handoffs/{}/notes", second["id"].as_str().unwrap());
        let (status, _) = app.send_json(reqwest::Method::POST, &notes, &alice, &json!({"body": "still watching"})).await;
        assert_eq!(status, 201);
        assert_eq!(app.get_json("/api/v1/handoffs", &alice).await.0, 200);
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

    async fn a_change_committed_elsewhere_after_a_long_transaction_shows_within_moments(app) {
        use diesel::connection::SimpleConnection;
        let (alice, _, _) = app.alice_bob_carol();
        let id = app.create_handoff(&alice, outage(None)).await["id"].as_str().unwrap().to_owned();
        let listed = |list: &Value| list.to_string().contains("Renamed elsewhere");
        assert_eq!(app.get_json("/api/v1/handoffs", &alice).await.0, 200);

        // psql or a command renames it in a transaction that stays open
        // while Baton looks, and reloads, several times.
        let mut conn = app.db.conn().unwrap();
        conn.batch_execute("BEGIN").unwrap();
        conn.batch_execute(&format!("UPDATE handoffs SET title = 'Renamed elsewhere' WHERE id = '{id}'")).unwrap();
        for _ in 0..5 {
            let (status, list) = app.get_json("/api/v1/handoffs", &alice).await;
            assert_eq!(status, 200);
            assert!(!listed(&list), "a change not committed yet is shown: {list}");
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
        conn.batch_execute("COMMIT").unwrap();
        let mut shown = false;
        for _ in 0..100 {
            if listed(&app.get_json("/api/v1/handoffs", &alice).await.1) {
                shown = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(shown, "the committed change is never shown: Baton keeps what it read before the commit");
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

/// A request built from the document.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    raw: Option<String>,
    /// The type of a `raw` body (JSON when none).
    content_type: Option<String>,
}

impl Request {
    fn method(&self) -> Method {
        Method::from_bytes(self.method.to_uppercase().as_bytes()).unwrap()
    }

    fn url(&self) -> String {
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                )
            })
            .collect();
        if query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, query.join("&"))
        }
    }
}

/// The OpenAPI document, read as a test would read it: requests built from
/// it, answers checked against it.
struct Contract<'a> {
    doc: &'a Value,
    app: &'a common::TestApp,
}

impl Contract<'_> {
    /// Every operation: (method, path, operation).
    fn operations(&self) -> Vec<(String, String, Value)> {
        let mut all = vec![];
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                all.push((method.clone(), path.clone(), op.clone()));
            }
        }
        all
    }

    /// `schema` with its `$ref` followed.
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        match schema["$ref"].as_str() {
            Some(r) => {
                let name = r
                    .strip_prefix("#/components/schemas/")
                    .expect("a local reference");
                let target = &self.doc["components"]["schemas"][name];
                assert!(!target.is_null(), "{r} is defined");
                self.resolve(target)
            }
            None => schema,
        }
    }

    /// The types a schema allows.
    fn types(schema: &Value) -> Vec<&str> {
        match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        }
    }

    /// A valid value of `schema`: its example, or one made from its
    /// constraints; with `full`, every optional property too.
    fn example(&self, schema: &Value, full: bool) -> Value {
        let schema = self.resolve(schema);
        if let Some(example) = schema["examples"].get(0) {
            return example.clone();
        }
        if let Some(branches) = schema["oneOf"].as_array() {
            let usable: Vec<&Value> = branches
                .iter()
                .filter(|b| Self::types(self.resolve(b)) != ["null"])
                .collect();
            let branch = if full { usable.last() } else { usable.first() };
            return self.example(branch.expect("a branch that is not null"), full);
        }
        if let Some(values) = schema["enum"].as_array() {
            return values
                .iter()
                .find(|v| !v.is_null())
                .expect("a value")
                .clone();
        }
        let kind = Self::types(schema)
            .into_iter()
            .find(|t| *t != "null")
            .unwrap_or("object");
        match kind {
            "object" => {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let mut out = serde_json::Map::new();
                for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                    if full || required.contains(&name.as_str()) {
                        out.insert(name.clone(), self.example(property, full));
                    }
                }
                Value::Object(out)
            }
            "array" if full => json!([self.example(&schema["items"], full)]),
            "array" => json!([]),
            "integer" | "number" => schema["minimum"]
                .clone()
                .as_i64()
                .map_or(json!(1), |m| json!(m)),
            "boolean" => json!(full),
            "string" => {
                match schema["format"].as_str() {
                    Some("date-time") => return json!("2026-11-29T09:00:00Z"),
                    Some("uuid") => return json!(uuid::Uuid::now_v7().to_string()),
                    _ => {}
                }
                assert!(
                    schema["pattern"].is_null(),
                    "a patterned string documents an example: {schema}"
                );
                json!("x".repeat(schema["minLength"].as_u64().unwrap_or(1) as usize))
            }
            other => panic!("no example for a {other}: {schema}"),
        }
    }

    /// A valid request for an operation; a path id comes from following
    /// the link of the operation that creates the resource.
    async fn valid_request(&self, method: &str, path: &str, op: &Value, full: bool) -> Request {
        let mut request = Request {
            method: method.to_owned(),
            path: path.to_owned(),
            query: vec![],
            body: None,
            raw: None,
            content_type: None,
        };
        let link_body = if path.contains("{id}") {
            let operation_id = op["operationId"].as_str().expect("an operationId");
            let (creator, link) = self.link_to(operation_id).unwrap_or_else(|| {
                panic!("no link says where the id of {method} {path} comes from")
            });
            let (_, _, creator_op) = self
                .operations()
                .into_iter()
                .find(|(m, p, _)| *m == creator.0 && *p == creator.1)
                .unwrap();
            let mut create =
                Box::pin(self.valid_request(&creator.0, &creator.1, &creator_op, true)).await;
            // Its own days, so that resources made from the same examples
            // do not overlap.
            static DAYS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
            let days = DAYS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            create.body = create.body.map(|b| later(b, days));
            let token = self.app.token("alice");
            let (status, created, _) = self.send(&create, &token).await;
            assert!(
                (200..300).contains(&status),
                "{} {}: {status} {created}",
                creator.0,
                creator.1
            );
            let pick = |expression: &Value| {
                let pointer = expression
                    .as_str()
                    .and_then(|e| e.strip_prefix("$response.body#"))
                    .expect("a $response.body# expression");
                created.pointer(pointer).cloned().expect("the linked value")
            };
            let id = pick(&link["parameters"]["id"]);
            request.path = path.replace("{id}", id.as_str().unwrap());
            link["requestBody"].as_object().map(|fields| {
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), pick(v)))
                    .collect::<serde_json::Map<String, Value>>()
            })
        } else {
            None
        };
        for parameter in op["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] == "query" && (full || parameter["required"] == true) {
                let value = self.example(&parameter["schema"], full);
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                request
                    .query
                    .push((parameter["name"].as_str().unwrap().to_owned(), text));
            }
        }
        // A body of another type (a calendar file): its example as it is.
        if let Some((content_type, example)) = op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
            .find_map(|(t, c)| Some((t, c["example"].as_str()?)))
            .filter(|(t, _)| *t != "application/json")
        {
            request.raw = Some(example.to_owned());
            request.content_type = Some(content_type.clone());
        }
        if let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"].as_object()
        {
            let mut body = self.example(&Value::Object(schema.clone()), full);
            for (k, v) in link_body.into_iter().flatten() {
                body[k] = v;
            }
            request.body = Some(body);
        }
        request
    }

    /// The operation whose answer links to `operation_id`, and the link.
    fn link_to(&self, operation_id: &str) -> Option<((String, String), Value)> {
        for (method, path, op) in self.operations() {
            for response in op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, r)| r)
            {
                for link in response["links"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(_, l)| l)
                {
                    if link["operationId"] == operation_id {
                        return Some(((method.clone(), path.clone()), link.clone()));
                    }
                }
            }
        }
        None
    }

    /// Sends `request` with `token` (none when empty): status, JSON body, headers.
    async fn send(
        &self,
        request: &Request,
        token: &str,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut builder =
            reqwest::Client::new().request(request.method(), self.app.url(&request.url()));
        if !token.is_empty() {
            builder = builder.bearer_auth(token);
        }
        if let Some(raw) = &request.raw {
            builder = builder
                .header(
                    "content-type",
                    request
                        .content_type
                        .as_deref()
                        .unwrap_or("application/json"),
                )
                .body(raw.clone());
        } else if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let res = builder.send().await.unwrap();
        let headers = res.headers().clone();
        let json = headers
            .get("content-type")
            .is_none_or(|t| t.to_str().is_ok_and(|t| t.starts_with("application/json")));
        if !json {
            // A file (the export): its bytes are not JSON to check.
            let status = res.status().as_u16();
            res.bytes().await.unwrap();
            return (status, Value::Null, headers);
        }
        let (status, body) = common::json(res).await;
        (status, body, headers)
    }

    /// Query values each parameter's schema refuses, with the field named.
    fn invalid_queries(&self, op: &Value) -> Vec<(String, String, String)> {
        let mut out = vec![];
        for parameter in op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
        {
            let name = parameter["name"].as_str().unwrap().to_owned();
            for value in self.invalid_values(&parameter["schema"]) {
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.push((name.clone(), text, name.clone()));
            }
        }
        out
    }

    /// Values `schema` refuses, each for a different reason of the schema.
    fn invalid_values(&self, schema: &Value) -> Vec<Value> {
        let schema = self.resolve(schema);
        let mut out = vec![];
        if schema["enum"].is_array() {
            out.push(json!("not-one-of-them"));
        }
        if let Some(min) = schema["minimum"].as_i64() {
            out.push(json!(min - 1));
        }
        if let Some(max) = schema["maximum"].as_i64() {
            out.push(json!(max + 1));
        }
        if Self::types(schema).contains(&"integer") {
            out.push(json!("x"));
        }
        if schema["format"] == "date-time" {
            out.push(json!("2026-11-29 09:00:00Z"));
            out.push(json!("not a time"));
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            let re = regex_lite::Regex::new(pattern).expect("the documented pattern compiles");
            let refused = ["x\u{0}y", "\u{202e}x", " ", "-x"]
                .into_iter()
                .find(|c| !re.is_match(c))
                .expect("a value the pattern refuses");
            out.push(json!(refused));
        }
        if let Some(not) = schema["not"]["pattern"].as_str() {
            let accept = regex_lite::Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
            let refuse = regex_lite::Regex::new(not).unwrap();
            let caught = ["groups/a#1", "a/b.git#1"]
                .into_iter()
                .find(|c| accept.is_match(c) && refuse.is_match(c))
                .expect("a value `not` refuses");
            out.push(json!(caught));
        }
        if let Some(max) = schema["maxLength"].as_u64() {
            out.push(json!("x".repeat(max as usize + 1)));
        }
        if schema["minLength"].as_u64().is_some_and(|m| m > 0) && schema["pattern"].is_null() {
            out.push(json!(""));
        }
        out
    }

    /// Bodies the document refuses, each made from `base` by one change:
    /// (body, the field a 422 must name, what changed).
    fn invalid_bodies(&self, schema: &Value, base: &Value) -> Vec<(Value, String, String)> {
        let mut out = vec![];
        self.mutate(schema, base, "", &mut |at: &str, change: Change| {
            let mut body = base.clone();
            let pointer = format!("/{}", at.replace(['.', '['], "/").replace(']', ""));
            let field = at.to_owned();
            match change {
                Change::Remove(name) => {
                    let parent = if pointer.rsplit_once('/').unwrap().0.is_empty() {
                        Some(&mut body)
                    } else {
                        body.pointer_mut(pointer.rsplit_once('/').unwrap().0)
                    };
                    parent.unwrap().as_object_mut().unwrap().remove(&name);
                    out.push((body, field, format!("{name} left out")));
                }
                Change::Set(value, what) => {
                    let (parent, key) = pointer.rsplit_once('/').unwrap();
                    let parent = if parent.is_empty() {
                        &mut body
                    } else {
                        body.pointer_mut(parent).unwrap()
                    };
                    match parent {
                        Value::Object(map) => {
                            map.insert(key.to_owned(), value);
                        }
                        Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
                        _ => unreachable!(),
                    }
                    out.push((body, field, what));
                }
            }
        });
        out
    }

    /// Calls `change` for each way to break the value at `at`.
    fn mutate(
        &self,
        schema: &Value,
        value: &Value,
        at: &str,
        change: &mut dyn FnMut(&str, Change),
    ) {
        let schema = self.resolve(schema);
        if let Some(branches) = schema["oneOf"].as_array() {
            // The branch `value` was made from.
            if let Some(branch) = branches
                .iter()
                .find(|b| self.validate(b, value, "", false).is_empty())
                && Self::types(self.resolve(branch)) != ["null"]
            {
                self.mutate(branch, value, at, change);
            }
            return;
        }
        let join = |name: &str| {
            if at.is_empty() {
                name.to_owned()
            } else {
                format!("{at}.{name}")
            }
        };
        if let Some(properties) = schema["properties"].as_object() {
            for name in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                change(&join(name), Change::Remove(name.to_owned()));
            }
            if schema["additionalProperties"] == false {
                change(
                    &join("unexpected_field"),
                    Change::Set(json!(1), "a field the document does not have".into()),
                );
            }
            for (name, property) in properties {
                let Some(current) = value.get(name) else {
                    continue;
                };
                let property = self.resolve(property);
                let wrong_type =
                    if Self::types(property).contains(&"string") || property["enum"].is_array() {
                        json!(12345)
                    } else {
                        json!("a string")
                    };
                change(
                    &join(name),
                    Change::Set(wrong_type, "of the wrong type".into()),
                );
                for bad in self.invalid_values(property) {
                    change(&join(name), Change::Set(bad.clone(), format!("{bad:.60}")));
                }
                if let (Some(max), Some(items)) =
                    (property["maxItems"].as_u64(), property["items"].as_object())
                {
                    let one = self.example(&Value::Object(items.clone()), false);
                    change(
                        &join(name),
                        Change::Set(json!(vec![one; max as usize + 1]), "too many items".into()),
                    );
                }
                if let Some(items) = current.as_array() {
                    if let Some(first) = items.first() {
                        let item = format!("{}[0]", join(name));
                        for bad in self.invalid_values(&property["items"]) {
                            change(&item, Change::Set(bad.clone(), format!("{bad:.60}")));
                        }
                        self.mutate(&property["items"], first, &item, change);
                    }
                } else if current.is_object() {
                    // serde alone would read the object's fields from an array.
                    change(
                        &join(name),
                        Change::Set(json!([null, null]), "an array for an object".into()),
                    );
                    self.mutate(property, current, &join(name), change);
                }
            }
        }
    }

    /// Where `value` breaks `schema` (empty when it keeps it). With
    /// `strict`, a property the schema does not list is an error too: an
    /// answer carries no undocumented field.
    fn validate(&self, schema: &Value, value: &Value, at: &str, strict: bool) -> Vec<String> {
        let schema = self.resolve(schema);
        if let Some(parts) = schema["allOf"].as_array() {
            // One object of all the parts' properties (a flattened struct).
            let mut merged = json!({"type": "object", "properties": {}, "required": []});
            for part in parts {
                let part = self.resolve(part);
                for (k, v) in part["properties"].as_object().into_iter().flatten() {
                    merged["properties"][k] = v.clone();
                }
                for r in part["required"].as_array().into_iter().flatten() {
                    merged["required"].as_array_mut().unwrap().push(r.clone());
                }
            }
            return self.validate(&merged, value, at, strict);
        }
        let mut errors = vec![];
        let mut fail = |why: String| errors.push(format!("{at}: {why}"));
        if let Some(branches) = schema["oneOf"].as_array() {
            let matching = branches
                .iter()
                .filter(|b| self.validate(b, value, at, strict).is_empty())
                .count();
            if matching != 1 {
                fail(format!("matches {matching} of the oneOf branches"));
            }
            return errors;
        }
        let types = Self::types(schema);
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let allowed = types.is_empty()
            || types.contains(&actual)
            || (actual == "integer" && types.contains(&"number"));
        if !allowed {
            fail(format!("a {actual}, documented as {types:?}"));
            return errors;
        }
        if let Some(values) = schema["enum"].as_array()
            && !values.contains(value)
        {
            fail(format!("{value} is not one of {values:?}"));
        }
        match value {
            Value::String(s) => {
                let chars = s.chars().count() as u64;
                if schema["minLength"].as_u64().is_some_and(|m| chars < m)
                    || schema["maxLength"].as_u64().is_some_and(|m| chars > m)
                {
                    fail(format!("{chars} characters"));
                }
                if let Some(pattern) = schema["pattern"].as_str()
                    && !regex_lite::Regex::new(pattern).unwrap().is_match(s)
                {
                    fail(format!("{s:?} does not match {pattern}"));
                }
                match schema["format"].as_str() {
                    Some("date-time") if chrono::DateTime::parse_from_rfc3339(s).is_err() => {
                        fail(format!("{s:?} is not a date-time"))
                    }
                    Some("uuid") if uuid::Uuid::parse_str(s).is_err() => {
                        fail(format!("{s:?} is not a UUID"))
                    }
                    Some("uri") if !s.starts_with("http") => fail(format!("{s:?} is not a URI")),
                    _ => {}
                }
            }
            Value::Number(n) => {
                let n = n.as_f64().unwrap();
                if schema["minimum"].as_f64().is_some_and(|m| n < m)
                    || schema["maximum"].as_f64().is_some_and(|m| n > m)
                {
                    fail(format!("{n} is out of range"));
                }
            }
            Value::Array(items) => {
                if schema["maxItems"]
                    .as_u64()
                    .is_some_and(|m| items.len() as u64 > m)
                {
                    fail(format!("{} items", items.len()));
                }
                for (i, item) in items.iter().enumerate() {
                    errors.extend(self.validate(
                        &schema["items"],
                        item,
                        &format!("{at}[{i}]"),
                        strict,
                    ));
                }
            }
            Value::Object(map) => {
                let properties = schema["properties"].as_object();
                for name in schema["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !map.contains_key(name) {
                        fail(format!("the required {name} is missing"));
                    }
                }
                for (name, item) in map {
                    match properties.and_then(|p| p.get(name)) {
                        Some(property) => errors.extend(self.validate(
                            property,
                            item,
                            &format!("{at}.{name}"),
                            strict,
                        )),
                        None if strict || schema["additionalProperties"] == false => {
                            errors.push(format!("{at}.{name}: not documented"))
                        }
                        None => {}
                    }
                }
            }
            _ => {}
        }
        errors
    }
}

/// `value` with every RFC 3339 time in it `days` later.
fn later(value: Value, days: i64) -> Value {
    match value {
        Value::String(s) => match chrono::DateTime::parse_from_rfc3339(&s) {
            Ok(t) => json!((t + chrono::Duration::days(days)).to_rfc3339()),
            Err(_) => Value::String(s),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(|v| later(v, days)).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, later(v, days))).collect())
        }
        other => other,
    }
}

/// One change to a body.
enum Change {
    /// Leave this property out.
    Remove(String),
    /// Set the value to this (and what it is).
    Set(Value, String),
}
