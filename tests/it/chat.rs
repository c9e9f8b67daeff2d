//! Chat notifications, the outbox and escalation (issue 13), against two
//! stand-in webhooks on loopback ports.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::chat::{FakeChat, SECRET_PATH, eventually};
use crate::common::{Backend, FreshDatabase, TestApp};

fn pass(title: &str, to: &str, confidential: bool) -> Value {
    json!({
        "kind": "outage",
        "title": title,
        "severity": 2,
        "confidential": confidential,
        "issues": [],
        "note": {"body": format!("Notes about {title}: replica lag. Next: watch."), "pass_to": to},
    })
}

/// Both stand-ins, and Baton posting to them with `extra` settings.
async fn chat_app(
    backend: Backend,
    extra: &[(&str, &str)],
) -> Option<(TestApp, FakeChat, FakeChat)> {
    let slack = FakeChat::start().await;
    let mattermost = FakeChat::start().await;
    let mut settings = vec![
        ("BATON_SLACK_WEBHOOK_URL", slack.url.as_str()),
        ("BATON_MATTERMOST_WEBHOOK_URL", mattermost.url.as_str()),
    ];
    settings.extend_from_slice(extra);
    let app = TestApp::spawn_with(backend, &settings).await?;
    Some((app, slack, mattermost))
}

/// How many messages `chat` accepted whose text holds every one of `parts`.
fn count(chat: &FakeChat, parts: &[&str]) -> usize {
    chat.texts()
        .iter()
        .filter(|t| parts.iter().all(|p| t.contains(p)))
        .count()
}

/// Puts `username` on call in `role` for the hour around now.
async fn on_call(app: &TestApp, token: &str, username: &str, role: &str) {
    let now = chrono::Utc::now();
    let fmt =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let body = json!({"username": username, "role": role,
        "starts_at": fmt(now - chrono::Duration::hours(1)), "ends_at": fmt(now + chrono::Duration::hours(1))});
    let (status, body) = app
        .send_json(Method::POST, "/api/v1/shifts", token, &body)
        .await;
    assert_eq!(status, 201, "{body}");
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
    a_pass_reaches_both_chats_at_once_and_an_acknowledgement_and_a_resolution_one_message_each,
    an_unacknowledged_pass_escalates_to_whoever_is_on_call_as_imoc_once_per_period,
    a_confidential_handoffs_messages_carry_no_title_and_no_note_text,
    after_chat_answered_500_for_20_seconds_every_message_arrives_exactly_once,
    a_429_is_honoured_and_a_hung_chat_costs_the_pages_nothing,
    messages_pending_when_baton_is_killed_arrive_exactly_once_after_it_starts_again,
);

async fn a_pass_reaches_both_chats_at_once_and_an_acknowledgement_and_a_resolution_one_message_each(
    backend: Backend,
) {
    let Some((app, slack, mattermost)) = chat_app(backend, &[]).await else {
        return;
    };
    let (alice, bob, _) = app.alice_bob_carol();
    let created = app
        .create_handoff(&alice, pass("Patroni failover loop", "bob", false))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let link = format!("/handoffs/{id}");
    for chat in [&slack, &mattermost] {
        assert!(
            eventually(Duration::from_secs(5), || count(
                chat,
                &["passed", "bob", &link]
            ) == 1)
            .await,
            "the pass reaches chat within 5 s: {:?}",
            chat.texts()
        );
    }
    let text = &slack.texts()[0];
    assert!(
        text.contains("Patroni failover loop") && text.contains("Asia/Tokyo"),
        "{text}"
    );
    let slack_body = &slack.received()[0];
    assert_eq!(slack_body["blocks"][0]["text"]["text"], slack_body["text"]);
    let mm_body = &mattermost.received()[0];
    assert!(
        mm_body["attachments"][0]["color"]
            .as_str()
            .unwrap()
            .starts_with('#')
    );
    assert!(
        mm_body["attachments"][0]["title_link"]
            .as_str()
            .unwrap()
            .ends_with(&link)
    );

    let path = format!("/api/v1/handoffs/{id}");
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("{path}/acknowledge"),
            &bob,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("{path}/resolve"),
            &bob,
            &json!({"body": "Fixed."}),
        )
        .await;
    assert_eq!(status, 200);
    for chat in [&slack, &mattermost] {
        assert!(
            eventually(Duration::from_secs(5), || chat.texts().len() == 3).await,
            "{:?}",
            chat.texts()
        );
        assert_eq!(
            count(chat, &["acknowledged", &link]),
            1,
            "{:?}",
            chat.texts()
        );
        assert_eq!(count(chat, &["resolved", &link]), 1, "{:?}", chat.texts());
    }
    // The order of the handoff's messages is kept.
    let texts = slack.texts();
    assert!(
        texts[0].contains("passed")
            && texts[1].contains("acknowledged")
            && texts[2].contains("resolved")
    );
    // Nothing more arrives.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!((slack.texts().len(), mattermost.texts().len()), (3, 3));
    // The handoff page says the pass was delivered.
    app.sign_in(&app.browser, "alice").await;
    let (_, page) = app.page(&app.browser, &link).await;
    assert!(
        page.contains("sent to Slack") && page.contains("sent to Mattermost"),
        "{page}"
    );
}

async fn an_unacknowledged_pass_escalates_to_whoever_is_on_call_as_imoc_once_per_period(
    backend: Backend,
) {
    let Some((app, slack, mattermost)) = chat_app(
        backend,
        &[("BATON_ESCALATE_AFTER", "4s"), ("BATON_ESCALATE_MAX", "2")],
    )
    .await
    else {
        return;
    };
    let (alice, _, _) = app.alice_bob_carol();
    app.add_user("dave", "America/Vancouver", "responder");
    on_call(&app, &alice, "dave", "IMOC").await;
    let created = app
        .create_handoff(&alice, pass("Disk full on the registry", "bob", false))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    // Within the period plus 5 s (the promise).
    for chat in [&slack, &mattermost] {
        assert!(
            eventually(Duration::from_secs(9), || count(
                chat,
                &["Escalation 1", "bob", "dave", "IMOC"]
            ) == 1)
            .await,
            "escalates soon after its period: {:?}",
            chat.texts()
        );
    }
    eprintln!(
        "first escalation after {:?} (period 4 s)",
        started.elapsed()
    );
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "not before its period"
    );
    let (status, json) = app
        .get_json(&format!("/api/v1/handoffs/{id}"), &alice)
        .await;
    assert_eq!(status, 200);
    assert!(json["escalated_at"].is_string(), "{json}");
    assert_eq!(json["escalated_to"]["username"], "dave", "{json}");
    app.sign_in(&app.browser, "alice").await;
    let (_, dashboard) = app.page(&app.browser, "/").await;
    assert!(dashboard.contains("escalated"), "the dashboard shows it");
    // Again after the next period, then never more than BATON_ESCALATE_MAX.
    assert!(
        eventually(Duration::from_secs(30), || count(&slack, &["Escalation 2"])
            == 1)
        .await
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(count(&slack, &["Escalation"]), 2, "{:?}", slack.texts());
    assert_eq!(
        count(&mattermost, &["Escalation"]),
        2,
        "{:?}",
        mattermost.texts()
    );
    let mut conn = app.db.conn().unwrap();
    let audit = baton::db::models::audit::recent(&mut conn, 50).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action.as_str() == "escalate" && e.subject == id)
            .count(),
        2
    );
    // /metrics counts them (read from loopback), and nothing is left to send.
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("\nbaton_escalations_total 2\n"),
        "{metrics}"
    );
    assert!(metrics.contains("\nbaton_outbox_pending 0\n"), "{metrics}");
}

async fn a_confidential_handoffs_messages_carry_no_title_and_no_note_text(backend: Backend) {
    let Some((app, slack, mattermost)) = chat_app(backend, &[]).await else {
        return;
    };
    let (alice, bob, _) = app.alice_bob_carol();
    let created = app
        .create_handoff(&alice, pass("Customer 4711 data exposed", "bob", true))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/handoffs/{id}");
    app.send_json(
        Method::POST,
        &format!("{path}/acknowledge"),
        &bob,
        &json!({}),
    )
    .await;
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("{path}/notes"),
            &bob,
            &json!({"body": "Secret step two", "pass_to": "alice"}),
        )
        .await;
    assert_eq!(status, 201);
    app.send_json(
        Method::POST,
        &format!("{path}/resolve"),
        &alice,
        &json!({"body": "Secret closing words"}),
    )
    .await;
    for chat in [&slack, &mattermost] {
        assert!(
            eventually(Duration::from_secs(5), || chat.received().len() == 4).await,
            "{:?}",
            chat.texts()
        );
        for body in chat.received() {
            let raw = body.to_string();
            assert!(
                !raw.contains("4711") && !raw.contains("Secret") && !raw.contains("replica"),
                "{raw}"
            );
            assert!(raw.contains(&format!("/handoffs/{id}")), "{raw}");
        }
        assert_eq!(
            count(chat, &["confidential handoff was passed to bob"]),
            1,
            "{:?}",
            chat.texts()
        );
    }
}

async fn after_chat_answered_500_for_20_seconds_every_message_arrives_exactly_once(
    backend: Backend,
) {
    let Some((app, slack, mattermost)) = chat_app(backend, &[]).await else {
        return;
    };
    slack.fail_for(Duration::from_secs(20));
    let (alice, bob, _) = app.alice_bob_carol();
    let mut links = vec![];
    for n in 0..3 {
        let created = app
            .create_handoff(&alice, pass(&format!("Outage {n}"), "bob", false))
            .await;
        links.push(format!("/handoffs/{}", created["id"].as_str().unwrap()));
    }
    let first = links[0].trim_start_matches("/handoffs/").to_owned();
    app.send_json(
        Method::POST,
        &format!("/api/v1/handoffs/{first}/acknowledge"),
        &bob,
        &json!({}),
    )
    .await;
    // Mattermost has them at once; Slack fails meanwhile.
    assert!(eventually(Duration::from_secs(5), || mattermost.texts().len() == 4).await);
    assert!(slack.texts().is_empty());
    assert!(slack.attempts() >= 3);
    // After it recovers, everything arrives, once.
    assert!(
        eventually(Duration::from_secs(75), || slack.texts().len() == 4).await,
        "{:?}",
        slack.texts()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    for link in &links {
        assert_eq!(count(&slack, &["passed", link]), 1, "{:?}", slack.texts());
    }
    assert_eq!(count(&slack, &["acknowledged", &links[0]]), 1);
    assert_eq!(slack.texts().len(), 4);
    // In order: the pass before its acknowledgement.
    let texts = slack.texts();
    let at = |part: &str| {
        texts
            .iter()
            .position(|t| t.contains(part) && t.contains(&links[0]))
    };
    assert!(at("passed") < at("acknowledged"));
}

async fn a_429_is_honoured_and_a_hung_chat_costs_the_pages_nothing(backend: Backend) {
    let Some((app, slack, mattermost)) = chat_app(backend, &[]).await else {
        return;
    };
    // Longer than the first back-off (15 s).
    slack.rate_limit(18, 1);
    mattermost.hang(true);
    let (alice, _, _) = app.alice_bob_carol();
    let started = std::time::Instant::now();
    let created = app
        .create_handoff(&alice, pass("Rate limited", "bob", false))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        let (status, _) = app
            .get_json(&format!("/api/v1/handoffs/{id}"), &alice)
            .await;
        assert_eq!(status, 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "pages wait for no chat"
    );
    assert!(eventually(Duration::from_secs(30), || slack.texts().len() == 1).await);
    assert!(
        started.elapsed() >= Duration::from_secs(18),
        "Retry-After was honoured"
    );
    assert_eq!(slack.attempts(), 2);
    assert!(mattermost.texts().is_empty());
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `baton serve` on `database_url`, posting to `slack`; ready to answer.
pub(crate) async fn serve(database_url: &str, port: u16, slack: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("serve")
        .env("BATON_DATABASE_URL", database_url)
        .env("BATON_BIND", format!("127.0.0.1:{port}"))
        .env("BATON_SLACK_WEBHOOK_URL", slack)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("BATON_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start baton");
    let url = format!("http://127.0.0.1:{port}/readyz");
    for _ in 0..600 {
        if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("baton serve did not become ready");
}

async fn messages_pending_when_baton_is_killed_arrive_exactly_once_after_it_starts_again(
    backend: Backend,
) {
    let Some(fresh) = FreshDatabase::new(backend) else {
        return;
    };
    // An app without chat: the users, their tokens, the database.
    let app = TestApp::spawn_on(backend, fresh, &[]).await;
    let (alice, _, _) = app.alice_bob_carol();
    let slack = FakeChat::start().await;
    slack.fail_for(Duration::from_secs(3600));
    let port = free_port();
    let mut baton = serve(&app.database_url, port, &slack.url).await;
    let client = reqwest::Client::new();
    let mut links = vec![];
    for n in 0..3 {
        let res = client
            .post(format!("http://127.0.0.1:{port}/api/v1/handoffs"))
            .bearer_auth(&alice)
            .json(&pass(&format!("Killed {n}"), "bob", false))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let json: Value = res.json().await.unwrap();
        links.push(format!("/handoffs/{}", json["id"].as_str().unwrap()));
    }
    // Each tried once and refused: pending, its next try 15 s away.
    assert!(eventually(Duration::from_secs(5), || slack.attempts() >= 3).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    baton.kill().unwrap(); // SIGKILL
    baton.wait().unwrap();
    slack.fail_for(Duration::ZERO);
    let mut baton = serve(&app.database_url, port, &slack.url).await;
    let arrived = eventually(Duration::from_secs(40), || slack.texts().len() >= 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = baton.kill();
    let _ = baton.wait();
    assert!(arrived, "{:?}", slack.texts());
    for link in &links {
        assert_eq!(count(&slack, &["passed", link]), 1, "{:?}", slack.texts());
    }
    assert_eq!(slack.texts().len(), 3);
}

#[tokio::test]
async fn two_instances_on_one_postgresql_database_deliver_each_message_once_and_escalate_each_pass_once()
 {
    let settings_for = |slack: &FakeChat, mm: &FakeChat| {
        vec![
            ("BATON_SLACK_WEBHOOK_URL".to_owned(), slack.url.clone()),
            ("BATON_MATTERMOST_WEBHOOK_URL".to_owned(), mm.url.clone()),
            ("BATON_ESCALATE_AFTER".to_owned(), "4s".to_owned()),
            ("BATON_ESCALATE_MAX".to_owned(), "1".to_owned()),
            // Behind one load balancer, both instances write one permalink.
            (
                "BATON_PUBLIC_URL".to_owned(),
                "http://baton.test".to_owned(),
            ),
        ]
    };
    let slack = FakeChat::start().await;
    let mattermost = FakeChat::start().await;
    let owned = settings_for(&slack, &mattermost);
    let settings: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let Some(app) = TestApp::spawn_with(Backend::Postgres, &settings).await else {
        return;
    };
    let second = app.another_instance(&settings).await;
    let (alice, _, _) = app.alice_bob_carol();
    let mut links = vec![];
    for n in 0..6 {
        let created = app
            .create_handoff(&alice, pass(&format!("Shared {n}"), "bob", false))
            .await;
        links.push(format!("/handoffs/{}", created["id"].as_str().unwrap()));
    }
    // Generous: the whole suite may be running beside this test.
    assert!(
        eventually(Duration::from_secs(30), || count(&slack, &["Escalation 1"])
            == 6)
        .await,
        "{:?}",
        slack.texts()
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    for chat in [&slack, &mattermost] {
        for link in &links {
            assert_eq!(count(chat, &["passed", link]), 1, "{:?}", chat.texts());
            assert_eq!(count(chat, &["Escalation", link]), 1, "{:?}", chat.texts());
        }
        assert_eq!(chat.texts().len(), 12);
    }
    drop(second);
}

#[test]
fn bad_chat_settings_stop_start_up_with_a_message_naming_the_variable() {
    for (name, value, secret) in [
        ("BATON_ESCALATE_AFTER", "soon", None),
        (
            "BATON_SLACK_WEBHOOK_URL",
            "ftp://chat.example.com/hooks/T0/s3cr3t",
            Some("s3cr3t"),
        ),
        ("BATON_MATTERMOST_WEBHOOK_URL", "not a url", None),
        ("BATON_ESCALATE_MAX", "-1", None),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("serve")
            .env("BATON_DATABASE_URL", "sqlite://never-opened.db")
            .env("BATON_BIND", "127.0.0.1:0")
            .env(name, value)
            .env_remove("DATABASE_URL")
            .env_remove("BATON_CONFIG")
            .output()
            .expect("run baton");
        assert!(!out.status.success(), "{name}={value} must stop start-up");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(said.contains(name), "{name}: {said}");
        if let Some(secret) = secret {
            assert!(!said.contains(secret), "{said}");
        }
    }
    assert!(!std::path::Path::new("never-opened.db").exists());
    let _ = SECRET_PATH;
}

#[tokio::test]
async fn a_chat_handle_on_the_profile_is_mentioned_and_the_settings_page_shows_only_the_host_and_sends_a_test()
 {
    let Some((app, slack, mattermost)) = chat_app(Backend::Sqlite, &[]).await else {
        return;
    };
    let (alice, _, _) = app.alice_bob_carol();
    app.add_user("root", "UTC", "admin");
    let bob = app.token("bob");
    let (status, me) = app
        .send_json(
            Method::PATCH,
            "/api/v1/users/me",
            &bob,
            &json!({"chat_handle": "@U024BE7LH"}),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["chat_handle"], "U024BE7LH");
    let (status, err) = app
        .send_json(
            Method::PATCH,
            "/api/v1/users/me",
            &bob,
            &json!({"chat_handle": "<!channel>"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["field"], "chat_handle");
    app.create_handoff(&alice, pass("Mention me", "bob", false))
        .await;
    assert!(
        eventually(Duration::from_secs(5), || count(&slack, &["<@U024BE7LH>"])
            == 1)
        .await,
        "{:?}",
        slack.texts()
    );
    assert!(
        eventually(Duration::from_secs(5), || count(
            &mattermost,
            &["@U024BE7LH"]
        ) == 1)
        .await
    );

    // The profile page takes it too, and says what is wrong beside the field.
    let carol = crate::common::browser();
    app.sign_in(&carol, "carol").await;
    let (status, _, page) = app
        .post_form(
            &carol,
            "/me",
            &[
                ("name", "carol"),
                ("timezone", "UTC"),
                ("chat_handle", "no spaces please"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("chat_handle-error"), "{page}");
    let (status, _, _) = app
        .post_form(
            &carol,
            "/me",
            &[
                ("name", "carol"),
                ("timezone", "UTC"),
                ("chat_handle", "carol.c"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = app.page(&carol, "/me").await;
    assert!(page.contains("value=\"carol.c\""), "{page}");

    // The settings page: hosts only, and a test message through the outbox.
    let admin = crate::common::browser();
    app.sign_in(&admin, "root").await;
    let (status, page) = app.page(&admin, "/admin/settings").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("127.0.0.1:") && !page.contains(SECRET_PATH),
        "{page}"
    );
    let (status, location, _) = app
        .post_form(&admin, "/admin/settings/chat-test", &[])
        .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/admin/settings"));
    for chat in [&slack, &mattermost] {
        assert!(
            eventually(Duration::from_secs(5), || count(
                chat,
                &["Test message from Baton"]
            ) == 1)
            .await
        );
    }
    let (_, page) = app.page(&admin, "/admin/settings").await;
    assert!(
        page.contains("Last success") && !page.contains(">never<"),
        "{page}"
    );
    let (status, _) = app.page(&carol, "/admin/settings").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_message_chat_refuses_is_given_up_at_once_and_the_handoff_page_says_why() {
    let Some((app, slack, mattermost)) = chat_app(Backend::Sqlite, &[]).await else {
        return;
    };
    slack.refuse(Some(404));
    let (alice, _, _) = app.alice_bob_carol();
    let created = app
        .create_handoff(&alice, pass("Refused", "bob", false))
        .await;
    let link = format!("/handoffs/{}", created["id"].as_str().unwrap());
    assert!(eventually(Duration::from_secs(5), || mattermost.texts().len() == 1).await);
    app.sign_in(&app.browser, "alice").await;
    let page = page_until(&app, &link, "pass failed (Slack)", Duration::from_secs(5)).await;
    assert!(
        page.contains("pass failed (Slack): chat refused it (404)"),
        "{page}"
    );
    assert!(page.contains("pass sent to Mattermost"), "{page}");
    slack.refuse(None);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(slack.attempts(), 1, "a refused message is not sent again");
    assert!(slack.texts().is_empty());
}

/// Reads `path` in the app's browser until it holds `wanted` (up to
/// `within`); the last page read.
async fn page_until(app: &TestApp, path: &str, wanted: &str, within: Duration) -> String {
    let deadline = std::time::Instant::now() + within;
    loop {
        let (_, page) = app.page(&app.browser, path).await;
        if page.contains(wanted) || std::time::Instant::now() > deadline {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_message_whose_sender_died_mid_post_is_shown_as_unknown_and_never_sent_again() {
    let Some(fresh) = FreshDatabase::new(Backend::Sqlite) else {
        return;
    };
    let app = TestApp::spawn_on(Backend::Sqlite, fresh, &[]).await;
    let (alice, _, _) = app.alice_bob_carol();
    let slack = FakeChat::start().await;
    slack.hang(true);
    let port = free_port();
    let mut baton = serve(&app.database_url, port, &slack.url).await;
    let res = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/handoffs"))
        .bearer_auth(&alice)
        .json(&pass("Died mid-post", "bob", false))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The post is in flight (the stand-in holds it) when Baton dies.
    assert!(eventually(Duration::from_secs(5), || slack.attempts() == 1).await);
    baton.kill().unwrap();
    baton.wait().unwrap();
    slack.hang(false);
    let mut baton = serve(&app.database_url, port, &slack.url).await;
    app.sign_in(&app.browser, "alice").await;
    let link = format!("/handoffs/{id}");
    let page = page_until(
        &app,
        &link,
        "pass may not have reached Slack",
        Duration::from_secs(45),
    )
    .await;
    let _ = baton.kill();
    let _ = baton.wait();
    assert!(page.contains("pass may not have reached Slack"), "{page}");
    assert_eq!(
        slack.attempts(),
        1,
        "an ambiguous post is never repeated on its own"
    );
}
