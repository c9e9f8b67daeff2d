//! Sign-in and the locked-down surface: GitLab OAuth against a stand-in
//! GitLab, break-glass passwords, roles on every route, headers, cookies,
//! deactivation, and logs without secrets.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use common::gitlab::{CLIENT_ID, CLIENT_SECRET, FakeGitLab, capture_logs};
use common::{Backend, TestApp};
use reqwest::{Client, Method, redirect};
use serde_json::json;

const PASSWORD: &str = "break glass in case of fire";

async fn baton_with_gitlab(
    backend: Backend,
    gitlab: &FakeGitLab,
    extra: &[(&str, &str)],
) -> Option<TestApp> {
    let mut settings = vec![
        ("BATON_GITLAB_URL", gitlab.url.as_str()),
        ("BATON_GITLAB_CLIENT_ID", CLIENT_ID),
        ("BATON_GITLAB_CLIENT_SECRET", CLIENT_SECRET),
        ("BATON_GITLAB_ALLOWED_GROUPS", "gitlab-com/gl-infra"),
    ];
    settings.extend_from_slice(extra);
    TestApp::spawn_with(backend, &settings).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Walks the browser through Baton → GitLab → Baton; returns the callback's response.
async fn gitlab_round_trip(app: &TestApp, browser: &Client, next: &str) -> reqwest::Response {
    let start = browser
        .get(app.url(&format!("/auth/gitlab?next={next}")))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    let authorize = location(&start);
    let at_gitlab = browser.get(&authorize).send().await.unwrap();
    assert_eq!(at_gitlab.status(), 302);
    let callback = location(&at_gitlab);
    assert!(
        callback.starts_with(&app.url("/auth/gitlab/callback?")),
        "{callback}"
    );
    browser.get(&callback).send().await.unwrap()
}

/// Whether a table row of `html` has `cells` as consecutive cell texts.
fn has_audit_row(html: &str, cells: &[&str]) -> bool {
    html.split("<tr").any(|row| {
        let texts: Vec<String> = row
            .split("<td")
            .skip(1)
            .map(|cell| {
                let inner = cell.split_once('>').map(|(_, rest)| rest).unwrap_or("");
                let mut text = String::new();
                let mut in_tag = false;
                for c in inner.split("</td>").next().unwrap_or("").chars() {
                    match c {
                        '<' => in_tag = true,
                        '>' => in_tag = false,
                        c if !in_tag => text.push(c),
                        _ => {}
                    }
                }
                text.trim().to_owned()
            })
            .collect();
        texts
            .windows(cells.len())
            .any(|w| w.iter().zip(cells).all(|(a, b)| a == b))
    })
}

async fn signed_in_as(app: &TestApp, browser: &Client) -> Option<String> {
    let res = browser.get(app.url("/me")).send().await.unwrap();
    if res.status() != 200 {
        return None;
    }
    let html = res.text().await.unwrap();
    let start = html.find("<p>")? + 3;
    Some(html[start..].split(' ').next()?.to_owned())
}

/// Baton with GitLab sign-in and no public read, so that every page needs
/// a sign-in; people sign in with break-glass passwords (GitLab is never
/// contacted). Alice (responder) holds a handoff passed to bob and has a
/// shift; carol is a viewer, erin an admin.
struct LockedDown {
    app: TestApp,
    alice_token: String,
    carol_token: String,
    handoff: serde_json::Value,
    id: String,
    note_id: String,
    shift_id: String,
}

impl LockedDown {
    async fn start(backend: Backend) -> LockedDown {
        let app = TestApp::spawn_with(
            backend,
            &[
                ("BATON_GITLAB_URL", "http://127.0.0.1:9"),
                ("BATON_GITLAB_CLIENT_ID", CLIENT_ID),
                ("BATON_GITLAB_CLIENT_SECRET", CLIENT_SECRET),
                ("BATON_GITLAB_ALLOWED_GROUPS", "gitlab-com/gl-infra"),
            ],
        )
        .await
        .unwrap();
        let (alice_token, _, carol_token) = app.alice_bob_carol();
        {
            let mut conn = app.db.conn().unwrap();
            let hash = baton::domain::password::hash(PASSWORD).unwrap();
            for user in ["alice", "carol"] {
                baton::db::models::users::set_password_hash(
                    &mut conn,
                    &user.parse().unwrap(),
                    Some(&hash),
                )
                .unwrap();
            }
        }
        app.add_user("erin", "UTC", "admin");
        let handoff = app
            .create_handoff(
                &alice_token,
                json!({
                    "kind": "outage", "title": "secret title", "severity": 2,
                    "note": {"body": "secret note", "pass_to": "bob"}
                }),
            )
            .await;
        let id = handoff["id"].as_str().unwrap().to_owned();
        let note_id = handoff["notes"][0]["id"].as_str().unwrap().to_owned();
        let now = chrono::Utc::now();
        let (_, shift) = app.send_json(Method::POST, "/api/v1/shifts", &alice_token, &json!({
            "username": "alice", "role": "EOC",
            "starts_at": now.to_rfc3339(), "ends_at": (now + chrono::Duration::hours(8)).to_rfc3339()
        })).await;
        let shift_id = shift["id"].as_str().unwrap().to_owned();
        LockedDown {
            app,
            alice_token,
            carol_token,
            handoff,
            id,
            note_id,
            shift_id,
        }
    }
}

backend_tests! {
    async fn a_group_member_signs_in_with_gitlab_and_lands_where_they_were_going(app) {
        let backend = app.backend;
        drop(app);
        let gitlab = FakeGitLab::start("dana", &["gitlab-com/gl-infra/production-engineering"]).await;
        let Some(app) = baton_with_gitlab(backend, &gitlab, &[]).await else { return };
        let browser = common::browser();
        // Signed out, a page sends you to sign in and back.
        let res = browser.get(app.url("/shifts")).send().await.unwrap();
        assert_eq!(location(&res), "/login?next=%2Fshifts");
        let (_, login) = app.page(&browser, "/login?next=%2Fshifts").await;
        assert!(login.contains("Sign in with GitLab"));
        assert!(!login.contains("Local mode"), "no local-mode banner with GitLab configured");

        let done = gitlab_round_trip(&app, &browser, "%2Fshifts").await;
        assert_eq!(done.status(), 303);
        assert_eq!(location(&done), "/shifts");
        assert_eq!(signed_in_as(&app, &browser).await.as_deref(), Some("dana"));
        let mut conn = app.db.conn().unwrap();
        let dana = baton::db::models::users::find_by_username(&mut conn, &"dana".parse().unwrap()).unwrap().unwrap();
        assert_eq!(dana.timezone.name(), "UTC");
        assert_eq!(dana.name, "dana from GitLab");
        assert_eq!(dana.gitlab_id, Some(4242));

        // A later sign-in updates the name.
        gitlab.state.lock().unwrap().user.2 = "Dana Q.".into();
        let again = common::browser();
        assert_eq!(gitlab_round_trip(&app, &again, "%2F").await.status(), 303);
        let dana = baton::db::models::users::find_by_username(&mut conn, &"dana".parse().unwrap()).unwrap().unwrap();
        assert_eq!(dana.name, "Dana Q.");
        // Local mode's user picker is off.
        let (status, _, _) = app.post_form(&common::browser(), "/login", &[("username", "dana")]).await;
        assert_eq!(status, 403);
    }

    async fn a_gitlab_sign_in_never_takes_over_an_unlinked_local_account(app) {
        let backend = app.backend;
        drop(app);
        // GitLab's "erin" is somebody else than Baton's local admin "erin".
        let gitlab = FakeGitLab::start("erin", &["gitlab-com/gl-infra"]).await;
        let Some(app) = baton_with_gitlab(backend, &gitlab, &[]).await else { return };
        app.add_user("erin", "UTC", "admin");
        app.add_user("root", "UTC", "admin");
        {
            let mut conn = app.db.conn().unwrap();
            let hash = baton::domain::password::hash(PASSWORD).unwrap();
            baton::db::models::users::set_password_hash(&mut conn, &"root".parse().unwrap(), Some(&hash)).unwrap();
        }
        let browser = common::browser();
        let refused = gitlab_round_trip(&app, &browser, "%2F").await;
        assert_eq!(refused.status(), 403);
        let page = refused.text().await.unwrap();
        assert!(page.contains("not linked to this GitLab account"), "{page}");
        assert!(page.contains("baton user link-gitlab erin 4242"), "{page}");
        assert_eq!(signed_in_as(&app, &browser).await, None);
        let mut conn = app.db.conn().unwrap();
        let erin = baton::db::models::users::find_by_username(&mut conn, &"erin".parse().unwrap()).unwrap().unwrap();
        assert_eq!(erin.gitlab_id, None, "nothing was linked");

        // The admin sees the refusal, and links the two on /admin/users.
        let admin = common::browser();
        let (status, _, _) = app.post_form(&admin, "/login/password", &[("username", "root"), ("password", PASSWORD)]).await;
        assert_eq!(status, 303);
        let (_, users) = app.page(&admin, "/admin/users").await;
        assert!(users.contains("gitlab: the Baton account erin is not linked"), "the refusal is audited");
        let (status, _, page) = app.post_form(&admin, "/admin/users/erin/gitlab", &[("gitlab_id", "forty-two")]).await;
        assert_eq!(status, 422, "{page}");
        let (status, _, _) = app.post_form(&admin, "/admin/users/erin/gitlab", &[("gitlab_id", "4242")]).await;
        assert_eq!(status, 303);
        let (status, _, page) = app.post_form(&admin, "/admin/users/root/gitlab", &[("gitlab_id", "4242")]).await;
        assert_eq!(status, 409, "one GitLab account, one user: {page}");
        let (_, users) = app.page(&admin, "/admin/users").await;
        assert!(has_audit_row(&users, &["gitlab_link", "root", "erin"]), "{users}");

        // Now the GitLab sign-in is erin's.
        let linked = gitlab_round_trip(&app, &common::browser(), "%2F").await;
        assert_eq!(linked.status(), 303);
        let erin = baton::db::models::users::find_by_username(&mut conn, &"erin".parse().unwrap()).unwrap().unwrap();
        assert_eq!(erin.gitlab_id, Some(4242));
    }

    async fn a_gitlab_account_outside_the_allowed_groups_is_refused_without_a_session(app) {
        let backend = app.backend;
        drop(app);
        let gitlab = FakeGitLab::start("mallory", &["gitlab-org", "gitlab-com/gl-infra-other"]).await;
        let Some(app) = baton_with_gitlab(backend, &gitlab, &[]).await else { return };
        let browser = common::browser();
        let done = gitlab_round_trip(&app, &browser, "%2F").await;
        assert_eq!(done.status(), 403);
        let page = done.text().await.unwrap();
        assert!(page.contains("not a member of gitlab-com/gl-infra"), "{page}");
        assert_eq!(signed_in_as(&app, &browser).await, None);
        let mut conn = app.db.conn().unwrap();
        assert!(baton::db::models::users::find_by_username(&mut conn, &"mallory".parse().unwrap()).unwrap().is_none());
    }

    async fn a_missing_or_forged_state_is_refused(app) {
        let backend = app.backend;
        drop(app);
        let gitlab = FakeGitLab::start("dana", &["gitlab-com/gl-infra"]).await;
        let Some(app) = baton_with_gitlab(backend, &gitlab, &[]).await else { return };
        let browser = common::browser();
        let start = browser.get(app.url("/auth/gitlab")).send().await.unwrap();
        let at_gitlab = browser.get(location(&start)).send().await.unwrap();
        let callback = location(&at_gitlab);
        let code = callback.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();

        let forged = browser
            .get(app.url(&format!("/auth/gitlab/callback?code={code}&state=forged")))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        assert!(forged.text().await.unwrap().contains("state"));
        let missing = browser.get(app.url(&format!("/auth/gitlab/callback?code={code}"))).send().await.unwrap();
        assert_eq!(missing.status(), 403);
        // Another browser cannot finish a sign-in it did not start, even with the right state.
        let other = common::browser();
        let stolen = other.get(&callback).send().await.unwrap();
        assert_eq!(stolen.status(), 403);
        assert_eq!(signed_in_as(&app, &browser).await, None);
        assert_eq!(signed_in_as(&app, &other).await, None);
    }

    async fn a_reused_code_or_a_mismatched_pkce_verifier_is_refused(app) {
        let backend = app.backend;
        drop(app);
        let gitlab = FakeGitLab::start("dana", &["gitlab-com/gl-infra"]).await;
        let Some(app) = baton_with_gitlab(backend, &gitlab, &[]).await else { return };
        let first = common::browser();
        assert_eq!(gitlab_round_trip(&app, &first, "%2F").await.status(), 303);
        // Replay: a new sign-in in another browser gets a fresh state, but the old code.
        let second = common::browser();
        let start = second.get(app.url("/auth/gitlab")).send().await.unwrap();
        let state = location(&start).split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let used = gitlab.state.lock().unwrap().issued[0].clone();
        let replay = second
            .get(app.url(&format!("/auth/gitlab/callback?code={used}&state={state}")))
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 403);
        assert!(replay.text().await.unwrap().contains("refused the sign-in code"));
        assert_eq!(signed_in_as(&app, &second).await, None);

        gitlab.state.lock().unwrap().tamper_challenge = true;
        let third = common::browser();
        let done = gitlab_round_trip(&app, &third, "%2F").await;
        assert_eq!(done.status(), 403);
        assert_eq!(signed_in_as(&app, &third).await, None);
    }

    async fn a_break_glass_password_signs_in_while_gitlab_is_down_and_is_audited(app) {
        let backend = app.backend;
        drop(app);
        let gitlab = FakeGitLab::start("dana", &["gitlab-com/gl-infra"]).await;
        let Some(app) = baton_with_gitlab(backend, &gitlab, &[]).await else { return };
        app.add_user("erin", "Europe/Berlin", "admin");
        app.add_user("oscar", "UTC", "responder");
        {
            let mut conn = app.db.conn().unwrap();
            let hash = baton::domain::password::hash(PASSWORD).unwrap();
            baton::db::models::users::set_password_hash(&mut conn, &"erin".parse().unwrap(), Some(&hash)).unwrap();
        }
        gitlab.stop().await;

        // GitLab sign-in now says GitLab is unreachable.
        let browser = common::browser();
        let start = browser.get(app.url("/auth/gitlab")).send().await.unwrap();
        let state = location(&start).split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let down = browser.get(app.url(&format!("/auth/gitlab/callback?code=x&state={state}"))).send().await.unwrap();
        assert_eq!(down.status(), 503);
        assert!(down.text().await.unwrap().contains("break-glass"));

        let (status, _, html) = app
            .post_form(&browser, "/login/password", &[("username", "erin"), ("password", "wrong password!!"), ("next", "/")])
            .await;
        assert_eq!(status, 401);
        assert!(html.contains("wrong username or password"));
        let (status, _, _) = app
            .post_form(&browser, "/login/password", &[("username", "oscar"), ("password", PASSWORD), ("next", "/")])
            .await;
        assert_eq!(status, 401, "an account without a password cannot sign in with one");
        let (status, location, _) = app
            .post_form(&browser, "/login/password", &[("username", "erin"), ("password", PASSWORD), ("next", "/shifts")])
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/shifts"));
        assert_eq!(signed_in_as(&app, &browser).await.as_deref(), Some("erin"));

        // The admin sees it in the audit log.
        let (status, audit) = app.page(&browser, "/admin/users").await;
        assert_eq!(status, 200);
        assert!(has_audit_row(&audit, &["signin", "erin", "erin", "127.0.0.1", "password"]), "{audit}");
        assert!(audit.contains("signin_failed"));
    }

    async fn failed_passwords_are_rate_limited_per_account(app) {
        app.add_user("erin", "UTC", "responder");
        {
            let mut conn = app.db.conn().unwrap();
            let hash = baton::domain::password::hash(PASSWORD).unwrap();
            baton::db::models::users::set_password_hash(&mut conn, &"erin".parse().unwrap(), Some(&hash)).unwrap();
        }
        let browser = common::browser();
        for _ in 0..5 {
            let (status, _, _) = app
                .post_form(&browser, "/login/password", &[("username", "erin"), ("password", "guess guess guess")])
                .await;
            assert_eq!(status, 401);
        }
        let (status, _, html) = app
            .post_form(&browser, "/login/password", &[("username", "erin"), ("password", PASSWORD)])
            .await;
        assert_eq!(status, 429, "the right password is refused while the account is locked");
        assert!(html.contains("too many failed sign-ins"));
        assert_eq!(signed_in_as(&app, &browser).await, None);
    }

    async fn a_hundred_wrong_passwords_at_once_get_at_most_five_checks(app) {
        app.add_user("erin", "UTC", "responder");
        {
            let mut conn = app.db.conn().unwrap();
            let hash = baton::domain::password::hash(PASSWORD).unwrap();
            baton::db::models::users::set_password_hash(&mut conn, &"erin".parse().unwrap(), Some(&hash)).unwrap();
        }
        let browser = common::browser();
        let csrf = app.csrf_token(&browser).await;
        let mut guesses = Vec::new();
        for i in 0..100 {
            let (browser, url, csrf) = (browser.clone(), app.url("/login/password"), csrf.clone());
            guesses.push(tokio::spawn(async move {
                let guess = format!("guess number {i}");
                let form = [("username", "erin"), ("password", guess.as_str()), ("csrf", csrf.as_str())];
                browser.post(url).form(&form).send().await.unwrap().status().as_u16()
            }));
        }
        let mut statuses = HashMap::new();
        for guess in guesses {
            *statuses.entry(guess.await.unwrap()).or_insert(0) += 1;
        }
        assert_eq!(statuses.get(&401), Some(&5), "checked and wrong: {statuses:?}");
        assert_eq!(statuses.get(&429), Some(&95), "refused unchecked: {statuses:?}");
    }

    async fn failures_from_one_address_never_lock_the_account_for_another(app) {
        // Behind a trusted proxy (the test client's loopback address).
        let app = TestApp::spawn_with(app.backend, &[("BATON_TRUSTED_PROXIES", "127.0.0.0/8, ::1")]).await.unwrap();
        app.add_user("erin", "UTC", "responder");
        {
            let mut conn = app.db.conn().unwrap();
            let hash = baton::domain::password::hash(PASSWORD).unwrap();
            baton::db::models::users::set_password_hash(&mut conn, &"erin".parse().unwrap(), Some(&hash)).unwrap();
        }
        let try_from = |address: &'static str, password: &'static str| {
            let app = &app;
            async move {
                let browser = common::browser();
                let csrf = app.csrf_token(&browser).await;
                let form = [("username", "erin"), ("password", password), ("csrf", csrf.as_str())];
                let res = browser
                    .post(app.url("/login/password"))
                    .header("X-Forwarded-For", format!("{address}, 127.0.0.1"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                res.status().as_u16()
            }
        };
        let mut statuses = Vec::new();
        for _ in 0..10 {
            statuses.push(try_from("203.0.113.66", "a wrong guess").await);
        }
        assert_eq!(statuses, [[401; 5], [429; 5]].concat());
        // The guesser's right password waits; the engineer elsewhere signs in.
        assert_eq!(try_from("203.0.113.66", PASSWORD).await, 429);
        assert_eq!(try_from("198.51.100.7", PASSWORD).await, 303);
        // The audit log names the addresses as the proxy passed them on.
        let mut conn = app.db.conn().unwrap();
        let entries = baton::db::models::audit::recent(&mut conn, 50).unwrap();
        assert!(entries.iter().any(|e| e.action.as_str() == "signin" && e.address == "198.51.100.7"));
        assert!(entries.iter().any(|e| e.action.as_str() == "signin_failed" && e.address == "203.0.113.66"));
    }

    async fn a_forwarded_address_from_an_untrusted_peer_is_ignored(app) {
        app.add_user("erin", "UTC", "responder");
        {
            let mut conn = app.db.conn().unwrap();
            let hash = baton::domain::password::hash(PASSWORD).unwrap();
            baton::db::models::users::set_password_hash(&mut conn, &"erin".parse().unwrap(), Some(&hash)).unwrap();
        }
        for i in 0..6 {
            let browser = common::browser();
            let csrf = app.csrf_token(&browser).await;
            let form = [("username", "erin"), ("password", "wrong"), ("csrf", csrf.as_str())];
            let status = browser
                .post(app.url("/login/password"))
                .header("X-Forwarded-For", format!("203.0.113.{i}"))
                .form(&form)
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, if i < 5 { 401 } else { 429 }, "a made-up address is not a new place");
        }
    }

    async fn every_route_refuses_whoever_its_access_rule_excludes(app) {
        let LockedDown { app, alice_token, carol_token, handoff, id, note_id, shift_id } =
            LockedDown::start(app.backend).await;

        let visitor = common::browser();
        let carol = common::browser();
        let alice = common::browser();
        for (browser, name) in [(&carol, "carol"), (&alice, "alice")] {
            let (status, _, _) = app
                .post_form(browser, "/login/password", &[("username", name), ("password", PASSWORD)])
                .await;
            assert_eq!(status, 303);
        }

        let mut checked = 0;
        for route in baton::routes::all() {
            let path = route
                .path
                .replace("{note_id}", &note_id)
                .replace("{username}", "bob")
                .replace("{id}", if route.path.contains("shifts") { &shift_id } else { &id });
            let method = Method::from_bytes(route.method.to_ascii_uppercase().as_bytes()).unwrap();
            let api = path.starts_with("/api/v1");
            let call = |browser: &Client, token: Option<&str>| {
                let mut req = browser.request(method.clone(), app.url(&path));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                if api && method != Method::GET {
                    req = req.json(&json!({}));
                }
                req
            };
            let with_csrf = |req: reqwest::RequestBuilder, token: String| {
                if !api && method == Method::POST { req.form(&[("csrf", token)]) } else { req }
            };
            use baton::routes::Access::*;
            // Signed out.
            if route.access != Public {
                let res = call(&visitor, None).send().await.unwrap();
                let expected = if api { 401 } else { 303 };
                assert_eq!(res.status(), expected, "signed out: {} {}", route.method, route.path);
            }
            // A viewer.
            if matches!(route.access, Write | Admin) {
                let token = app.csrf_token(&carol).await;
                let res = with_csrf(call(&carol, Some(&carol_token)), token).send().await.unwrap();
                assert_eq!(res.status(), 403, "viewer: {} {}", route.method, route.path);
            }
            // A responder on an admin route.
            if route.access == Admin {
                let token = app.csrf_token(&alice).await;
                let res = with_csrf(call(&alice, Some(&alice_token)), token).send().await.unwrap();
                assert_eq!(res.status(), 403, "responder: {} {}", route.method, route.path);
            }
            // A viewer may read.
            if matches!(route.access, Read | SignedIn) && method == Method::GET {
                let res = call(&carol, Some(&carol_token)).send().await.unwrap();
                assert!(![401, 403].contains(&res.status().as_u16()), "viewer reading: {} {}", route.method, route.path);
            }
            checked += 1;
        }
        assert!(checked >= 40, "the route table has {checked} routes");
        // Nothing a viewer tried changed the handoff.
        let (_, after) = app.get_json(&format!("/api/v1/handoffs/{id}"), &alice_token).await;
        assert_eq!(after["version"], handoff["version"]);
        assert_eq!(after["notes"].as_array().unwrap().len(), 1);
    }

    async fn no_spelling_of_a_path_gets_past_its_access_rule(app) {
        let LockedDown { app, alice_token, carol_token, handoff, id, note_id, shift_id } =
            LockedDown::start(app.backend).await;

        // Signed-in browsers whose cookies the raw requests carry.
        let mut people = Vec::new();
        for (name, token) in [("carol", &carol_token), ("alice", &alice_token)] {
            use reqwest::cookie::CookieStore;
            let jar = Arc::new(reqwest::cookie::Jar::default());
            let browser = Client::builder().cookie_provider(jar.clone()).redirect(redirect::Policy::none()).build().unwrap();
            let (status, _, _) = app
                .post_form(&browser, "/login/password", &[("username", name), ("password", PASSWORD)])
                .await;
            assert_eq!(status, 303);
            let csrf = app.csrf_token(&browser).await;
            let url = reqwest::Url::parse(&app.address).unwrap();
            let cookie = jar.cookies(&url).unwrap().to_str().unwrap().to_owned();
            people.push((name, cookie, token.clone(), csrf));
        }

        let mut checked = 0;
        for route in baton::routes::all() {
            use baton::routes::Access::*;
            if route.access == Public {
                continue;
            }
            let path = route
                .path
                .replace("{note_id}", &note_id)
                .replace("{username}", "bob")
                .replace("{id}", if route.path.contains("shifts") { &shift_id } else { &id });
            let api = route.path.starts_with("/api/");
            let method = route.method.to_ascii_uppercase();
            // A letter written as %XX: the first of the path, and the first of its last segment.
            let encode = |at: Option<usize>| match at {
                Some(at) if at < path.len() => format!("{}%{:02x}{}", &path[..at], path.as_bytes()[at], &path[at + 1..]),
                _ => format!("/%2e{path}"),
            };
            let spellings = [
                encode(path.find(|c: char| c.is_ascii_alphabetic())),
                encode(path.rfind('/').map(|at| at + 1)),
                format!("/{path}"),
                path.replacen('/', "//", 2).replacen("//", "/", 1),
                format!("/.{path}"),
                path.replacen('/', "/./", 2).replacen("/./", "/", 1),
                format!("{path}/"),
                path.to_uppercase(),
            ];
            for spelling in &spellings {
                // Signed out: sent to sign in, or nothing there.
                let (status, body) = app.raw(&method, spelling, &[], "").await;
                let refused = if api { 401 } else { 303 };
                assert!([refused, 404, 405].contains(&status), "signed out: {method} {spelling} answered {status}");
                assert!(!body.contains("secret"), "signed out: {method} {spelling} showed the handoff");
                // Signed in without the role the route needs.
                for (name, cookie, token, csrf) in &people {
                    let excluded = match route.access {
                        Write | Admin => *name == "carol",
                        _ => false,
                    } || (route.access == Admin && *name == "alice");
                    if !excluded {
                        continue;
                    }
                    let mut headers = vec![("Cookie", cookie.clone())];
                    let body = if api {
                        headers.push(("Authorization", format!("Bearer {token}")));
                        headers.push(("Content-Type", "application/json".into()));
                        "{}".to_owned()
                    } else {
                        headers.push(("Content-Type", "application/x-www-form-urlencoded".into()));
                        format!("csrf={csrf}&role=viewer&active=0&body=x")
                    };
                    let (status, _) = app.raw(&method, spelling, &headers, &body).await;
                    assert!([403, 404, 405].contains(&status), "{name}: {method} {spelling} answered {status}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 30 * 8, "{checked} spellings tried");
        // Nothing changed: the handoff, the roles.
        let (_, after) = app.get_json(&format!("/api/v1/handoffs/{id}"), &alice_token).await;
        assert_eq!(after["version"], handoff["version"]);
        let mut conn = app.db.conn().unwrap();
        let bob = baton::db::models::users::find_by_username(&mut conn, &"bob".parse().unwrap()).unwrap().unwrap();
        assert_eq!(bob.role.as_str(), "responder");
        assert!(bob.active);
    }

    async fn an_encoded_admin_path_is_refused_in_local_mode_too(app) {
        app.alice_bob_carol();
        let (status, body) = app.raw("GET", "/%61dmin/users", &[], "").await;
        assert_eq!(status, 303, "{body}");
        assert!(!body.contains("alice"));
        let (status, _) = app.raw("POST", "/%61dmin/users/bob/role", &[("Content-Type", "application/x-www-form-urlencoded".into())], "role=viewer").await;
        assert_eq!(status, 303);
    }

    async fn an_unanswered_method_gets_405_with_the_methods_that_are(app) {
        let (status, _) = app.raw("TRACE", "/api/v1/handoffs", &[], "").await;
        assert_eq!(status, 405);
        let res = Client::new().request(Method::PUT, app.url("/api/v1/handoffs")).send().await.unwrap();
        assert_eq!(res.status(), 405);
        assert_eq!(res.headers()["allow"], "GET, HEAD, POST");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
        let res = Client::new().delete(app.url("/handoffs")).send().await.unwrap();
        assert_eq!(res.status(), 405);
        assert_eq!(res.headers()["allow"], "GET, HEAD, POST");
        let res = Client::new().head(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }

    async fn pages_carry_the_security_headers_and_the_cookie_is_http_only_and_lax(app) {
        app.alice_bob_carol();
        let res = reqwest::get(app.url("/login")).await.unwrap();
        let headers = res.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers.contains_key("referrer-policy"));
        assert!(!headers.contains_key("strict-transport-security"), "no HSTS over plain http");
        let cookie = headers["set-cookie"].to_str().unwrap();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "{cookie}");
        let api = reqwest::get(app.url("/api/v1/handoffs")).await.unwrap();
        assert_eq!(api.headers()["x-content-type-options"], "nosniff");

        let https = TestApp::spawn_with(app.backend, &[("BATON_PUBLIC_URL", "https://baton.example.com")]).await.unwrap();
        let res = reqwest::get(https.url("/login")).await.unwrap();
        assert!(res.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
        let cookie = res.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.contains("Secure"), "{cookie}");
    }

    async fn a_deactivated_user_is_locked_out_at_once(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        app.add_user("erin", "UTC", "admin");
        let alice = common::browser();
        app.sign_in(&alice, "alice").await;
        assert_eq!(app.page(&alice, "/").await.0, 200);
        assert_eq!(app.get_json("/api/v1/users/me", &alice_token).await.0, 200);

        let erin = common::browser();
        app.sign_in(&erin, "erin").await;
        let (status, _, _) = app.post_form(&erin, "/admin/users/alice/active", &[("active", "0")]).await;
        assert_eq!(status, 303);

        let res = alice.get(app.url("/me")).send().await.unwrap();
        assert_eq!(res.status(), 303, "the deactivated user's session still works");
        assert_eq!(app.get_json("/api/v1/users/me", &alice_token).await.0, 401, "the deactivated user's token still works");
        let (status, _, _) = app.post_form(&common::browser(), "/login", &[("username", "alice")]).await;
        assert_eq!(status, 422, "a deactivated user can be picked in local mode");
        let (_, admin) = app.page(&erin, "/admin/users").await;
        assert!(has_audit_row(&admin, &["deactivate", "erin", "alice"]), "{admin}");
    }

    async fn a_session_cookie_copied_before_sign_out_no_longer_works(app) {
        app.alice_bob_carol();
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let browser = Client::builder().cookie_provider(jar.clone()).redirect(redirect::Policy::none()).build().unwrap();
        app.sign_in(&browser, "alice").await;
        let url: reqwest::Url = app.url("/").parse().unwrap();
        use reqwest::cookie::CookieStore;
        let copied = jar.cookies(&url).unwrap().to_str().unwrap().to_owned();
        let thief = Client::builder().redirect(redirect::Policy::none()).build().unwrap();
        assert_eq!(thief.get(app.url("/me")).header("cookie", &copied).send().await.unwrap().status(), 200);
        let (status, _, _) = app.post_form(&browser, "/logout", &[]).await;
        assert_eq!(status, 303);
        let res = thief.get(app.url("/me")).header("cookie", &copied).send().await.unwrap();
        assert_eq!(res.status(), 303, "the copied cookie outlived sign-out");
    }

    async fn an_open_redirect_through_next_is_refused(app) {
        app.alice_bob_carol();
        for next in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"] {
            let browser = common::browser();
            let (status, location, _) = app.post_form(&browser, "/login", &[("username", "alice"), ("next", next)]).await;
            assert_eq!(status, 303);
            assert_eq!(location.as_deref(), Some("/"), "next={next}");
        }
    }

    async fn no_secret_or_token_appears_in_the_logs(app) {
        let logs = capture_logs();
        let backend = app.backend;
        drop(app);
        let gitlab = FakeGitLab::start("dana", &["gitlab-com/gl-infra"]).await;
        let Some(app) = baton_with_gitlab(backend, &gitlab, &[]).await else { return };
        app.add_user("erin", "UTC", "admin");
        {
            let mut conn = app.db.conn().unwrap();
            let hash = baton::domain::password::hash(PASSWORD).unwrap();
            baton::db::models::users::set_password_hash(&mut conn, &"erin".parse().unwrap(), Some(&hash)).unwrap();
        }
        let token = app.token("erin");
        let browser = common::browser();
        assert_eq!(gitlab_round_trip(&app, &browser, "%2F").await.status(), 303);
        let code = gitlab.state.lock().unwrap().issued[0].clone();
        let other = common::browser();
        app.post_form(&other, "/login/password", &[("username", "erin"), ("password", PASSWORD)]).await;
        app.post_form(&common::browser(), "/login/password", &[("username", "erin"), ("password", "a wrong guess 123")]).await;
        assert_eq!(app.get_json("/api/v1/users/me", &token).await.0, 200);
        app.get_json("/api/v1/users/me", "baton_not-a-real-token-9c1d").await;

        let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
        assert!(text.contains("audit"), "nothing was logged at all");
        for secret in [CLIENT_SECRET, PASSWORD, "a wrong guess 123", token.as_str(), "baton_not-a-real-token", &code, &format!("fake-access-{code}")] {
            assert!(!text.contains(secret), "{secret:?} appears in the logs");
        }
    }
}
