//! The weekly review and the on-call load (issue 15, items 3 and 4): for a
//! seeded team week, the figures of `GET /api/v1/review` equal those
//! worked out here from `GET /api/v1/handoffs` and its notes, and the load
//! per person equals what the shifts give minute by minute in each
//! person's own zone; the week runs Wednesday to Tuesday; bad parameters
//! are a 422 naming the field; the page's charts are valid SVG in valid
//! HTML, each with its table. Both backends (the browser check: SQLite).

use std::collections::BTreeMap;

use baton::db::schema::{handoffs, notes, pass_escalations};
use baton::domain::time::Timezone;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{Value, json};

use crate::browser;
use crate::common::TestApp;

/// The seeded team week.
const WEEK: &str = "2026-11-18";
const FROM: &str = "2026-11-18T00:00:00Z";
const TO: &str = "2026-11-25T00:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn in_week(t: DateTime<Utc>) -> bool {
    at(FROM) <= t && t < at(TO)
}

/// A note of a seeded handoff: when it was written, whom it passes to and
/// when they acknowledged.
struct Step {
    at: &'static str,
    pass_to: Option<&'static str>,
    ack_at: Option<&'static str>,
}

fn step(at: &'static str, pass_to: Option<&'static str>, ack_at: Option<&'static str>) -> Step {
    Step {
        at,
        pass_to,
        ack_at,
    }
}

/// A seeded handoff: its kind, severity, notes and when it was resolved.
struct Plan {
    kind: &'static str,
    severity: i32,
    steps: Vec<Step>,
    resolved: Option<&'static str>,
}

/// Writes `plan` through the API (as the people it names), then moves its
/// rows to the plan's instants. Returns the handoff's id and its notes' ids.
async fn seed_handoff(
    app: &TestApp,
    tokens: &BTreeMap<&str, String>,
    plan: &Plan,
) -> (String, Vec<String>) {
    let first = &plan.steps[0];
    let created = app
        .create_handoff(&tokens["alice"], json!({"kind": plan.kind, "title": format!("Seeded {} at {}", plan.kind, first.at),
            "severity": plan.severity, "issues": [], "note": {"body": "Seeded.", "pass_to": first.pass_to}}))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let mut holder = "alice";
    for (i, s) in plan.steps.iter().enumerate() {
        if i > 0 {
            let (status, body) = app
                .send_json(
                    Method::POST,
                    &format!("/api/v1/handoffs/{id}/notes"),
                    &tokens[holder],
                    &json!({"body": "Still on it.", "pass_to": s.pass_to}),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
        if let (Some(to), Some(_)) = (s.pass_to, s.ack_at) {
            let (status, body) = app
                .send_json(
                    Method::POST,
                    &format!("/api/v1/handoffs/{id}/acknowledge"),
                    &tokens[to],
                    &json!({}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            holder = to;
        }
    }
    if plan.resolved.is_some() {
        let (status, body) = app
            .send_json(
                Method::POST,
                &format!("/api/v1/handoffs/{id}/resolve"),
                &tokens[holder],
                &json!({"body": "Over."}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // Now the plan's instants.
    let mut conn = app.db.conn().unwrap();
    let note_ids: Vec<String> = notes::table
        .filter(notes::handoff_id.eq(&id))
        .order(notes::id)
        .select(notes::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        note_ids.len(),
        plan.steps.len() + usize::from(plan.resolved.is_some())
    );
    for (note, s) in note_ids.iter().zip(&plan.steps) {
        diesel::update(notes::table.find(note))
            .set((
                notes::created_at.eq(at(s.at).naive_utc()),
                notes::acknowledged_at.eq(s.ack_at.map(|a| at(a).naive_utc())),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    if let Some(r) = plan.resolved {
        diesel::update(notes::table.find(note_ids.last().unwrap()))
            .set(notes::created_at.eq(at(r).naive_utc()))
            .execute(&mut conn)
            .unwrap();
    }
    let last = plan.steps.last().unwrap();
    let pending = last.pass_to.is_some() && last.ack_at.is_none() && plan.resolved.is_none();
    diesel::update(handoffs::table.find(&id))
        .set((
            handoffs::created_at.eq(at(first.at).naive_utc()),
            handoffs::resolved_at.eq(plan.resolved.map(|r| at(r).naive_utc())),
            handoffs::pending_since.eq(pending.then(|| at(last.at).naive_utc())),
        ))
        .execute(&mut conn)
        .unwrap();
    (id, note_ids)
}

/// The seeded world: four responders in four zones, six handoffs around
/// the week of 18 November 2026, one escalation, events and shifts.
async fn seed(app: &TestApp) -> BTreeMap<&'static str, String> {
    let (alice, bob, _carol) = app.alice_bob_carol();
    app.add_user("dave", "America/New_York", "responder");
    app.add_user("erin", "Australia/Sydney", "responder");
    let tokens: BTreeMap<&str, String> = [
        ("alice", alice),
        ("bob", bob),
        ("dave", app.token("dave")),
        ("erin", app.token("erin")),
    ]
    .into_iter()
    .collect();
    let plans = [
        // Opened and resolved in the week; acknowledged in 5 minutes.
        Plan {
            kind: "outage",
            severity: 2,
            steps: vec![step(
                "2026-11-18T10:00:00Z",
                Some("bob"),
                Some("2026-11-18T10:05:00Z"),
            )],
            resolved: Some("2026-11-20T12:00:00Z"),
        },
        // Two passes in the week: 1h30 and 3h.
        Plan {
            kind: "outage",
            severity: 1,
            steps: vec![
                step(
                    "2026-11-19T08:00:00Z",
                    Some("bob"),
                    Some("2026-11-19T09:30:00Z"),
                ),
                step(
                    "2026-11-21T22:00:00Z",
                    Some("dave"),
                    Some("2026-11-22T01:00:00Z"),
                ),
            ],
            resolved: None,
        },
        // Opened before the week; its pass in the week is still pending (and escalated).
        Plan {
            kind: "perceived_data_loss",
            severity: 3,
            steps: vec![
                step(
                    "2026-11-17T12:00:00Z",
                    Some("bob"),
                    Some("2026-11-17T13:00:00Z"),
                ),
                step("2026-11-24T23:00:00Z", Some("erin"), None),
            ],
            resolved: None,
        },
        // The week's last second; acknowledged the next week (counts here: written here).
        Plan {
            kind: "outage",
            severity: 2,
            steps: vec![step(
                "2026-11-24T23:59:59Z",
                Some("erin"),
                Some("2026-11-25T00:29:59Z"),
            )],
            resolved: None,
        },
        // The next week's first instant.
        Plan {
            kind: "outage",
            severity: 1,
            steps: vec![step("2026-11-25T00:00:00Z", None, None)],
            resolved: None,
        },
        // Resolved at the week's first instant.
        Plan {
            kind: "outage",
            severity: 2,
            steps: vec![step("2026-11-10T09:00:00Z", None, None)],
            resolved: Some("2026-11-18T00:00:00Z"),
        },
    ];
    let mut seeded = vec![];
    for plan in &plans {
        seeded.push(seed_handoff(app, &tokens, plan).await);
    }
    {
        let mut conn = app.db.conn().unwrap();
        let (handoff, notes) = &seeded[2];
        let alice_id =
            baton::db::models::users::find_by_username(&mut conn, &"alice".parse().unwrap())
                .unwrap()
                .unwrap()
                .id;
        diesel::insert_into(pass_escalations::table)
            .values((
                pass_escalations::note_id.eq(&notes[1]),
                pass_escalations::handoff_id.eq(handoff),
                pass_escalations::count.eq(1),
                pass_escalations::escalated_at.eq(at("2026-11-24T23:30:00Z").naive_utc()),
                pass_escalations::escalated_to_id.eq(Some(alice_id)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    for (kind, when) in [
        ("change", "2026-11-19T10:00:00Z"),
        ("change", "2026-11-23T10:00:00Z"),
        ("incident", "2026-11-24T23:59:59Z"),
        ("incident", "2026-11-25T00:00:00Z"),
        ("change", "2026-11-17T23:59:59Z"),
    ] {
        let (status, body) = app
            .send_json(
                Method::POST,
                "/api/v1/events",
                &tokens["alice"],
                &json!({"kind": kind, "title": "Seeded", "occurred_at": when}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    for (who, role, from, to) in SHIFTS {
        let (status, body) = app
            .send_json(
                Method::POST,
                "/api/v1/shifts",
                &tokens["alice"],
                &json!({"username": who, "role": role, "starts_at": from, "ends_at": to}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    tokens
}

/// The seeded shifts: (who, role, starts, ends).
const SHIFTS: [(&str, &str, &str, &str); 7] = [
    ("bob", "EOC", "2026-11-17T20:00:00Z", "2026-11-18T04:00:00Z"),
    ("bob", "EOC", "2026-11-18T08:00:00Z", "2026-11-18T16:00:00Z"),
    ("bob", "EOC", "2026-11-20T00:00:00Z", "2026-11-20T12:00:00Z"),
    (
        "dave",
        "EOC",
        "2026-11-20T12:00:00Z",
        "2026-11-21T00:00:00Z",
    ),
    (
        "alice",
        "EOC",
        "2026-11-21T20:00:00Z",
        "2026-11-22T08:00:00Z",
    ),
    (
        "dave",
        "EOC",
        "2026-11-24T20:00:00Z",
        "2026-11-25T06:00:00Z",
    ),
    // Two roles at once: alice's time counts once.
    (
        "alice",
        "IMOC",
        "2026-11-22T06:00:00Z",
        "2026-11-22T10:30:00Z",
    ),
];

/// Median and p90 by nearest rank, worked out plainly.
fn nearest_rank(values: &[i64], p: usize) -> Option<i64> {
    let mut v = values.to_vec();
    v.sort();
    if v.is_empty() {
        return None;
    }
    let rank = (p * v.len()).div_ceil(100);
    Some(v[rank.max(1) - 1])
}

/// Like `backend_tests!`, with escalation off: the seeded escalation is
/// the only one (the job would escalate the seeded pending pass again).
macro_rules! review_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = TestApp::spawn_with(crate::common::Backend::Sqlite, QUIET).await.expect("sqlite");
                    $body
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let Some($app) = TestApp::spawn_with(crate::common::Backend::Postgres, QUIET).await else {
                        return;
                    };
                    $body
                }
            )*
        }
    };
}

/// No escalation job at work.
const QUIET: &[(&str, &str)] = &[("BATON_ESCALATE_MAX", "0")];

review_tests! {
    async fn the_review_figures_equal_those_worked_out_from_the_handoffs_api_for_a_seeded_week(app) {
        let tokens = seed(&app).await;
        let alice = &tokens["alice"];
        let (status, review) = app.get_json(&format!("/api/v1/review?week={WEEK}"), alice).await;
        assert_eq!(status, 200, "{review}");
        assert_eq!((review["from"].as_str(), review["to"].as_str(), review["week"].as_str()), (Some(FROM), Some(TO), Some(WEEK)));

        // Worked out from the handoffs API and their notes.
        let (_, list) = app.get_json("/api/v1/handoffs?status=all&limit=100", alice).await;
        let list = list["handoffs"].as_array().unwrap().clone();
        assert_eq!(list.len(), 6);
        let mut opened: BTreeMap<(String, i64), i64> = BTreeMap::new();
        let mut resolved: BTreeMap<(String, i64), i64> = BTreeMap::new();
        let mut passes = 0;
        let mut waits: Vec<i64> = vec![];
        let mut slowest: Vec<(i64, String)> = vec![];
        for h in &list {
            let key = (h["kind"].as_str().unwrap().to_owned(), h["severity"].as_i64().unwrap());
            if in_week(at(h["created_at"].as_str().unwrap())) {
                *opened.entry(key.clone()).or_default() += 1;
            }
            if h["resolved_at"].as_str().is_some_and(|r| in_week(at(r))) {
                *resolved.entry(key).or_default() += 1;
            }
            let (_, one) = app.get_json(&format!("/api/v1/handoffs/{}", h["id"].as_str().unwrap()), alice).await;
            for note in one["notes"].as_array().unwrap() {
                let written = at(note["created_at"].as_str().unwrap());
                if note["pass_to"].is_object() && in_week(written) {
                    passes += 1;
                    if let Some(acked) = note["acknowledged_at"].as_str() {
                        let wait = (at(acked) - written).num_seconds();
                        waits.push(wait);
                        slowest.push((wait, h["id"].as_str().unwrap().to_owned()));
                    }
                }
            }
        }
        let counts = |v: &Value| -> BTreeMap<(String, i64), i64> {
            v.as_array().unwrap().iter()
                .map(|c| ((c["kind"].as_str().unwrap().to_owned(), c["severity"].as_i64().unwrap()), c["count"].as_i64().unwrap()))
                .collect()
        };
        assert_eq!(counts(&review["opened"]), opened);
        assert_eq!(counts(&review["resolved"]), resolved);
        assert_eq!(review["passes"]["written"], passes);
        let ack = &review["passes"]["time_to_acknowledge"];
        assert_eq!(ack["acknowledged"], waits.len());
        assert_eq!(ack["median_seconds"].as_i64(), nearest_rank(&waits, 50));
        assert_eq!(ack["p90_seconds"].as_i64(), nearest_rank(&waits, 90));
        assert_eq!(ack["max_seconds"].as_i64(), waits.iter().max().copied());
        slowest.sort_by_key(|b| std::cmp::Reverse(b.0));
        let listed: Vec<(i64, String)> = review["passes"]["slowest"].as_array().unwrap().iter()
            .map(|s| (s["seconds"].as_i64().unwrap(), s["handoff_id"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(listed, slowest.into_iter().take(5).collect::<Vec<_>>());
        // And what the seed says, so that none of the above is vacuous.
        assert_eq!(passes, 5);
        assert_eq!(waits.len(), 4);
        assert_eq!((ack["median_seconds"].as_i64(), ack["p90_seconds"].as_i64()), (Some(1800), Some(10800)));
        assert_eq!(opened.values().sum::<i64>(), 3);
        assert_eq!(resolved.get(&("outage".to_owned(), 2)), Some(&2), "resolved at the week's first instant counts");
        assert_eq!(review["passes"]["escalated"], 1);
        assert_eq!(review["open_older_than_week"], 1);
        let events: Vec<(&str, i64)> = review["events"].as_array().unwrap().iter()
            .map(|e| (e["kind"].as_str().unwrap(), e["count"].as_i64().unwrap())).collect();
        assert_eq!(events, [("change", 2), ("incident", 1)]);

        // Carry-over: the shift changes in the week (starts of the shifts),
        // each survived by the handoffs open across it.
        let mut changes: Vec<DateTime<Utc>> = SHIFTS.iter().map(|s| at(s.2)).filter(|t| in_week(*t)).collect();
        changes.sort();
        changes.dedup();
        let (mut total, mut survivors) = (0, 0);
        for h in &list {
            let created = at(h["created_at"].as_str().unwrap());
            let until = h["resolved_at"].as_str().map(at);
            let n = changes.iter().filter(|t| created < **t && until.is_none_or(|u| **t <= u)).count();
            total += n;
            survivors += usize::from(n > 0);
        }
        assert_eq!((review["carry_over"]["total"].as_u64(), review["carry_over"]["handoffs"].as_u64()), (Some(total as u64), Some(survivors as u64)));
        assert!(total > 0);

        // Open handoffs per day: at the end of each UTC day of the week.
        let days = review["open_per_day"].as_array().unwrap();
        assert_eq!(days.len(), 7);
        assert_eq!(days[0]["day"], "2026-11-18");
        for d in days {
            let end = at(&format!("{}T00:00:00Z", d["day"].as_str().unwrap())) + Duration::days(1);
            let open = list.iter().filter(|h| {
                at(h["created_at"].as_str().unwrap()) < end && h["resolved_at"].as_str().is_none_or(|r| at(r) >= end)
            }).count();
            assert_eq!(d["open"].as_u64(), Some(open as u64), "{d}");
        }
        // Twelve weeks of time to acknowledge, this one last.
        let weeks = review["ack_weeks"].as_array().unwrap();
        assert_eq!(weeks.len(), 12);
        assert_eq!(weeks[11]["week"], WEEK);
        assert_eq!(weeks[11]["median_seconds"], ack["median_seconds"]);
        assert_eq!(weeks[10]["acknowledged"], 1, "the pass of 17 November, the week before");
    }

    async fn the_load_per_person_equals_the_shifts_counted_minute_by_minute_in_each_persons_zone(app) {
        let tokens = seed(&app).await;
        let (status, review) = app.get_json(&format!("/api/v1/review?from={FROM}&to={TO}"), &tokens["alice"]).await;
        assert_eq!(status, 200, "{review}");
        assert!(review["week"].as_str() == Some(WEEK), "a range that is a team week is named as one");
        let zones: BTreeMap<&str, &str> = [("alice", "Europe/Amsterdam"), ("bob", "Asia/Tokyo"), ("dave", "America/New_York"), ("erin", "Australia/Sydney")].into_iter().collect();
        let load: BTreeMap<String, Value> = review["load"].as_array().unwrap().iter()
            .map(|p| (p["username"].as_str().unwrap().to_owned(), p.clone()))
            .collect();
        for (who, zone) in &zones {
            let tz = Timezone::parse(zone).unwrap();
            // Every minute of the week on call in any role, counted once.
            let (mut total, mut night, mut weekend) = (0i64, 0i64, 0i64);
            let mut t = at(FROM);
            while t < at(TO) {
                let on = SHIFTS.iter().any(|s| s.0 == *who && at(s.2) <= t && t < at(s.3));
                if on {
                    let wall = tz.wall(t);
                    total += 60;
                    if wall.hour() >= 22 || wall.hour() < 7 {
                        night += 60;
                    }
                    if matches!(wall.date().weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday) {
                        weekend += 60;
                    }
                }
                t += Duration::minutes(1);
            }
            let p = load.get(*who).unwrap_or_else(|| panic!("{who} is in the load table: {review}"));
            assert_eq!(p["timezone"], *zone);
            assert_eq!((p["on_call_seconds"].as_i64(), p["night_seconds"].as_i64(), p["weekend_seconds"].as_i64()),
                (Some(total), Some(night), Some(weekend)), "{who} in {zone}");
        }
        // What the seed says: bob 4 + 8 + 12 hours; alice 14h30 (two roles overlapping 2 h).
        assert_eq!(load["bob"]["on_call_seconds"], 24 * 3600);
        assert_eq!(load["alice"]["on_call_seconds"], 14 * 3600 + 1800);
        // Tokyo: 08:00–16:00Z on 18 Nov is 17:00–01:00 local (3 night hours);
        // 00:00–12:00Z on 20 Nov is 09:00–21:00 (none); 00:00–04:00Z on 18 Nov is 09:00–13:00 (none).
        assert_eq!(load["bob"]["night_seconds"], 3 * 3600);
        assert!(load["alice"]["weekend_seconds"].as_i64().unwrap() > 0);
        // Passes received and escalations.
        assert_eq!(load["bob"]["passes_received"], 2);
        assert_eq!(load["erin"]["passes_received"], 2);
        assert_eq!(load["erin"]["time_to_acknowledge"]["acknowledged"], 1);
        assert_eq!(load["alice"]["escalations"], 1);
        assert_eq!(load["bob"]["weekly_seconds"].as_array().unwrap().len(), 12);
        assert_eq!(load["bob"]["weekly_seconds"][11], 24 * 3600);
    }

    async fn the_team_week_runs_from_wednesday_to_tuesday_and_bad_parameters_name_their_field(app) {
        let tokens = seed(&app).await;
        let alice = &tokens["alice"];
        for day in ["2026-11-18", "2026-11-21", "2026-11-24"] {
            let (_, r) = app.get_json(&format!("/api/v1/review?week={day}"), alice).await;
            assert_eq!((r["from"].as_str(), r["to"].as_str()), (Some(FROM), Some(TO)), "{day} is in the week of Wednesday 18 November");
        }
        let (_, next) = app.get_json("/api/v1/review?week=2026-11-25", alice).await;
        assert_eq!(next["from"], "2026-11-25T00:00:00Z");
        // The handoff opened at 23:59:59 on Tuesday counts in the earlier week,
        // the one opened at 00:00:00 on Wednesday in the next.
        let (_, week) = app.get_json(&format!("/api/v1/review?week={WEEK}"), alice).await;
        assert!(week["opened"].as_array().unwrap().iter().any(|c| c["severity"] == 2 && c["count"] == 2));
        assert!(next["opened"].as_array().unwrap().iter().any(|c| c["severity"] == 1 && c["count"] == 1));
        let (_, current) = app.get_json("/api/v1/review", alice).await;
        let wednesday = at(current["from"].as_str().unwrap());
        assert_eq!(wednesday.format("%a %H:%M:%S").to_string(), "Wed 00:00:00");
        assert!(wednesday <= Utc::now() && Utc::now() < wednesday + Duration::days(7));
        // A range that is not a week has no week name.
        let (_, range) = app.get_json("/api/v1/review?from=2026-11-19T00:00:00Z&to=2026-11-20T00:00:00%2B01:00", alice).await;
        assert!(range["week"].is_null());
        assert_eq!(range["to"], "2026-11-19T23:00:00Z");

        for (query, field) in [("week=soon", "week"), ("week=2026-02-30", "week"), ("week=2026-11-18&from=2026-11-18T00:00:00Z", "week"),
            ("from=2026-11-18T00:00:00Z", "to"), ("to=2026-11-18T00:00:00Z", "from"), ("from=yesterday&to=2026-11-18T00:00:00Z", "from"),
            ("from=2026-11-18T00:00:00Z&to=2026-11-17T00:00:00Z", "to"), ("from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to")] {
            let (status, body) = app.get_json(&format!("/api/v1/review?{query}"), alice).await;
            assert_eq!((status, body["error"]["field"].as_str()), (422, Some(field)), "{query}: {body}");
        }

        // The pages: signed in, the same 422 beside the field.
        let browser = crate::common::browser();
        let (status, _) = app.page(&browser, "/review").await;
        assert_ne!(status, 200, "signed out, no review");
        app.sign_in(&browser, "alice").await;
        let (status, html) = app.page(&browser, "/review?week=soon").await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"week-error\""), "{html}");
        let (status, html) = app.page(&browser, &format!("/review?week={WEEK}")).await;
        assert_eq!(status, 200);
        assert!(html.contains("Week of Wed 18 Nov 2026"), "{html}");
        let (status, _) = app.page(&browser, "/review.csv?from=2026-11-18T00:00:00Z").await;
        assert_eq!(status, 422);
        let (status, csv) = app.page(&browser, &format!("/review.csv?week={WEEK}")).await;
        assert_eq!(status, 200);
        assert!(csv.starts_with("figure,kind,severity,value\r\n"), "{csv}");
        assert!(csv.contains("ack_median_seconds,,,1800\r\n"), "{csv}");
        assert!(csv.contains("opened,outage,2,2\r\n"), "{csv}");
        let (status, load) = app.page(&browser, &format!("/review/load.csv?week={WEEK}")).await;
        assert_eq!(status, 200);
        let lines: Vec<&str> = load.lines().collect();
        assert!(lines[0].starts_with("username,name,timezone,from,to,hours_on_call,night_hours"), "{load}");
        assert_eq!(lines.len(), 5, "a header and one row per person: {load}");
        let bob = lines.iter().find(|l| l.starts_with("bob,")).unwrap();
        assert!(bob.contains(",24.00,3.00,"), "{bob}");
    }
}

#[tokio::test]
async fn the_reviews_charts_are_valid_svg_in_valid_html_each_with_its_table() {
    browser::run(QUIET, |t| async move {
        seed(&t.app).await;
        let b = t.browser((1280, 900), "Europe/Amsterdam").await;
        b.sign_in("alice").await;
        b.goto(&format!("/review?week={WEEK}")).await;
        b.assert_accessible("review (light)", None).await;
        b.dark(true).await;
        b.assert_accessible("review (dark)", Some(&["color-contrast"])).await;
        b.dark(false).await;
        b.collect_source("review").await;
        // Three charts, each an image named by its title and described by
        // a table on the page that holds its figures.
        let described = b
            .js(
                "return [...document.querySelectorAll('svg.chart')].map(s => {
                    const t = document.getElementById(s.getAttribute('aria-describedby'));
                    return [s.namespaceURI, s.getAttribute('role'), s.querySelector('title')?.textContent ?? '',
                            t ? t.tagName : '', t ? t.querySelectorAll('tbody tr').length : 0,
                            s.querySelectorAll('polyline, circle').length];
                })",
                vec![],
            )
            .await;
        let charts = described.as_array().unwrap();
        assert_eq!(charts.len(), 3, "{described}");
        for c in charts {
            assert_eq!(c[0], "http://www.w3.org/2000/svg", "{c}");
            assert_eq!(c[1], "img");
            assert!(!c[2].as_str().unwrap().is_empty());
            assert_eq!(c[3], "TABLE", "{c}");
            assert!(c[4].as_u64().unwrap() > 0, "{c}");
            assert!(c[5].as_u64().unwrap() > 0, "{c}: something is drawn");
        }
        let rows = b.text("#open-table tbody").await;
        assert!(rows.contains("Wed 18 Nov 2026"), "{rows}");
        // The SVG is well-formed XML on its own.
        let html = reqwest_page(&t.app, &format!("/review?week={WEEK}")).await;
        for svg in html.split("<svg").skip(1) {
            let svg = format!("<svg{}", &svg[..svg.find("</svg>").unwrap() + 6]);
            roxmltree_like_check(&svg);
        }
    })
    .await;
}

/// The page as a signed-in client receives it.
async fn reqwest_page(app: &TestApp, path: &str) -> String {
    let client = crate::common::browser();
    app.sign_in(&client, "alice").await;
    let (status, html) = app.page(&client, path).await;
    assert_eq!(status, 200);
    html
}

/// A small well-formedness check of an SVG fragment: every element closed
/// in order, every attribute quoted, no raw `<` or `&` in text.
fn roxmltree_like_check(svg: &str) {
    let mut stack: Vec<String> = vec![];
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "a raw > in text: {text}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                entity.find(';').is_some_and(|e| e < 8),
                "a raw & in text: {text}"
            );
        }
        let close = rest[open..].find('>').expect("a tag ends") + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "closed in order: {svg}");
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body.split_whitespace().next().unwrap().to_owned();
            let attrs = &body[name.len()..];
            assert_eq!(
                attrs.matches('"').count() % 2,
                0,
                "quoted attributes: {tag}"
            );
            assert_eq!(
                attrs.matches('=').count(),
                attrs.matches("=\"").count(),
                "quoted attributes: {tag}"
            );
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "every element closed: {stack:?}");
}
