//! Calendar import (issue 14, item 3) and the SEQUENCE of the feeds, end
//! to end on both backends: the API, the form on /shifts and the command
//! line import the same real-world-style export.

use chrono::{DateTime, Datelike, Duration, Utc};
use icalendar::Component as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::TestApp;

fn fmt(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The Monday at least a week from now (the export's first day).
fn monday() -> chrono::NaiveDate {
    let mut day = (Utc::now() + Duration::days(7)).date_naive();
    while day.weekday() != chrono::Weekday::Mon {
        day = day.succ_opt().unwrap();
    }
    day
}

fn ymd(d: chrono::NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// The instant of the wall-clock `time` (HH:MM) of `day` in `zone`, by the
/// bundled IANA rules (worked out with jiff, not Baton).
fn instant_in(zone: &str, day: chrono::NaiveDate, time: &str) -> String {
    let (h, m) = time.split_once(':').unwrap();
    let wall = jiff::civil::date(day.year() as i16, day.month() as i8, day.day() as i8).at(
        h.parse().unwrap(),
        m.parse().unwrap(),
        0,
        0,
    );
    let tz = jiff::tz::TimeZoneDatabase::bundled().get(zone).unwrap();
    let ts = tz.to_ambiguous_timestamp(wall).compatible().unwrap();
    fmt(DateTime::from_timestamp(ts.as_second(), 0).unwrap())
}

/// An export as calendar apps write them: a VTIMEZONE, CRLF, folded lines,
/// a weekly rule, a TZID event, an unknown person, a month-long event.
/// `bob_hour` moves bob's cover (a changed event, same UID).
fn export(bob_hour: u32) -> String {
    let m = monday();
    let d = |n: i64| ymd(m + Duration::days(n));
    [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "X-WR-CALNAME:EOC rota",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Amsterdam",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "DTSTART:19701025T030000",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        &format!("DTSTART;TZID=Europe/Amsterdam:{}T090000", d(0)),
        &format!("DTEND;TZID=Europe/Amsterdam:{}T170000", d(0)),
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "UID:alice-weekly@example.com",
        "ATTENDEE;CN=Alice Example;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:al",
        " ice@example.com",
        "SUMMARY:EOC",
        "END:VEVENT",
        "BEGIN:VEVENT",
        &format!("DTSTART:{}T{bob_hour:02}0000Z", d(1)),
        &format!("DTEND:{}T{:02}0000Z", d(1), bob_hour + 8),
        "UID:bob-cover@example.com",
        "SUMMARY:EOC cover: ",
        " bob",
        "END:VEVENT",
        "BEGIN:VEVENT",
        &format!("DTSTART;TZID=America/New_York:{}T090000", d(2)),
        &format!("DTEND;TZID=America/New_York:{}T170000", d(2)),
        "UID:carol-ny@example.com",
        "SUMMARY:On call",
        "DESCRIPTION:covering\\, as agreed: carol@example.com",
        "END:VEVENT",
        "BEGIN:VEVENT",
        &format!("DTSTART:{}T000000Z", d(3)),
        &format!("DTEND:{}T080000Z", d(3)),
        "UID:zed@example.com",
        "SUMMARY:EOC: zed",
        "END:VEVENT",
        "BEGIN:VEVENT",
        &format!("DTSTART;VALUE=DATE:{}", d(0)),
        &format!("DTEND;VALUE=DATE:{}", d(30)),
        "UID:month@example.com",
        "SUMMARY:bob all month",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    .join("\r\n")
}

fn people(app: &TestApp) -> String {
    app.add_user("alice", "Europe/Amsterdam", "responder");
    app.add_user("bob", "Asia/Tokyo", "responder");
    app.add_user("carol", "America/New_York", "responder");
    app.add_user("vera", "UTC", "viewer");
    app.token("alice")
}

async fn import(app: &TestApp, token: &str, role: &str, body: &str) -> (u16, Value) {
    crate::common::json(
        app.api(
            Method::POST,
            &format!("/api/v1/shifts/import?role={role}"),
            token,
        )
        .header("Content-Type", "text/calendar; charset=utf-8")
        .body(body.to_owned())
        .send()
        .await
        .unwrap(),
    )
    .await
}

/// The explicit shifts, as (username, role, start, end), by start.
async fn overrides(app: &TestApp, token: &str) -> Vec<(String, String, String, String)> {
    let from = fmt(Utc::now());
    let to = fmt(Utc::now() + Duration::days(60));
    let (status, list) = app
        .get_json(&format!("/api/v1/shifts?from={from}&to={to}"), token)
        .await;
    assert_eq!(status, 200, "{list}");
    list["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source"] == "override")
        .map(|s| {
            let f = |k: &str| s[k].as_str().unwrap().to_owned();
            (f("username"), f("role"), f("starts_at"), f("ends_at"))
        })
        .collect()
}

fn counts(report: &Value) -> [u64; 4] {
    ["added", "updated", "unchanged", "skipped"].map(|k| report[k].as_u64().unwrap())
}

/// A `multipart/form-data` body of the import form.
fn multipart(csrf: &str, role: &str, file: &str) -> (String, String) {
    let b = "BatonTestBoundary7MA4YWxkTrZu0gW";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"role\"\r\n\r\n{role}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rota.ics\"\r\nContent-Type: text/calendar\r\n\r\n{file}\r\n\
         --{b}--\r\n"
    );
    (format!("multipart/form-data; boundary={b}"), body)
}

backend_tests! {
    async fn an_export_is_imported_once_reported_and_a_second_import_changes_nothing(app) {
        let token = people(&app);
        let m = monday();
        let (status, report) = import(&app, &token, "EOC", &export(10)).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(counts(&report), [5, 0, 0, 2], "{report}");
        let skipped: Vec<(u64, &str)> = report["events"].as_array().unwrap().iter()
            .filter(|e| e["outcome"] == "skipped")
            .map(|e| (e["line"].as_u64().unwrap(), e["reason"].as_str().unwrap()))
            .collect();
        assert_eq!(skipped.len(), 2);
        assert_eq!(skipped[0].0, 36, "the lines of BEGIN:VEVENT, folded lines counted as written");
        assert!(skipped[0].1.starts_with("unknown person"), "{report}");
        assert_eq!(skipped[1].0, 42);
        assert!(skipped[1].1.contains("longer than 14 days"), "{report}");
        let expected: Vec<(String, String, String, String)> = vec![
            ("alice".into(), "EOC".into(), instant_in("Europe/Amsterdam", m, "09:00"), instant_in("Europe/Amsterdam", m, "17:00")),
            ("bob".into(), "EOC".into(), fmt(m.and_hms_opt(10, 0, 0).unwrap().and_utc() + Duration::days(1)), fmt(m.and_hms_opt(18, 0, 0).unwrap().and_utc() + Duration::days(1))),
            ("carol".into(), "EOC".into(), instant_in("America/New_York", m + Duration::days(2), "09:00"), instant_in("America/New_York", m + Duration::days(2), "17:00")),
            ("alice".into(), "EOC".into(), instant_in("Europe/Amsterdam", m + Duration::days(7), "09:00"), instant_in("Europe/Amsterdam", m + Duration::days(7), "17:00")),
            ("alice".into(), "EOC".into(), instant_in("Europe/Amsterdam", m + Duration::days(14), "09:00"), instant_in("Europe/Amsterdam", m + Duration::days(14), "17:00")),
        ];
        assert_eq!(overrides(&app, &token).await, expected);
        let uids: Vec<&str> = report["events"].as_array().unwrap().iter().map(|e| e["uid"].as_str().unwrap()).collect();
        assert!(uids.contains(&format!("alice-weekly@example.com/{}T{}0000Z", ymd(m), &instant_in("Europe/Amsterdam", m, "09:00")[11..13]).as_str()), "{uids:?}");

        // The same file again changes nothing.
        let (status, again) = import(&app, &token, "EOC", &export(10)).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(counts(&again), [0, 0, 5, 2], "{again}");
        assert_eq!(overrides(&app, &token).await, expected);

        // bob's cover moved: the same UID updates its shift.
        let (_, moved) = import(&app, &token, "EOC", &export(12)).await;
        assert_eq!(counts(&moved), [0, 1, 4, 2], "{moved}");
        let now = overrides(&app, &token).await;
        assert_eq!(now.len(), 5);
        assert!(now.iter().any(|s| s.0 == "bob" && s.2 == fmt(m.and_hms_opt(12, 0, 0).unwrap().and_utc() + Duration::days(1))), "{now:?}");

        // Two imports of one file at once, into another role: one adds,
        // the other finds what it added.
        let file = export(10);
        let (a, b) = tokio::join!(import(&app, &token, "IMOC", &file), import(&app, &token, "IMOC", &file));
        assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
        let mut both = [counts(&a.1), counts(&b.1)];
        both.sort();
        assert_eq!(both, [[0, 0, 5, 2], [5, 0, 0, 2]]);
        assert_eq!(overrides(&app, &token).await.len(), 10);

        // A viewer may not import; a role is required.
        let vera = app.token("vera");
        let (status, _) = import(&app, &vera, "EOC", &export(10)).await;
        assert_eq!(status, 403);
        let (status, err) = import(&app, &token, "%3Cb%3E", &export(10)).await;
        assert_eq!((status, err["error"]["field"].as_str()), (422, Some("role")), "{err}");
        let res = app.api(Method::POST, "/api/v1/shifts/import?role=EOC", &token)
            .header("Content-Type", "application/json").body("{}").send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400);
    }

    async fn a_malformed_file_changes_nothing_and_names_its_line(app) {
        let token = people(&app);
        let good = export(10);
        // A broken rule in the fourth event, after three good ones.
        let broken = good.replacen("SUMMARY:EOC: zed", "SUMMARY:EOC: zed\r\nRRULE:FREQ=SOMETIMES", 1);
        let (status, err) = import(&app, &token, "EOC", &broken).await;
        assert_eq!(status, 400, "{err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("line 41: "), "{message}");
        assert!(overrides(&app, &token).await.is_empty(), "nothing is half-imported");
        // An unclosed event names the end of the file; a bad fold its line.
        let (status, err) = import(&app, &token, "EOC", good.trim_end().trim_end_matches("END:VCALENDAR")).await;
        assert_eq!(status, 400);
        assert!(err["error"]["message"].as_str().unwrap().contains("is closed"), "{err}");
        let (status, err) = import(&app, &token, "EOC", &good.replacen("SUMMARY:EOC\r\n", "SUMMARY:EOC\r\n\r\n folded\r\n", 1)).await;
        assert_eq!(status, 400);
        assert!(err["error"]["message"].as_str().unwrap().starts_with("line 22: "), "{err}");
        assert!(overrides(&app, &token).await.is_empty());
        // Not UTF-8: the line of the first bad byte.
        let res = app.api(Method::POST, "/api/v1/shifts/import?role=EOC", &token)
            .header("Content-Type", "text/calendar")
            .body(b"BEGIN:VCALENDAR\r\nSUMMARY:caf\xe9\r\n".to_vec()).send().await.unwrap();
        let (status, err) = crate::common::json(res).await;
        assert_eq!(status, 400);
        assert!(err["error"]["message"].as_str().unwrap().starts_with("line 2: "), "{err}");
        // Over 2 MiB: 413, nothing read.
        let (status, err) = import(&app, &token, "EOC", &format!("{good}{}", "X-PAD:0123456789\r\n".repeat(130_000))).await;
        assert_eq!((status, err["error"]["field"].as_str()), (413, Some("file")), "{err}");
        assert!(overrides(&app, &token).await.is_empty());
    }

    async fn the_form_on_shifts_and_the_command_line_import_the_same_file(app) {
        let token = people(&app);
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let (status, html) = app.page(&browser, "/shifts").await;
        assert_eq!(status, 200);
        assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("for=\"import-file\""), "{html}");
        let csrf = app.csrf_token(&browser).await;
        let post = |content_type: String, body: String| {
            browser.post(app.url("/shifts/import")).header("Content-Type", content_type).body(body).send()
        };
        // A malformed file: 422, the line beside the field, nothing imported.
        let (ct, body) = multipart(&csrf, "EOC", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:tomorrow\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        let res = post(ct, body).await.unwrap();
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"import-file-error\">line 4: "), "{html}");
        assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"import-file-error\""), "{html}");
        // No file and a bad role: both named beside their fields.
        let (ct, body) = multipart(&csrf, "<b>", "");
        let res = post(ct, body).await.unwrap();
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"import-role-error\"") && html.contains("id=\"import-file-error\""), "{html}");
        assert!(overrides(&app, &token).await.is_empty());
        // Without the CSRF token: refused.
        let (ct, body) = multipart("forged", "EOC", &export(10));
        assert_eq!(post(ct, body).await.unwrap().status().as_u16(), 403);
        // The export: the report lists every event.
        let (ct, body) = multipart(&csrf, "EOC", &export(10));
        let res = post(ct, body).await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("added 5, updated 0, unchanged 0, skipped 2"), "{html}");
        assert!(html.contains("unknown person") && html.contains("longer than 14 days"), "{html}");
        assert_eq!(overrides(&app, &token).await.len(), 5);

        // The command line, on the same database: unchanged, then into IMOC.
        let path = std::env::temp_dir().join(format!("baton-import-{}.ics", uuid::Uuid::new_v4()));
        std::fs::write(&path, export(10)).unwrap();
        let settings = baton::config::Settings::from_values(&[("BATON_DATABASE_URL".to_owned(), app.database_url.clone())].into_iter().collect()).unwrap();
        let run = |role: &str| {
            baton::cli::run(&settings, baton::cli::Command::Shifts(baton::cli::ShiftsCommand::Import { file: path.clone(), role: role.into() }))
        };
        let out = run("EOC").unwrap();
        assert!(out.contains("added 0, updated 0, unchanged 5, skipped 2"), "{out}");
        let out = run("IMOC").unwrap();
        assert!(out.contains("into IMOC: added 5, updated 0, unchanged 0, skipped 2"), "{out}");
        assert!(out.contains("why: unknown person"), "{out}");
        // Read from the database itself: the kept API answers learn of a
        // write by another connection a moment later.
        let stored = {
            let mut conn = app.db.conn().unwrap();
            baton::db::models::shifts::list_between(&mut conn, Utc::now(), Utc::now() + Duration::days(60)).unwrap()
        };
        let imoc: Vec<_> = stored.iter().filter(|s| s.role == "IMOC" && s.import_uid.is_some()).collect();
        assert_eq!((stored.len(), imoc.len()), (10, 5));
        std::fs::write(&path, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n").unwrap();
        let err = run("EOC").unwrap_err();
        assert!(err.contains("line 2: ") && err.contains("nothing was imported"), "{err}");
        let _ = std::fs::remove_file(&path);
    }

    async fn sequence_grows_when_a_shift_changes_uid_stays(app) {
        let token = people(&app);
        let starts = Utc::now() + Duration::days(2);
        let starts = starts - Duration::nanoseconds(starts.timestamp_subsec_nanos() as i64);
        let (status, shift) = app.send_json(Method::POST, "/api/v1/shifts", &token, &json!({
            "username": "alice", "role": "EOC", "starts_at": fmt(starts), "ends_at": fmt(starts + Duration::hours(8)),
        })).await;
        assert_eq!(status, 201, "{shift}");
        let id = shift["id"].as_str().unwrap().to_owned();
        let feed = || async {
            let res = app.api(Method::GET, "/api/v1/shifts.ics?role=EOC", &token).send().await.unwrap();
            let calendar: icalendar::Calendar = res.text().await.unwrap().parse().unwrap();
            let event = calendar.events().next().expect("one event").clone();
            (
                event.property_value("UID").unwrap().to_owned(),
                event.property_value("SEQUENCE").unwrap().parse::<u64>().unwrap(),
                event.property_value("DTSTART").unwrap().to_owned(),
            )
        };
        let created = |app: &TestApp| {
            let mut conn = app.db.conn().unwrap();
            baton::db::models::shifts::find(&mut conn, &id).unwrap().0.created_at
        };
        let (uid, first, _) = feed().await;
        let made = created(&app);
        // Two edits at once (within a second): SEQUENCE grows each time.
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let mut last = first;
        for hours in [1, 2] {
            let at = starts + Duration::hours(hours);
            let local = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S").to_string();
            let (status, _, html) = app.post_form(&browser, &format!("/shifts/{id}"), &[
                ("username", "alice"), ("role", "EOC"), ("tz", "UTC"),
                ("starts_at", &local(at)), ("ends_at", &local(at + Duration::hours(8))),
            ]).await;
            assert_eq!(status, 303, "{html}");
            let (again, sequence, dtstart) = feed().await;
            assert_eq!(again, uid, "the UID stays");
            assert!(sequence > last, "SEQUENCE {sequence} after {last}");
            assert_eq!(dtstart, at.format("%Y%m%dT%H%M%SZ").to_string());
            last = sequence;
        }
        assert_eq!(created(&app), made, "an edit keeps created_at");
    }
}
