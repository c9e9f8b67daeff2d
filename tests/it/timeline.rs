//! The timeline that leads `/shifts` (issue 14, item 4), the final
//! schedule for a team in the southern hemisphere, and the forms that never
//! offer their reader as recipient (item 7), on both backends.

use chrono::{DateTime, Duration, Timelike, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{TestApp, clocks_now};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The offset of `zone` at `t` by the bundled tzdata (jiff directly), as `+11:00`.
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

/// The timeline's section of a `/shifts` page.
fn timeline(html: &str) -> &str {
    let start = html
        .find("<section class=\"tl\"")
        .unwrap_or_else(|| panic!("no timeline on the page:\n{html}"));
    let end = start + html[start..].find("</section>").expect("the section ends");
    &html[start..end]
}

/// `text` without its tags, trimmed.
fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in text.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// The people table of the timeline: each row's cells as text (person,
/// zone, their time now, what they are doing, on call until).
fn people(section: &str) -> Vec<Vec<String>> {
    let Some(body) = section.find("<tbody>").map(|i| &section[i..]) else {
        return vec![];
    };
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.replace("</th>", "\u{1}")
                .replace("</td>", "\u{1}")
                .split('\u{1}')
                .take(5)
                .map(strip)
                .collect()
        })
        .collect()
}

/// The span of the timeline (its hint's two `<time datetime>`).
fn window(section: &str) -> (String, String) {
    let mut times = section
        .split("datetime=\"")
        .skip(1)
        .map(|s| s[..20].to_owned());
    (times.next().unwrap(), times.next().unwrap())
}

/// The usernames of the shifts of `role` the API lists for `[from, to)`.
async fn listed(
    app: &TestApp,
    token: &str,
    role: &str,
    (from, to): &(String, String),
) -> Vec<String> {
    let (status, body) = app
        .get_json(&format!("/api/v1/shifts?from={from}&to={to}"), token)
        .await;
    assert_eq!(status, 200, "{body}");
    body["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["role"] == role)
        .map(|s| s["username"].as_str().unwrap().to_owned())
        .collect()
}

/// Who `GET /api/v1/oncall` (at `t`, or now) names: (role, username, zone, local time, source).
async fn oncall(app: &TestApp, token: &str, t: Option<DateTime<Utc>>) -> Vec<[String; 5]> {
    let path = match t {
        Some(t) => format!("/api/v1/oncall?at={}", fmt(t)),
        None => "/api/v1/oncall".to_owned(),
    };
    let (status, body) = app.get_json(&path, token).await;
    assert_eq!(status, 200, "{body}");
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["on_call"].as_array().unwrap().iter().map(|o| {
                [
                    s(&r["role"]),
                    s(&o["user"]["username"]),
                    s(&o["user"]["timezone"]),
                    s(&o["user"]["local_time"]),
                    s(&o["source"]),
                ]
            })
        })
        .collect()
}

/// A follow-the-sun team (Amsterdam, New York, Sydney), dana (London),
/// erin (São Paulo) and frank (Kolkata). Returns alice's token.
fn team(app: &TestApp) -> String {
    for (name, zone) in [
        ("alice", "Europe/Amsterdam"),
        ("bob", "America/New_York"),
        ("carol", "Australia/Sydney"),
        ("dana", "Europe/London"),
        ("erin", "America/Sao_Paulo"),
        ("frank", "Asia/Kolkata"),
    ] {
        app.add_user(name, zone, "responder");
    }
    app.token("alice")
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, made) = app.send_json(Method::POST, path, token, &body).await;
    assert_eq!(status, 201, "{path}: {made}");
    made
}

backend_tests! {
    async fn shifts_leads_with_the_next_48_hours_and_names_everyone_on_call_with_their_zone_and_local_time(app) {
        let token = team(&app);
        let now = Utc::now();
        post(&app, &token, "/api/v1/rotations", json!({
            "name": "EOC sun", "role": "EOC", "starts_at": fmt(now - Duration::days(8)),
            "rhythm": "00:00,08:00,16:00", "members": ["alice", "bob", "carol"],
        })).await;
        post(&app, &token, "/api/v1/shifts", json!({
            "username": "dana", "role": "IMOC",
            "starts_at": fmt(now - Duration::hours(1)), "ends_at": fmt(now + Duration::hours(5)),
        })).await;
        // erin holds a handoff and has passed it to frank, who has not taken it yet.
        let erin = app.token("erin");
        app.create_handoff(&erin, json!({
            "kind": "outage", "title": "Disk on gitaly-07", "severity": 2,
            "note": {"body": "Cleanup running.", "pass_to": "frank"}
        })).await;
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, html) = app.page(&browser, "/shifts").await;
        assert_eq!(status, 200);
        // It leads the page, above the week's list.
        assert!(html.find("<section class=\"tl\"").unwrap() < html.find("<nav class=\"week\"").unwrap());
        let tl = timeline(&html);
        assert!(tl.contains("The next 48 hours"), "{tl}");
        let (from, to) = window(tl);
        assert_eq!(at(&to) - at(&from), Duration::hours(48));
        assert!(at(&from) <= now && now - at(&from) < Duration::hours(1), "{from}");

        // Every person on call now (as the API says), holding or receiving,
        // with their zone and their local time now.
        let current = oncall(&app, &token, None).await;
        assert_eq!(current.len(), 2, "{current:?}");
        let rows = people(tl);
        let mut expected: Vec<(String, String)> = current.iter().map(|c| (c[1].clone(), c[2].clone())).collect();
        expected.push(("erin".into(), "America/Sao_Paulo".into()));
        expected.push(("frank".into(), "Asia/Kolkata".into()));
        assert_eq!(rows.len(), expected.len(), "{rows:?}");
        for (i, (username, zone)) in expected.iter().enumerate() {
            let row = &rows[i];
            assert!(row[0].ends_with(&format!("({username})")), "row {i}: {row:?}, expected {username}");
            assert_eq!(&row[1], zone, "{row:?}");
            assert!(clocks_now(zone).iter().any(|c| row[2].contains(c.as_str())), "{row:?}: not the time in {zone}");
            assert!(tl.contains(&format!("<strong>{username}</strong>")), "no row for {username}");
        }
        let row = |name: &str| rows.iter().find(|r| r[0].ends_with(&format!("({name})"))).unwrap();
        assert!(row("dana")[3].starts_with("on call (IMOC)") && row("dana")[4].starts_with("IMOC until"), "{:?}", row("dana"));
        assert_eq!(row("erin")[3], "holds 1 handoff");
        assert_eq!(row("frank")[3], "1 pass waiting");
        assert_eq!(row("frank")[4], "not on call");

        // One row per role: each shift of the final schedule in the window,
        // in words, as the API lists them; the override drawn as one.
        let eoc = listed(&app, &token, "EOC", &(from.clone(), to.clone())).await;
        assert!((6..=7).contains(&eoc.len()), "{eoc:?}");
        assert_eq!(tl.matches("<li>EOC: ").count(), eoc.len(), "{tl}");
        for username in &eoc {
            assert!(tl.contains(&format!("<li>EOC: {username} (")), "{username}");
        }
        assert!(tl.contains("<li>IMOC: dana (Europe/London) from ") && tl.contains("6h 00m, override)</li>"), "{tl}");
        assert!(tl.contains("class=\"tl-span override\"") && tl.contains("class=\"tl-span rotation\""));
        // The line at now crosses every row; everyone's nights are shaded.
        assert_eq!(tl.matches("class=\"tl-now\"").count(), 2 + expected.len());
        assert!(tl.matches("class=\"tl-night\"").count() >= 2 * expected.len());

        // The week view: the list's week, every shift of it.
        let (status, html) = app.page(&browser, "/shifts?view=week").await;
        assert_eq!(status, 200);
        let tl = timeline(&html);
        assert!(tl.contains("The week at a glance") && tl.contains("Show the next 48 hours"));
        let week = window(tl);
        assert!((167..=169).contains(&(at(&week.1) - at(&week.0)).num_hours()));
        let eoc = listed(&app, &token, "EOC", &week).await;
        assert!(eoc.len() >= 21, "{eoc:?}");
        // In words: the week's table below the picture, row by row.
        assert!(tl.contains("The table below lists every shift of this week."));
        assert_eq!(tl.matches("<li>EOC: ").count(), 0);
        assert_eq!(html.matches("<th scope=\"row\">EOC").count(), eoc.len());
        assert!(html.contains("&#38;view=week\">Next week"), "the week links keep the view");
        let (status, html) = app.page(&browser, "/shifts?view=month").await;
        assert_eq!(status, 422);
        assert!(html.contains("is not a view: use 48h or week"), "{html}");
    }

    async fn a_shift_across_a_dst_change_is_drawn_at_its_true_length(app) {
        let token = team(&app);
        // 12-hour shifts: bob's from 22:00 UTC on 24 October holds the
        // night Europe's clocks go back.
        post(&app, &token, "/api/v1/rotations", json!({
            "name": "EOC halves", "role": "EOC", "starts_at": "2026-10-24T10:00:00Z",
            "rhythm": "12h", "members": ["alice", "bob"],
        })).await;
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, html) = app.page(&browser, "/shifts?view=week&week=2026-10-25").await;
        assert_eq!(status, 200);
        let tl = timeline(&html);
        assert_eq!(window(tl), ("2026-10-18T22:00:00Z".to_owned(), "2026-10-25T23:00:00Z".to_owned()));
        // 12 of the week's 169 hours, 144 hours after its start: 00:00 CEST
        // to 11:00 CET on the viewer's clocks.
        assert!(tl.contains("x=\"85.21%\" y=\"2\" width=\"7.1%\" height=\"20\"><title>bob 00:00–11:00</title>"), "{tl}");
        // In words, in the week's table below.
        assert!(html.contains("<time datetime=\"2026-10-24T22:00:00Z\">Sun 25 Oct 00:00 CEST</time>"));
        assert!(html.contains("<time datetime=\"2026-10-25T10:00:00Z\">Sun 25 Oct 11:00 CET</time>"));
        for day in ["Mon 19", "Sat 24", "Sun 25"] {
            assert!(tl.contains(&format!(">{day}</text>")), "{day}");
        }

        // Sydney's clocks go forward at 16:00 UTC on 3 October: a shift
        // over it, seen from Sydney, is 4 hours of a 167-hour week.
        post(&app, &token, "/api/v1/shifts", json!({
            "username": "carol", "role": "IMOC",
            "starts_at": "2026-10-03T14:00:00Z", "ends_at": "2026-10-03T18:00:00Z",
        })).await;
        let browser = crate::common::browser();
        app.sign_in(&browser, "carol").await;
        let (_, html) = app.page(&browser, "/shifts?view=week&week=2026-10-01").await;
        let tl = timeline(&html);
        assert_eq!(window(tl), ("2026-09-27T14:00:00Z".to_owned(), "2026-10-04T13:00:00Z".to_owned()));
        assert!(tl.contains("x=\"86.23%\" y=\"2\" width=\"2.4%\" height=\"20\"><title>carol 00:00–05:00</title>"), "{tl}");
        assert!(html.contains("<time datetime=\"2026-10-03T14:00:00Z\">Sun 04 Oct 00:00 AEST</time>"));
        assert!(html.contains("<time datetime=\"2026-10-03T18:00:00Z\">Sun 04 Oct 05:00 AEDT</time>"));
    }

    async fn forty_instants_hold_for_a_team_in_sydney_across_every_dst_change(app) {
        for name in ["sam", "mia", "noah", "zoe"] {
            app.add_user(name, "Australia/Sydney", "responder");
        }
        let token = app.token("sam");
        post(&app, &token, "/api/v1/rotations", json!({
            "name": "EOC Sydney", "role": "EOC", "starts_at": "2026-09-21T00:00:00Z",
            "rhythm": "00:00,08:00,16:00", "members": ["sam", "mia", "noah"],
        })).await;
        // zoe covers over Sydney's change to summer time, and on the day
        // after Europe's change to winter time.
        let covers = [("2026-10-03T12:00:00Z", "2026-10-03T20:00:00Z"), ("2026-10-26T10:00:00Z", "2026-10-26T14:00:00Z")];
        for (starts, ends) in covers {
            post(&app, &token, "/api/v1/shifts", json!({"username": "zoe", "role": "EOC", "starts_at": starts, "ends_at": ends})).await;
        }
        let covered = |t: DateTime<Utc>| covers.iter().any(|(s, e)| at(s) <= t && t < at(e));
        // The same 40 instants (every 8 h 17 min) over two weeks, from
        // three starts: Sydney's spring change, Europe's and the US's
        // autumn changes, Sydney's autumn change.
        for first in ["2026-09-27T00:00:00Z", "2026-10-20T00:00:00Z", "2027-03-28T00:00:00Z"] {
            let mut seen_override = false;
            for i in 0..40 {
                let t = at(first) + Duration::minutes(497 * i);
                let expected = if covered(t) {
                    seen_override = true;
                    ("zoe", "override")
                } else {
                    (["sam", "mia", "noah"][(t.hour() / 8) as usize], "rotation")
                };
                let got: Vec<[String; 5]> = oncall(&app, &token, Some(t)).await.into_iter().filter(|o| o[0] == "EOC").collect();
                assert_eq!(got.len(), 1, "{t}: {got:?}");
                assert_eq!((got[0][1].as_str(), got[0][4].as_str()), expected, "at {t}");
                assert_eq!(got[0][2], "Australia/Sydney");
                assert!(got[0][3].ends_with(&offset("Australia/Sydney", t)), "{t}: {}", got[0][3]);
            }
            assert!(seen_override || first.starts_with("2027"), "{first}");
        }
        // Either side of each of Sydney's changes.
        for (t, who, local) in [
            ("2026-10-03T11:59:59Z", "mia", "T21:59:59+10:00"), ("2026-10-03T15:59:59Z", "zoe", "T01:59:59+10:00"),
            ("2026-10-03T16:00:00Z", "zoe", "T03:00:00+11:00"), ("2026-10-03T20:00:00Z", "noah", "T07:00:00+11:00"),
            ("2027-04-03T15:59:59Z", "mia", "T02:59:59+11:00"), ("2027-04-03T16:00:00Z", "noah", "T02:00:00+10:00"),
        ] {
            let got = oncall(&app, &token, Some(at(t))).await;
            assert_eq!(got[0][1], who, "at {t}");
            assert!(got[0][3].ends_with(local), "at {t}: {}", got[0][3]);
        }
        // The override cut the derived shifts it overlaps, and lasts its true
        // 8 hours (22:00 to 07:00 on Sydney's clocks).
        let (_, body) = app.get_json("/api/v1/shifts?from=2026-10-03T08:00:00Z&to=2026-10-04T00:00:00Z", &token).await;
        let shifts: Vec<(String, String, String)> = body["shifts"].as_array().unwrap().iter().map(|s| (
            s["username"].as_str().unwrap().to_owned(), s["starts_at"].as_str().unwrap().to_owned(), s["ends_at"].as_str().unwrap().to_owned(),
        )).collect();
        assert_eq!(shifts, vec![
            ("mia".into(), "2026-10-03T08:00:00Z".into(), "2026-10-03T12:00:00Z".into()),
            ("zoe".into(), "2026-10-03T12:00:00Z".into(), "2026-10-03T20:00:00Z".into()),
            ("noah".into(), "2026-10-03T20:00:00Z".into(), "2026-10-04T00:00:00Z".into()),
        ]);
    }

    async fn a_signed_out_reader_of_a_public_timeline_learns_nothing_of_a_confidential_handoff(app) {
        let app = crate::common::TestApp::spawn_with(app.backend, &[("BATON_PUBLIC_READ", "1")]).await.unwrap();
        team(&app);
        app.create_handoff(&app.token("erin"), json!({
            "kind": "outage", "title": "Credential leak check", "severity": 2, "confidential": true,
            "note": {"body": "Rotating keys."}
        })).await;
        app.create_handoff(&app.token("frank"), json!({
            "kind": "outage", "title": "Replica lag", "severity": 3, "note": {"body": "Watching."}
        })).await;
        let (status, html) = app.page(&crate::common::browser(), "/shifts").await;
        assert_eq!(status, 200);
        let names: Vec<String> = people(timeline(&html)).into_iter().map(|r| r[0].clone()).collect();
        assert_eq!(names, ["frank (frank)"]);
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (_, html) = app.page(&browser, "/shifts").await;
        let names: Vec<String> = people(timeline(&html)).into_iter().map(|r| r[0].clone()).collect();
        assert_eq!(names, ["erin (erin)", "frank (frank)"]);
    }

    async fn the_pass_form_of_a_handoff_never_offers_its_reader(app) {
        let token = team(&app);
        let made = app.create_handoff(&token, json!({
            "kind": "outage", "title": "Replica lag", "severity": 3, "note": {"body": "Watching."}
        })).await;
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, html) = app.page(&browser, &format!("/handoffs/{}", made["id"].as_str().unwrap())).await;
        assert_eq!(status, 200);
        assert!(html.contains("name=\"pass_to\""), "no pass form");
        assert!(!html.contains("<option value=\"alice\""), "alice is offered her own handoff");
        assert!(html.contains("<option value=\"bob\""));
    }
}
