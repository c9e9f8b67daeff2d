//! Rotations and the final schedule (issue 14), end to end on both backends.

use chrono::{DateTime, Duration, Timelike, Utc};
use icalendar::Component as _;
use reqwest::Method;
use serde_json::{Value, json};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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

/// The people of a follow-the-sun team: Amsterdam, New York, Sydney.
fn team(app: &crate::common::TestApp) -> String {
    app.add_user("alice", "Europe/Amsterdam", "responder");
    app.add_user("bob", "America/New_York", "responder");
    app.add_user("carol", "Australia/Sydney", "responder");
    app.add_user("dana", "Europe/London", "responder");
    app.token("alice")
}

async fn follow_the_sun(app: &crate::common::TestApp, token: &str) -> Value {
    let (status, made) = app
        .send_json(
            Method::POST,
            "/api/v1/rotations",
            token,
            &json!({
                "name": "EOC around the world", "role": "EOC", "starts_at": "2026-10-19T00:00:00Z",
                "rhythm": "00:00,08:00,16:00", "members": ["alice", "bob", "carol"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    made
}

/// Who `GET /api/v1/oncall?at=` names in EOC, with their local time.
async fn eoc_at(
    app: &crate::common::TestApp,
    token: &str,
    t: DateTime<Utc>,
) -> Vec<(String, String, String)> {
    let (status, body) = app
        .get_json(&format!("/api/v1/oncall?at={}", fmt(t)), token)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["now"], fmt(t));
    body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["role"] == "EOC")
        .flat_map(|r| r["on_call"].as_array().unwrap().clone())
        .map(|o| {
            (
                o["user"]["username"].as_str().unwrap().to_owned(),
                o["user"]["local_time"].as_str().unwrap().to_owned(),
                o["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

backend_tests! {
    async fn forty_instants_over_two_weeks_with_dst_changes_name_the_right_person_and_overrides_win(app) {
        let token = team(&app);
        follow_the_sun(&app, &token).await;
        // Dana covers Monday 26 October 10:00–14:00 UTC (the day after
        // Europe's clocks went back; the US follows on 1 November).
        let (status, cover) = app
            .send_json(Method::POST, "/api/v1/shifts", &token, &json!({
                "username": "dana", "role": "EOC",
                "starts_at": "2026-10-26T10:00:00Z", "ends_at": "2026-10-26T14:00:00Z",
            }))
            .await;
        assert_eq!(status, 201, "{cover}");
        let zones = [("alice", "Europe/Amsterdam"), ("bob", "America/New_York"), ("carol", "Australia/Sydney"), ("dana", "Europe/London")];
        let first = at("2026-10-20T00:00:00Z");
        let mut seen_override = false;
        for i in 0..40 {
            // Every 8 h 17 min: the samples drift through every hand-off.
            let t = first + Duration::minutes(497 * i);
            let expected = if t >= at("2026-10-26T10:00:00Z") && t < at("2026-10-26T14:00:00Z") {
                seen_override = true;
                ("dana", "override")
            } else {
                (["alice", "bob", "carol"][(t.hour() / 8) as usize], "rotation")
            };
            let got = eoc_at(&app, &token, t).await;
            assert_eq!(got.len(), 1, "{t}: {got:?}");
            assert_eq!((got[0].0.as_str(), got[0].2.as_str()), expected, "at {t}");
            let zone = zones.iter().find(|(u, _)| *u == expected.0).unwrap().1;
            assert!(got[0].1.ends_with(&offset(zone, t)), "{t}: {} in {zone}", got[0].1);
        }
        assert!(seen_override);
        // The instants around each DST change, and Sydney's summer time.
        for (t, who, local) in [
            ("2026-10-25T00:59:59Z", "alice", "+02:00"), ("2026-10-25T01:00:00Z", "alice", "+01:00"),
            ("2026-11-01T05:59:59Z", "alice", "+01:00"), ("2026-11-01T08:00:00Z", "bob", "-05:00"),
            ("2026-10-31T12:00:00Z", "bob", "-04:00"), ("2026-10-31T20:00:00Z", "carol", "+11:00"),
            ("2026-10-26T11:00:00Z", "dana", "+00:00"), ("2026-10-26T14:00:00Z", "bob", "-04:00"),
        ] {
            let got = eoc_at(&app, &token, at(t)).await;
            assert_eq!(got[0].0, who, "at {t}");
            assert!(got[0].1.ends_with(local), "at {t}: {}", got[0].1);
        }
        // The shift list marks each kind, and the override cut the derived shift.
        let (status, listed) = app.get_json("/api/v1/shifts?from=2026-10-26T08:00:00Z&to=2026-10-26T16:00:00Z", &token).await;
        assert_eq!(status, 200, "{listed}");
        let shifts: Vec<(String, String, String, String)> = listed["shifts"].as_array().unwrap().iter().map(|s| (
            s["username"].as_str().unwrap().to_owned(), s["source"].as_str().unwrap().to_owned(),
            s["starts_at"].as_str().unwrap().to_owned(), s["ends_at"].as_str().unwrap().to_owned(),
        )).collect();
        assert_eq!(shifts, vec![
            ("bob".into(), "rotation".into(), "2026-10-26T08:00:00Z".into(), "2026-10-26T10:00:00Z".into()),
            ("dana".into(), "override".into(), "2026-10-26T10:00:00Z".into(), "2026-10-26T14:00:00Z".into()),
            ("bob".into(), "rotation".into(), "2026-10-26T14:00:00Z".into(), "2026-10-26T16:00:00Z".into()),
        ]);
        assert_eq!(listed["shifts"][0]["rotation"]["name"], "EOC around the world");
        assert!(listed["shifts"][0]["id"].is_null());
        assert_eq!(listed["shifts"][1]["id"], cover["id"]);
        // The same shift keeps its uid whatever span is asked for.
        let (_, narrow) = app.get_json("/api/v1/shifts?from=2026-10-26T09:00:00Z&to=2026-10-26T09:30:00Z", &token).await;
        assert_eq!(narrow["shifts"][0]["uid"], listed["shifts"][0]["uid"]);
    }

    async fn a_member_change_takes_effect_from_its_instant_and_keeps_the_past(app) {
        let token = team(&app);
        let now = Utc::now();
        let (status, made) = app
            .send_json(Method::POST, "/api/v1/rotations", &token, &json!({
                "name": "EOC weekly", "role": "EOC", "starts_at": fmt(now - Duration::days(10)),
                "rhythm": "1d", "members": ["alice", "bob"],
            }))
            .await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_str().unwrap();
        let before: Vec<_> = futures_who(&app, &token, now - Duration::days(10), 12).await;
        let change = now + Duration::days(1) + Duration::hours(1);
        let (status, changed) = app
            .send_json(Method::PATCH, &format!("/api/v1/rotations/{id}"), &token, &json!({"members": ["carol", "dana"], "from": fmt(change)}))
            .await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(changed["plans"].as_array().unwrap().len(), 2);
        let after: Vec<_> = futures_who(&app, &token, now - Duration::days(10), 12).await;
        // Everything before the change is as it was; from it on, the new members.
        assert_eq!(&after[..11], &before[..11]);
        let (_, later) = app.get_json(&format!("/api/v1/oncall?at={}", fmt(change + Duration::minutes(1))), &token).await;
        let who = later["roles"][0]["on_call"][0]["user"]["username"].as_str().unwrap().to_owned();
        assert!(who == "carol" || who == "dana", "{later}");
        // A change dated in the past is taken as now.
        let (status, again) = app
            .send_json(Method::PATCH, &format!("/api/v1/rotations/{id}"), &token, &json!({"rhythm": "12h", "from": "2020-01-01T00:00:00Z"}))
            .await;
        assert_eq!(status, 200, "{again}");
        let first_plan = &again["plans"][0];
        assert_eq!(first_plan["members"], json!(["alice", "bob"]));
        assert_eq!(first_plan["rhythm"], "1d");
        assert!(at(again["plans"][1]["effective_from"].as_str().unwrap()) >= now - Duration::seconds(5));
        // Delete: gone.
        let res = app.api(Method::DELETE, &format!("/api/v1/rotations/{id}"), &token).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let (status, _) = app.get_json(&format!("/api/v1/rotations/{id}"), &token).await;
        assert_eq!(status, 404);
    }

    async fn bad_rotations_are_422_naming_the_field(app) {
        let token = team(&app);
        let base = json!({"name": "EOC", "role": "EOC", "starts_at": "2026-10-19T00:00:00Z", "rhythm": "12h", "members": ["alice", "bob"]});
        for (field, value, named) in [
            ("members", json!(["alice", "nobody"]), "members[1]"),
            ("members", json!([]), "members"),
            ("members", json!(["alice", "alice"]), "members[1]"),
            ("rhythm", json!("16:00,08:00"), "rhythm"),
            ("rhythm", json!("15d"), "rhythm"),
            ("rhythm", json!("30m"), "rhythm"),
            ("role", json!(""), "role"),
        ] {
            let mut body = base.clone();
            body[field] = value.clone();
            let (status, err) = app.send_json(Method::POST, "/api/v1/rotations", &token, &body).await;
            assert_eq!((status, err["error"]["field"].as_str()), (422, Some(named)), "{field}={value}: {err}");
        }
        let (_, list) = app.get_json("/api/v1/rotations", &token).await;
        assert_eq!(list["rotations"].as_array().unwrap().len(), 0);
    }

    async fn the_rotation_pages_create_edit_and_delete_with_errors_beside_the_fields(app) {
        team(&app);
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, _, html) = app
            .post_form(&browser, "/rotations", &[("name", "EOC"), ("role", "EOC"), ("rhythm", "08:00,00:00"), ("starts_at", "2026-10-19T00:00"), ("members", "alice\nnobody")])
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"rhythm-error\""), "{html}");
        assert!(html.contains("id=\"members-error\"") && html.contains("nobody"), "{html}");
        assert!(html.contains("08:00,00:00"), "the form keeps what was typed");
        let (status, location, _) = app
            .post_form(&browser, "/rotations", &[("name", "EOC sun"), ("role", "EOC"), ("rhythm", "00:00,08:00,16:00"), ("starts_at", "2026-10-19T02:00"), ("members", "alice\nbob\ncarol")])
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/rotations"));
        let (status, html) = app.page(&browser, "/rotations").await;
        assert_eq!(status, 200);
        assert!(html.contains("EOC sun") && html.contains("carol (Australia/Sydney)"), "{html}");
        let id = {
            let mut conn = app.db.conn().unwrap();
            baton::db::models::rotations::list(&mut conn).unwrap()[0].rotation.id.clone()
        };
        let (status, html) = app.page(&browser, &format!("/rotations/{id}/edit")).await;
        assert_eq!(status, 200);
        assert!(html.contains("alice\nbob\ncarol"), "{html}");
        let (status, _, _) = app
            .post_form(&browser, &format!("/rotations/{id}"), &[("name", "EOC sun"), ("role", "EOC"), ("rhythm", "00:00,08:00,16:00"), ("starts_at", "2026-10-19T02:00"), ("members", "bob\nalice\ncarol"), ("from", "")])
            .await;
        assert_eq!(status, 303);
        // The derived shifts show on /shifts, marked with their rotation.
        let (_, html) = app.page(&browser, "/shifts").await;
        assert!(html.contains("rotation EOC sun"), "{html}");
        let (status, _, _) = app.post_form(&browser, &format!("/rotations/{id}/delete"), &[]).await;
        assert_eq!(status, 303);
        let (_, html) = app.page(&browser, "/rotations").await;
        assert!(html.contains("No rotations yet"));
    }

    async fn handover_preselects_the_next_on_call_in_the_role_and_no_form_offers_oneself(app) {
        let token = team(&app);
        app.add_user("aaron", "UTC", "responder");
        let now = Utc::now();
        let (status, made) = app
            .send_json(Method::POST, "/api/v1/rotations", &token, &json!({
                "name": "EOC shifts", "role": "EOC", "starts_at": fmt(now - Duration::hours(1)),
                "rhythm": "8h", "members": ["alice", "carol", "bob"],
            }))
            .await;
        assert_eq!(status, 201, "{made}");
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, html) = app.page(&browser, "/handover").await;
        assert_eq!(status, 200);
        assert!(html.contains("<option value=\"carol\" selected>"), "{html}");
        assert!(!html.contains("<option value=\"alice\""), "alice is offered to herself");
        assert!(html.contains("Your rotation role: EOC"));
        // An override for the next slot: its person is the default instead.
        let (status, _) = app
            .send_json(Method::POST, "/api/v1/shifts", &token, &json!({
                "username": "dana", "role": "EOC",
                "starts_at": fmt(now + Duration::hours(7)), "ends_at": fmt(now + Duration::hours(12)),
            }))
            .await;
        assert_eq!(status, 201);
        let (_, html) = app.page(&browser, "/handover").await;
        assert!(html.contains("<option value=\"dana\" selected>"), "{html}");
        let (_, html) = app.page(&browser, "/handoffs/new").await;
        assert!(!html.contains("<option value=\"alice\""), "the new-handoff form offers alice to herself");
        assert!(html.contains("<option value=\"bob\""));
        // The dashboard names who is on call now from the rotation.
        let (_, html) = app.page(&browser, "/").await;
        assert!(html.contains("alice"), "{html}");
    }

    async fn the_ics_feed_parses_keeps_its_uids_and_says_what_the_api_says(app) {
        let token = team(&app);
        follow_the_sun(&app, &token).await;
        let (status, _) = app
            .send_json(Method::POST, "/api/v1/shifts", &token, &json!({
                "username": "dana", "role": "EOC",
                "starts_at": "2026-10-26T10:00:00Z", "ends_at": "2026-10-26T14:00:00Z",
            }))
            .await;
        assert_eq!(status, 201);
        let span = "from=2026-10-24T00:00:00Z&to=2026-10-28T00:00:00Z";
        let fetch = || async {
            let res = app.api(Method::GET, &format!("/api/v1/shifts.ics?{span}"), &token).send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
            res.text().await.unwrap()
        };
        let first = fetch().await;
        assert!(first.starts_with("BEGIN:VCALENDAR\r\n"), "CRLF line ends");
        assert!(first.lines().all(|l| l.len() <= 76), "lines folded at 75 octets");
        let parsed: icalendar::Calendar = first.parse().expect("a standard parser reads the feed");
        let events: Vec<&icalendar::Event> = parsed.events().collect();
        let (_, listed) = app.get_json(&format!("/api/v1/shifts?{span}"), &token).await;
        let listed = listed["shifts"].as_array().unwrap();
        assert_eq!(events.len(), listed.len());
        let ics_time = |v: &Value| v.as_str().unwrap().replace(['-', ':'], "");
        for (event, shift) in events.iter().zip(listed) {
            assert_eq!(event.property_value("UID"), shift["uid"].as_str());
            assert_eq!(event.property_value("DTSTART"), Some(ics_time(&shift["starts_at"]).as_str()));
            assert_eq!(event.property_value("DTEND"), Some(ics_time(&shift["ends_at"]).as_str()));
            assert_eq!(event.property_value("TRANSP"), Some("TRANSPARENT"));
            assert!(event.property_value("DTSTAMP").is_some() && event.property_value("SEQUENCE").is_some());
            assert!(event.property_value("URL").unwrap().contains("/shifts?week="));
        }
        let dana = events.iter().find(|e| e.property_value("SUMMARY") == Some("EOC: dana")).expect("the override");
        assert!(dana.property_value("DTSTART") == Some("20261026T100000Z"));
        // Fetched again: the same UIDs.
        let again: icalendar::Calendar = fetch().await.parse().unwrap();
        let uids = |c: &icalendar::Calendar| c.events().map(|e| e.property_value("UID").unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(uids(&again), uids(&parsed));
        // Filtered by person and role; an unknown person is named.
        let res = app.api(Method::GET, &format!("/api/v1/shifts.ics?{span}&user=carol&role=EOC"), &token).send().await.unwrap();
        let mine: icalendar::Calendar = res.text().await.unwrap().parse().unwrap();
        assert!(mine.events().count() >= 3);
        assert!(mine.events().all(|e| e.property_value("SUMMARY") == Some("EOC: carol")));
        let (status, err) = app.get_json(&format!("/api/v1/shifts.ics?{span}&user=nobody"), &token).await;
        assert_eq!((status, err["error"]["field"].as_str()), (422, Some("user")));
    }

    async fn a_personal_feed_url_works_without_a_session_and_stops_when_made_again(app) {
        let token = team(&app);
        let now = Utc::now();
        let (status, _) = app
            .send_json(Method::POST, "/api/v1/rotations", &token, &json!({
                "name": "EOC sun", "role": "EOC", "starts_at": fmt(now - Duration::days(1)),
                "rhythm": "00:00,08:00,16:00", "members": ["alice", "bob", "carol"],
            }))
            .await;
        assert_eq!(status, 201);
        let browser = crate::common::browser();
        app.sign_in(&browser, "carol").await;
        let url = make_feed(&app, &browser, "personal").await;
        assert!(url.starts_with(&app.address) && url.ends_with(".ics"), "{url}");
        let fetch = |url: String| async move {
            let res = reqwest::get(&url).await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        };
        let (status, body) = fetch(url.clone()).await;
        assert_eq!(status, 200, "{body}");
        let calendar: icalendar::Calendar = body.parse().unwrap();
        let count = calendar.events().count();
        assert!(count >= 300, "a year of her shifts: {count} events, {} bytes", body.len());
        assert!(calendar.events().all(|e| e.property_value("SUMMARY") == Some("EOC: carol")));
        // The page no longer shows the secret.
        let (_, profile) = app.page(&browser, "/me").await;
        assert!(!profile.contains(url.rsplit('/').next().unwrap()) && profile.contains("active since"));
        // Made again: the old URL stops, the new one works.
        let newer = make_feed(&app, &browser, "personal").await;
        assert_ne!(newer, url);
        assert_eq!(fetch(url).await.0, 404);
        assert_eq!(fetch(newer.clone()).await.0, 200);
        // The team feed holds everyone; stopping a feed ends it.
        let team_url = make_feed(&app, &browser, "team").await;
        let (_, body) = fetch(team_url).await;
        assert!(body.contains("SUMMARY:EOC: alice") && body.contains("SUMMARY:EOC: bob"));
        let (status, _, _) = app.post_form(&browser, "/me/calendar/personal/delete", &[]).await;
        assert_eq!(status, 303);
        assert_eq!(fetch(newer).await.0, 404);
        assert_eq!(fetch(format!("{}/calendar/nonsense.ics", app.address)).await.0, 404);
    }
}

/// Who is on call in EOC at `n` instants a day apart from `first`.
async fn futures_who(
    app: &crate::common::TestApp,
    token: &str,
    first: DateTime<Utc>,
    n: i64,
) -> Vec<String> {
    let mut out = vec![];
    for i in 0..n {
        let t = first + Duration::days(i) + Duration::minutes(30);
        let (_, body) = app
            .get_json(&format!("/api/v1/oncall?at={}", fmt(t)), token)
            .await;
        out.push(
            body["roles"][0]["on_call"][0]["user"]["username"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    out
}

/// Makes a calendar feed URL of `kind` on the profile page; the URL it shows once.
async fn make_feed(app: &crate::common::TestApp, browser: &reqwest::Client, kind: &str) -> String {
    let (status, _, html) = app
        .post_form(browser, &format!("/me/calendar/{kind}"), &[])
        .await;
    assert_eq!(status, 200);
    let start = html.find("<code>").expect("the new URL is shown") + 6;
    let end = start + html[start..].find("</code>").unwrap();
    html[start..end].to_owned()
}
