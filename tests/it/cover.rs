//! Swap and cover (issue 14): cover requests asked for, taken, assigned and
//! cancelled, and "your future changed" on the pages, on both backends.

use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::chat::{FakeChat, eventually};
use crate::common::{Backend, TestApp, expected_local};

fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Midnight UTC `days` from today.
fn midnight(days: i64) -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::days(1)).unwrap() + Duration::days(days)
}

/// Alice (Amsterdam), Bob (New York) and Carol (Sydney) in a follow-the-sun
/// EOC rotation: Alice 00–08 UTC, Bob 08–16, Carol 16–24, every day. Dana
/// (London) is an admin and not a member. Alice's token.
async fn team(app: &TestApp) -> String {
    app.add_user("alice", "Europe/Amsterdam", "responder");
    app.add_user("bob", "America/New_York", "responder");
    app.add_user("carol", "Australia/Sydney", "responder");
    app.add_user("dana", "Europe/London", "admin");
    let alice = app.token("alice");
    let (status, made) = app
        .send_json(
            Method::POST,
            "/api/v1/rotations",
            &alice,
            &json!({
                "name": "EOC around the world", "role": "EOC", "starts_at": "2026-10-19T00:00:00Z",
                "rhythm": "00:00,08:00,16:00", "members": ["alice", "bob", "carol"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    alice
}

async fn ask(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.send_json(Method::POST, "/api/v1/cover-requests", token, &body)
        .await
}

async fn take(app: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    app.send_json(
        Method::POST,
        &format!("/api/v1/cover-requests/{id}/take"),
        token,
        &body,
    )
    .await
}

/// Who `/api/v1/oncall?at=` names in EOC.
async fn eoc_at(app: &TestApp, token: &str, t: DateTime<Utc>) -> Vec<String> {
    let (status, body) = app
        .get_json(&format!("/api/v1/oncall?at={}", fmt(t)), token)
        .await;
    assert_eq!(status, 200, "{body}");
    body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == "EOC")
        .flat_map(|r| r["on_call"].as_array().unwrap().clone())
        .map(|o| o["user"]["username"].as_str().unwrap().to_owned())
        .collect()
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() { super::$name(crate::common::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() { super::$name(crate::common::Backend::Postgres).await })*
        }
    };
}

on_both!(
    a_cover_request_taken_by_another_member_changes_who_is_on_call_and_tells_the_requester,
    an_admin_asks_for_someone_absent_and_assigns_the_request,
    the_requester_dismisses_what_changed_with_a_form,
    an_open_request_is_shown_to_the_roles_members_from_24_hours_before_it_starts,
    bad_cover_requests_are_refused_naming_the_field,
    a_changed_rotation_or_override_shows_each_person_what_changed_in_their_zone,
    forty_instants_across_both_dst_changes_of_2027_with_an_override_and_a_taken_cover_request,
);

async fn a_cover_request_taken_by_another_member_changes_who_is_on_call_and_tells_the_requester(
    backend: Backend,
) {
    let slack = FakeChat::start().await;
    let Some(app) =
        TestApp::spawn_with(backend, &[("BATON_SLACK_WEBHOOK_URL", slack.url.as_str())]).await
    else {
        return;
    };
    let alice = team(&app).await;
    let bob = app.token("bob");
    // Alice asks for cover for four hours of her shift the day after tomorrow.
    let (from, to) = (
        midnight(2) + Duration::hours(2),
        midnight(2) + Duration::hours(6),
    );
    let (status, asked) = ask(
        &app,
        &alice,
        json!({"role": "EOC", "starts_at": fmt(from), "ends_at": fmt(to)}),
    )
    .await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(
        (asked["status"].as_str(), asked["requester"].as_str()),
        (Some("open"), Some("alice"))
    );
    let id = asked["id"].as_str().unwrap().to_owned();
    let (_, listed) = app.get_json("/api/v1/cover-requests", &bob).await;
    assert_eq!(listed["cover_requests"][0]["id"], asked["id"], "{listed}");
    assert_eq!(
        eoc_at(&app, &bob, from + Duration::hours(1)).await,
        ["alice"]
    );

    // Bob takes it with one button's worth of API.
    let (status, taken) = take(&app, &bob, &id, json!({})).await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(
        (taken["status"].as_str(), taken["taken_by"].as_str()),
        (Some("taken"), Some("bob"))
    );
    assert!(taken["assigned_by"].is_null());
    for (t, who) in [
        (from - Duration::minutes(1), "alice"),
        (from, "bob"),
        (from + Duration::hours(2), "bob"),
        (to - Duration::seconds(1), "bob"),
        (to, "alice"),
    ] {
        assert_eq!(eoc_at(&app, &alice, t).await, [who], "at {t}");
    }
    let (_, shifts) = app
        .get_json(
            &format!("/api/v1/shifts?from={}&to={}", fmt(from), fmt(to)),
            &bob,
        )
        .await;
    let shifts = shifts["shifts"].as_array().unwrap();
    assert_eq!(shifts.len(), 1, "{shifts:?}");
    assert_eq!(
        (shifts[0]["source"].as_str(), shifts[0]["id"].as_str()),
        (Some("override"), taken["shift_id"].as_str())
    );
    // Taken once only.
    let (status, again) = take(&app, &app.token("carol"), &id, json!({})).await;
    assert_eq!(status, 409, "{again}");

    // Chat tells the requester, with the times in her zone.
    let (starts, _) = expected_local(&fmt(from), "Europe/Amsterdam");
    assert!(
        eventually(std::time::Duration::from_secs(10), || slack
            .texts()
            .iter()
            .any(
                |t| t.contains("bob covers alice as EOC") && t.contains(&starts)
            ))
        .await,
        "{:?}",
        slack.texts()
    );

    // Her next page says what changed, in her zone: her shift before, the
    // two pieces left of it after.
    let browser = crate::common::browser();
    app.sign_in(&browser, "alice").await;
    let (status, page) = app.page(&browser, "/").await;
    assert_eq!(status, 200);
    assert!(page.contains("Your shifts changed"), "{page}");
    assert!(page.contains("bob covers alice as EOC"), "{page}");
    let before = expected_local(&fmt(midnight(2)), "Europe/Amsterdam").0;
    let cut = expected_local(&fmt(from), "Europe/Amsterdam").0;
    let resumed = expected_local(&fmt(to), "Europe/Amsterdam").0;
    let notice = &page[page.find("Your shifts changed").unwrap()..];
    let after_at = notice.find("After").unwrap();
    assert!(notice[..after_at].contains(&before), "{notice}");
    assert!(
        notice[after_at..].contains(&cut) && notice[after_at..].contains(&resumed),
        "{notice}"
    );
    // Her dashboard lists the request as taken.
    assert!(page.contains("taken by bob"), "{page}");
    // Bob is told too: he has new time on call.
    let bob_browser = crate::common::browser();
    app.sign_in(&bob_browser, "bob").await;
    let (_, page) = app.page(&bob_browser, "/shifts").await;
    assert!(page.contains("bob covers alice as EOC"), "{page}");
    assert!(page.contains("Taken by bob"), "{page}");
    // The review counts it: bob took cover, alice was given it.
    let review = format!(
        "/api/v1/review?from={}&to={}",
        fmt(from - Duration::hours(1)),
        fmt(to)
    );
    let (status, figures) = app.get_json(&review, &bob).await;
    assert_eq!(status, 200, "{figures}");
    let person = |name: &str| {
        figures["load"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["username"] == name || p["user"]["username"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {figures}"))
    };
    assert_eq!(
        (
            person("bob")["cover_taken"].as_i64(),
            person("bob")["cover_given"].as_i64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(
        (
            person("alice")["cover_taken"].as_i64(),
            person("alice")["cover_given"].as_i64()
        ),
        (Some(0), Some(1))
    );
}

async fn an_admin_asks_for_someone_absent_and_assigns_the_request(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = team(&app).await;
    let dana = app.token("dana");
    let (from, to) = (
        midnight(3) + Duration::hours(9),
        midnight(3) + Duration::hours(12),
    );
    // Bob is ill: only an admin asks for him.
    let body =
        json!({"role": "EOC", "starts_at": fmt(from), "ends_at": fmt(to), "requester": "bob"});
    let (status, refused) = ask(&app, &alice, body.clone()).await;
    assert_eq!(status, 403, "{refused}");
    let (status, asked) = ask(&app, &dana, body).await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(asked["requester"], "bob");
    let id = asked["id"].as_str().unwrap().to_owned();
    // Alice may not assign it to Carol; Dana (not a member) may.
    let (status, refused) = take(&app, &alice, &id, json!({"username": "carol"})).await;
    assert_eq!(status, 403, "{refused}");
    let (status, taken) = take(&app, &dana, &id, json!({"username": "carol"})).await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(
        (taken["taken_by"].as_str(), taken["assigned_by"].as_str()),
        (Some("carol"), Some("dana"))
    );
    assert_eq!(
        eoc_at(&app, &alice, from + Duration::hours(1)).await,
        ["carol"]
    );

    // A member's own explicit shift gives way too: Bob asks, through the
    // page, for cover of an override he holds in IMOC; Dana takes it herself.
    let bob = app.token("bob");
    let (start, end) = (
        midnight(4) + Duration::hours(10),
        midnight(4) + Duration::hours(20),
    );
    let (status, shift) = app
        .send_json(
            Method::POST,
            "/api/v1/shifts",
            &bob,
            &json!({
        "username": "bob", "role": "IMOC", "starts_at": fmt(start), "ends_at": fmt(end)}),
        )
        .await;
    assert_eq!(status, 201, "{shift}");
    let browser = crate::common::browser();
    app.sign_in(&browser, "bob").await;
    let local = |t| crate::common::local_input(t, "America/New_York");
    let (status, location, body) = app
        .post_form(
            &browser,
            "/cover-requests",
            &[
                ("role", "IMOC"),
                ("starts_at", &local(start + Duration::hours(2))),
                ("ends_at", &local(start + Duration::hours(4))),
                ("tz", "America/New_York"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert!(location.unwrap().starts_with("/shifts"));
    let (_, listed) = app.get_json("/api/v1/cover-requests?role=IMOC", &bob).await;
    let id = listed["cover_requests"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = crate::common::browser();
    app.sign_in(&admin, "dana").await;
    let (_, page) = app.page(&admin, "/shifts").await;
    assert!(
        page.contains(&format!("/cover-requests/{id}/take")),
        "an admin sees Take and Assign"
    );
    let (status, _, body) = app
        .post_form(
            &admin,
            &format!("/cover-requests/{id}/take"),
            &[("next", "/shifts")],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let at = |t: DateTime<Utc>| {
        let app = &app;
        let bob = bob.clone();
        async move {
            let (_, body) = app
                .get_json(&format!("/api/v1/oncall?at={}", fmt(t)), &bob)
                .await;
            body["roles"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["role"] == "IMOC")
                .flat_map(|r| r["on_call"].as_array().unwrap().clone())
                .map(|o| o["user"]["username"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(at(start + Duration::hours(1)).await, ["bob"]);
    assert_eq!(at(start + Duration::hours(3)).await, ["dana"]);
    assert_eq!(at(start + Duration::hours(5)).await, ["bob"]);
}

async fn the_requester_dismisses_what_changed_with_a_form(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = team(&app).await;
    let (from, to) = (
        midnight(2) + Duration::hours(1),
        midnight(2) + Duration::hours(3),
    );
    let (_, asked) = ask(
        &app,
        &alice,
        json!({"role": "EOC", "starts_at": fmt(from), "ends_at": fmt(to)}),
    )
    .await;
    let (status, _) = take(
        &app,
        &app.token("carol"),
        asked["id"].as_str().unwrap(),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let browser = crate::common::browser();
    app.sign_in(&browser, "alice").await;
    let (_, page) = app.page(&browser, "/handoffs").await;
    let marker = "action=\"/me/schedule-changes/";
    let start = page.find(marker).expect("a dismiss form") + marker.len();
    let notice = page[start..start + 36].to_owned();
    // Without the CSRF token: refused, and still shown.
    let res = browser
        .post(app.url(&format!("/me/schedule-changes/{notice}/dismiss")))
        .form(&[("next", "/handoffs")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (_, page) = app.page(&browser, "/handoffs").await;
    assert!(page.contains("carol covers alice as EOC"));
    // Another person cannot dismiss it.
    let carol = crate::common::browser();
    app.sign_in(&carol, "carol").await;
    let (status, _, _) = app
        .post_form(
            &carol,
            &format!("/me/schedule-changes/{notice}/dismiss"),
            &[("next", "/")],
        )
        .await;
    assert_eq!(status, 404);
    let (status, location, _) = app
        .post_form(
            &browser,
            &format!("/me/schedule-changes/{notice}/dismiss"),
            &[("next", "/handoffs")],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/handoffs")));
    let (_, page) = app.page(&browser, "/handoffs").await;
    assert!(!page.contains("carol covers alice as EOC"), "{page}");
    // The rotation's making is still there, until all are dismissed.
    assert!(page.contains("alice made the rotation"), "{page}");
    let (status, location, _) = app
        .post_form(
            &browser,
            "/me/schedule-changes/dismiss",
            &[("next", "/handoffs")],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/handoffs")));
    let (_, page) = app.page(&browser, "/handoffs").await;
    assert!(!page.contains("Your shifts changed"), "{page}");
}

async fn an_open_request_is_shown_to_the_roles_members_from_24_hours_before_it_starts(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = team(&app).await;
    let now = Utc::now().duration_trunc(Duration::minutes(1)).unwrap();
    let soon = (now + Duration::hours(10), now + Duration::hours(12));
    let later = (now + Duration::hours(30), now + Duration::hours(32));
    for (s, e) in [soon, later] {
        let (status, body) = ask(
            &app,
            &alice,
            json!({"role": "EOC", "starts_at": fmt(s), "ends_at": fmt(e)}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let bob = crate::common::browser();
    app.sign_in(&bob, "bob").await;
    let (_, page) = app.page(&bob, "/").await;
    assert!(page.contains("Cover wanted (1)"), "{page}");
    let wanted = &page[page.find("Cover wanted").unwrap()..];
    let wanted = &wanted[..wanted.find("</section>").unwrap()];
    let shown = |t: DateTime<Utc>| expected_local(&fmt(t), "America/New_York").0;
    assert!(wanted.contains(&shown(soon.0)), "{wanted}");
    assert!(!wanted.contains(&shown(later.0)), "{wanted}");
    assert!(wanted.contains("Take it"), "{wanted}");
    // Not to the requester (hers are listed as hers), nor to someone who
    // is not a member of the role.
    let me = crate::common::browser();
    app.sign_in(&me, "alice").await;
    let (_, page) = app.page(&me, "/").await;
    assert!(!page.contains("Cover wanted"));
    assert!(page.contains("Your cover requests"));
    assert!(page.contains("open, nobody took it yet"));
    let dana = crate::common::browser();
    app.sign_in(&dana, "dana").await;
    let (_, page) = app.page(&dana, "/").await;
    assert!(!page.contains("Cover wanted"));
    // Taken from the dashboard, it is gone from it.
    let (_, page) = app.page(&bob, "/").await;
    let marker = "action=\"/cover-requests/";
    let start = page.find(marker).unwrap() + marker.len();
    let id = page[start..start + 36].to_owned();
    let (status, location, _) = app
        .post_form(
            &bob,
            &format!("/cover-requests/{id}/take"),
            &[("next", "/")],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/")));
    let (_, page) = app.page(&bob, "/").await;
    assert!(!page.contains("Cover wanted"), "{page}");
}

async fn bad_cover_requests_are_refused_naming_the_field(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = team(&app).await;
    let t = midnight(2) + Duration::hours(2);
    for (body, field) in [
        (
            json!({"role": "EOC", "starts_at": fmt(t), "ends_at": fmt(t - Duration::hours(1))}),
            "ends_at",
        ),
        (
            json!({"role": "EOC", "starts_at": fmt(t), "ends_at": fmt(t)}),
            "ends_at",
        ),
        (
            json!({"role": "EOC", "starts_at": fmt(t), "ends_at": fmt(t + Duration::days(15))}),
            "ends_at",
        ),
        (
            json!({"role": "NOBODY", "starts_at": fmt(t), "ends_at": fmt(t + Duration::hours(1))}),
            "role",
        ),
        (
            json!({"role": "EOC", "starts_at": "tuesday", "ends_at": fmt(t)}),
            "starts_at",
        ),
    ] {
        let (status, err) = ask(&app, &alice, body.clone()).await;
        assert_eq!(
            (status, err["error"]["field"].as_str()),
            (422, Some(field)),
            "{body}: {err}"
        );
    }
    // Dana is no member of EOC: she cannot ask for cover in it for herself.
    let (status, err) = ask(
        &app,
        &app.token("dana"),
        json!({"role": "EOC", "starts_at": fmt(t), "ends_at": fmt(t + Duration::hours(1))}),
    )
    .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("role")),
        "{err}"
    );
    let (status, asked) = ask(
        &app,
        &alice,
        json!({"role": "EOC", "starts_at": fmt(t), "ends_at": fmt(t + Duration::hours(1))}),
    )
    .await;
    assert_eq!(status, 201);
    let id = asked["id"].as_str().unwrap();
    // Her own request is not hers to take; one taken is taken.
    let (status, err) = take(&app, &alice, id, json!({})).await;
    assert_eq!(status, 409, "{err}");
    let (status, _) = take(&app, &app.token("bob"), id, json!({})).await;
    assert_eq!(status, 200);
    let (status, err) = take(&app, &app.token("carol"), id, json!({})).await;
    assert_eq!(status, 409, "{err}");
    let (status, err) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/cover-requests/{id}/cancel"),
            &alice,
            &json!({}),
        )
        .await;
    assert_eq!(status, 409, "{err}");
    let (status, err) = take(&app, &alice, "not-an-id", json!({})).await;
    assert_eq!(status, 404, "{err}");

    // The page's form says what is wrong beside the field.
    let browser = crate::common::browser();
    app.sign_in(&browser, "alice").await;
    let local = |t| crate::common::local_input(t, "Europe/Amsterdam");
    let (status, _, page) = app
        .post_form(
            &browser,
            "/cover-requests",
            &[
                ("role", "EOC"),
                ("starts_at", &local(t)),
                ("ends_at", &local(t - Duration::hours(2))),
                ("tz", "Europe/Amsterdam"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("id=\"c-end-error\">the cover must end after it starts"),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"c-end-error\""));
    // A cancelled request is no longer listed.
    let (_, asked) = ask(&app, &alice, json!({"role": "EOC", "starts_at": fmt(t + Duration::days(1)), "ends_at": fmt(t + Duration::days(1) + Duration::hours(1))})).await;
    let id = asked["id"].as_str().unwrap();
    let (status, cancelled) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/cover-requests/{id}/cancel"),
            &alice,
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled"))
    );
    let (_, listed) = app.get_json("/api/v1/cover-requests", &alice).await;
    assert!(
        listed["cover_requests"].as_array().unwrap().is_empty(),
        "{listed}"
    );
    let (status, err) = app
        .get_json("/api/v1/cover-requests?status=maybe", &alice)
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (422, Some("status"))
    );
}

async fn a_changed_rotation_or_override_shows_each_person_what_changed_in_their_zone(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let alice = team(&app).await;
    // An override: Dana covers Carol tomorrow 18:00–20:00 UTC.
    let (from, to) = (
        midnight(1) + Duration::hours(18),
        midnight(1) + Duration::hours(20),
    );
    let (status, shift) = app
        .send_json(
            Method::POST,
            "/api/v1/shifts",
            &alice,
            &json!({
        "username": "dana", "role": "EOC", "starts_at": fmt(from), "ends_at": fmt(to)}),
        )
        .await;
    assert_eq!(status, 201, "{shift}");
    let carol = crate::common::browser();
    app.sign_in(&carol, "carol").await;
    let (_, page) = app.page(&carol, "/shifts").await;
    assert!(page.contains("alice added an override shift"), "{page}");
    let sydney = |t: DateTime<Utc>| expected_local(&fmt(t), "Australia/Sydney").0;
    assert!(
        page.contains(&sydney(from)) && page.contains(&sydney(to)),
        "{page}"
    );
    let dana = crate::common::browser();
    app.sign_in(&dana, "dana").await;
    let (_, page) = app.page(&dana, "/").await;
    let london = |t: DateTime<Utc>| expected_local(&fmt(t), "Europe/London").0;
    assert!(
        page.contains("alice added an override shift") && page.contains(&london(from)),
        "{page}"
    );
    // Deleting the override gives Carol her evening back (before the
    // rotation changes: after it, whose evening that is depends on the date).
    let (status, _) = app
        .send_json(
            Method::DELETE,
            &format!("/api/v1/shifts/{}", shift["id"].as_str().unwrap()),
            &alice,
            &json!({}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, page) = app.page(&carol, "/").await;
    assert!(page.contains("alice deleted an override shift"), "{page}");
    // A rotation changed from now on: Bob leaves it; everyone's time moves.
    let (_, rotations) = app.get_json("/api/v1/rotations", &alice).await;
    let id = rotations["rotations"][0]["id"].as_str().unwrap();
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/rotations/{id}"),
            &alice,
            &json!({"members": ["alice", "carol"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let bob = crate::common::browser();
    app.sign_in(&bob, "bob").await;
    let (_, page) = app.page(&bob, "/log").await;
    assert!(
        page.contains("alice changed the rotation “EOC around the world”"),
        "{page}"
    );
    assert!(page.contains("No shift in its place"), "{page}");
}

/// The offset jiff gives `zone` at `t`, as `+01:00`.
fn offset(zone: &str, t: DateTime<Utc>) -> String {
    let ts = jiff::Timestamp::from_second(t.timestamp()).unwrap();
    let zoned = ts.to_zoned_datetime(jiff::tz::TimeZoneDatabase::bundled().get(zone).unwrap());
    let secs = zoned.offset().seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    format!(
        "{sign}{:02}:{:02}",
        secs.abs() / 3600,
        secs.abs() % 3600 / 60
    )
}

async fn forty_instants_across_both_dst_changes_of_2027_with_an_override_and_a_taken_cover_request(
    backend: Backend,
) {
    {
        use chrono::Timelike;
        let Some(app) = TestApp::spawn(backend).await else {
            return;
        };
        let alice = team(&app).await;
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Dana covers Alice on 1 November 2027 10:00–14:00 UTC (Europe went
        // back on 31 October; the US follows on 7 November).
        let (status, body) = app.send_json(Method::POST, "/api/v1/shifts", &alice, &json!({
            "username": "dana", "role": "EOC", "starts_at": "2027-11-01T10:00:00Z", "ends_at": "2027-11-01T14:00:00Z"})).await;
        assert_eq!(status, 201, "{body}");
        // Bob asks for cover on 3 November 12:00–16:00; Carol takes it.
        let bob = app.token("bob");
        let (status, asked) = ask(&app, &bob, json!({"role": "EOC", "starts_at": "2027-11-03T12:00:00Z", "ends_at": "2027-11-03T16:00:00Z"})).await;
        assert_eq!(status, 201, "{asked}");
        let (status, taken) = take(
            &app,
            &app.token("carol"),
            asked["id"].as_str().unwrap(),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{taken}");
        let zones = [
            ("alice", "Europe/Amsterdam"),
            ("bob", "America/New_York"),
            ("carol", "Australia/Sydney"),
            ("dana", "Europe/London"),
        ];
        let first = at("2027-10-28T00:00:00Z");
        let (mut seen_override, mut seen_cover) = (false, false);
        for i in 0..40 {
            let t = first + Duration::minutes(497 * i);
            let expected = if t >= at("2027-11-01T10:00:00Z") && t < at("2027-11-01T14:00:00Z") {
                seen_override = true;
                "dana"
            } else if t >= at("2027-11-03T12:00:00Z") && t < at("2027-11-03T16:00:00Z") {
                seen_cover = true;
                "carol"
            } else {
                ["alice", "bob", "carol"][(t.hour() / 8) as usize]
            };
            let (status, body) = app
                .get_json(&format!("/api/v1/oncall?at={}", fmt(t)), &alice)
                .await;
            assert_eq!(status, 200, "{body}");
            let eoc: Vec<&Value> = body["roles"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["role"] == "EOC")
                .flat_map(|r| r["on_call"].as_array().unwrap())
                .collect();
            assert_eq!(eoc.len(), 1, "{t}: {eoc:?}");
            assert_eq!(eoc[0]["user"]["username"], expected, "at {t}");
            let zone = zones.iter().find(|(u, _)| *u == expected).unwrap().1;
            assert!(
                eoc[0]["user"]["local_time"]
                    .as_str()
                    .unwrap()
                    .ends_with(&offset(zone, t)),
                "{t}: {}",
                eoc[0]["user"]["local_time"]
            );
        }
        assert!(
            seen_override && seen_cover,
            "the samples reach both the override and the cover"
        );
        // The instants at the cover's edges, and around each DST change.
        for (t, who) in [
            ("2027-11-03T11:59:59Z", "bob"),
            ("2027-11-03T12:00:00Z", "carol"),
            ("2027-11-03T15:59:59Z", "carol"),
            ("2027-10-31T00:59:59Z", "alice"),
            ("2027-11-07T06:59:59Z", "alice"),
            ("2027-11-07T08:00:00Z", "bob"),
        ] {
            assert_eq!(eoc_at(&app, &alice, at(t)).await, [who], "at {t}");
        }
    }
}
