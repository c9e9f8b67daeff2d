//! The HTML pages, driven over HTTP like a browser, on both backends.

use crate::common;

use chrono::{Duration, SecondsFormat, Utc};
use common::TestApp;
use reqwest::{Client, Method};
use serde_json::{Value, json};

const PRODUCTION_1234: &str = "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234";

/// The text of the field error `<p … id="{id}">…</p>`, if the page has one.
fn field_error(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\">");
    let at = html.find(&marker)? + marker.len();
    let len = html[at..].find("</p>")?;
    Some(html[at..at + len].to_owned())
}

/// Asserts that the error `error_id` is shown right after the field marked
/// `field` (no other label in between) and returns its text.
fn error_beside(html: &str, field: &str, error_id: &str) -> String {
    let message =
        field_error(html, error_id).unwrap_or_else(|| panic!("no {error_id} on the page:\n{html}"));
    let field_at = html
        .find(field)
        .unwrap_or_else(|| panic!("no {field} on the page"));
    let error_at = html.find(&format!("id=\"{error_id}\">")).unwrap();
    assert!(
        field_at < error_at,
        "{error_id} comes before its field {field}"
    );
    assert!(
        !html[field_at..error_at].contains("<label"),
        "{error_id} is not beside {field}: another field comes between them"
    );
    message
}

/// Every `<time datetime="…">text</time>` of a page: (datetime, text).
fn times(html: &str) -> Vec<(String, String)> {
    html.split("<time datetime=\"")
        .skip(1)
        .map(|rest| {
            let (iso, rest) = rest.split_once("\">").expect("time attribute");
            let (text, _) = rest.split_once("</time>").expect("time end");
            (iso.to_owned(), text.to_owned())
        })
        .collect()
}

/// Asserts that every full date-time on the page is a UTC instant shown in
/// `zone` (abbreviated `abbrev`, e.g. `JST`), correctly converted by tzdata.
fn assert_times_in(html: &str, zone: &str, abbrevs: &[&str]) {
    let all = times(html);
    assert!(!all.is_empty(), "no <time> elements on the page");
    for (iso, text) in all {
        assert!(iso.ends_with('Z'), "datetime {iso:?} is not UTC");
        let (full, clock) = common::expected_local(&iso, zone);
        if text.len() == 5 {
            // A clock only, e.g. "until 17:00".
            assert_eq!(text, clock, "{iso}");
            continue;
        }
        assert!(
            abbrevs.iter().any(|a| text.ends_with(a)),
            "time {text:?} is not in {zone}"
        );
        assert_eq!(text, full, "{iso}");
    }
}

/// Undoes the HTML escaping of an attribute value.
fn unescape(value: &str) -> String {
    value
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in the tag text `tag`, if it has one.
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    Some(unescape(&tag[at..at + tag[at..].find('"')?]))
}

/// What a browser submits for the post form of `html` whose action starts
/// with `action`, left as it was shown: (the action, the fields), with each
/// input's value, the checked radios and the selected options.
fn shown_form(html: &str, action: &str) -> (String, Vec<(String, String)>) {
    let marker = format!("<form method=\"post\" action=\"{action}");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no form to {action}:\n{html}"));
    let form = &html[start..start + html[start..].find("</form>").expect("end of form")];
    let action = attr(&form[..form.find('>').unwrap()], "action").unwrap();
    let mut fields = vec![];
    for piece in form.split('<').skip(1) {
        let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
        if tag.starts_with("input ") {
            let Some(name) = attr(tag, "name") else {
                continue;
            };
            let kind = attr(tag, "type").unwrap_or_default();
            if kind == "radio" && !tag.contains(" checked") {
                continue;
            }
            fields.push((name, attr(tag, "value").unwrap_or_default()));
        } else if tag.starts_with("select ") {
            let name = attr(tag, "name").expect("a named select");
            let options = &form[form.find(tag).unwrap()..];
            let options = &options[..options.find("</select>").unwrap()];
            let selected = options
                .split("<option ")
                .skip(1)
                .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
                .map(|o| attr(&format!(" {o}"), "value").unwrap_or_default())
                .unwrap_or_default();
            fields.push((name, selected));
        }
    }
    (action, fields)
}

/// The shift with `id` as the API lists it in the span `[from, to)`.
async fn api_shift(app: &TestApp, token: &str, id: &str, from: &str, to: &str) -> Value {
    let (status, body) = app
        .get_json(&format!("/api/v1/shifts?from={from}&to={to}"), token)
        .await;
    assert_eq!(status, 200, "{body}");
    body["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no shift {id} in {body}"))
}

/// The rows of the shift table of a `/shifts` page.
fn shift_table(html: &str) -> &str {
    html.split_once("<table class=\"shifts")
        .map(|(_, t)| t.split_once("</table>").map_or(t, |(t, _)| t))
        .unwrap_or("")
}

/// The dashboard cards (or list cards) of a page.
fn cards(html: &str) -> Vec<&str> {
    html.split("<article class=\"card").skip(1).collect()
}

/// The card whose title is `title`.
fn card_of<'a>(html: &'a str, title: &str) -> &'a str {
    cards(html)
        .into_iter()
        .find(|c| c.contains(&format!(">{title}</a></h3>")))
        .unwrap_or_else(|| panic!("no card {title:?} on the page"))
}

/// The `value` of the input named `name`.
fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name}"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// The id in `/handoffs/{id}` (a UUID v7).
fn handoff_id_of(location: &str) -> String {
    let id = location
        .strip_prefix("/handoffs/")
        .unwrap_or_else(|| panic!("not a handoff permalink: {location}"));
    let uuid = uuid::Uuid::parse_str(id).unwrap_or_else(|_| panic!("not a UUID: {id}"));
    assert_eq!(uuid.get_version_num(), 7, "handoff ids are UUID v7");
    id.to_owned()
}

/// Opens an outage through the API; returns its id.
async fn open(app: &TestApp, token: &str, title: &str, note: &str) -> String {
    let h = app
        .create_handoff(
            token,
            json!({"kind": "outage", "title": title, "severity": 2, "note": {"body": note}}),
        )
        .await;
    h["id"].as_str().unwrap().to_owned()
}

/// One handoff as the API shows it.
async fn handoff_json(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, h) = app.get_json(&format!("/api/v1/handoffs/{id}"), token).await;
    assert_eq!(status, 200);
    h
}

/// How many notes the handoff has.
async fn note_count(app: &TestApp, token: &str, id: &str) -> usize {
    handoff_json(app, token, id).await["notes"]
        .as_array()
        .unwrap()
        .len()
}

/// A browser signed in as `username`.
async fn signed_in(app: &TestApp, username: &str) -> Client {
    let browser = common::browser();
    app.sign_in(&browser, username).await;
    browser
}

/// `POST path` of a form with owned field names.
async fn post_pairs(
    app: &TestApp,
    browser: &Client,
    path: &str,
    pairs: &[(String, String)],
) -> (u16, Option<String>, String) {
    let form: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_form(browser, path, &form).await
}

/// Alice opens the details form, someone adds a note meanwhile, then alice
/// saves a new title and severity: the answer to her save.
async fn edit_details_after_someone_else_changed_it(
    app: &TestApp,
    token: &str,
    id: &str,
) -> (u16, String) {
    let alice = signed_in(app, "alice").await;
    let (_, html) = app.page(&alice, &format!("/handoffs/{id}")).await;
    let shown = input_value(&html, "version");
    let (status, _) = app
        .send_json(
            Method::POST,
            &format!("/api/v1/handoffs/{id}/notes"),
            token,
            &json!({"body": "Now at 93%."}),
        )
        .await;
    assert_eq!(status, 201);
    let form = [
        ("version", shown.as_str()),
        ("title", "Disk full on gitaly-03"),
        ("severity", "1"),
        ("issues", ""),
    ];
    let (status, _, html) = app
        .post_form(&alice, &format!("/handoffs/{id}/details"), &form)
        .await;
    (status, html)
}

/// An RFC 3339 instant `minutes` from now.
fn from_now(minutes: i64) -> String {
    (Utc::now() + Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A chat service fetching a link to unfurl it: no cookie, follows redirects.
fn chat_service() -> Client {
    Client::builder()
        .user_agent("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap()
}

/// The `content` of `<meta property|name="{key}" content="…">`, unescaped.
fn meta(html: &str, key: &str) -> Option<String> {
    let at = html
        .find(&format!("property=\"{key}\" content=\""))
        .or_else(|| html.find(&format!("name=\"{key}\" content=\"")))?;
    let rest = &html[at..];
    let start = rest.find("content=\"")? + "content=\"".len();
    let len = rest[start..].find('"')?;
    Some(
        rest[start..start + len]
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#38;", "&"),
    )
}

/// What a chat service shows for `path`: (final status, final URL path, page).
async fn unfurl(app: &TestApp, path: &str) -> (u16, String, String) {
    let res = chat_service().get(app.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let landed = res.url().path().to_owned();
    (status, landed, res.text().await.unwrap())
}

/// Asserts that a page unfurls as "Baton handoff" for `id` and says nothing of `secrets`.
fn assert_unfurls_generically(app_url: &str, html: &str, id: &str, secrets: &[&str]) {
    assert_eq!(
        meta(html, "og:title").as_deref(),
        Some("Baton handoff"),
        "{html}"
    );
    assert_eq!(
        meta(html, "twitter:title").as_deref(),
        Some("Baton handoff")
    );
    assert_eq!(meta(html, "og:site_name").as_deref(), Some("Baton"));
    assert_eq!(meta(html, "twitter:card").as_deref(), Some("summary"));
    assert_eq!(
        meta(html, "og:url"),
        Some(format!("{app_url}/handoffs/{id}"))
    );
    for key in ["og:description", "twitter:description", "description"] {
        assert_eq!(
            meta(html, key),
            None,
            "{key} on a preview that must say nothing"
        );
    }
    let head = html.split("</head>").next().unwrap();
    for tag in head.split('<').filter(|t| t.starts_with("meta ")) {
        for secret in secrets {
            assert!(
                !tag.contains(secret),
                "the preview names {secret:?}: <{tag}"
            );
        }
    }
}

backend_tests! {
    async fn the_sign_in_page_lists_every_user_and_signing_in_goes_to_next(app) {
        app.alice_bob_carol();
        let browser = common::browser();
        let (status, html) = app.page(&browser, "/login?next=/handoffs").await;
        assert_eq!(status, 200);
        assert!(html.contains("<strong>Local mode:</strong>"), "local-mode banner missing");
        for name in ["alice", "bob", "carol"] {
            assert!(html.contains(&format!("name=\"username\" value=\"{name}\"")), "{name} is not listed");
        }
        assert!(html.contains("<input type=\"hidden\" name=\"next\" value=\"/handoffs\">"));

        let (status, location, _) = app.post_form(&browser, "/login", &[("username", "alice"), ("next", "/handoffs")]).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/handoffs"));
        let (status, html) = app.page(&browser, "/handoffs/new").await;
        assert_eq!(status, 200, "signed in, alice opens the new-handoff form");
        assert!(html.contains("<a href=\"/me\">alice</a>"));
        assert!(html.contains("<strong>Local mode:</strong>"), "the banner stays on every page");
    }

    async fn an_unknown_user_cannot_sign_in(app) {
        app.alice_bob_carol();
        let browser = common::browser();
        let (status, _, html) = app.post_form(&browser, "/login", &[("username", "mallory"), ("next", "/")]).await;
        assert_eq!(status, 422);
        assert!(html.contains("there is no such user"));
        let (status, _) = app.page(&browser, "/handoffs/new").await;
        assert_eq!(status, 303, "still signed out");
    }

    async fn a_next_pointing_to_another_site_lands_on_the_dashboard(app) {
        app.alice_bob_carol();
        for next in ["//evil.example", "https://evil.example/", "/\\evil.example"] {
            let browser = common::browser();
            let (_, html) = app.page(&browser, &format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())).await;
            assert!(html.contains("name=\"next\" value=\"/\""), "GET /login kept next={next}");
            let (status, location, _) = app.post_form(&browser, "/login", &[("username", "alice"), ("next", next)]).await;
            assert_eq!(status, 303);
            assert_eq!(location.as_deref(), Some("/"), "next={next}");
        }
    }

    async fn signing_out_ends_the_session(app) {
        app.alice_bob_carol();
        let browser = signed_in(&app, "alice").await;
        let (_, html) = app.page(&browser, "/").await;
        assert!(html.contains("<a href=\"/me\">alice</a>"));
        let (status, location, _) = app.post_form(&browser, "/logout", &[]).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/login"));
        // Local mode lets anyone read; signed out, the page says so.
        let (status, html) = app.page(&browser, "/").await;
        assert_eq!(status, 200);
        assert!(!html.contains("<a href=\"/me\">"), "still signed in after signing out");
        assert!(html.contains("href=\"/login\""));
        let res = browser.get(app.url("/me")).send().await.unwrap();
        assert_eq!(res.status(), 303, "still signed in after signing out");
        assert_eq!(res.headers()["location"], "/login?next=%2Fme");
        let (status, _) = app.page(&browser, "/handoffs/new").await;
        assert_eq!(status, 303);
    }

    async fn in_local_mode_a_signed_out_visitor_reads_but_never_a_confidential_handoff(app) {
        let (alice, _, _) = app.alice_bob_carol();
        open(&app, &alice, "Replica lag on db-main-02", "Lag at 40s and growing.").await;
        app.create_handoff(&alice, serde_json::json!({
            "kind": "outage", "title": "Secret customer incident", "severity": 1,
            "confidential": true, "note": {"body": "Confidential details."}
        }))
        .await;
        let visitor = common::browser();
        let (status, html) = app.page(&visitor, "/").await;
        assert_eq!(status, 200);
        assert!(html.contains("Replica lag on db-main-02"));
        assert!(!html.contains("Secret customer incident"));
        assert!(html.contains("Local mode"), "the local-mode banner is missing");
    }

    async fn with_gitlab_sign_in_a_signed_out_visitor_is_sent_to_sign_in_for_every_page(app) {
        let app = common::TestApp::spawn_with(app.backend, &[
            ("BATON_GITLAB_URL", "http://127.0.0.1:9"),
            ("BATON_GITLAB_CLIENT_ID", "id"),
            ("BATON_GITLAB_CLIENT_SECRET", "secret"),
            ("BATON_GITLAB_ALLOWED_GROUPS", "gitlab-com/gl-infra"),
        ])
        .await
        .unwrap();
        let (alice, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice, "Replica lag on db-main-02", "Lag at 40s and growing.").await;
        let visitor = common::browser();
        for path in ["/".to_owned(), format!("/handoffs/{id}"), "/handoffs?status=resolved".to_owned(), "/shifts".to_owned(), "/me".to_owned()] {
            let res = visitor.get(app.url(&path)).send().await.unwrap();
            assert_eq!(res.status(), 303, "{path}");
            assert!(res.headers()["location"].to_str().unwrap().starts_with("/login?next="), "{path}");
            assert!(!res.text().await.unwrap().contains("Replica lag"), "{path} leaked content");
        }
        let form = [("kind", "outage"), ("title", "Sneaky"), ("severity", "2"), ("body", "x")];
        let (status, location, _) = app.post_form(&visitor, "/handoffs", &form).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/login?next=%2Fhandoffs"));
        let (_, list) = app.get_json("/api/v1/handoffs?status=all", &alice).await;
        assert_eq!(list["handoffs"].as_array().unwrap().len(), 1, "a signed-out POST created a handoff");
    }

    async fn with_public_read_a_visitor_reads_open_handoffs_but_never_a_confidential_one(app) {
        let app = common::TestApp::spawn_with(app.backend, &[("BATON_PUBLIC_READ", "1")]).await.unwrap();
        let (alice, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice, "Replica lag on db-main-02", "Lag at 40s and growing.").await;
        let secret = app
            .create_handoff(&alice, serde_json::json!({
                "kind": "perceived_data_loss", "title": "Customer exports leaked?", "severity": 1,
                "confidential": true, "note": {"body": "Do not discuss outside the incident."}
            }))
            .await;
        let secret_id = secret["id"].as_str().unwrap();
        let visitor = common::browser();

        let (status, html) = app.page(&visitor, "/").await;
        assert_eq!(status, 200);
        assert!(html.contains("Replica lag on db-main-02"));
        assert!(!html.contains("Customer exports leaked?"), "a confidential handoff on the public dashboard");
        assert!(!html.contains("href=\"/handoffs/new\""), "a signed-out visitor is offered a New handoff link");
        let (status, html) = app.page(&visitor, &format!("/handoffs/{id}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Lag at 40s and growing."));
        assert!(!html.contains(&format!("action=\"/handoffs/{id}/notes\"")), "a signed-out visitor gets a note form");
        // A confidential handoff is answered as when public read is off: sign in first.
        let res = visitor.get(app.url(&format!("/handoffs/{secret_id}"))).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"].to_str().unwrap(), format!("/login?next=%2Fhandoffs%2F{secret_id}"));
        let html = res.text().await.unwrap();
        assert!(!html.contains("Do not discuss") && !html.contains("Customer exports"));
        let (_, list) = app.page(&visitor, "/handoffs?status=all").await;
        assert!(!list.contains("Customer exports leaked?"));

        let res = visitor.get(app.url("/handoffs/new")).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/login?next=%2Fhandoffs%2Fnew");
        let (status, location, _) = app.post_form(&visitor, &format!("/handoffs/{id}/notes"), &[("body", "sneaky note")]).await;
        assert_eq!(status, 303);
        assert_eq!(location, Some(format!("/login?next=%2Fhandoffs%2F{id}%2Fnotes")));
        assert_eq!(note_count(&app, &alice, &id).await, 1, "a signed-out POST added a note");

        // Signed in, the confidential handoff is there.
        let alice_browser = signed_in(&app, "alice").await;
        let (_, html) = app.page(&alice_browser, "/").await;
        assert!(html.contains("Customer exports leaked?"));
    }

    async fn a_viewer_reads_but_cannot_open_handoffs_write_notes_or_add_shifts(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice, "CI runners saturated", "Queue at 900 jobs.").await;
        let carol = signed_in(&app, "carol").await;

        let (status, html) = app.page(&carol, "/").await;
        assert_eq!(status, 200);
        assert!(html.contains("CI runners saturated"));
        assert!(!html.contains("New handoff"), "a viewer sees a New handoff link");
        assert!(!html.contains("href=\"/handoffs/new\""));
        let (_, html) = app.page(&carol, &format!("/handoffs/{id}")).await;
        assert!(!html.contains(&format!("action=\"/handoffs/{id}/notes\"")), "a viewer gets a note form");

        let form = [("kind", "outage"), ("title", "By a viewer"), ("severity", "2"), ("body", "x")];
        let (status, _, html) = app.post_form(&carol, "/handoffs", &form).await;
        assert_eq!(status, 403);
        assert!(html.contains("carol is a viewer"), "{html}");
        let (status, _, _) = app.post_form(&carol, &format!("/handoffs/{id}/notes"), &[("body", "viewer note")]).await;
        assert_eq!(status, 403);
        let shift = [("username", "carol"), ("role", "EOC"), ("starts_at", "2026-11-29T08:00"), ("ends_at", "2026-11-29T16:00")];
        let (status, _, _) = app.post_form(&carol, "/shifts", &shift).await;
        assert_eq!(status, 403);

        let (_, list) = app.get_json("/api/v1/handoffs?status=all", &alice).await;
        assert_eq!(list["handoffs"].as_array().unwrap().len(), 1);
        assert_eq!(note_count(&app, &alice, &id).await, 1);
        let (_, shifts) = app.get_json("/api/v1/shifts?from=2026-11-23T00:00:00Z&to=2026-12-07T00:00:00Z", &alice).await;
        assert_eq!(shifts["shifts"].as_array().unwrap().len(), 0, "a viewer added a shift");
    }

    async fn a_new_handoff_form_with_mistakes_comes_back_with_each_message_beside_its_field_and_the_input_kept(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let browser = signed_in(&app, "alice").await;
        let form = [
            ("kind", "outage"),
            ("title", "   "),
            ("severity", "1"),
            ("issues", "https://gitlab.example.com/a/b/-/issues/1"),
            ("body", ""),
            ("pass_to", "bob"),
        ];
        let (status, location, html) = app.post_form(&browser, "/handoffs", &form).await;
        assert_eq!(status, 422);
        assert_eq!(location, None);
        assert_eq!(error_beside(&html, "id=\"title\" name=\"title\"", "title-error"), "a title is required");
        let issues = error_beside(&html, "id=\"issues\" name=\"issues\"", "issues-error");
        assert!(issues.contains("https://gitlab.example.com/a/b/-/issues/1"), "{issues}");
        assert!(issues.contains("not an issue on gitlab.com"), "{issues}");
        assert_eq!(error_beside(&html, "id=\"body\" name=\"body\"", "body-error"), "a note needs some text");
        assert!(html.contains("aria-describedby=\"title-error\""));

        assert!(html.contains(">https://gitlab.example.com/a/b/-/issues/1</textarea>"), "the issue links were not kept");
        assert!(html.contains("<option value=\"1\" selected>severity::1</option>"), "the severity was not kept");
        assert!(html.contains("<option value=\"bob\" selected>"), "pass to was not kept");
        assert!(html.contains("id=\"kind-outage\" name=\"kind\" value=\"outage\" checked"));
        let (_, list) = app.get_json("/api/v1/handoffs?status=all", &alice).await;
        assert_eq!(list["handoffs"].as_array().unwrap().len(), 0, "a handoff was created from a form with mistakes");
    }

    async fn a_valid_new_handoff_form_opens_the_handoff_with_its_canonical_gitlab_link_and_first_note(app) {
        app.alice_bob_carol();
        let browser = signed_in(&app, "alice").await;
        let (status, html) = app.page(&browser, "/handoffs/new").await;
        assert_eq!(status, 200);
        assert!(html.contains("action=\"/handoffs\""));
        let form = [
            ("kind", "outage"),
            ("title", "Primary database failed over"),
            ("severity", "1"),
            ("issues", "https://gitlab.com/gitlab-com/gl-infra/production/-/work_items/1234#note_55\ngitlab-com/gl-infra/production#1234"),
            ("body", "Failed over at 09:10; **watching** replication."),
            ("pass_to", ""),
        ];
        let (status, location, _) = app.post_form(&browser, "/handoffs", &form).await;
        assert_eq!(status, 303);
        let location = location.expect("a Location");
        handoff_id_of(&location);

        let (status, html) = app.page(&browser, &location).await;
        assert_eq!(status, 200);
        assert!(html.contains("<h1>Primary database failed over</h1>"));
        assert!(html.contains("Severity 1"));
        let link = format!("<a href=\"{PRODUCTION_1234}\">gitlab-com/gl-infra/production#1234</a>");
        assert_eq!(html.matches(&link).count(), 1, "the issue is not linked once in canonical form:\n{html}");
        assert!(html.contains("Failed over at 09:10; <strong>watching</strong> replication."));
        assert!(html.contains("Held by <strong>you</strong>"));

        let (_, dashboard) = app.page(&browser, "/").await;
        assert!(card_of(&dashboard, "Primary database failed over").contains(&link));
    }

    async fn a_card_cuts_a_long_note_after_a_word_and_reads_todays_activity_as_a_clock(app) {
        app.alice_bob_carol();
        let browser = signed_in(&app, "alice").await;
        let body = "Rolled back the last deploy at 09:10; the error rate is back under 0.1 %, \
                    but the p99 is still twice the baseline, so the alert stays silenced until the morning.";
        let form = [
            ("kind", "outage"),
            ("title", "Slow merges after deploy"),
            ("severity", "3"),
            ("issues", ""),
            ("body", body),
            ("pass_to", ""),
        ];
        let (status, _, html) = app.post_form(&browser, "/handoffs", &form).await;
        assert_eq!(status, 303, "{html}");

        let (_, dashboard) = app.page(&browser, "/").await;
        let card = card_of(&dashboard, "Slow merges after deploy");
        assert!(
            card.contains(
                "<p class=\"excerpt\">Rolled back the last deploy at 09:10; the error rate is back under 0.1 %, \
                 but the p99 is still twice the baseline, so…</p>"
            ),
            "{card}"
        );
        let (iso, text) = times(card).pop().expect("the last activity");
        let (_, clock) = common::expected_local(&iso, "Europe/Amsterdam");
        assert_eq!(text, clock, "today's last activity is not read as its clock");
    }

    async fn a_perceived_data_loss_opened_from_the_form_shows_its_data_loss_record(app) {
        app.alice_bob_carol();
        let browser = signed_in(&app, "alice").await;
        let form = [
            ("kind", "perceived_data_loss"),
            ("title", "Orders missing after restore"),
            ("severity", "2"),
            ("issues", ""),
            ("body", "Customers report orders from yesterday gone."),
            ("scope", "orders table, rows created 2026-11-28"),
            ("recovery_point", "snapshot of 2026-11-28 14:00 UTC"),
            ("verification", "confirmed"),
            ("customers_notified", "1"),
        ];
        let (status, location, html) = app.post_form(&browser, "/handoffs", &form).await;
        assert_eq!(status, 303, "{html}");
        let (_, html) = app.page(&browser, &location.unwrap()).await;
        assert!(html.contains("Data loss?"));
        assert!(html.contains("<dt>Affected data</dt><dd>orders table, rows created 2026-11-28</dd>"), "{html}");
        assert!(html.contains("<dt>Recovery point</dt><dd>snapshot of 2026-11-28 14:00 UTC</dd>"));
        assert!(html.contains("<dt>Verification</dt><dd><span class=\"badge verify-confirmed\">confirmed</span></dd>"));
        assert!(html.contains("<dt>Customers told</dt><dd>yes</dd>"));
    }

    async fn the_whole_shift_is_handed_over_on_one_page_and_the_incoming_acknowledges_in_their_own_time(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let titles = ["Replica lag on db-main-02", "CI runners saturated", "Orders API 5xx spike"];
        let mut ids = vec![];
        for title in titles {
            ids.push(open(&app, &alice_token, title, "Still investigating.").await);
        }
        let alice = signed_in(&app, "alice").await;
        let (status, html) = app.page(&alice, "/handover").await;
        assert_eq!(status, 200);
        for (id, title) in ids.iter().zip(titles) {
            assert!(html.contains(title));
            assert!(html.contains(&format!("<textarea id=\"note_{id}\" name=\"note_{id}\"")), "no note box for {title}");
        }
        assert!(html.contains("Hand over 3 handoffs"));

        let mut form: Vec<(String, String)> = ids
            .iter()
            .zip(titles)
            .map(|(id, title)| (format!("note_{id}"), format!("Handing over {title}: next step is to page the DBRE.")))
            .collect();
        form.push(("pass_to".into(), "bob".into()));
        form.push(("summary".into(), "Quiet night apart from **three** items.".into()));
        let (status, location, html) = post_pairs(&app, &alice, "/handover", &form).await;
        assert_eq!(status, 303, "{html}");
        assert_eq!(location.as_deref(), Some("/"));

        let bob = signed_in(&app, "bob").await;
        let (status, html) = app.page(&bob, "/").await;
        assert_eq!(status, 200);
        let (waiting, rest) = html.split_once("<h2 id=\"open-h\">").expect("open section");
        assert!(waiting.contains("Waiting for you (3)"), "{html}");
        for (id, title) in ids.iter().zip(titles) {
            assert!(waiting.contains(&format!(">{title}</a></h3>")), "{title} is not waiting for bob");
            assert!(waiting.contains(&format!("action=\"/handoffs/{id}/acknowledge\"")));
            assert!(waiting.contains(&format!("I have it: {title}")));
            assert!(!rest.contains(&format!(">{title}</a></h3>")), "{title} is listed twice");
        }
        assert!(html.contains("alice handed 3 handoffs to bob"));
        assert!(html.contains("<strong>three</strong>"), "the summary is not rendered");
        assert_times_in(&html, "Asia/Tokyo", &["JST"]);

        let (status, location, _) = app.post_form(&bob, &format!("/handoffs/{}/acknowledge", ids[0]), &[]).await;
        assert_eq!(status, 303);
        assert_eq!(location, Some(format!("/handoffs/{}", ids[0])));
        let (_, html) = app.page(&bob, &format!("/handoffs/{}", ids[0])).await;
        assert!(html.contains("Held by <strong>you</strong>"), "{html}");
        assert!(html.contains("Handing over Replica lag on db-main-02: next step is to page the DBRE."));
        assert!(html.contains("Passed to <strong>bob</strong>"));
        assert!(html.contains("acknowledged <time"));
        assert!(html.contains("for alice (Europe/Amsterdam)"), "the author's local time is not beside bob's");
        assert!(!html.contains("I have it</button>"), "bob is asked to acknowledge again");
        assert_times_in(&html, "Asia/Tokyo", &["JST"]);

        let (_, html) = app.page(&bob, "/").await;
        assert!(html.contains("Waiting for you (2)"));

        let (_, html) = app.page(&alice, "/").await;
        assert!(!html.contains("Waiting for you"));
        let taken = card_of(&html, titles[0]);
        assert!(taken.contains("Held by <strong>bob</strong>"));
        assert!(!taken.contains("to acknowledge"));
        for title in &titles[1..] {
            let card = card_of(&html, title);
            assert!(card.contains("Held by <strong>alice</strong> (you)"), "{card}");
            assert!(card.contains("for <strong>bob</strong>"), "{title} is not shown waiting for bob: {card}");
            assert!(card.contains("to acknowledge"));
        }
        assert_times_in(&html, "Europe/Amsterdam", &["CET", "CEST"]);
    }

    async fn a_note_passed_to_an_unknown_user_comes_back_with_the_error_beside_pass_to(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Redis evictions", "Evictions at 2k/s.").await;
        let alice = signed_in(&app, "alice").await;
        let path = format!("/handoffs/{id}/notes");
        let (status, _, html) = app.post_form(&alice, &path, &[("body", "Please take this."), ("pass_to", "nobody"), ("issues", "")]).await;
        assert_eq!(status, 422);
        let message = error_beside(&html, "id=\"note-pass\" name=\"pass_to\"", "note-pass-error");
        assert!(message.contains("nobody"), "{message}");
        assert!(html.contains(">Please take this.</textarea>"), "the note text was not kept");
        assert_eq!(note_count(&app, &alice_token, &id).await, 1);
    }

    async fn a_note_over_64_kib_is_refused_beside_the_body(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Redis evictions", "Evictions at 2k/s.").await;
        let alice = signed_in(&app, "alice").await;
        let big = "a".repeat(64 * 1024 + 1);
        let (status, _, html) = app.post_form(&alice, &format!("/handoffs/{id}/notes"), &[("body", &big)]).await;
        assert_eq!(status, 422);
        let message = error_beside(&html, "id=\"note-body\" name=\"body\"", "note-body-error");
        assert!(message.contains("64 KiB"), "{message}");
        assert_eq!(note_count(&app, &alice_token, &id).await, 1);
    }

    async fn a_note_renders_markdown_and_links_a_bare_gitlab_url_by_its_reference(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Redis evictions", "Evictions at 2k/s.").await;
        let alice = signed_in(&app, "alice").await;
        let body = "Now **bold** progress, see https://gitlab.com/gitlab-org/gitlab/-/issues/42 for the fix.";
        let (status, location, _) = app.post_form(&alice, &format!("/handoffs/{id}/notes"), &[("body", body), ("pass_to", ""), ("issues", "")]).await;
        assert_eq!(status, 303);
        let location = location.unwrap();
        assert!(location.starts_with(&format!("/handoffs/{id}#note-")), "{location}");
        let (_, html) = app.page(&alice, &format!("/handoffs/{id}")).await;
        assert!(html.contains("<strong>bold</strong>"));
        assert!(
            html.contains("href=\"https://gitlab.com/gitlab-org/gitlab/-/issues/42\"") && html.contains(">gitlab-org/gitlab#42</a>"),
            "the bare URL is not linked as gitlab-org/gitlab#42:\n{html}"
        );
        assert_eq!(note_count(&app, &alice_token, &id).await, 2);
    }

    async fn a_script_tag_in_a_note_never_reaches_the_page_as_a_script(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Redis evictions", "Evictions at 2k/s.").await;
        let alice = signed_in(&app, "alice").await;
        let body = "Before <script>alert(1)</script> after <img src=x onerror=alert(2)>";
        let (status, _, _) = app.post_form(&alice, &format!("/handoffs/{id}/notes"), &[("body", body)]).await;
        assert_eq!(status, 303);
        for browser in [&alice] {
            let (_, html) = app.page(browser, &format!("/handoffs/{id}")).await;
            assert!(html.contains("Before"), "the note is not shown");
            // The one script is Baton's own, from /static.
            let own = format!("<script src=\"{}\" defer></script>", baton::web::assets::js_url());
            let own = own.as_str();
            assert_eq!(html.matches(own).count(), 1);
            assert!(!html.replace(own, "").to_lowercase().contains("<script"), "a script tag reached the page:\n{html}");
            for tag in html.split("<img").skip(1) {
                let tag = tag.split('>').next().unwrap();
                assert!(!tag.contains("onerror"), "an event attribute reached the page: <img{tag}>");
            }
            let (_, dashboard) = app.page(browser, "/").await;
            assert!(!dashboard.replace(own, "").to_lowercase().contains("<script"));
        }
    }

    async fn a_details_form_with_a_stale_version_changes_nothing_and_says_why(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Disk filling on gitaly-03", "At 91%.").await;
        let (status, html) = edit_details_after_someone_else_changed_it(&app, &alice_token, &id).await;
        assert_eq!(status, 422);
        assert!(html.contains("is stale: the handoff has changed since"), "{html}");
        assert!(html.contains("<h1>Disk filling on gitaly-03</h1>"), "the page does not show the current state");
        assert!(html.contains("Now at 93%."), "the page does not show the other change");
        assert!(html.contains("value=\"Disk full on gitaly-03\""), "the typed title was not kept");
        let h = handoff_json(&app, &alice_token, &id).await;
        assert_eq!(h["title"], "Disk filling on gitaly-03");
        assert_eq!(h["severity"], 2);
    }

    async fn after_a_stale_save_sending_the_kept_changes_again_saves_them(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Disk filling on gitaly-03", "At 91%.").await;
        let (status, html) = edit_details_after_someone_else_changed_it(&app, &alice_token, &id).await;
        assert_eq!(status, 422);
        // The person reads the current state and presses Save again.
        let alice = signed_in(&app, "alice").await;
        let version = input_value(&html, "version");
        let current = handoff_json(&app, &alice_token, &id).await["version"].to_string();
        let again = [("version", version.as_str()), ("title", "Disk full on gitaly-03"), ("severity", "1"), ("issues", "")];
        let (status, _, _) = app.post_form(&alice, &format!("/handoffs/{id}/details"), &again).await;
        assert_eq!(
            status, 303,
            "the form shown after a stale save carries the stale version {version} (current: {current}), so saving again fails forever"
        );
        assert_eq!(handoff_json(&app, &alice_token, &id).await["title"], "Disk full on gitaly-03");
    }

    async fn a_details_form_with_the_current_version_changes_the_title(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Disk filling on gitaly-03", "At 91%.").await;
        let alice = signed_in(&app, "alice").await;
        let (_, html) = app.page(&alice, &format!("/handoffs/{id}")).await;
        let version = input_value(&html, "version");
        let form = [("version", version.as_str()), ("title", "Disk full on gitaly-03"), ("severity", "1"), ("issues", PRODUCTION_1234)];
        let (status, location, _) = app.post_form(&alice, &format!("/handoffs/{id}/details"), &form).await;
        assert_eq!(status, 303);
        assert_eq!(location, Some(format!("/handoffs/{id}")));
        let (_, html) = app.page(&alice, &format!("/handoffs/{id}")).await;
        assert!(html.contains("<h1>Disk full on gitaly-03</h1>"));
        assert!(html.contains("Severity 1"));
        assert!(html.contains(">gitlab-com/gl-infra/production#1234</a>"));
        assert_ne!(input_value(&html, "version"), version, "the version did not move on");
    }

    async fn a_resolve_form_without_a_closing_note_is_refused_beside_it(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Flaky DNS in us-east1", "Intermittent NXDOMAIN.").await;
        let alice = signed_in(&app, "alice").await;
        let (status, _, html) = app.post_form(&alice, &format!("/handoffs/{id}/resolve"), &[("body", "  \n ")]).await;
        assert_eq!(status, 422);
        assert_eq!(error_beside(&html, "id=\"resolve-body\" name=\"body\"", "resolve-body-error"), "a note needs some text");
        assert_eq!(handoff_json(&app, &alice_token, &id).await["status"], "open");
    }

    async fn a_resolved_handoff_leaves_the_dashboard_for_the_history_and_takes_no_more_notes(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice_token, "Flaky DNS in us-east1", "Intermittent NXDOMAIN from the flamingo resolver.").await;
        open(&app, &alice_token, "Still open item", "Nothing yet.").await;
        let alice = signed_in(&app, "alice").await;
        let (status, location, _) = app.post_form(&alice, &format!("/handoffs/{id}/resolve"), &[("body", "Resolver replaced; no errors for 2h.")]).await;
        assert_eq!(status, 303);
        assert_eq!(location, Some(format!("/handoffs/{id}")));

        let (_, html) = app.page(&alice, &format!("/handoffs/{id}")).await;
        assert!(html.contains("Resolved</span>"));
        assert!(html.contains("resolved it"));
        assert!(!html.contains(&format!("action=\"/handoffs/{id}/notes\"")), "a resolved handoff still has a note form");
        assert!(!html.contains(&format!("action=\"/handoffs/{id}/resolve\"")));

        let (_, dashboard) = app.page(&alice, "/").await;
        assert!(!dashboard.contains("Flaky DNS in us-east1"), "a resolved handoff is still on the dashboard");
        assert!(dashboard.contains("Still open item"));

        let (status, history) = app.page(&alice, "/handoffs?status=resolved").await;
        assert_eq!(status, 200);
        assert!(history.contains("<h1>History</h1>"));
        assert!(history.contains("Flaky DNS in us-east1"));
        assert!(!history.contains("Still open item"));

        let (status, found) = app.page(&alice, "/handoffs?status=resolved&q=FLAMINGO").await;
        assert_eq!(status, 200);
        assert_eq!(cards(&found).len(), 1, "a word of a note does not find the handoff");
        assert!(found.contains("Flaky DNS in us-east1"));
        let (_, none) = app.page(&alice, "/handoffs?status=resolved&q=pelican").await;
        assert!(cards(&none).is_empty());
        assert!(none.contains("No handoffs match."));
    }

    async fn an_invalid_issue_filter_is_refused_with_its_message(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        open(&app, &alice_token, "Flaky DNS in us-east1", "Intermittent NXDOMAIN.").await;
        let browser = signed_in(&app, "alice").await;
        let (status, html) = app.page(&browser, "/handoffs?status=resolved&issue=https%3A%2F%2Fgitlab.example.com%2Fa%2Fb%2F-%2Fissues%2F1").await;
        assert_eq!(status, 422);
        let message = error_beside(&html, "id=\"f-issue\" name=\"issue\"", "f-issue-error");
        assert!(message.contains("not an issue on gitlab.com"), "{message}");
        assert!(html.contains("value=\"https://gitlab.example.com/a/b/-/issues/1\""), "the filter value was not kept");
    }

    async fn a_shift_that_ends_before_it_starts_comes_back_with_the_error_and_the_values_kept(app) {
        app.alice_bob_carol();
        let alice = signed_in(&app, "alice").await;
        let form = [("username", "bob"), ("role", "EOC"), ("starts_at", "2026-11-29T16:00"), ("ends_at", "2026-11-29T08:00")];
        let (status, _, html) = app.post_form(&alice, "/shifts", &form).await;
        assert_eq!(status, 422);
        assert_eq!(error_beside(&html, "id=\"s-end\" name=\"ends_at\"", "ends_at-error"), "a shift must end after it starts");
        assert!(html.contains("<option value=\"bob\" selected>"));
        assert!(html.contains("name=\"role\" value=\"EOC\""));
        assert!(html.contains("name=\"starts_at\" type=\"datetime-local\" step=\"1\" value=\"2026-11-29T16:00\""));
        assert!(html.contains("name=\"ends_at\" type=\"datetime-local\" step=\"1\" value=\"2026-11-29T08:00\""));
    }

    async fn a_shift_is_added_in_the_users_zone_listed_with_utc_beside_and_can_be_edited_and_deleted(app) {
        app.alice_bob_carol();
        let alice = signed_in(&app, "alice").await;
        let form = [("username", "bob"), ("role", "EOC"), ("starts_at", "2026-11-29T08:00"), ("ends_at", "2026-11-29T16:00")];
        let (status, location, html) = app.post_form(&alice, "/shifts", &form).await;
        assert_eq!(status, 303, "{html}");
        let location = location.unwrap();
        assert!(location.starts_with("/shifts?week=2026-11-29&saved="), "{location}");
        let (_, html) = app.page(&alice, &location).await;
        assert!(html.contains("Saved the EOC shift of bob: <time datetime=\"2026-11-29T07:00:00Z\">Sun 29 Nov 08:00 CET</time> to <time datetime=\"2026-11-29T15:00:00Z\">Sun 29 Nov 16:00 CET</time>, times read in Europe/Amsterdam."), "{html}");

        let (status, html) = app.page(&alice, "/shifts?week=2026-11-29").await;
        assert_eq!(status, 200);
        assert!(html.contains("bob <span class=\"muted\">(Asia/Tokyo)</span>"));
        // 08:00 in Amsterdam (CET, UTC+1) is 07:00 UTC.
        assert!(html.contains("<time datetime=\"2026-11-29T07:00:00Z\">Sun 29 Nov 08:00 CET</time> · <span class=\"muted\">07:00 UTC</span>"), "{html}");
        assert!(html.contains("<time datetime=\"2026-11-29T15:00:00Z\">Sun 29 Nov 16:00 CET</time> · <span class=\"muted\">15:00 UTC</span>"));
        assert!(html.contains("<td data-label=\"Length\">8h 00m</td>"));

        let marker = "href=\"/shifts/";
        let at = html.find(marker).expect("an edit link") + marker.len();
        let shift_id = html[at..].split('/').next().unwrap().to_owned();
        let (status, edit) = app.page(&alice, &format!("/shifts/{shift_id}/edit")).await;
        assert_eq!(status, 200);
        assert!(edit.contains("value=\"2026-11-29T08:00:00\""), "the edit form is not in alice's zone");

        let changed = [("username", "bob"), ("role", "IMOC"), ("starts_at", "2026-11-29T08:00"), ("ends_at", "2026-11-29T18:30")];
        let (status, location, _) = app.post_form(&alice, &format!("/shifts/{shift_id}"), &changed).await;
        assert_eq!(status, 303);
        assert_eq!(location, Some(format!("/shifts?week=2026-11-29&saved={shift_id}")));
        let (_, html) = app.page(&alice, "/shifts?week=2026-11-29").await;
        assert!(html.contains("<th scope=\"row\">IMOC"));
        assert!(html.contains("Sun 29 Nov 18:30 CET</time> · <span class=\"muted\">17:30 UTC</span>"));
        assert!(!html.contains("Sun 29 Nov 16:00 CET"));

        let (status, location, _) = app.post_form(&alice, &format!("/shifts/{shift_id}/delete"), &[]).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/shifts"));
        let (_, html) = app.page(&alice, "/shifts?week=2026-11-29").await;
        assert!(html.contains("No shifts this week."));
    }

    async fn a_shift_added_just_after_midnight_local_time_is_on_the_week_the_form_sends_you_to(app) {
        app.alice_bob_carol();
        let alice = signed_in(&app, "alice").await;
        // Monday 00:30 in Amsterdam is still Sunday 23:30 in UTC.
        let form = [("username", "bob"), ("role", "EOC"), ("starts_at", "2026-11-30T00:30"), ("ends_at", "2026-11-30T08:00")];
        let (status, location, _) = app.post_form(&alice, "/shifts", &form).await;
        assert_eq!(status, 303);
        let location = location.unwrap();
        let (_, html) = app.page(&alice, &location).await;
        let table = html.split_once("<table class=\"shifts").map(|(_, t)| t).unwrap_or("");
        assert!(
            table.contains("Mon 30 Nov 00:30 CET"),
            "after adding a shift, {location} does not show it (it shows the week before)"
        );
    }

    async fn a_shift_edit_form_saved_unchanged_changes_nothing_in_a_repeated_hour_with_seconds(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        app.add_user("nora", "America/New_York", "responder");
        let nora = signed_in(&app, "nora").await;
        // New York repeats 01:00–02:00 on 1 November 2026: 05:30:15Z is the
        // first 01:30:15 (EDT), 06:30:15Z the second (EST).
        let cases = [
            ("EOC", "2026-11-01T06:30:15Z", "2026-11-01T14:00:45Z", Some(("-05:00", "01:30:15 EST (UTC\u{2212}05:00), the second"))),
            ("IMOC", "2026-11-01T05:30:15Z", "2026-11-01T06:45:59Z", Some(("-04:00", "01:30:15 EDT (UTC\u{2212}04:00), the first"))),
            ("CMOC", "2026-11-02T13:14:15Z", "2026-11-02T21:00:01Z", None),
        ];
        for (role, starts, ends, repeated) in cases {
            let shift = json!({"username": "bob", "role": role, "starts_at": starts, "ends_at": ends});
            let (status, created) = app.send_json(Method::POST, "/api/v1/shifts", &alice_token, &shift).await;
            assert_eq!(status, 201, "{created}");
            let id = created["id"].as_str().unwrap().to_owned();

            let (status, edit) = app.page(&nora, &format!("/shifts/{id}/edit")).await;
            assert_eq!(status, 200);
            let (action, fields) = shown_form(&edit, &format!("/shifts/{id}"));
            let value = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            assert_eq!(value("tz").as_deref(), Some("America/New_York"), "{role}");
            match repeated {
                Some((offset, label)) => {
                    assert_eq!(value("starts_at").as_deref(), Some("2026-11-01T01:30:15"), "{role}");
                    assert_eq!(value("starts_offset").as_deref(), Some(offset), "{role}: the reading shown is not the stored one");
                    assert!(edit.contains(label), "{role}: {label:?} is not offered");
                    assert!(edit.contains("01:30:15 EDT (UTC\u{2212}04:00), the first") && edit.contains("01:30:15 EST (UTC\u{2212}05:00), the second"), "{role}: both readings are not offered");
                }
                None => {
                    assert_eq!(value("starts_at").as_deref(), Some("2026-11-02T08:14:15"), "{role}");
                    assert_eq!(value("starts_offset"), None, "{role}: a time that happens once offers a choice");
                }
            }

            let (status, location, html) = post_pairs(&app, &nora, &action, &fields).await;
            assert_eq!(status, 303, "{role}: {html}");
            let saved = api_shift(&app, &alice_token, &id, "2026-10-30T00:00:00Z", "2026-11-05T00:00:00Z").await;
            assert_eq!((saved["starts_at"].as_str(), saved["ends_at"].as_str()), (Some(starts), Some(ends)), "{role}: saving unchanged moved the shift");
            assert_eq!(saved["role"], role);

            let location = location.unwrap();
            assert!(location.contains(&format!("saved={id}")), "{location}");
            let (_, page) = app.page(&nora, &location).await;
            assert!(page.contains("times read in America/New_York."), "{role}: the confirmation does not name the zone");
            if let Some((_, label)) = repeated {
                assert!(page.contains(&format!("It starts at a time that happens twice in America/New_York (the clocks go back): {label}")), "{role}: {page}");
            }
        }

        // Choosing the other reading on the form moves the shift by the hour.
        let (_, created) = app.get_json("/api/v1/shifts?from=2026-11-01T06:00:00Z&to=2026-11-01T07:00:00Z", &alice_token).await;
        let eoc = created["shifts"].as_array().unwrap().iter().find(|s| s["role"] == "EOC").unwrap()["id"].as_str().unwrap().to_owned();
        let (_, edit) = app.page(&nora, &format!("/shifts/{eoc}/edit")).await;
        let (action, mut fields) = shown_form(&edit, &format!("/shifts/{eoc}"));
        for (k, v) in fields.iter_mut() {
            if k == "starts_offset" {
                *v = "-04:00".into();
            }
        }
        let (status, _, _) = post_pairs(&app, &nora, &action, &fields).await;
        assert_eq!(status, 303);
        let saved = api_shift(&app, &alice_token, &eoc, "2026-10-30T00:00:00Z", "2026-11-05T00:00:00Z").await;
        assert_eq!(saved["starts_at"], "2026-11-01T05:30:15Z");

        // A time the clocks skip is refused beside the field.
        let (_, edit) = app.page(&nora, &format!("/shifts/{eoc}/edit")).await;
        let (action, mut fields) = shown_form(&edit, &format!("/shifts/{eoc}"));
        for (k, v) in fields.iter_mut() {
            if k == "starts_at" {
                *v = "2026-03-08T02:30:00".into();
            }
        }
        let (status, _, html) = post_pairs(&app, &nora, &action, &fields).await;
        assert_eq!(status, 422);
        let message = error_beside(&html, "id=\"s-start\" name=\"starts_at\"", "starts_at-error");
        assert!(message.contains("does not exist in America/New_York: the clocks go from 02:00 EST to 03:00 EDT"), "{message}");
    }

    async fn a_time_typed_on_a_page_shown_with_tz_is_read_in_that_zone_and_the_confirmation_says_so(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        // alice's profile is in Amsterdam; she looks at the shifts in Tokyo.
        let alice = signed_in(&app, "alice").await;
        let (status, html) = app.page(&alice, "/shifts?week=2026-12-07&tz=Asia/Tokyo").await;
        assert_eq!(status, 200);
        assert!(html.contains("Starts (Asia/Tokyo)"), "the form does not say its zone");
        let (action, mut fields) = shown_form(&html, "/shifts?");
        assert_eq!(action, "/shifts?tz=Asia%2FTokyo");
        assert!(fields.contains(&("tz".to_owned(), "Asia/Tokyo".to_owned())), "{fields:?}");
        assert!(html.contains("?week=2026-11-30&amp;tz=Asia%2FTokyo") || html.contains("?week=2026-11-30&#38;tz=Asia%2FTokyo"), "the week links lose the zone");
        for (k, v) in fields.iter_mut() {
            match k.as_str() {
                "username" => *v = "bob".into(),
                "role" => *v = "EOC".into(),
                "starts_at" => *v = "2026-12-07T09:00".into(),
                "ends_at" => *v = "2026-12-07T17:00".into(),
                _ => {}
            }
        }
        let (status, location, html) = post_pairs(&app, &alice, &action, &fields).await;
        assert_eq!(status, 303, "{html}");
        let location = location.unwrap();
        assert!(location.starts_with("/shifts?week=2026-12-07&saved="), "{location}");
        assert!(location.ends_with("&tz=Asia%2FTokyo"), "the redirect forgets the zone: {location}");
        let id = location.split("saved=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let saved = api_shift(&app, &alice_token, &id, "2026-12-06T00:00:00Z", "2026-12-08T00:00:00Z").await;
        // 09:00 in Tokyo (UTC+9), not 09:00 in Amsterdam (08:00Z).
        assert_eq!(saved["starts_at"], "2026-12-07T00:00:00Z");
        assert_eq!(saved["ends_at"], "2026-12-07T08:00:00Z");
        let (_, page) = app.page(&alice, &location).await;
        assert!(page.contains("<time datetime=\"2026-12-07T00:00:00Z\">Mon 07 Dec 09:00 JST</time> to <time datetime=\"2026-12-07T08:00:00Z\">Mon 07 Dec 17:00 JST</time>, times read in Asia/Tokyo."), "{page}");
        assert_times_in(&page, "Asia/Tokyo", &["JST"]);

        // The edit form of a page in Tokyo is in Tokyo, and says so when saved.
        let (_, edit) = app.page(&alice, &format!("/shifts/{id}/edit?tz=Asia/Tokyo")).await;
        let (action, mut fields) = shown_form(&edit, &format!("/shifts/{id}"));
        assert_eq!(action, format!("/shifts/{id}?tz=Asia%2FTokyo"));
        for (k, v) in fields.iter_mut() {
            if k == "ends_at" {
                *v = "2026-12-07T18:00:00".into();
            }
        }
        let (status, location, _) = post_pairs(&app, &alice, &action, &fields).await;
        assert_eq!(status, 303);
        let saved = api_shift(&app, &alice_token, &id, "2026-12-06T00:00:00Z", "2026-12-08T00:00:00Z").await;
        assert_eq!((saved["starts_at"].as_str(), saved["ends_at"].as_str()), (Some("2026-12-07T00:00:00Z"), Some("2026-12-07T09:00:00Z")));
        assert!(location.unwrap().ends_with("&tz=Asia%2FTokyo"));

        // The hidden field alone is enough (the zone the form was shown in
        // wins over the profile's), and without either the profile's zone reads it.
        let form = [("tz", "Asia/Tokyo"), ("username", "bob"), ("role", "IMOC"), ("starts_at", "2026-12-08T09:00:00"), ("ends_at", "2026-12-08T10:00:00")];
        let (status, location, _) = app.post_form(&alice, "/shifts", &form).await;
        assert_eq!(status, 303);
        assert!(location.unwrap().ends_with("&tz=Asia%2FTokyo"));
        let form = [("username", "bob"), ("role", "CMOC"), ("starts_at", "2026-12-08T09:00"), ("ends_at", "2026-12-08T10:00")];
        let (status, location, _) = app.post_form(&alice, "/shifts", &form).await;
        assert_eq!(status, 303);
        let location = location.unwrap();
        assert!(!location.contains("tz="), "{location}");
        let (_, page) = app.page(&alice, &location).await;
        assert!(page.contains("Tue 08 Dec 09:00 CET</time> to"), "{page}");
        assert!(page.contains("times read in Europe/Amsterdam."));
        let (_, all) = app.get_json("/api/v1/shifts?from=2026-12-08T00:00:00Z&to=2026-12-09T00:00:00Z", &alice_token).await;
        let starts: Vec<&str> = all["shifts"].as_array().unwrap().iter().map(|s| s["starts_at"].as_str().unwrap()).collect();
        assert_eq!(starts, ["2026-12-08T00:00:00Z", "2026-12-08T08:00:00Z"]);

        // A zone named in the hidden field that does not exist is a 422.
        let form = [("tz", "Mars/Olympus"), ("username", "bob"), ("role", "EOC"), ("starts_at", "2026-12-09T09:00"), ("ends_at", "2026-12-09T10:00")];
        let (status, _, html) = app.post_form(&alice, "/shifts", &form).await;
        assert_eq!(status, 422);
        assert!(html.contains("Mars/Olympus"));

        // Other forms of a page in a chosen zone carry it too, and so do
        // the redirects after them.
        let h = open(&app, &alice_token, "Disk full", "Disk at 91%.").await;
        let (_, page) = app.page(&alice, &format!("/handoffs/{h}?tz=Asia/Tokyo")).await;
        let (action, mut fields) = shown_form(&page, &format!("/handoffs/{h}/notes?"));
        assert_eq!(action, format!("/handoffs/{h}/notes?tz=Asia%2FTokyo"));
        fields.push(("body".into(), "Now at 93%.".into()));
        let (status, location, _) = post_pairs(&app, &alice, &action, &fields).await;
        assert_eq!(status, 303);
        let location = location.unwrap();
        assert!(location.starts_with(&format!("/handoffs/{h}?tz=Asia%2FTokyo#note-")), "{location}");
    }

    async fn the_shift_week_is_seven_local_days_when_the_clocks_change(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        app.add_user("nora", "America/New_York", "responder");
        let nora = signed_in(&app, "nora").await;
        let add = |role: &'static str, starts: &'static str, ends: &'static str| {
            let shift = json!({"username": "bob", "role": role, "starts_at": starts, "ends_at": ends});
            let app = &app;
            let token = alice_token.clone();
            async move {
                let (status, body) = app.send_json(Method::POST, "/api/v1/shifts", &token, &shift).await;
                assert_eq!(status, 201, "{body}");
            }
        };
        // Fall back: Sunday 1 November has 25 hours in New York. A shift at
        // Sunday 23:30 EST is in that week (Mon 26 Oct 00:00 EDT + 168 h is
        // Sunday 23:00 EST); Monday 00:30 EST is in the next.
        add("SUN-LATE", "2026-11-02T04:30:00Z", "2026-11-02T04:50:00Z").await;
        add("MON-EARLY", "2026-11-02T05:30:00Z", "2026-11-02T06:00:00Z").await;
        // Spring forward: Sunday 8 March has 23 hours. Monday 9 March 00:30
        // EDT is in the week of the 9th only (the old + 168 h listed it twice).
        add("SPRING-SUN", "2026-03-09T03:30:00Z", "2026-03-09T03:50:00Z").await;
        add("SPRING-MON", "2026-03-09T04:30:00Z", "2026-03-09T05:00:00Z").await;

        let (_, html) = app.page(&nora, "/shifts?week=2026-10-28").await;
        let table = shift_table(&html);
        assert!(table.contains("SUN-LATE") && table.contains("Sun 01 Nov 23:30 EST"), "the last hour of Sunday fell out: {table}");
        assert!(!table.contains("MON-EARLY"), "{table}");
        assert!(html.contains("from <time datetime=\"2026-10-26T04:00:00Z\">Mon 26 Oct 00:00 EDT</time> to <time datetime=\"2026-11-02T05:00:00Z\">Mon 02 Nov 00:00 EST</time> (169 hours)"), "{html}");
        assert!(html.contains("Week of Mon 26 Oct 2026"));
        let (_, html) = app.page(&nora, "/shifts?week=2026-11-02").await;
        let table = shift_table(&html);
        assert!(table.contains("MON-EARLY") && !table.contains("SUN-LATE"), "{table}");

        let (_, html) = app.page(&nora, "/shifts?week=2026-03-02").await;
        let table = shift_table(&html);
        assert!(table.contains("SPRING-SUN") && table.contains("Sun 08 Mar 23:30 EDT"), "{table}");
        assert!(!table.contains("SPRING-MON"), "Monday 00:30 of the next week is listed in this one: {table}");
        assert!(html.contains("to <time datetime=\"2026-03-09T04:00:00Z\">Mon 09 Mar 00:00 EDT</time> (167 hours)"), "{html}");
        let (_, html) = app.page(&nora, "/shifts?week=2026-03-09").await;
        let table = shift_table(&html);
        assert!(table.contains("SPRING-MON") && !table.contains("SPRING-SUN"), "{table}");

        // Seen from Tokyo (no daylight saving), the same week is 168 hours.
        let (_, html) = app.page(&nora, "/shifts?week=2026-10-28&tz=Asia/Tokyo").await;
        assert!(html.contains("(168 hours)"));
        let (status, html) = app.page(&nora, "/shifts?week=2026-02-30").await;
        assert_eq!(status, 422);
        assert!(html.contains("2026-02-30"));
        for edge in ["9999-12-31", "0001-01-01"] {
            let (status, _) = app.page(&nora, &format!("/shifts?week={edge}&tz=Pacific/Kiritimati")).await;
            assert_eq!(status, 200, "{edge}");
        }
    }

    async fn the_time_zone_rules_version_is_on_healthz_every_page_and_the_scripts_rules(app) {
        app.alice_bob_carol();
        let res = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        assert!(body.starts_with("ok\n"), "{body:?}");
        let version = body.lines().nth(1).and_then(|l| l.strip_prefix("tzdata ")).unwrap_or_else(|| panic!("{body:?}"));
        assert!(version >= "2026f" && version.len() == 5, "{version}");
        assert_eq!(version, baton::domain::time::TZDATA_VERSION);

        let alice = signed_in(&app, "alice").await;
        let (_, html) = app.page(&alice, "/").await;
        assert!(html.contains(&format!("Time zone rules: tzdata {version}.")));
        assert!(html.contains(&format!("data-tzdata=\"{version}\"")));

        // The script's rules: Vancouver stays on UTC−7 after 1 November 2026.
        let res = reqwest::get(app.url(&format!("/tzdata?zone=America/Vancouver&v={version}"))).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
        let rules: Value = res.json().await.unwrap();
        assert_eq!(rules["zone"], "America/Vancouver");
        assert_eq!(rules["tzdata"], version);
        let changes = rules["changes"].as_array().unwrap();
        let nov_2026 = 1_793_523_600; // 2026-11-01T09:00:00Z
        let change = changes.iter().find(|c| c[0] == nov_2026).expect("the change of 1 November 2026");
        assert_eq!(change[1], -7 * 3600);
        assert_eq!(change[2], "MST");
        assert!(changes.iter().all(|c| c[0].as_i64().unwrap() <= nov_2026 || c[1] == -7 * 3600), "Vancouver changes offset after 2026");
        let res = reqwest::get(app.url("/tzdata?zone=Mars/Olympus")).await.unwrap();
        assert_eq!(res.status(), 422);
    }

    async fn the_dashboard_shows_who_is_on_call_now_in_their_own_time(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let shift = json!({"username": "bob", "role": "EOC", "starts_at": from_now(-60), "ends_at": from_now(7 * 60)});
        let (status, body) = app.send_json(Method::POST, "/api/v1/shifts", &alice_token, &shift).await;
        assert_eq!(status, 201, "{body}");
        let later = json!({"username": "alice", "role": "EOC", "starts_at": from_now(7 * 60), "ends_at": from_now(15 * 60)});
        let (status, _) = app.send_json(Method::POST, "/api/v1/shifts", &alice_token, &later).await;
        assert_eq!(status, 201);

        let alice = signed_in(&app, "alice").await;
        let (status, html) = app.page(&alice, "/").await;
        assert_eq!(status, 200);
        let table = html.split_once("<table class=\"oncall\">").expect("an on-call table").1;
        let row = table.split_once("</tr>").unwrap().1.split_once("</tr>").unwrap().0;
        assert!(row.contains("<th scope=\"row\">EOC</th>"), "{row}");
        assert!(row.contains("<strong>bob</strong>"), "bob is not on call now: {row}");
        assert!(row.contains("(Asia/Tokyo)"), "bob's zone is not beside him: {row}");
        let tokyo = common::clocks_now("Asia/Tokyo");
        assert!(
            tokyo.iter().any(|c| row.contains(c.as_str())),
            "bob's local time now is not shown: {row}"
        );
        assert!(row.contains("alice from <time"), "the next shift is not shown: {row}");
        assert!(!html.contains("class=\"chip"), "the dashboard repeats its table in the strip");
        assert_times_in(&html, "Europe/Amsterdam", &["CET", "CEST"]);
        let (_, html) = app.page(&alice, "/handoffs").await;
        assert!(html.contains("<span class=\"chip\"><strong>EOC</strong> bob until <time"));
        assert!(!html.contains("Nobody is on call now"));
    }

    async fn a_profile_with_an_unknown_zone_is_refused_and_a_valid_zone_changes_the_times_shown(app) {
        app.alice_bob_carol();
        let alice = signed_in(&app, "alice").await;
        let (status, html) = app.page(&alice, "/me").await;
        assert_eq!(status, 200);
        assert!(html.contains("name=\"timezone\" value=\"Europe/Amsterdam\""));

        let (status, _, html) = app.post_form(&alice, "/me", &[("name", "Alice A."), ("timezone", "Mars/Olympus")]).await;
        assert_eq!(status, 422);
        let message = error_beside(&html, "id=\"timezone\" name=\"timezone\"", "timezone-error");
        assert!(message.contains("Mars/Olympus"), "{message}");
        assert!(html.contains("name=\"timezone\" value=\"Mars/Olympus\""), "the typed zone was not kept");
        assert!(html.contains("name=\"name\" value=\"Alice A.\""), "the typed name was not kept");
        let (_, html) = app.page(&alice, "/me").await;
        assert!(html.contains("name=\"timezone\" value=\"Europe/Amsterdam\""), "the zone changed after a refused form");

        let (status, location, _) = app.post_form(&alice, "/me", &[("name", "Alice A."), ("timezone", "America/New_York")]).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/me"));
        let (_, html) = app.page(&alice, "/me").await;
        assert!(html.contains("name=\"timezone\" value=\"America/New_York\""));
        assert!(html.contains("name=\"name\" value=\"Alice A.\""));
        assert!(html.contains("Times in America/New_York."));
        assert_times_in(&html, "America/New_York", &["EST", "EDT"]);
    }

    async fn unknown_pages_are_404_pages_and_a_bad_zone_parameter_is_422(app) {
        app.alice_bob_carol();
        let browser = signed_in(&app, "alice").await;
        let res = browser.get(app.url("/no/such/page")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        assert!(html.contains("<h1>404 Not Found</h1>"));
        assert!(html.contains("href=\"/\""), "no way back to the dashboard");

        let (status, html) = app.page(&browser, "/handoffs/not-a-uuid").await;
        assert_eq!(status, 404);
        assert!(html.contains("<h1>404 Not Found</h1>"));
        let (status, _) = app.page(&browser, &format!("/handoffs/{}", uuid::Uuid::now_v7())).await;
        assert_eq!(status, 404);

        let (status, html) = app.page(&browser, "/?tz=Mars/X").await;
        assert_eq!(status, 422);
        assert!(html.contains("Mars/X"), "{html}");
        let (status, html) = app.page(&browser, "/?tz=Asia/Tokyo").await;
        assert_eq!(status, 200);
        assert!(html.contains("Times in Asia/Tokyo."));
        assert_times_in(&html, "Asia/Tokyo", &["JST"]);
    }

    async fn a_form_posted_without_the_session_token_is_refused_and_changes_nothing(app) {
        let (alice_token, _, _) = app.alice_bob_carol();
        let alice = common::browser();
        app.sign_in(&alice, "alice").await;
        // A cross-site page can make alice's browser post, but cannot read her token.
        let forged = [("kind", "outage"), ("title", "Forged"), ("severity", "1"), ("body", "x")];
        let res = alice.post(app.url("/handoffs")).form(&forged).send().await.unwrap();
        assert_eq!(res.status(), 403);
        let (status, _, _) = app
            .post_form(&alice, "/handoffs", &[("csrf", "not-the-token"), ("kind", "outage"), ("title", "Forged"), ("severity", "1"), ("body", "x")])
            .await;
        assert_eq!(status, 403);
        let (_, list) = app.get_json("/api/v1/handoffs?status=all", &alice_token).await;
        assert_eq!(list["handoffs"].as_array().unwrap().len(), 0, "nothing was created");
        // Another browser's token does not fit alice's session either.
        let other = common::browser();
        let foreign = app.csrf_token(&other).await;
        let res = alice
            .post(app.url("/logout"))
            .form(&[("csrf", foreign.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }

    async fn a_permalink_posted_in_chat_unfurls_with_kind_severity_title_holder_and_newest_note(app) {
        let app = common::TestApp::spawn_with(app.backend, &[("BATON_PUBLIC_READ", "1"), ("BATON_PUBLIC_URL", "https://baton.example.com")]).await.unwrap();
        let (alice, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice, "Replica lag on db-main-02", "Lag at 40s and growing.").await;
        let (status, _) = app
            .send_json(Method::POST, &format!("/api/v1/handoffs/{id}/notes"), &alice,
                &json!({"body": "\n**Failover** to db-main-03 \"done\" <b>now</b>\nSecond line stays out.", "pass_to": "bob"}))
            .await;
        assert_eq!(status, 201);

        let (status, landed, html) = unfurl(&app, &format!("/handoffs/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(landed, format!("/handoffs/{id}"));
        assert_eq!(meta(&html, "og:title").as_deref(), Some("Outage, severity 2: Replica lag on db-main-02"));
        assert_eq!(meta(&html, "twitter:title"), meta(&html, "og:title"));
        assert_eq!(meta(&html, "og:site_name").as_deref(), Some("Baton"));
        assert_eq!(meta(&html, "twitter:card").as_deref(), Some("summary"));
        assert_eq!(meta(&html, "og:url"), Some(format!("https://baton.example.com/handoffs/{id}")), "og:url is not the configured public permalink");
        let description = meta(&html, "og:description").expect("og:description");
        assert!(description.starts_with("Held by alice, waiting "), "{description}");
        assert!(description.contains(" for bob to acknowledge."), "{description}");
        assert!(description.ends_with("Newest note: Failover to db-main-03 \"done\" now"), "{description}");
        assert_eq!(meta(&html, "twitter:description").as_deref(), Some(description.as_str()));
    }

    async fn with_public_read_off_a_permalink_unfurls_only_as_baton_handoff(app) {
        // Sign-in with GitLab configured (never reached here): not local
        // mode, so signed-out visitors may not read.
        let gitlab = [
            ("BATON_GITLAB_URL", "http://127.0.0.1:9"),
            ("BATON_GITLAB_CLIENT_ID", "baton-test"),
            ("BATON_GITLAB_CLIENT_SECRET", "baton-test-secret"),
            ("BATON_GITLAB_ALLOWED_GROUPS", "gitlab-com/gl-infra"),
        ];
        let app = common::TestApp::spawn_with(app.backend, &gitlab).await.unwrap();
        let (alice, _, _) = app.alice_bob_carol();
        let id = open(&app, &alice, "Replica lag on db-main-02", "Lag at 40s and growing.").await;
        let (status, landed, html) = unfurl(&app, &format!("/handoffs/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(landed, "/login", "the chat service was not sent to sign in");
        assert_unfurls_generically(&app.address, &html, &id, &["Replica lag", "Lag at 40s", "alice", "Outage", "severity"]);
        assert!(!html.contains("Replica lag") && !html.contains("Lag at 40s"));

        // The sign-in page for anything but a handoff has no preview at all.
        let (_, _, html) = unfurl(&app, "/shifts").await;
        assert_eq!(meta(&html, "og:title"), None);
        let (_, _, html) = unfurl(&app, "/handoffs/new").await;
        assert_eq!(meta(&html, "og:title"), None);
    }

    async fn a_confidential_handoff_unfurls_only_as_baton_handoff_even_with_public_read_and_to_its_readers(app) {
        let app = common::TestApp::spawn_with(app.backend, &[("BATON_PUBLIC_READ", "1")]).await.unwrap();
        let (alice, _, _) = app.alice_bob_carol();
        let secret = app
            .create_handoff(&alice, json!({
                "kind": "perceived_data_loss", "title": "Customer exports leaked?", "severity": 1,
                "confidential": true, "note": {"body": "Do not discuss outside the incident."}
            }))
            .await;
        let id = secret["id"].as_str().unwrap().to_owned();
        let secrets = ["Customer exports", "Do not discuss", "Data loss", "severity", "alice"];

        let (status, landed, html) = unfurl(&app, &format!("/handoffs/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(landed, "/login", "a signed-out fetch of a confidential handoff is not sent to sign in");
        assert_unfurls_generically(&app.address, &html, &id, &secrets);
        assert!(!html.contains("Customer exports") && !html.contains("Do not discuss"));

        // Signed in, the page shows it, but its preview still says nothing
        // (a chat client may unfurl with its user's cookies).
        let reader = signed_in(&app, "bob").await;
        let (status, html) = app.page(&reader, &format!("/handoffs/{id}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("<h1>Customer exports leaked?</h1>"));
        assert_unfurls_generically(&app.address, &html, &id, &["Customer exports", "Do not discuss", "Data loss", "severity"]);

        // Made non-confidential, the same permalink unfurls with its content.
        let (status, _) = app
            .send_json(Method::PATCH, &format!("/api/v1/handoffs/{id}"), &alice, &json!({"version": secret["version"], "confidential": false}))
            .await;
        assert_eq!(status, 200);
        let (status, _, html) = unfurl(&app, &format!("/handoffs/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(meta(&html, "og:title").as_deref(), Some("Data loss?, severity 1: Customer exports leaked?"));
    }

    async fn pages_link_the_stylesheet_and_script_by_versioned_addresses_kept_for_a_year(app) {
        let (_, login) = app.page(&common::browser(), "/login").await;
        for (asset, kind) in [(baton::web::assets::css_url(), "text/css"), (baton::web::assets::js_url(), "text/javascript")] {
            let (path, version) = asset.split_once("?v=").expect("a versioned address");
            assert_eq!(version.len(), 12, "{asset}");
            assert!(login.contains(&format!("\"{asset}\"")), "the page does not link {asset}");
            let res = common::browser().get(app.url(asset)).send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert!(res.headers()["content-type"].to_str().unwrap().starts_with(kind));
            assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
            let etag = res.headers()["etag"].to_str().unwrap().to_owned();
            let plain = res.text().await.unwrap();

            // Held already: 304. Gzip: the same file. Unversioned: an hour only.
            let held = common::browser().get(app.url(asset)).header("if-none-match", &etag).send().await.unwrap();
            assert_eq!(held.status(), 304);
            let gz = common::browser().get(app.url(asset)).header("accept-encoding", "gzip").send().await.unwrap();
            assert_eq!(gz.headers()["content-encoding"], "gzip");
            let mut unzipped = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..]), &mut unzipped).unwrap();
            assert_eq!(unzipped, plain);
            let old = common::browser().get(app.url(&format!("{path}?v=000000000000"))).send().await.unwrap();
            assert_eq!(old.headers()["cache-control"], "public, max-age=3600");
        }
    }

    async fn head_answers_pages_and_checks_like_get_without_a_body(app) {
        app.alice_bob_carol();
        for path in ["/healthz", "/readyz", "/login", "/"] {
            let get = common::browser().get(app.url(path)).send().await.unwrap();
            let head = common::browser().head(app.url(path)).send().await.unwrap();
            assert_eq!(head.status(), get.status(), "HEAD {path}");
            assert_eq!(head.headers()["content-type"], get.headers()["content-type"], "HEAD {path}");
            assert!(head.text().await.unwrap().is_empty(), "HEAD {path} sent a body");
        }
        // Access rules hold for HEAD as for GET.
        let head = common::browser().head(app.url("/me")).send().await.unwrap();
        assert_eq!(head.status(), 303);
    }

    async fn the_enhancement_script_is_served_from_static_to_anyone(app) {
        let res = common::browser().get(app.url("/static/baton.js")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/javascript; charset=utf-8");
        assert!(res.text().await.unwrap().contains("window.batonRefresh"));
    }

    async fn a_page_read_again_is_answered_from_what_was_kept_until_a_write_changes_it(app) {
        let (alice, _, _) = app.alice_bob_carol();
        open(&app, &alice, "Cache warm-up", "first").await;
        let browser = signed_in(&app, "alice").await;
        // A page is kept the second time its caller asks for it; the first
        // answer carries its ETag all the same.
        let look = browser.get(app.url("/")).send().await.unwrap();
        assert_eq!(look.status(), 200);
        assert!(look.headers().contains_key("etag"));
        let first = browser.get(app.url("/")).send().await.unwrap();
        assert_eq!(first.status(), 200);
        assert_eq!(first.headers()["cache-control"], "private, no-cache");
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let body = first.text().await.unwrap();

        // Read again: the same page; holding it already: 304, nothing sent.
        let (_, again) = app.page(&browser, "/").await;
        assert_eq!(again, body);
        let held = browser.get(app.url("/")).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(held.status(), 304);
        assert!(held.text().await.unwrap().is_empty());

        // Gzip, compressed once, is the same page.
        let gz = browser.get(app.url("/")).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(gz.headers()["content-encoding"], "gzip");
        assert_eq!(gz.headers()["etag"].to_str().unwrap(), etag);
        let mut unzipped = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..]),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped, body);

        // A write through this instance shows at once, and the old copy is stale.
        open(&app, &alice, "Opened after the first read", "second").await;
        let fresh = browser.get(app.url("/")).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(fresh.status(), 200);
        assert!(fresh.text().await.unwrap().contains("Opened after the first read"));
    }

    async fn a_change_made_elsewhere_reaches_kept_pages_and_sessions_within_moments(app) {
        // The test's own connections stand for another instance or a command.
        app.alice_bob_carol();
        let browser = signed_in(&app, "alice").await;
        let (_, html) = app.page(&browser, "/").await;
        assert!(html.contains("href=\"/handoffs/new\""), "a responder may open handoffs");

        let mut conn = app.db.conn().unwrap();
        baton::db::models::users::set_role(&mut conn, &"alice".parse().unwrap(), baton::domain::handoff::Role::Viewer).unwrap();
        let mut seen = false;
        for _ in 0..100 {
            let (_, html) = app.page(&browser, "/").await;
            if !html.contains("href=\"/handoffs/new\"") {
                seen = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(seen, "the role change never reached the page");

        baton::db::models::users::set_active(&mut conn, &"alice".parse().unwrap(), false).unwrap();
        let mut signed_out = false;
        for _ in 0..100 {
            if browser.get(app.url("/me")).send().await.unwrap().status() == 303 {
                signed_out = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(signed_out, "a deactivated user stayed signed in");
    }
}
