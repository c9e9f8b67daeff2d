//! The shift change in a real browser: headless Chromium against a fresh
//! Baton per test, at desktop and phone widths, with axe-core and the Nu
//! HTML Checker over every page.
//!
//! Skipped (with the reason on stderr) when Chromium, chromedriver, Java or
//! `e2e/node_modules` are missing, unless `BATON_E2E_REQUIRED=1`. Each test
//! leaves a screenshot of its last page in `target/e2e/{test}.png`.

use crate::common;

use std::sync::Arc;

use crate::browser::{self, Browser, DESKTOP, E2e, PHONE};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use common::TestApp;
use fantoccini::key::Key;
use serde_json::{Value, json};

const PRODUCTION: &str = "https://gitlab.com/gitlab-com/gl-infra/production/-/issues";

/// An RFC 3339 instant `minutes` from now.
fn from_now(minutes: i64) -> String {
    (Utc::now() + Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Records a shift through the API.
async fn shift(app: &TestApp, token: &str, username: &str, role: &str, from: i64, to: i64) {
    let (status, body) = app
        .send_json(
            reqwest::Method::POST,
            "/api/v1/shifts",
            token,
            &json!({"username": username, "role": role, "starts_at": from_now(from), "ends_at": from_now(to)}),
        )
        .await;
    assert_eq!(status, 201, "shift: {body}");
}

/// Opens a handoff through the API; returns its JSON.
async fn open(app: &TestApp, token: &str, body: Value) -> Value {
    app.create_handoff(token, body).await
}

/// The team: alice (Amsterdam) hands over to bob (Tokyo); erin (New York)
/// comes after bob; carol reads; dana (Sydney) administers. Returns
/// alice's and bob's API tokens.
fn team(app: &TestApp) -> (String, String) {
    let (alice, bob, _) = app.alice_bob_carol();
    app.add_user("erin", "America/New_York", "responder");
    app.add_user("dana", "Australia/Sydney", "admin");
    (alice, bob)
}

/// alice's EOC shift ends in a few minutes, bob's follows, then erin's;
/// dana is IMOC.
async fn rota(app: &TestApp, token: &str) {
    shift(app, token, "alice", "EOC", -8 * 60, 5).await;
    shift(app, token, "bob", "EOC", 5, 8 * 60 + 5).await;
    shift(app, token, "erin", "EOC", 8 * 60 + 5, 16 * 60 + 5).await;
    shift(app, token, "dana", "IMOC", -60, 7 * 60).await;
}

/// Asserts that every `<time>` of the page shows its instant in `zone`.
async fn assert_times_in(b: &Browser, zone: &str, abbrevs: &[&str]) {
    let times = b.times().await;
    assert!(!times.is_empty(), "no <time> on the page");
    for (iso, text) in times {
        let (full, clock) = common::expected_local(&iso, zone);
        if text.len() == 5 {
            assert_eq!(text, clock, "{iso}");
        } else {
            assert_eq!(text, full, "{iso}");
            assert!(
                abbrevs.iter().any(|a| text.ends_with(a)),
                "{text} is not in {zone}"
            );
        }
    }
}

/// Part 1 and 2 of the shift change: alice (at `alice_size`) hands over
/// three handoffs on one form; bob (at `bob_size`, in Tokyo) finds them
/// waiting, opens one from its permalink and takes it.
async fn shift_change(t: Arc<E2e>, alice_size: (u32, u32), bob_size: (u32, u32)) {
    let (alice_token, _) = team(&t.app);
    rota(&t.app, &alice_token).await;
    let patroni = open(
        &t.app,
        &alice_token,
        json!({
            "kind": "outage", "title": "Patroni failover loop on db-main", "severity": 1,
            "issues": [format!("{PRODUCTION}/1234")],
            "note": {"body": "Three failovers in an hour; replica lag 30s."}
        }),
    )
    .await;
    let runners = open(
        &t.app,
        &alice_token,
        json!({
            "kind": "outage", "title": "CI runners saturated", "severity": 3,
            "note": {"body": "Queue at 900 jobs."}
        }),
    )
    .await;

    // alice opens the data-loss handoff from the form, with its fields.
    let alice = t.browser(alice_size, "Europe/Amsterdam").await;
    alice.sign_in("alice").await;
    alice.click("nav a[href='/handoffs/new']").await;
    alice.wait_for_path("/handoffs/new").await;
    alice.click("#kind-perceived_data_loss").await;
    alice
        .fill("#title", "Customer uploads missing since the 09:00 deploy")
        .await;
    alice.select("#severity", "2").await;
    alice
        .fill("#issues", &format!("{PRODUCTION}/2001#note_17"))
        .await;
    alice
        .fill(
            "#body",
            "Uploads since 09:10 UTC answer 404.\nNext: compare the bucket listing with the uploads table.",
        )
        .await;
    alice
        .fill("#scope", "Object storage uploads of about 40 projects")
        .await;
    alice
        .fill(
            "#recovery_point",
            "Bucket versioning; snapshot of 08:55 UTC",
        )
        .await;
    alice.select("#verification", "confirmed").await;
    alice.click("#customers_notified").await;
    alice
        .click("form[action='/handoffs'] button[type=submit]")
        .await;
    let uploads_path = wait_for_handoff_page(&alice).await;
    assert_eq!(
        alice.text("h1").await,
        "Customer uploads missing since the 09:00 deploy"
    );
    let facts = alice.text(".facts").await;
    for expected in [
        "gitlab-com/gl-infra/production#2001",
        "Object storage uploads of about 40 projects",
        "Bucket versioning; snapshot of 08:55 UTC",
        "confirmed",
        "Customers told\nyes",
    ] {
        assert!(
            facts.contains(expected),
            "{expected:?} is not among the facts:\n{facts}"
        );
    }

    // One form: a note on each of the three, passed to the next on call.
    alice.click("nav a[href='/handover']").await;
    alice.wait_for_path("/handover").await;
    assert_eq!(
        alice.value("#pass_to").await,
        "bob",
        "'pass all to' is not the next EOC"
    );
    let boxes = alice.find_all("textarea[name^=note_]").await;
    assert_eq!(boxes.len(), 3, "three held handoffs, three note boxes");
    let notes = [
        (
            patroni["id"].as_str().unwrap().to_owned(),
            "Failovers stopped after pinning the leader. Next: unpin at 12:00 UTC, see production#1234.",
        ),
        (
            runners["id"].as_str().unwrap().to_owned(),
            "Queue down to 120. Next: remove the extra runners tonight.",
        ),
        (
            uploads_path.trim_start_matches("/handoffs/").to_owned(),
            "Listing compared for 12 of 40 projects, nothing lost so far. Next: the other 28.",
        ),
    ];
    for (id, note) in &notes {
        alice.fill(&format!("#note_{id}"), note).await;
    }
    alice
        .fill("#summary", "Busy shift: **three** open items.")
        .await;
    let submit = alice.text("form[action='/handover'] button.primary").await;
    assert_eq!(submit, "Hand over 3 handoffs");
    alice.click("form[action='/handover'] button.primary").await;
    alice.wait_for_path("/").await;
    let waiting = alice.find_all(".card.waiting").await;
    assert_eq!(
        waiting.len(),
        3,
        "alice does not see her three passes waiting"
    );
    for card in waiting {
        let text = card.text().await.unwrap();
        assert!(text.contains("for bob"), "{text}");
        assert!(text.contains("Held by alice (you)"), "{text}");
    }

    // bob, in Tokyo, on his own browser.
    let bob = t.browser(bob_size, "Asia/Tokyo").await;
    bob.sign_in("bob").await;
    assert_eq!(bob.text("#yours-h").await, "Waiting for you (3)");
    let titles: Vec<String> = {
        let mut v = vec![];
        for h in bob.find_all(".for-you .card h3").await {
            v.push(h.text().await.unwrap());
        }
        v
    };
    for title in [
        "Patroni failover loop on db-main",
        "CI runners saturated",
        "Customer uploads missing since the 09:00 deploy",
    ] {
        assert!(
            titles.iter().any(|t| t == title),
            "{title} is not waiting for bob: {titles:?}"
        );
    }
    assert_times_in(&bob, "Asia/Tokyo", &["JST"]).await;
    let holder = bob.text(".for-you .card .who").await;
    let amsterdam = common::clocks_now("Europe/Amsterdam");
    assert!(
        amsterdam
            .iter()
            .any(|c| holder.contains(&format!("local {c} (Europe/Amsterdam)"))),
        "alice's local time is not shown right: {holder} (now {amsterdam:?})"
    );
    assert!(
        bob.text(".oncall").await.contains("bob"),
        "the on-call table does not list bob"
    );

    // The permalink of the data-loss handoff, then "I have it".
    bob.click(&format!(".for-you .card h3 a[href='{uploads_path}']"))
        .await;
    bob.wait_for_path(&uploads_path).await;
    assert!(
        bob.text(".pending-box")
            .await
            .contains("for you to acknowledge")
    );
    let timeline = bob.text(".timeline").await;
    assert!(
        timeline.contains(notes[2].1),
        "alice's note is not on the page"
    );
    assert!(
        timeline.contains("for alice (Europe/Amsterdam)"),
        "alice's own time is not beside bob's: {timeline}"
    );
    assert_times_in(&bob, "Asia/Tokyo", &["JST"]).await;
    bob.click(".pending-box button.primary").await;
    bob.wait_for_path(&uploads_path).await;
    let who = bob.text(".handoff .who").await;
    assert!(who.starts_with("Held by you"), "{who}");
    assert!(
        !bob.has(".pending-box").await,
        "still waiting after I have it"
    );
    assert!(bob.text(".timeline").await.contains("acknowledged"));

    bob.goto("/").await;
    assert_eq!(bob.text("#yours-h").await, "Waiting for you (2)");
    alice.goto(&uploads_path).await;
    assert!(alice.text(".handoff .who").await.starts_with("Held by bob"));
    bob.goto(&uploads_path).await;
}

/// Waits for the permalink a form sent the browser to; returns its path.
async fn wait_for_handoff_page(b: &Browser) -> String {
    let started = std::time::Instant::now();
    loop {
        let path = b.path().await;
        if let Some(id) = path.strip_prefix("/handoffs/")
            && uuid::Uuid::parse_str(id).is_ok()
        {
            b.wait_for_path(&path).await;
            return path;
        }
        assert!(
            started.elapsed().as_secs() < 15,
            "not on a handoff page: {path}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_outgoing_hands_over_three_handoffs_at_a_desk_and_the_incoming_takes_one_on_a_phone() {
    browser::run(
        &[],
        |t| async move { shift_change(t, DESKTOP, PHONE).await },
    )
    .await;
}

#[tokio::test]
async fn the_outgoing_hands_over_three_handoffs_on_a_phone_and_the_incoming_takes_one_at_a_desk() {
    browser::run(
        &[],
        |t| async move { shift_change(t, PHONE, DESKTOP).await },
    )
    .await;
}

/// Asserts that the field `field` is invalid, described by `error` right
/// after it, and returns the message.
async fn error_beside(b: &Browser, field: &str, error: &str) -> String {
    let v = b
        .js(
            "const f = document.querySelector(arguments[0]); const e = document.getElementById(arguments[1]);\
             if (!f || !e) return null;\
             const r = e.getBoundingClientRect();\
             return [f.getAttribute('aria-invalid'), f.getAttribute('aria-describedby'),\
                     f.nextElementSibling === e, e.textContent, r.width > 0 && r.right <= window.innerWidth]",
            vec![json!(field), json!(error)],
        )
        .await;
    assert!(!v.is_null(), "{field} or #{error} is missing");
    assert_eq!(v[0], json!("true"), "{field} is not marked invalid");
    assert_eq!(v[1], json!(error), "{field} is not described by its error");
    assert_eq!(v[2], json!(true), "#{error} is not right after {field}");
    assert_eq!(v[4], json!(true), "#{error} is not visible in the window");
    v[3].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn forms_with_mistakes_come_back_with_the_message_beside_the_field_and_the_input_kept() {
    browser::run(&[], |t| async move {
        team(&t.app);
        let b = t.browser(DESKTOP, "Europe/Amsterdam").await;
        b.sign_in("alice").await;
        for (size, width) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
            b.resize(size).await;

            b.goto("/handoffs/new").await;
            b.fill("#title", "").await;
            let elsewhere = "https://gitlab.example.com/gitlab-com/gl-infra/production/-/issues/77";
            b.fill("#issues", elsewhere).await;
            b.fill("#body", "Typed before the mistake was noticed.")
                .await;
            b.select("#severity", "1").await;
            b.click("form[action='/handoffs'] button[type=submit]")
                .await;
            b.wait_for_path("/handoffs").await;
            let title = error_beside(&b, "#title", "title-error").await;
            assert!(title.contains("title"), "{width}: {title}");
            let issues = error_beside(&b, "#issues", "issues-error").await;
            assert!(
                issues.contains("not an issue on gitlab.com"),
                "{width}: {issues}"
            );
            assert_eq!(
                b.value("#issues").await,
                elsewhere,
                "{width}: link not kept"
            );
            assert_eq!(
                b.value("#body").await,
                "Typed before the mistake was noticed."
            );
            assert_eq!(b.value("#severity").await, "1");
            b.assert_no_horizontal_scroll("the new-handoff form with errors")
                .await;

            b.goto("/shifts").await;
            b.select("#s-user", "bob").await;
            b.fill("#s-role", "EOC").await;
            b.set_value("#s-start", "2026-12-01T10:00").await;
            b.set_value("#s-end", "2026-12-01T08:00").await;
            b.click("form[action='/shifts'] button[type=submit]").await;
            b.wait_for_path("/shifts").await;
            let ends = error_beside(&b, "#s-end", "ends_at-error").await;
            assert!(ends.contains("after"), "{width}: {ends}");
            assert_eq!(b.value("#s-user").await, "bob");
            assert_eq!(b.value("#s-role").await, "EOC");
            assert_eq!(b.value("#s-start").await, "2026-12-01T10:00");
            assert_eq!(b.value("#s-end").await, "2026-12-01T08:00");
            b.assert_no_horizontal_scroll("the shift form with errors")
                .await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_note_renders_markdown_and_gitlab_links_and_a_script_in_it_never_runs() {
    browser::run(&[], |t| async move {
        let (alice_token, _) = team(&t.app);
        let h = open(&t.app, &alice_token, json!({
            "kind": "outage", "title": "Replica lag on db-main-02", "severity": 2,
            "note": {"body": "Lag at 40s."}
        }))
        .await;
        let path = format!("/handoffs/{}", h["id"].as_str().unwrap());
        let b = t.browser(DESKTOP, "Europe/Amsterdam").await;
        b.sign_in("alice").await;
        b.goto(&path).await;
        let title = b.client().title().await.unwrap();
        let body = format!(
            "**Failover** done, see {PRODUCTION}/4321#note_99 and `pg_stat_replication`.\n\n\
             - lag back under 1s\n- next: watch the *evening* peak\n\n\
             <script>window.__baton_pwned = 1; document.title = 'pwned';</script>\n\
             <img src=x onerror=\"window.__baton_pwned = 2\">\n\
             [click me](javascript:window.__baton_pwned=3)"
        );
        b.fill("#note-body", &body).await;
        b.click("form[action$='/notes'] button[type=submit]").await;
        b.wait_for_path(&path).await;
        let note = ".timeline li:last-child .note-body";
        assert_eq!(b.text(&format!("{note} strong")).await, "Failover");
        assert_eq!(b.text(&format!("{note} em")).await, "evening");
        assert_eq!(b.text(&format!("{note} code")).await, "pg_stat_replication");
        assert_eq!(b.find_all(&format!("{note} li")).await.len(), 2);
        let link = b
            .find(&format!("{note} a[href^='{PRODUCTION}/4321']"))
            .await;
        assert_eq!(
            link.text().await.unwrap(),
            "gitlab-com/gl-infra/production#4321"
        );
        let pwned = b
            .js(
                "return [window.__baton_pwned === undefined, document.title,\
                 document.querySelectorAll('.note-body script, .note-body [onerror], .note-body a[href^=javascript]').length]",
                vec![],
            )
            .await;
        assert_eq!(pwned[0], json!(true), "a script in a note ran");
        assert_eq!(pwned[1], json!(title), "a script in a note changed the title");
        assert_eq!(pwned[2], json!(0), "script, handler or javascript: link kept");
        // Clicking what is left of the javascript: link does nothing either.
        for a in b.find_all(&format!("{note} a")).await {
            if a.text().await.unwrap() == "click me" {
                a.click().await.unwrap();
            }
        }
        let after = b.js("return window.__baton_pwned === undefined", vec![]).await;
        assert_eq!(after, json!(true), "a link in a note ran a script");
        b.goto(&path).await;
    })
    .await;
}

/// Everything a page can show: a rota, waiting passes, a data-loss record,
/// an edited note, a resolved handoff, a handover summary, and long words
/// that must wrap on a phone.
struct World {
    /// A handoff bob passed to alice (she can acknowledge it).
    to_alice: String,
    /// alice's data-loss handoff.
    data_loss: String,
    /// A resolved handoff.
    resolved: String,
    /// A shift id (alice's).
    shift: String,
}

async fn world(app: &TestApp) -> World {
    let (alice, bob) = team(app);
    rota(app, &alice).await;
    let to_alice = open(app, &bob, json!({
        "kind": "outage",
        "title": "Replication slot analytics_warehouse_replica_eu_west_1 retains WAL; disk on patroni-main-2004-01-db-gprd at 91%",
        "severity": 1,
        "issues": [format!("{PRODUCTION}/1234"), "gitlab-com/gl-infra/reliability-engineering-and-operations#99887"],
        "note": {"body": "Slot is 400 GB behind: https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234#note_1234567890 \n\n```\nSELECT slot_name, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) FROM pg_replication_slots;\n```", "pass_to": "alice"}
    }))
    .await;
    let data_loss = open(app, &alice, json!({
        "kind": "perceived_data_loss", "title": "Customer uploads missing", "severity": 2,
        "data_loss": {"scope": "Uploads of ~40 projects", "recovery_point": "08:55 UTC snapshot", "verification": "unverified", "customers_notified": false},
        "note": {"body": "Checking the bucket listing."}
    }))
    .await;
    let data_loss_id = data_loss["id"].as_str().unwrap().to_owned();
    let (status, note) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/handoffs/{data_loss_id}/notes"),
            &alice,
            &json!({"body": "12 of 40 projects compared; nothing lost so far.", "pass_to": "bob"}),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    open(
        app,
        &alice,
        json!({
            "kind": "outage", "title": "Confidential: credential leak check", "severity": 3,
            "confidential": true, "note": {"body": "Rotating keys."}
        }),
    )
    .await;
    let resolved = open(app, &alice, json!({
        "kind": "outage", "title": "Redis evictions", "severity": 4, "note": {"body": "Evictions at 2k/s."}
    }))
    .await;
    let resolved_id = resolved["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/handoffs/{resolved_id}/resolve"),
            &alice,
            &json!({"body": "maxmemory raised; evictions at 0."}),
        )
        .await;
    assert_eq!(status, 200);
    // Bob asks for cover of part of his shift (alice sees it wanted, on
    // her dashboard too), and alice for a time of hers to come.
    for (token, from, to) in [(&bob, 2 * 60, 4 * 60), (&alice, 20 * 60, 22 * 60)] {
        let body = json!({"role": "EOC", "starts_at": from_now(from), "ends_at": from_now(to)});
        let (status, asked) = app
            .send_json(
                reqwest::Method::POST,
                "/api/v1/cover-requests",
                token,
                &body,
            )
            .await;
        assert_eq!(status, 201, "cover request: {asked}");
    }
    let (_, shifts) = app
        .get_json(
            &format!(
                "/api/v1/shifts?from={}&to={}",
                url_encode(&from_now(-24 * 60)),
                url_encode(&from_now(24 * 60))
            ),
            &alice,
        )
        .await;
    let shift = shifts["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == "alice")
        .expect("alice's shift")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    World {
        to_alice: to_alice["id"].as_str().unwrap().to_owned(),
        data_loss: data_loss_id,
        resolved: resolved_id,
        shift,
    }
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Opens `path`, checks it for accessibility in light and dark, keeps its
/// source for the validator and a screenshot of each scheme.
async fn audit(b: &Browser, label: &str, path: &str) {
    b.goto(path).await;
    audit_here(b, label).await;
    b.collect_source(label).await;
}

/// Checks the page as it is for accessibility in light and dark.
async fn audit_here(b: &Browser, label: &str) {
    b.assert_accessible(&format!("{label} (light)"), None).await;
    b.screenshot(&format!("pages/{label}-light")).await;
    b.dark(true).await;
    b.assert_accessible(&format!("{label} (dark)"), Some(&["color-contrast"]))
        .await;
    b.screenshot(&format!("pages/{label}-dark")).await;
    b.dark(false).await;
}

#[tokio::test]
async fn every_page_is_accessible_in_light_and_dark_and_valid_html() {
    browser::run(&[], |t| async move {
        let w = world(&t.app).await;
        let b = t.browser(DESKTOP, "Europe/Amsterdam").await;
        audit(&b, "login", "/login").await;
        audit(
            &b,
            "login-to-a-handoff",
            &format!("/login?next=/handoffs/{}", w.to_alice),
        )
        .await;
        b.sign_in("alice").await;
        audit(&b, "dashboard", "/").await;
        audit(&b, "handoffs", "/handoffs").await;
        audit(&b, "history", "/handoffs?status=resolved").await;
        audit(
            &b,
            "handoffs-bad-filter",
            "/handoffs?issue=https%3A%2F%2Fgitlab.example.com%2Fa%2Fb%2F-%2Fissues%2F1",
        )
        .await;
        audit(
            &b,
            "handoff-waiting-for-you",
            &format!("/handoffs/{}", w.to_alice),
        )
        .await;
        audit(
            &b,
            "handoff-data-loss",
            &format!("/handoffs/{}", w.data_loss),
        )
        .await;
        audit(&b, "handoff-resolved", &format!("/handoffs/{}", w.resolved)).await;

        // Forms that come back with their errors.
        b.goto(&format!("/handoffs/{}", w.data_loss)).await;
        b.fill("#note-body", "").await;
        b.collect_form_answer("form[action$='/notes']", "handoff-note-error")
            .await;
        b.click("form[action$='/notes'] button[type=submit]").await;
        b.wait_for_path(&format!("/handoffs/{}/notes", w.data_loss))
            .await;
        audit_here(&b, "handoff-note-error").await;

        audit(&b, "new-handoff", "/handoffs/new").await;
        b.fill("#issues", "https://gitlab.example.com/a/b/-/issues/1")
            .await;
        b.collect_form_answer("form[action='/handoffs']", "new-handoff-errors")
            .await;
        b.click("form[action='/handoffs'] button[type=submit]")
            .await;
        b.wait_for_path("/handoffs").await;
        audit_here(&b, "new-handoff-errors").await;

        audit(&b, "handover", "/handover").await;
        b.select("#pass_to", "").await;
        b.collect_form_answer("form[action='/handover']", "handover-errors")
            .await;
        b.click("form[action='/handover'] button.primary").await;
        b.wait_for_path("/handover").await;
        audit_here(&b, "handover-errors").await;

        audit(&b, "shifts", "/shifts").await;
        b.set_value("#s-start", "2026-12-01T10:00").await;
        b.set_value("#s-end", "2026-12-01T08:00").await;
        b.collect_form_answer("form[action='/shifts']", "shifts-errors")
            .await;
        b.click("form[action='/shifts'] button[type=submit]").await;
        b.wait_for_path("/shifts").await;
        audit_here(&b, "shifts-errors").await;
        b.goto("/shifts").await;
        b.set_value("#c-start", "2026-12-01T10:00").await;
        b.set_value("#c-end", "2026-12-01T08:00").await;
        b.collect_form_answer("form[action='/cover-requests']", "cover-errors")
            .await;
        b.click("form[action='/cover-requests'] button[type=submit]")
            .await;
        b.wait_for_path("/cover-requests").await;
        audit_here(&b, "cover-errors").await;
        // The calendar import: a malformed file (its line beside the field),
        // then a file that imports (the report).
        for (label, calendar) in [
            ("shift-import-errors", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:soon\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
            ("shift-import-report", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:e2e-1@example.com\r\nDTSTART:20270104T080000Z\r\nDTEND:20270104T160000Z\r\nSUMMARY:EOC: alice\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:e2e-2@example.com\r\nDTSTART:20270105T080000Z\r\nDTEND:20270105T160000Z\r\nSUMMARY:EOC: nobody we know\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
        ] {
            let file = std::env::temp_dir().join(format!("baton-e2e-{}.ics", uuid::Uuid::new_v4()));
            std::fs::write(&file, calendar).unwrap();
            b.goto("/shifts").await;
            b.find("#import-file").await.send_keys(file.to_str().unwrap()).await.unwrap();
            b.click("form[action='/shifts/import'] button[type=submit]").await;
            b.wait_for_path("/shifts/import").await;
            let html = b.js("return document.documentElement.outerHTML", vec![]).await;
            let html = format!("<!DOCTYPE html>\n{}", html.as_str().unwrap_or_default());
            if label == "shift-import-errors" {
                assert!(html.contains("id=\"import-file-error\">line 4: "), "{html}");
            } else {
                assert!(html.contains("added 1, updated 0, unchanged 0, skipped 1"), "{html}");
            }
            t.collect(label, html);
            audit_here(&b, label).await;
            let _ = std::fs::remove_file(&file);
        }
        audit(&b, "shift-edit", &format!("/shifts/{}/edit", w.shift)).await;
        // The shift log, with an event on a handoff, and its quick form's errors.
        let alice_token = t.app.token("alice");
        let (status, event) = t
            .app
            .send_json(
                reqwest::Method::POST,
                "/api/v1/events",
                &alice_token,
                &json!({"kind": "incident", "title": "Replica lag over 30s", "body": "Failover *pending*.",
                        "handoff_id": w.to_alice, "issues": ["gitlab-com/gl-infra/production#4242"]}),
            )
            .await;
        assert_eq!(status, 201, "{event}");
        audit(&b, "log", "/log").await;
        audit(&b, "handoff-with-event", &format!("/handoffs/{}", w.to_alice)).await;
        b.goto("/log").await;
        b.collect_form_answer("form.quick-event", "log-errors").await;
        b.click("form.quick-event button[type=submit]").await;
        b.wait_for_path("/log").await;
        audit_here(&b, "log-errors").await;
        // A shift starting in Amsterdam's repeated hour (the second 02:30 of
        // 25 October 2026): the form offers both readings; saved unchanged,
        // the confirmation names the zone and the reading, and nothing moved.
        let token = t.app.token("alice");
        let (status, repeated) = t
            .app
            .send_json(
                reqwest::Method::POST,
                "/api/v1/shifts",
                &token,
                &json!({"username": "bob", "role": "CMOC", "starts_at": "2026-10-25T01:30:00Z", "ends_at": "2026-10-25T09:00:00Z"}),
            )
            .await;
        assert_eq!(status, 201, "{repeated}");
        let id = repeated["id"].as_str().unwrap().to_owned();
        audit(&b, "shift-edit-repeated-hour", &format!("/shifts/{id}/edit")).await;
        assert!(b.has("#s-start-2:checked").await, "the second 02:30 is not the one chosen");
        b.click("form.stack button[type=submit]").await;
        b.wait_for_path("/shifts").await;
        let notice = b.text("p.notice").await;
        assert!(notice.contains("times read in Europe/Amsterdam"), "{notice}");
        assert!(notice.contains("02:30 CET (UTC+01:00), the second"), "{notice}");
        audit_here(&b, "shift-saved").await;
        b.collect_source("shift-saved").await;
        let (_, listed) = t
            .app
            .get_json("/api/v1/shifts?from=2026-10-25T00:00:00Z&to=2026-10-26T00:00:00Z", &token)
            .await;
        assert_eq!(listed["shifts"][0]["starts_at"], "2026-10-25T01:30:00Z", "{listed}");

        audit(&b, "profile", "/me").await;
        b.fill("#timezone", "Mars/Olympus").await;
        b.collect_form_answer("form[action='/me']", "profile-errors")
            .await;
        b.click("form[action='/me'] button[type=submit]").await;
        b.wait_for_path("/me").await;
        audit_here(&b, "profile-errors").await;

        audit(&b, "not-found", "/no/such/page").await;
        audit(&b, "forbidden", "/admin/users").await;

        let admin = t.browser(DESKTOP, "Australia/Sydney").await;
        admin.sign_in("dana").await;
        audit(&admin, "admin-users", "/admin/users").await;
        // Restore drills: one that passed long ago, one that failed now, so
        // that the dashboard warns its admins.
        {
            use baton::db::models::drills;
            let mut conn = t.app.db.conn().unwrap();
            let drill = |days: i64, failure: Option<&str>| drills::Drill {
                id: baton::db::models::new_id(),
                started_at: (Utc::now() - Duration::days(days)).naive_utc(),
                actor: "ops@bastion".into(),
                backend: "sqlite".into(),
                schema_version: "20261203000016".into(),
                passed: failure.is_none(),
                failed_step: failure.map(|_| "verify".into()),
                failure: failure.map(str::to_owned),
                archive_bytes: Some(85_312_000),
                row_count: Some(1_428_804),
                backup_ms: Some(4_120),
                restore_ms: Some(18_400),
                verify_ms: failure.is_none().then_some(3_210),
                render_ms: failure.is_none().then_some(350),
                cleanup_ms: Some(100),
                total_ms: 26_180,
            };
            drills::record(&mut conn, &drill(40, None)).unwrap();
            drills::record(&mut conn, &drill(0, Some("table notes: expected 1000 rows, found 999"))).unwrap();
        }
        audit(&admin, "admin-drills", "/admin/drills").await;
        audit(&admin, "dashboard-admin", "/").await;
        assert!(admin.text("footer p.notice").await.contains("40 days ago"));
        let viewer = t.browser(DESKTOP, "UTC").await;
        viewer.sign_in("carol").await;
        audit(&viewer, "dashboard-viewer", "/").await;
        audit(
            &viewer,
            "handoff-viewer",
            &format!("/handoffs/{}", w.data_loss),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn with_public_read_a_signed_out_visitor_gets_accessible_valid_pages() {
    browser::run(&[("BATON_PUBLIC_READ", "1")], |t| async move {
        let w = world(&t.app).await;
        let b = t.browser(PHONE, "America/New_York").await;
        audit(&b, "public-dashboard", "/").await;
        b.assert_no_horizontal_scroll("the public dashboard").await;
        audit(&b, "public-handoff", &format!("/handoffs/{}", w.data_loss)).await;
        b.assert_no_horizontal_scroll("a public handoff").await;
    })
    .await;
}

/// Checks that the page fits a phone without sideways scrolling, checks it
/// with axe-core, and keeps a screenshot.
async fn fits(b: &Browser, label: &str) {
    b.assert_no_horizontal_scroll(label).await;
    b.assert_accessible(&format!("{label} (phone)"), None).await;
    b.screenshot(&format!("pages/phone-{label}")).await;
}

#[tokio::test]
async fn at_360_px_every_page_fits_and_its_primary_action_works_from_the_keyboard() {
    browser::run(&[], |t| async move {
        let w = world(&t.app).await;
        let b = t.browser(PHONE, "Europe/Amsterdam").await;

        // Sign in: the skip link comes first, then the user buttons.
        b.goto("/login").await;
        fits(&b, "login").await;
        b.tab_to(".skip", 1).await;
        b.tab_to("button[name=username][value=alice]", 30).await;
        b.press(Key::Enter).await;
        b.wait_for_path("/").await;
        assert_eq!(b.text("nav a[href='/me']").await, "alice");

        // The dashboard: "I have it" on what bob passed.
        fits(&b, "dashboard").await;
        let ack = format!("form[action='/handoffs/{}/acknowledge'] button", w.to_alice);
        b.tab_to(&ack, 40).await;
        b.press(Key::Space).await;
        let permalink = format!("/handoffs/{}", w.to_alice);
        b.wait_for_path(&permalink).await;
        assert!(b.text(".handoff .who").await.starts_with("Held by you"));

        // The handoff: add a note.
        fits(&b, "handoff").await;
        b.tab_to("#note-body", 60).await;
        b.type_text("Slot dropped; disk back to 60%.").await;
        b.tab_to("form[action$='/notes'] button[type=submit]", 5)
            .await;
        b.press(Key::Enter).await;
        b.wait_for_path(&permalink).await;
        assert!(
            b.text(".timeline")
                .await
                .contains("Slot dropped; disk back to 60%.")
        );
        b.goto(&format!("/handoffs/{}", w.data_loss)).await;
        fits(&b, "handoff-data-loss").await;
        b.goto(&format!("/handoffs/{}", w.resolved)).await;
        fits(&b, "handoff-resolved").await;

        // A new handoff.
        b.goto("/handoffs/new").await;
        fits(&b, "new-handoff").await;
        b.tab_to("#title", 40).await;
        b.type_text("Disk alert on gitaly-07").await;
        b.tab_to("#body", 6).await;
        b.type_text("Disk at 85%; cleanup job started.").await;
        b.tab_to("form[action='/handoffs'] button[type=submit]", 20)
            .await;
        b.press(Key::Enter).await;
        wait_for_handoff_page(&b).await;
        assert_eq!(b.text("h1").await, "Disk alert on gitaly-07");

        // The list: filter by text.
        b.goto("/handoffs").await;
        fits(&b, "handoffs").await;
        b.tab_to("#f-q", 40).await;
        b.type_text("gitaly").await;
        b.tab_to("form.filters button", 3).await;
        b.press(Key::Enter).await;
        b.wait_for_path("/handoffs").await;
        assert!(b.path().await.contains("q=gitaly"));
        assert_eq!(b.find_all("article.card").await.len(), 1);
        b.goto("/handoffs?status=resolved").await;
        fits(&b, "history").await;

        // Shifts: add one.
        b.goto("/shifts").await;
        fits(&b, "shifts").await;
        b.select("#s-user", "erin").await;
        b.fill("#s-role", "CMOC").await;
        let start = Utc::now() + Duration::hours(1);
        let local = |t: DateTime<Utc>| common::local_input(t, "Europe/Amsterdam");
        b.set_value("#s-start", &local(start)).await;
        b.set_value("#s-end", &local(start + Duration::hours(8)))
            .await;
        b.tab_to("form[action='/shifts'] button[type=submit]", 30)
            .await;
        b.press(Key::Enter).await;
        b.wait_for_path("/shifts").await;
        let table = b.text("table.shifts").await;
        assert!(table.contains("CMOC") && table.contains("erin"), "{table}");
        b.goto(&format!("/shifts/{}/edit", w.shift)).await;
        fits(&b, "shift-edit").await;
        b.tab_to("form.stack button[type=submit]", 30).await;
        b.press(Key::Enter).await;
        b.wait_for_path("/shifts").await;

        // The profile.
        b.goto("/me").await;
        fits(&b, "profile").await;
        b.fill("#name", "Alice Andersen").await;
        b.tab_to("form[action='/me'] button[type=submit]", 5).await;
        b.press(Key::Enter).await;
        b.wait_for_path("/me").await;
        assert_eq!(b.value("#name").await, "Alice Andersen");

        // Error pages.
        b.goto("/no/such/page").await;
        fits(&b, "not-found").await;
        b.goto("/admin/users").await;
        fits(&b, "forbidden").await;

        // Last, the handover passes everything alice holds.
        b.goto("/handover").await;
        fits(&b, "handover").await;
        b.tab_to("textarea[name^=note_]", 40).await;
        b.type_text("Nothing new; watch the disk.").await;
        b.tab_to("form[action='/handover'] button.primary", 30)
            .await;
        b.press(Key::Enter).await;
        b.wait_for_path("/").await;
        assert!(!b.find_all(".card.waiting").await.is_empty());

        // An admin on a phone changes a role.
        let admin = t.browser(PHONE, "Australia/Sydney").await;
        admin.sign_in("dana").await;
        admin.goto("/admin/users").await;
        fits(&admin, "admin-users").await;
        admin.select("#role-bob", "viewer").await;
        admin
            .tab_to("form[action='/admin/users/bob/role'] button", 5)
            .await;
        admin.press(Key::Enter).await;
        admin.wait_for_path("/admin/users").await;
        assert_eq!(admin.value("#role-bob").await, "viewer");
    })
    .await;
}

#[tokio::test]
async fn the_script_shows_visitors_their_own_zone_copies_permalinks_and_refreshes_the_dashboard() {
    browser::run(&[("BATON_PUBLIC_READ", "1")], |t| async move {
        let (alice_token, _) = team(&t.app);
        rota(&t.app, &alice_token).await;
        let h = open(&t.app, &alice_token, json!({
            "kind": "outage", "title": "Replica lag on db-main-02", "severity": 2,
            "note": {"body": "Lag at 40s."}
        }))
        .await;
        let path = format!("/handoffs/{}", h["id"].as_str().unwrap());

        // A signed-out visitor in Tokyo reads the times in Tokyo's zone.
        // The offsets are named as the server names them ("JST", not "GMT+9").
        let visitor = t.browser(PHONE, "Asia/Tokyo").await;
        visitor.goto(&path).await;
        visitor.wait_for_times().await;
        assert_times_in(&visitor, "Asia/Tokyo", &["JST"]).await;
        assert_eq!(
            visitor.text("footer .times-in").await,
            "Times in your browser\u{2019}s zone, Asia/Tokyo."
        );

        // "Copy link" copies the absolute permalink.
        visitor
            .js(
                "window.__copied = null; navigator.clipboard.writeText = text => { window.__copied = text; return Promise.resolve(); }; return true",
                vec![],
            )
            .await;
        visitor.click("button.copy").await;
        assert_eq!(visitor.text("button.copy").await, "Link copied");
        let copied = visitor.js("return window.__copied", vec![]).await;
        assert_eq!(copied, json!(t.app.url(&path)));

        // Signed in, the profile's zone stays; the browser's is in the tooltip.
        let alice = t.browser(DESKTOP, "Asia/Tokyo").await;
        alice.sign_in("alice").await;
        alice.goto(&path).await;
        alice.wait_for_times().await;
        assert_times_in(&alice, "Europe/Amsterdam", &["CET", "CEST"]).await;
        let tip = alice
            .find("main time")
            .await
            .attr("title")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(tip.ends_with("in your browser\u{2019}s zone (Asia/Tokyo)"), "{tip}");

        // The dashboard refreshes in place, without reloading the page.
        alice.goto("/").await;
        alice.js("window.__same_page = true; return true", vec![]).await;
        open(&t.app, &alice_token, json!({
            "kind": "outage", "title": "Disk alert on gitaly-07", "severity": 1,
            "note": {"body": "Disk at 85%."}
        }))
        .await;
        let refreshed = alice
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1]; window.batonRefresh().then(() => done(true), e => done(String(e)));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(refreshed, json!(true));
        assert!(alice.text("main").await.contains("Disk alert on gitaly-07"));
        assert_eq!(alice.js("return window.__same_page === true", vec![]).await, json!(true));
        assert_times_in(&alice, "Europe/Amsterdam", &["CET", "CEST"]).await;
    })
    .await;
}

#[tokio::test]
async fn live_gitlab_issues_the_outages_nobody_holds_and_gitlab_down_are_accessible_and_valid_html()
{
    use common::gitlab::{API_TOKEN, FakeGitLab, Issue, Mode};
    const PROJECT: &str = "gitlab-com/gl-infra/production";
    let gitlab = FakeGitLab::start_api().await;
    {
        let mut fake = gitlab.state.lock().unwrap();
        fake.put(Issue::open(
            PROJECT,
            1234,
            "Patroni failover loop on the main cluster",
            &["outage", "severity::1", "Service::Patroni", "AP1"],
        ));
        let mut closed = Issue::open(
            PROJECT,
            1300,
            "Redis evictions",
            &["incident", "severity::3"],
        );
        closed.state = "closed".into();
        fake.put(closed);
        fake.put(Issue::open(
            PROJECT,
            1400,
            "Uploads missing for ~40 projects",
            &["(perceived) data loss", "severity::2"],
        ));
        let mut secret = Issue::open(PROJECT, 1401, "Credential leak in CI", &["outage"]);
        secret.confidential = true;
        fake.put(secret);
    }
    let url = gitlab.url.clone();
    let settings = [
        ("BATON_GITLAB_URL", url.as_str()),
        ("BATON_GITLAB_API_TOKEN", API_TOKEN),
        ("BATON_GITLAB_REFRESH", "1s"),
        ("BATON_GITLAB_PROJECTS", PROJECT),
    ];
    browser::run(&settings, |t| async move {
        let (alice, _) = team(&t.app);
        let held = open(
            &t.app,
            &alice,
            json!({
                "kind": "outage", "title": "Failover loop", "severity": 1,
                "issues": [format!("{PROJECT}#1234"), format!("{PROJECT}#1300")],
                "note": {"body": "Watching the cluster."}
            }),
        )
        .await;
        let path = format!("/handoffs/{}", held["id"].as_str().unwrap());
        let reader = common::browser();
        t.app.sign_in(&reader, "alice").await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (_, page) = t.app.page(&reader, "/").await;
            // The watched project's list and the held issues' own reads
            // (one of them closed) are separate refreshes: wait for both.
            if page.contains("Patroni failover loop")
                && page.contains("Not handed off (2)")
                && page.contains("issue closed — resolve?")
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "GitLab's issues never showed: {page}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let b = t.browser(DESKTOP, "Europe/Amsterdam").await;
        b.sign_in("alice").await;
        audit(&b, "gitlab-dashboard", "/").await;
        assert!(b.text("main").await.contains("issue closed — resolve?"));
        audit(&b, "gitlab-handoff", &path).await;
        b.goto("/").await;
        b.click("form.take button").await;
        b.wait_for_path("/handoffs/new").await;
        assert_eq!(b.value("#title").await, "Uploads missing for ~40 projects");
        assert!(b.has("#kind-perceived_data_loss:checked").await);
        audit_here(&b, "gitlab-new-handoff-prefilled").await;
        b.collect_source("gitlab-new-handoff-prefilled").await;

        gitlab.set_mode(Mode::Fail);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !t
            .app
            .page(&reader, "/")
            .await
            .1
            .contains("GitLab unavailable since")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "no unavailable marker"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        audit(&b, "gitlab-down-dashboard", "/").await;
        audit(&b, "gitlab-down-handoff", &path).await;
        let phone = t.browser(PHONE, "America/New_York").await;
        phone.goto("/").await;
        fits(&phone, "gitlab-public-dashboard").await;
        assert!(
            !phone.text("main").await.contains("Credential leak"),
            "a confidential title shown signed out"
        );
        phone.collect_source("gitlab-public-dashboard").await;
    })
    .await;
}

/// `/shifts` with its timeline (48 hours and the week), `/rotations` and
/// `/me`: valid HTML and no axe-core violation above minor, in light and
/// dark, at a desk and on a 360 px phone; the timeline names every person on
/// call now with their zone and local time.
#[tokio::test]
async fn the_timeline_names_everyone_on_call_and_the_schedule_pages_are_accessible_and_valid_html()
{
    browser::run(&[], |t| async move {
        world(&t.app).await;
        let token = t.app.token("alice");
        let (status, rotation) = t
            .app
            .send_json(
                reqwest::Method::POST,
                "/api/v1/rotations",
                &token,
                &json!({"name": "CMOC around the world", "role": "CMOC", "starts_at": from_now(-24 * 60),
                        "rhythm": "00:00,08:00,16:00", "members": ["bob", "erin", "dana"]}),
            )
            .await;
        assert_eq!(status, 201, "{rotation}");
        let (_, oncall) = t.app.get_json("/api/v1/oncall", &token).await;
        let on_call: Vec<(String, String)> = oncall["roles"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["on_call"].as_array().unwrap().clone())
            .map(|o| {
                (
                    o["user"]["username"].as_str().unwrap().to_owned(),
                    o["user"]["timezone"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(on_call.len(), 3, "EOC, IMOC and CMOC: {oncall}");

        let b = t.browser(DESKTOP, "Europe/Amsterdam").await;
        b.sign_in("alice").await;
        audit(&b, "shifts-timeline", "/shifts").await;
        let people = b.text("table.tl-people").await;
        for (username, zone) in &on_call {
            let row = people
                .lines()
                .find(|l| l.contains(&format!("({username})")))
                .unwrap_or_else(|| panic!("{username} is not in the table:\n{people}"));
            assert!(row.contains(zone.as_str()), "{row}: not {zone}");
            assert!(
                common::clocks_now(zone).iter().any(|c| row.contains(c.as_str())),
                "{row}: not the time now in {zone}"
            );
        }
        assert_times_in(&b, "Europe/Amsterdam", &["CET", "CEST"]).await;
        b.click(".tl a[href='/shifts?view=week']").await;
        b.wait_for_path("/shifts").await;
        assert!(b.text("#tl-h").await.contains("week"));
        audit_here(&b, "shifts-week").await;
        b.collect_source("shifts-week").await;
        let id = rotation["id"].as_str().unwrap();
        audit(&b, "rotations", "/rotations").await;
        audit(&b, "rotation-edit", &format!("/rotations/{id}/edit")).await;
        audit(&b, "profile", "/me").await;

        let phone = t.browser(PHONE, "Asia/Tokyo").await;
        phone.sign_in("bob").await;
        for (label, path) in [
            ("shifts-timeline", "/shifts"),
            ("shifts-week", "/shifts?view=week"),
            ("rotations", "/rotations"),
            ("profile", "/me"),
        ] {
            phone.goto(path).await;
            fits(&phone, label).await;
        }
        phone.goto("/shifts").await;
        assert_times_in(&phone, "Asia/Tokyo", &["JST"]).await;
    })
    .await;
}
