//! Typed values as stored: every kind, status, severity, verification
//! state, role, time zone, audit action and sign-in method goes into its
//! column and comes back as itself; a stored value Baton does not know
//! (written behind its back) is an error that names the table, the row, the
//! column and the value, which a page or the API answers with a 500 and
//! the server goes on.

use baton::db::models::handoffs::{self, DataLoss, ListFilter, NewHandoff, NewNote, Rendered};
use baton::db::models::{audit, events, sessions, users};
use baton::db::schema;
use baton::domain::audit::{AuditAction, SignInMethod};
use baton::domain::handoff::{Kind, Role, Severity, Status, Verification};
use baton::domain::issue_ref::GitLab;
use baton::domain::time::Timezone;
use baton::error::AppError;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::common::TestApp;

fn gitlab() -> GitLab {
    GitLab::new("https://gitlab.com", None).expect("gitlab")
}

/// Opens a handoff through the model as `username`; returns its id.
fn open(
    app: &TestApp,
    username: &str,
    kind: Kind,
    severity: Severity,
    dl: Option<DataLoss>,
) -> String {
    let mut conn = app.db.conn().unwrap();
    let author = users::find_any(&mut conn, &username.parse().unwrap()).unwrap();
    let input = NewHandoff {
        kind,
        title: format!("{kind} at {}", severity.get()),
        severity,
        confidential: false,
        issues: vec![],
        data_loss: dl,
        note: NewNote {
            body: "Looking.".into(),
            ..NewNote::default()
        },
    };
    handoffs::create(&mut conn, &author, input, &gitlab(), &Default::default())
        .unwrap()
        .id
}

/// Runs SQL behind the model's back, and gives the server's change watcher
/// time to see it (so that nothing it kept from before is sent again).
async fn write_behind(app: &TestApp, sql: &str) {
    app.db.conn().unwrap().batch_execute(sql).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
}

/// The error a model function gave, as the log reads it.
fn cause(err: AppError) -> String {
    match err {
        AppError::Internal(cause) => cause,
        other => panic!("expected a 500, got {other:?}"),
    }
}

/// Asserts that `path` answers 500 (a page, or the API's JSON error when
/// `token` is given), and that the server still answers afterwards.
async fn answers_500(app: &TestApp, browser: &reqwest::Client, path: &str, token: Option<&str>) {
    match token {
        Some(token) => {
            let (status, body) = app.get_json(path, token).await;
            assert_eq!(status, 500, "{path}: {body}");
            assert_eq!(body["error"]["code"], "internal", "{path}: {body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(
                !message.contains("Baton does not know"),
                "internals shown: {message}"
            );
        }
        None => {
            let (status, html) = app.page(browser, path).await;
            assert_eq!(status, 500, "{path}");
            assert!(
                !html.contains("Baton does not know"),
                "internals shown on {path}"
            );
        }
    }
    let (status, _) = app.page(browser, "/healthz").await;
    assert_eq!(status, 200, "the server goes on after {path}");
}

backend_tests! {
    async fn every_kind_severity_status_and_verification_state_comes_back_as_itself(app) {
        app.add_user("alice", "UTC", "responder");
        let mut made = Vec::new();
        for (i, kind) in Kind::ALL.iter().enumerate() {
            for severity in Severity::ALL {
                let verification = Verification::ALL[(i + severity.get() as usize) % 3];
                let dl = (*kind == Kind::PerceivedDataLoss).then(|| DataLoss {
                    verification,
                    ..DataLoss::unverified()
                });
                made.push((open(&app, "alice", *kind, severity, dl), *kind, severity));
            }
        }
        let mut conn = app.db.conn().unwrap();
        let alice = users::find_any(&mut conn, &"alice".parse().unwrap()).unwrap();
        handoffs::resolve(&mut conn, &made[0].0, &alice, "Done.".into(), &gitlab(), &Default::default()).unwrap();
        for (i, (id, kind, severity)) in made.iter().enumerate() {
            let h = handoffs::find(&mut conn, id).unwrap();
            assert_eq!((h.kind, h.severity), (*kind, *severity));
            assert_eq!(h.status, if i == 0 { Status::Resolved } else { Status::Open });
            let verification = Verification::ALL[(kind_index(*kind) + severity.get() as usize) % 3];
            assert_eq!(h.dl_verification, (*kind == Kind::PerceivedDataLoss).then_some(verification));
            assert_eq!(h.data_loss().map(|d| d.verification), h.dl_verification);
        }
        // Stored as their spellings, which filters compare.
        let stored: Vec<(String, i32, String)> = schema::handoffs::table
            .filter(schema::handoffs::id.eq(&made[0].0))
            .select((schema::handoffs::kind, schema::handoffs::severity, schema::handoffs::status))
            .load(&mut *conn)
            .unwrap();
        assert_eq!(stored, [("outage".to_owned(), 1, "resolved".to_owned())]);
        for kind in Kind::ALL {
            for severity in Severity::ALL {
                let filter = ListFilter {
                    status: Some(Status::Open),
                    kind: Some(*kind),
                    severity: Some(severity),
                    limit: 50,
                    ..ListFilter::default()
                };
                let found = handoffs::list(&mut conn, &filter).unwrap();
                let resolved = *kind == Kind::Outage && severity == Severity::ALL[0];
                assert_eq!(found.len(), usize::from(!resolved), "{kind} {}", severity.get());
                assert!(found.iter().all(|h| h.kind == *kind && h.severity == severity));
            }
        }
        let filter = ListFilter { status: Some(Status::Resolved), limit: 50, ..ListFilter::default() };
        let resolved = handoffs::list(&mut conn, &filter).unwrap();
        assert_eq!(resolved.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), [made[0].0.as_str()]);
    }

    async fn every_role_time_zone_audit_action_and_sign_in_method_comes_back_as_itself(app) {
        let mut conn = app.db.conn().unwrap();
        let zones = ["UTC", "Asia/Kathmandu", "America/St_Johns"];
        for (i, role) in Role::ALL.iter().enumerate() {
            let name = format!("user{i}");
            let zone = Timezone::parse(zones[i]).unwrap();
            users::create(&mut conn, &name.parse().unwrap(), &name, zone, *role).unwrap();
            let user = users::find_any(&mut conn, &name.parse().unwrap()).unwrap();
            assert_eq!((user.role, user.timezone), (*role, zone));
        }
        users::set_role(&mut conn, &"user0".parse().unwrap(), Role::Admin).unwrap();
        let user0 = users::find_any(&mut conn, &"user0".parse().unwrap()).unwrap();
        assert_eq!(user0.role, Role::Admin);
        let writers: Vec<Role> = users::list_active(&mut conn)
            .unwrap()
            .into_iter()
            .filter(|u| u.role.can_write())
            .map(|u| u.role)
            .collect();
        assert_eq!(writers, [Role::Admin, Role::Responder, Role::Admin]);

        for action in AuditAction::ALL {
            let event = audit::Event { action: *action, actor: "cli", subject: "user0", address: "-", detail: "" };
            audit::record(&mut conn, event).unwrap();
        }
        let mut recorded: Vec<AuditAction> = audit::recent(&mut conn, 50).unwrap().into_iter().map(|e| e.action).collect();
        recorded.reverse();
        assert_eq!(recorded, AuditAction::ALL);

        for method in SignInMethod::ALL {
            sessions::create(&mut conn, &user0.id, *method).unwrap();
        }
        let mut methods: Vec<String> = schema::sessions::table
            .select(schema::sessions::method)
            .load(&mut *conn)
            .unwrap();
        methods.sort();
        assert_eq!(methods, ["gitlab", "local", "password"]);
    }

    async fn a_session_in_use_renews_its_last_use_at_most_once_an_hour(app) {
        app.add_user("alice", "UTC", "responder");
        let mut conn = app.db.conn().unwrap();
        let alice = users::find_any(&mut conn, &"alice".parse().unwrap()).unwrap();
        let id = sessions::create(&mut conn, &alice.id, SignInMethod::Local).unwrap();
        let last_seen = |conn: &mut baton::db::DbConnection| -> chrono::NaiveDateTime {
            schema::sessions::table.find(&id).select(schema::sessions::last_seen_at).first(conn).unwrap()
        };
        let created = last_seen(&mut conn);
        let now = baton::domain::time::now();
        let later = |minutes| now + chrono::Duration::minutes(minutes);
        assert!(sessions::resume(&mut conn, &id, &alice.id, later(59)).unwrap().is_some());
        assert_eq!(last_seen(&mut conn), created, "used within the hour: no write");
        assert!(sessions::resume(&mut conn, &id, &alice.id, later(61)).unwrap().is_some());
        assert_eq!(last_seen(&mut conn), baton::domain::time::to_db(later(61)), "renewed after an hour");
        let expired = later(61) + sessions::LIFETIME + chrono::Duration::minutes(1);
        assert!(sessions::resume(&mut conn, &id, &alice.id, expired).unwrap().is_none(), "unused for its lifetime: ended");
    }

    async fn an_unknown_status_names_the_row_and_its_pages_and_api_answer_500(app) {
        app.add_user("alice", "UTC", "responder");
        let token = app.token("alice");
        let id = open(&app, "alice", Kind::Outage, Severity::ALL[1], None);
        write_behind(&app, &format!("UPDATE handoffs SET status = 'paused' WHERE id = '{id}'")).await;
        let mut conn = app.db.conn().unwrap();
        let err = handoffs::find(&mut conn, &id).unwrap_err();
        assert_eq!(
            cause(err),
            format!(r#"database: handoffs row {id} has status "paused", which Baton does not know"#)
        );
        let all = ListFilter { limit: 50, ..ListFilter::default() };
        let err = handoffs::list(&mut conn, &all).unwrap_err();
        assert!(err.to_string().contains(&format!(r#"handoffs row {id} has status "paused""#)), "{err}");
        let alice = users::find_any(&mut conn, &"alice".parse().unwrap()).unwrap();
        let err = handoffs::add_note(&mut conn, &id, &alice, NewNote { body: "x".into(), ..NewNote::default() }, Rendered::of("x", &gitlab()), &Default::default()).unwrap_err();
        assert!(cause(err).contains(r#"has status "paused""#));
        drop(conn);

        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        answers_500(&app, &browser, &format!("/handoffs/{id}"), None).await;
        answers_500(&app, &browser, "/handoffs?status=all", None).await;
        answers_500(&app, &browser, &format!("/api/v1/handoffs/{id}"), Some(&token)).await;
        answers_500(&app, &browser, "/api/v1/handoffs?status=all", Some(&token)).await;
        let (status, _, _) = app.post_form(&browser, &format!("/handoffs/{id}/notes"), &[("body", "still there?")]).await;
        assert_eq!(status, 500, "a note on it");
    }

    async fn an_unknown_kind_or_verification_state_or_a_severity_of_7_names_the_row(app) {
        app.add_user("alice", "UTC", "responder");
        let token = app.token("alice");
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let cases = [
            ("kind = 'fire'", r#"has kind "fire""#),
            ("severity = 7", "has severity 7"),
            ("severity = 0", "has severity 0"),
            ("dl_verification = 'maybe'", r#"has dl_verification "maybe""#),
        ];
        for (set, problem) in cases {
            let id = open(&app, "alice", Kind::PerceivedDataLoss, Severity::ALL[2], None);
            write_behind(&app, &format!("UPDATE handoffs SET {set} WHERE id = '{id}'")).await;
            let err = handoffs::find(&mut app.db.conn().unwrap(), &id).unwrap_err();
            assert_eq!(
                cause(err),
                format!("database: handoffs row {id} {problem}, which Baton does not know")
            );
            answers_500(&app, &browser, &format!("/handoffs/{id}"), None).await;
            answers_500(&app, &browser, "/", None).await;
            answers_500(&app, &browser, &format!("/api/v1/handoffs/{id}"), Some(&token)).await;
            write_behind(&app, &format!("DELETE FROM issue_links WHERE handoff_id = '{id}'; \
                DELETE FROM notes WHERE handoff_id = '{id}'; DELETE FROM handoffs WHERE id = '{id}'")).await;
        }
    }

    async fn an_unknown_role_or_time_zone_names_the_user_row_and_their_requests_answer_500(app) {
        app.add_user("alice", "UTC", "admin");
        app.add_user("bob", "UTC", "responder");
        let token = app.token("bob");
        let browser = crate::common::browser();
        app.sign_in(&browser, "bob").await;
        let admin = crate::common::browser();
        app.sign_in(&admin, "alice").await;
        for (set, problem) in [("role = 'owner'", r#"has role "owner""#), ("timezone = 'Mars/Olympus'", r#"has timezone "Mars/Olympus""#)] {
            write_behind(&app, &format!("UPDATE users SET {set} WHERE username = 'bob'")).await;
            let mut conn = app.db.conn().unwrap();
            let id: String = schema::users::table
                .filter(schema::users::username.eq("bob"))
                .select(schema::users::id)
                .first(&mut *conn)
                .unwrap();
            let err = users::find_any(&mut conn, &"bob".parse().unwrap()).unwrap_err();
            assert_eq!(cause(err), format!("database: users row {id} {problem}, which Baton does not know"));
            let err = users::list_all(&mut conn).unwrap_err();
            assert_eq!(err.to_string(), format!("users row {id} {problem}, which Baton does not know"));
            drop(conn);
            answers_500(&app, &browser, "/", None).await;
            answers_500(&app, &browser, "/api/v1/users/me", Some(&token)).await;
            answers_500(&app, &admin, "/admin/users", None).await;
            write_behind(&app, "UPDATE users SET role = 'responder', timezone = 'UTC' WHERE username = 'bob'").await;
            let (status, _) = app.page(&browser, "/").await;
            assert_eq!(status, 200, "bob is readable again");
        }
    }

    async fn an_unknown_audit_action_names_the_row_and_the_admin_page_answers_500(app) {
        app.add_user("alice", "UTC", "admin");
        let admin = crate::common::browser();
        app.sign_in(&admin, "alice").await;
        write_behind(&app, "INSERT INTO audit_log (id, at, action, actor, subject, address, detail) \
            VALUES ('0193a000-0000-7000-8000-000000000001', '2026-12-01 10:00:00', 'signout', 'alice', 'alice', '-', '')").await;
        let err = audit::recent(&mut app.db.conn().unwrap(), 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"audit_log row 0193a000-0000-7000-8000-000000000001 has action "signout", which Baton does not know"#
        );
        answers_500(&app, &admin, "/admin/users", None).await;
    }

    async fn an_unknown_event_kind_names_the_row_and_the_log_and_the_api_answer_500(app) {
        let (alice, _, _) = app.alice_bob_carol();
        let browser = crate::common::browser();
        app.sign_in(&browser, "alice").await;
        let author = users::find_any(&mut app.db.conn().unwrap(), &"alice".parse().unwrap()).unwrap();
        write_behind(&app, &format!("INSERT INTO events (id, kind, title, body, body_html, author_id, occurred_at, created_at) \
            VALUES ('0193a000-0000-7000-8000-000000000002', 'rollback', 'Rolled back', '', '', '{}', '2026-12-01 10:00:00', '2026-12-01 10:00:00')", author.id)).await;
        let err = events::list(&mut app.db.conn().unwrap(), &Default::default(), 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"events row 0193a000-0000-7000-8000-000000000002 has kind "rollback", which Baton does not know"#
        );
        answers_500(&app, &browser, "/log", None).await;
        answers_500(&app, &browser, "/api/v1/events", Some(&alice)).await;
    }
}

fn kind_index(kind: Kind) -> usize {
    Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

/// A connection PostgreSQL dropped (a restart, an administrator) costs at
/// most the one query that finds it lost: the pool then checks every other
/// connection it hands out, instead of trusting those given back moments ago
/// (which a busy pool does, to save a round trip per request).
#[test]
fn connections_the_server_dropped_cost_at_most_one_query() {
    use crate::common::{Backend, Cleanup, FreshDatabase};
    let Some(fresh) = FreshDatabase::new(Backend::Postgres) else {
        return;
    };
    let Cleanup::Database { admin_url, name } = &fresh.cleanup else {
        unreachable!("a PostgreSQL database");
    };
    let db = baton::db::Db::connect(&fresh.url).expect("pool");
    // Three connections used at once, then given back: all trusted now.
    let held: Vec<_> = (0..3).map(|_| db.conn().expect("connection")).collect();
    for mut conn in held {
        conn.batch_execute("SELECT 1").expect("a live connection");
    }

    let mut admin = diesel::PgConnection::establish(admin_url).expect("admin");
    // The backends there now; the pool may open another meanwhile (to keep
    // one idle), which is left alone.
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let pids = |admin: &mut diesel::PgConnection| -> Vec<i32> {
        diesel::sql_query(format!(
            "SELECT pid FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .load::<Pid>(admin)
        .expect("backends")
        .into_iter()
        .map(|b| b.pid)
        .collect()
    };
    let dropped = pids(&mut admin);
    assert!(dropped.len() >= 3, "{dropped:?}");
    for pid in &dropped {
        admin
            .batch_execute(&format!("SELECT pg_terminate_backend({pid})"))
            .expect("terminate");
    }
    // Until the server has let them all go.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pids(&mut admin).iter().any(|pid| dropped.contains(pid)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the backends are still there"
        );
        std::thread::yield_now();
    }

    let failed = (0..10)
        .filter(|_| {
            let mut conn = db.conn().expect("the pool opens a new connection");
            conn.batch_execute("SELECT 1").is_err()
        })
        .count();
    assert!(
        failed <= 1,
        "{failed} of 10 queries failed on dropped connections"
    );
    db.close();
}
