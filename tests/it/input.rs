//! What Baton accepts as input, on both backends: invisible characters
//! (NUL, other control characters, bidirectional overrides) are refused on
//! every text field of the API and the forms with a 422 that names the
//! field, and a username is compared as parsed everywhere, so that
//! `/admin/users/dave%20/role` is dave's and cannot demote the last admin.

use crate::common::{self, TestApp};
use baton::domain::user::MAX_USERNAME_CHARS;
use reqwest::{Client, Method};
use serde_json::{Value, json};

const LINK: &str = "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234";

/// NUL, and the right-to-left override: each must be refused.
const INVISIBLE: [(char, &str); 2] = [('\0', "U+0000"), ('\u{202E}', "U+202E")];

/// `value` with `c` in it: in the middle, where no trimming reaches, and for
/// links and usernames at the end, where a URL parser would drop a control
/// character without a word.
fn spoiled(value: &str, c: char) -> String {
    if value.starts_with("http") || !value.contains(' ') {
        format!("{value}{c}")
    } else {
        value.replacen(' ', &format!(" {c}"), 1)
    }
}

/// Sends `base` with the string at `pointer` spoiled by each invisible
/// character; asserts a 422 whose error names `field` and the character.
/// Then sends `base` itself, which must be accepted with `ok`.
async fn api_refuses(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    base: &Value,
    fields: &[(&str, &str)],
) {
    for (pointer, field) in fields {
        for (c, code) in INVISIBLE {
            let mut body = base.clone();
            let slot = body
                .pointer_mut(pointer)
                .unwrap_or_else(|| panic!("{pointer} in {base}"));
            let value = spoiled(slot.as_str().expect("a string field"), c);
            *slot = Value::String(value);
            let (status, json) = app.send_json(method.clone(), path, token, &body).await;
            assert_eq!(
                status, 422,
                "{method} {path} with {code} in {field}: {json}"
            );
            assert_eq!(json["error"]["field"], *field, "{method} {path}: {json}");
            let message = json["error"]["message"].as_str().unwrap();
            // A text field names the character; an enum, a time or a zone
            // quotes the value with the character escaped, and says what
            // form it takes.
            assert!(
                message.contains(code) || message.contains(&c.escape_debug().to_string()),
                "{method} {path} {field}: {message}"
            );
        }
    }
}

/// The same for a query parameter of a GET.
async fn api_query_refuses(app: &TestApp, token: &str, path: &str, params: &[(&str, &str)]) {
    for (name, value) in params {
        for (c, code) in INVISIBLE {
            let res = app
                .api(Method::GET, path, token)
                .query(&[(*name, spoiled(value, c))])
                .send()
                .await
                .unwrap();
            let (status, json) = common::json(res).await;
            assert_eq!(status, 422, "GET {path}?{name}= with {code}: {json}");
            assert_eq!(json["error"]["field"], *name, "GET {path}?{name}=: {json}");
            let message = json["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(code) || message.contains(&c.escape_debug().to_string()),
                "GET {path}?{name}=: {message}"
            );
        }
    }
}

/// The field error shown right after the element `id="{marker}"`, with no
/// other field's label between them (beside the field), or a panic.
fn error_beside(html: &str, marker: &str) -> String {
    let at = html
        .find(&format!("id=\"{marker}\""))
        .unwrap_or_else(|| panic!("no #{marker} on the page:\n{html}"));
    let rest = &html[at..];
    let error_at = rest
        .find("class=\"field-error\"")
        .unwrap_or_else(|| panic!("no field error after #{marker}:\n{html}"));
    assert!(
        !rest[..error_at].contains("<label"),
        "the error is not beside #{marker}: another field comes between them"
    );
    let text = &rest[error_at..];
    let start = text.find('>').unwrap() + 1;
    let end = text.find("</p>").unwrap();
    text[start..end].to_owned()
}

/// Posts `base` with the field `name` spoiled by each invisible character;
/// asserts a 422 page with the error beside `marker`, naming the character.
async fn form_refuses(
    app: &TestApp,
    browser: &Client,
    path: &str,
    base: &[(&str, &str)],
    fields: &[(&str, &str)],
) {
    for (name, marker) in fields {
        for (c, code) in INVISIBLE {
            let form: Vec<(String, String)> = base
                .iter()
                .map(|(k, v)| {
                    let v = if k == name {
                        spoiled(v, c)
                    } else {
                        (*v).to_owned()
                    };
                    ((*k).to_owned(), v)
                })
                .collect();
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let (status, _, html) = app.post_form(browser, path, &pairs).await;
            assert_eq!(status, 422, "POST {path} with {code} in {name}:\n{html}");
            let message = error_beside(&html, marker);
            assert!(
                message.contains(code),
                "POST {path} {name}: the error beside it is {message:?}"
            );
        }
    }
}

/// Runs `baton ARGS` on the database of `app`: (exit code, stdout, stderr).
fn baton_cli(app: &TestApp, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("BATON_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("BATON_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run baton");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A browser signed in as `username`.
async fn signed_in(app: &TestApp, username: &str) -> Client {
    let browser = common::browser();
    app.sign_in(&browser, username).await;
    browser
}

/// Opens a perceived data loss through the API; returns its JSON.
async fn data_loss(app: &TestApp, token: &str) -> Value {
    app.create_handoff(
        token,
        json!({"kind": "perceived_data_loss", "title": "Rows missing", "severity": 2,
               "note": {"body": "Checking backups."}}),
    )
    .await
}

/// A user's role and whether they are active, as the model reads them.
fn role_of(app: &TestApp, username: &str) -> (String, bool) {
    let mut conn = app.db.conn().unwrap();
    let user = baton::db::models::users::find_any(&mut conn, &username.parse().unwrap()).unwrap();
    (user.role.as_str().to_owned(), user.active)
}

backend_tests! {
    async fn every_text_field_of_the_api_refuses_nul_and_a_bidi_override_naming_the_field(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let create = json!({
            "kind": "perceived_data_loss", "title": "Replica lag on the main cluster", "severity": 2,
            "issues": [LINK],
            "note": {"body": "Watching the failovers.", "pass_to": "bob"},
            "data_loss": {"scope": "the users table", "recovery_point": "02:00 UTC", "verification": "unverified"},
        });
        api_refuses(&app, &alice, Method::POST, "/api/v1/handoffs", &create, &[
            ("/kind", "kind"),
            ("/title", "title"),
            ("/issues/0", "issues[0]"),
            ("/note/body", "note.body"),
            ("/note/pass_to", "note.pass_to"),
            ("/data_loss/scope", "data_loss.scope"),
            ("/data_loss/recovery_point", "data_loss.recovery_point"),
            ("/data_loss/verification", "data_loss.verification"),
        ]).await;
        let h = app.create_handoff(&alice, create).await;
        let id = h["id"].as_str().unwrap();

        let patch = json!({
            "version": h["version"], "title": "Replica lag, two clusters", "issues": [LINK],
            "data_loss": {"scope": "users and orders", "recovery_point": "01:30 UTC"},
        });
        let path = format!("/api/v1/handoffs/{id}");
        api_refuses(&app, &alice, Method::PATCH, &path, &patch, &[
            ("/title", "title"),
            ("/issues/0", "issues[0]"),
            ("/data_loss/scope", "data_loss.scope"),
            ("/data_loss/recovery_point", "data_loss.recovery_point"),
        ]).await;
        assert_eq!(app.send_json(Method::PATCH, &path, &alice, &patch).await.0, 200);

        let note = json!({"body": "Failover done, lag back to 0.", "pass_to": "carol", "issues": [LINK]});
        let notes = format!("/api/v1/handoffs/{id}/notes");
        api_refuses(&app, &alice, Method::POST, &notes, &note, &[
            ("/body", "body"),
            ("/pass_to", "pass_to"),
            ("/issues/0", "issues[0]"),
        ]).await;

        let resolve = format!("/api/v1/handoffs/{id}/resolve");
        api_refuses(&app, &alice, Method::POST, &resolve, &json!({"body": "All rows are back."}), &[
            ("/body", "body"),
        ]).await;

        let shift = json!({"username": "bob", "role": "EOC",
                           "starts_at": "2026-12-10T09:00:00Z", "ends_at": "2026-12-10T17:00:00Z"});
        api_refuses(&app, &alice, Method::POST, "/api/v1/shifts", &shift, &[
            ("/username", "username"),
            ("/role", "role"),
            ("/starts_at", "starts_at"),
            ("/ends_at", "ends_at"),
        ]).await;
        assert_eq!(app.send_json(Method::POST, "/api/v1/shifts", &alice, &shift).await.0, 201);

        let me = json!({"name": "Alice Andersen", "timezone": "Europe/Amsterdam"});
        api_refuses(&app, &alice, Method::PATCH, "/api/v1/users/me", &me, &[
            ("/name", "name"),
            ("/timezone", "timezone"),
        ]).await;
        assert_eq!(app.send_json(Method::PATCH, "/api/v1/users/me", &alice, &me).await.0, 200);

        api_query_refuses(&app, &alice, "/api/v1/handoffs", &[
            ("status", "resolved"),
            ("kind", "outage"),
            ("issue", LINK),
        ]).await;
        api_query_refuses(&app, &alice, "/api/v1/shifts", &[
            ("from", "2026-12-10T00:00:00Z"),
            ("to", "2026-12-11T00:00:00Z"),
        ]).await;

        let (_, after) = app.get_json(&path, &alice).await;
        assert_eq!(after["title"], "Replica lag, two clusters", "a refused change changed the handoff");
        assert_eq!(after["notes"].as_array().unwrap().len(), 1, "a refused note was written");
        assert_eq!(after["status"], "open", "a refused resolution resolved it");
    }

    async fn a_note_keeps_newlines_tabs_and_right_to_left_marks(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let h = app.create_handoff(&alice, json!({"kind": "outage", "title": "DNS", "severity": 3,
            "note": {"body": "Steps:\n\t1. flush\r\n\t2. \u{200F}שלום\u{200E} done"}})).await;
        assert_eq!(h["notes"][0]["body"], "Steps:\n\t1. flush\n\t2. \u{200F}שלום\u{200E} done");
    }

    async fn every_text_field_of_the_forms_refuses_nul_and_a_bidi_override_beside_the_field(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let alice = signed_in(&app, "alice").await;
        form_refuses(&app, &alice, "/handoffs", &[
            ("kind", "perceived_data_loss"), ("title", "Replica lag on main"), ("severity", "2"),
            ("issues", LINK), ("body", "Watching the failovers."), ("pass_to", "bob"),
            ("scope", "the users table"), ("recovery_point", "02:00 UTC"), ("verification", "unverified"),
        ], &[
            ("title", "title"), ("issues", "issues"), ("body", "body"), ("pass_to", "pass_to"),
            ("scope", "scope"), ("recovery_point", "recovery_point"),
        ]).await;

        let h = data_loss(&app, &alice_token).await;
        let id = h["id"].as_str().unwrap();
        let note_id = h["notes"][0]["id"].as_str().unwrap();
        form_refuses(&app, &alice, &format!("/handoffs/{id}/notes"), &[
            ("body", "Failover done, lag back to 0."), ("pass_to", "bob"), ("issues", LINK),
        ], &[("body", "note-body"), ("pass_to", "note-pass"), ("issues", "note-issues")]).await;

        let version = h["version"].to_string();
        form_refuses(&app, &alice, &format!("/handoffs/{id}/details"), &[
            ("title", "Rows missing in users"), ("severity", "2"), ("issues", LINK),
            ("scope", "the users table"), ("recovery_point", "02:00 UTC"),
            ("verification", "unverified"), ("version", &version),
        ], &[("title", "d-title"), ("issues", "d-issues"), ("scope", "d-scope"), ("recovery_point", "d-rpo")]).await;

        form_refuses(&app, &alice, &format!("/handoffs/{id}/resolve"), &[
            ("body", "All rows are back."),
        ], &[("body", "resolve-body")]).await;

        let note_field = format!("note_{id}");
        form_refuses(&app, &alice, "/handover", &[
            (&note_field, "Still checking backups."), ("pass_to", "bob"), ("summary", "A quiet shift overall."),
        ], &[(&note_field, &note_field), ("pass_to", "pass_to"), ("summary", "summary")]).await;

        let shift_fields = [
            ("username", "bob"), ("role", "EOC"),
            ("starts_at", "2026-12-10T09:00"), ("ends_at", "2026-12-10T17:00"),
        ];
        let shift_markers = [("username", "s-user"), ("role", "s-role"), ("starts_at", "s-start"), ("ends_at", "s-end")];
        form_refuses(&app, &alice, "/shifts", &shift_fields, &shift_markers).await;
        let (status, shift) = app.send_json(Method::POST, "/api/v1/shifts", &alice_token, &json!({
            "username": "bob", "role": "EOC",
            "starts_at": "2026-12-10T09:00:00Z", "ends_at": "2026-12-10T17:00:00Z"})).await;
        assert_eq!(status, 201);
        let shift_path = format!("/shifts/{}", shift["id"].as_str().unwrap());
        form_refuses(&app, &alice, &shift_path, &shift_fields, &shift_markers).await;

        form_refuses(&app, &alice, "/me", &[("name", "Alice Andersen"), ("timezone", "Europe/Amsterdam")],
            &[("name", "name"), ("timezone", "timezone")]).await;

        for (c, code) in INVISIBLE {
            for (name, value, marker) in [("q", "replica lag", "f-q"), ("issue", LINK, "f-issue")] {
                let url = format!("/handoffs?{name}={}", baton::web::encode_query(&spoiled(value, c)));
                let (status, html) = app.page(&alice, &url).await;
                assert_eq!(status, 422, "{url}");
                assert!(error_beside(&html, marker).contains(code), "{url}");
            }
            let url = format!("/handoffs?holder={}", baton::web::encode_query(&spoiled("bob", c)));
            let (status, html) = app.page(&alice, &url).await;
            assert_eq!(status, 422, "{url}");
            assert!(html.contains(&format!("holder: a username contains {code}")), "{url}:\n{html}");

            // The note editor answers with an error page that says why.
            let (status, _, html) = app.post_form(&alice, &format!("/handoffs/{id}/notes/{note_id}"),
                &[("body", &spoiled("Checking the backups now.", c))]).await;
            assert_eq!(status, 422, "note edit with {code}");
            assert!(html.contains(&format!("the note contains {code}")), "{html}");
        }

        let (_, page) = app.page(&alice, &format!("/handoffs/{id}")).await;
        assert!(!page.contains('\u{202E}') && !page.contains('\0'), "a refused value was kept");
        let (_, h) = app.get_json(&format!("/api/v1/handoffs/{id}"), &alice_token).await;
        assert_eq!(h["status"], "open");
        assert_eq!(h["notes"].as_array().unwrap().len(), 1);
    }

    async fn a_username_over_the_limit_is_refused_in_the_same_words_by_the_forms_the_api_and_the_command_line(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let alice = signed_in(&app, "alice").await;
        let longest = "l".repeat(MAX_USERNAME_CHARS);
        let over = "o".repeat(MAX_USERNAME_CHARS + 1);
        let words = format!(
            "a username is at most {MAX_USERNAME_CHARS} characters; this one has {}",
            MAX_USERNAME_CHARS + 1
        );
        assert_eq!(MAX_USERNAME_CHARS, 255, "GitLab's limit");

        // The command line adds the longest name, and refuses one more.
        let (code, out, _) = baton_cli(&app, &["user", "add", &longest]);
        assert_eq!(code, Some(0), "{out}");
        let (code, _, err) = baton_cli(&app, &["user", "add", &over]);
        assert_ne!(code, Some(0));
        assert!(err.contains(&words), "the command line: {err}");

        // The API takes every name the command line adds…
        let shift = |username: &str| json!({"username": username, "role": "EOC",
            "starts_at": "2026-12-10T09:00:00Z", "ends_at": "2026-12-10T17:00:00Z"});
        let (status, json) = app.send_json(Method::POST, "/api/v1/shifts", &alice_token, &shift(&longest)).await;
        assert_eq!(status, 201, "{json}");
        let h = app.create_handoff(&alice_token, json!({"kind": "outage", "title": "Disk full", "severity": 3,
            "note": {"body": "Cleaning up.", "pass_to": format!("@{longest}")}})).await;
        assert_eq!(h["pending_to"]["username"], longest.as_str());
        // …and refuses one more in the same words, naming the field.
        let (status, json) = app.send_json(Method::POST, "/api/v1/shifts", &alice_token, &shift(&over)).await;
        assert_eq!((status, &json["error"]["field"]), (422, &json!("username")), "{json}");
        assert_eq!(json["error"]["message"], words.as_str());
        let note = json!({"body": "Over to you.", "pass_to": over});
        let path = format!("/api/v1/handoffs/{}/notes", h["id"].as_str().unwrap());
        let (status, json) = app.send_json(Method::POST, &path, &alice_token, &note).await;
        assert_eq!((status, &json["error"]["field"]), (422, &json!("pass_to")), "{json}");
        assert_eq!(json["error"]["message"], words.as_str());

        // The forms too, beside the field.
        let form = [("username", over.as_str()), ("role", "EOC"),
            ("starts_at", "2026-12-11T09:00"), ("ends_at", "2026-12-11T17:00")];
        let (status, _, html) = app.post_form(&alice, "/shifts", &form).await;
        assert_eq!(status, 422);
        assert_eq!(error_beside(&html, "s-user"), words);
        let form = [("kind", "outage"), ("title", "Disk full again"), ("severity", "3"),
            ("body", "Cleaning up."), ("pass_to", over.as_str())];
        let (status, _, html) = app.post_form(&alice, "/handoffs", &form).await;
        assert_eq!(status, 422);
        assert_eq!(error_beside(&html, "pass_to"), words);
        let form = [("kind", "outage"), ("title", "Disk full again"), ("severity", "3"),
            ("body", "Cleaning up."), ("pass_to", longest.as_str())];
        assert_eq!(app.post_form(&alice, "/handoffs", &form).await.0, 303);
    }

    async fn the_admin_forms_and_the_sign_in_picker_refuse_invisible_characters(app) {
        app.alice_bob_carol();
        app.add_user("dave", "UTC", "admin");
        let dave = signed_in(&app, "dave").await;
        for (c, code) in INVISIBLE {
            let role = spoiled("viewer", c);
            let (status, _, html) = app.post_form(&dave, "/admin/users/bob/role", &[("role", &role)]).await;
            assert_eq!(status, 422, "role with {code}");
            assert!(html.contains(&format!("the role contains {code}")), "{html}");

            let path = format!("/admin/users/bob{}/role", if c == '\0' { "%00" } else { "%E2%80%AE" });
            let (status, _, _) = app.post_form(&dave, &path, &[("role", "viewer")]).await;
            assert_eq!(status, 404, "{path} names no user");

            let (status, _, _) = app.post_form(&common::browser(), "/login",
                &[("username", &spoiled("alice", c)), ("next", "/")]).await;
            assert_eq!(status, 422, "signing in as alice with {code}");
        }
        assert_eq!(role_of(&app, "bob"), ("responder".into(), true));
    }

    async fn a_trailing_space_or_an_encoded_name_in_the_admin_path_cannot_demote_the_last_admin(app) {
        app.alice_bob_carol();
        app.add_user("dave", "UTC", "admin");
        let dave = signed_in(&app, "dave").await;
        for path in ["/admin/users/dave%20/role", "/admin/users/%20dave/role",
                     "/admin/users/dave%09/role", "/admin/users/%64ave/role", "/admin/users/dave/role"] {
            let (status, _, html) = app.post_form(&dave, path, &[("role", "viewer")]).await;
            assert_eq!(status, 409, "{path}:\n{html}");
            assert_eq!(role_of(&app, "dave"), ("admin".into(), true), "{path} demoted the last admin");
        }
        for path in ["/admin/users/dave%20/active", "/admin/users/%64ave/active"] {
            let (status, _, _) = app.post_form(&dave, path, &[("active", "0")]).await;
            assert_eq!(status, 409, "{path}");
            assert_eq!(role_of(&app, "dave"), ("admin".into(), true), "{path} deactivated the last admin");
        }
        assert_eq!(app.page(&dave, "/admin/users").await.0, 200, "dave is still an admin");
    }

    async fn an_admin_path_with_a_trailing_space_changes_that_user_and_the_audit_names_them_as_stored(app) {
        app.alice_bob_carol();
        app.add_user("dave", "UTC", "admin");
        let dave = signed_in(&app, "dave").await;
        let (status, _, _) = app.post_form(&dave, "/admin/users/bob%20/role", &[("role", "viewer")]).await;
        assert_eq!(status, 303);
        assert_eq!(role_of(&app, "bob"), ("viewer".into(), true));
        let (_, page) = app.page(&dave, "/admin/users").await;
        assert!(
            page.contains(r#"<td data-label="Subject">bob</td>"#),
            "the audit names bob as stored, not the raw segment:\n{page}"
        );
        let (status, _, _) = app.post_form(&dave, "/admin/users/Bob/role", &[("role", "admin")]).await;
        assert_eq!(status, 404, "Bob is not bob");
    }

    async fn the_last_active_admin_keeps_the_role_whoever_asks(app) {
        app.add_user("dave", "UTC", "admin");
        app.add_user("erin", "UTC", "admin");
        let mut conn = app.db.conn().unwrap();
        use baton::db::models::users;
        use baton::domain::handoff::Role;
        let (dave, erin) = ("dave".parse().unwrap(), "erin".parse().unwrap());
        users::set_role(&mut conn, &erin, Role::Responder).expect("another admin remains");
        let err = users::set_role(&mut conn, &dave, Role::Viewer).unwrap_err();
        assert_eq!(err.status().as_u16(), 409, "{err}");
        assert!(err.message().contains("last active admin"), "{err}");
        let err = users::set_active(&mut conn, &dave, false).unwrap_err();
        assert_eq!(err.status().as_u16(), 409, "{err}");
        // A deactivated admin does not count.
        users::set_role(&mut conn, &erin, Role::Admin).unwrap();
        users::set_active(&mut conn, &erin, false).unwrap();
        assert_eq!(users::set_role(&mut conn, &dave, Role::Responder).unwrap_err().status().as_u16(), 409);
        // Responders come and go freely, even with no admin to speak of.
        users::set_active(&mut conn, &erin, true).unwrap();
        users::set_role(&mut conn, &dave, Role::Responder).unwrap();
        drop(conn);
        assert_eq!(role_of(&app, "dave"), ("responder".into(), true));
        assert_eq!(role_of(&app, "erin"), ("admin".into(), true));
    }

    async fn a_username_that_differs_from_another_only_in_case_is_not_added(app) {
        app.add_user("dave", "UTC", "responder");
        let mut conn = app.db.conn().unwrap();
        let err = baton::db::models::users::create(
            &mut conn,
            &"Dave".parse().unwrap(),
            "Dave",
            baton::domain::time::Timezone::UTC,
            baton::domain::handoff::Role::Responder,
        )
        .unwrap_err();
        assert_eq!(err.status().as_u16(), 409);
        assert!(err.message().contains("dave differs only in case"), "{err}");
    }

    async fn a_break_glass_sign_in_with_an_invisible_character_in_the_username_is_refused_not_a_500(app) {
        app.alice_bob_carol();
        for (c, code) in INVISIBLE {
            let (status, _, html) = app.post_form(&common::browser(), "/login/password", &[
                ("username", &spoiled("alice", c)), ("password", "break glass in case of fire"), ("next", "/"),
            ]).await;
            assert_eq!(status, 422, "{code}:\n{html}");
            assert!(html.contains(&format!("a username contains {code}")), "{html}");
        }
    }

    async fn a_gitlab_sign_in_never_stores_an_invisible_character(app) {
        use baton::db::models::users::{GitLabProfile, sign_in_from_gitlab};
        use baton::domain::handoff::Role;
        let mut conn = app.db.conn().unwrap();
        for (id, c) in [(1, '\0'), (2, '\u{202E}')] {
            let username = format!("zoe{id}");
            let profile = GitLabProfile { id, username: username.clone(), name: format!("Zoe{c} Q.") };
            let user = sign_in_from_gitlab(&mut conn, &profile, Role::Responder).unwrap();
            assert_eq!(user.name, username, "the name from GitLab is not kept");
            let profile = GitLabProfile { id: id + 10, username: format!("mallory{c}"), name: "M".into() };
            let err = sign_in_from_gitlab(&mut conn, &profile, Role::Responder).unwrap_err();
            assert_eq!(err.status().as_u16(), 403, "{err}");
        }
    }

    async fn a_pass_to_name_with_spaces_or_an_at_sign_names_the_same_user(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let h = app.create_handoff(&alice, json!({"kind": "outage", "title": "DNS", "severity": 3,
            "note": {"body": "Flushing.", "pass_to": "@bob"}})).await;
        assert_eq!(h["pending_to"]["username"], "bob");
        // The API's document allows no surrounding spaces.
        let (status, json) = app.send_json(Method::POST, "/api/v1/handoffs", &alice, &json!({
            "kind": "outage", "title": "DNS", "severity": 3,
            "note": {"body": "Flushing.", "pass_to": " @bob "}})).await;
        assert_eq!(status, 422, "{json}");
        assert_eq!(json["error"]["field"], "note.pass_to");
        // A name differing in case is somebody else: well formed, but nobody.
        let (status, json) = app.send_json(Method::POST, "/api/v1/handoffs", &alice, &json!({
            "kind": "outage", "title": "DNS", "severity": 3,
            "note": {"body": "Flushing.", "pass_to": "Bob"}})).await;
        assert_eq!(status, 409, "{json}");
        assert_eq!(json["error"]["field"], "note.pass_to");
        assert!(json["error"]["message"].as_str().unwrap().contains("Bob"), "{json}");
    }
}
