//! `baton demo` at a small size, on both backends: the counts it promises,
//! rows consistent with what the application writes, and pages that show them.

use crate::common;

use baton::db::DbConnection;
use baton::db::schema::{handoffs, notes, shifts, users};
use baton::demo::{DemoArgs, Summary, seed};
use baton::domain::issue_ref::GitLab;
use diesel::prelude::*;

fn small() -> DemoArgs {
    DemoArgs {
        users: 12,
        days: 30,
        open: 9,
        notes: 400,
        ..DemoArgs::default()
    }
}

/// A handoff's id, pending recipient, pending note, version, kind, verification.
type HandoffFacts = (
    String,
    Option<String>,
    Option<String>,
    i32,
    String,
    Option<String>,
);

fn gitlab() -> GitLab {
    GitLab::new("https://gitlab.com", None).expect("gitlab")
}

fn count<T>(conn: &mut DbConnection, query: T) -> i64
where
    T: diesel::query_dsl::LoadQuery<'static, DbConnection, i64>,
{
    query.get_result(conn).expect("count")
}

fn seeded(app: &common::TestApp) -> Summary {
    let mut conn = app.db.conn().expect("conn");
    seed(&mut conn, &small(), &gitlab()).expect("demo")
}

backend_tests! {
    async fn the_demo_makes_the_team_shifts_handoffs_and_notes_it_promises(app) {
        let summary = seeded(&app);
        let mut conn = app.db.conn().expect("conn");
        assert_eq!(count(&mut conn, notes::table.count()), 400);
        assert_eq!(summary.notes, 400);
        assert_eq!(count(&mut conn, users::table.count()), 12);
        assert_eq!(count(&mut conn, shifts::table.count()), 30 * 9);
        assert_eq!(
            count(&mut conn, handoffs::table.filter(handoffs::status.eq("open")).count()),
            9
        );
        let resolved = count(&mut conn, handoffs::table.filter(handoffs::status.eq("resolved")).count());
        assert!(resolved > 0);
        assert_eq!(resolved as usize, summary.resolved);
        let zones: Vec<String> = users::table.select(users::timezone).distinct().load(&mut *conn).expect("zones");
        assert!(zones.len() >= 8, "{zones:?}");
        assert!(zones.iter().any(|z| z == "Asia/Kolkata" || z == "Asia/Kathmandu"));
        let kinds: Vec<String> = handoffs::table
            .filter(handoffs::status.eq("open"))
            .select(handoffs::kind)
            .distinct()
            .load(&mut *conn)
            .expect("kinds");
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        let severities: Vec<i32> = handoffs::table
            .filter(handoffs::status.eq("open"))
            .select(handoffs::severity)
            .distinct()
            .load(&mut *conn)
            .expect("severities");
        assert_eq!(severities.len(), 4);
        assert!(summary.waiting >= 2, "{summary}");
    }

    async fn demo_rows_are_what_the_application_would_have_written(app) {
        let summary = seeded(&app);
        let mut conn = app.db.conn().expect("conn");
        let all: Vec<HandoffFacts> = handoffs::table
            .select((
                handoffs::id,
                handoffs::pending_to_id,
                handoffs::pending_note_id,
                handoffs::version,
                handoffs::kind,
                handoffs::dl_verification,
            ))
            .load(&mut *conn)
            .expect("handoffs");
        for (id, pending_to, pending_note, version, kind, verification) in all {
            let rows: Vec<(String, Option<String>, Option<chrono::NaiveDateTime>)> = notes::table
                .filter(notes::handoff_id.eq(&id))
                .order(notes::id.asc())
                .select((notes::id, notes::pass_to_id, notes::acknowledged_at))
                .load(&mut *conn)
                .expect("notes");
            let acks = rows.iter().filter(|(_, _, a)| a.is_some()).count();
            assert_eq!(version as usize, rows.len() + acks, "version of {id}");
            assert_eq!(kind == "perceived_data_loss", verification.is_some());
            if let Some(to) = pending_to {
                let (last_id, pass_to, ack) = rows.last().expect("a note");
                assert_eq!(pending_note.as_deref(), Some(last_id.as_str()));
                assert_eq!(pass_to.as_deref(), Some(to.as_str()));
                assert!(ack.is_none());
            } else {
                assert!(pending_note.is_none());
            }
        }
        let thirty = summary.thirty_notes.expect("the 30-note handoff");
        assert_eq!(count(&mut conn, notes::table.filter(notes::handoff_id.eq(thirty.clone())).count()), 30);
    }

    async fn the_dashboard_and_the_handoff_page_show_the_demo(app) {
        let summary = seeded(&app);
        app.sign_in(&app.browser, &summary.sign_in_as).await;
        let (status, html) = app.page(&app.browser, "/").await;
        assert_eq!(status, 200);
        assert!(html.contains("Waiting for you (1)"), "{html}");
        assert!(html.contains(&format!("Open handoffs ({})", 9 - 1)));
        assert!(html.contains("gitlab-com/gl-infra/production#10000"));
        let thirty = summary.thirty_notes.expect("the 30-note handoff");
        let (status, html) = app.page(&app.browser, &format!("/handoffs/{thirty}")).await;
        assert_eq!(status, 200);
        assert_eq!(html.matches("<li id=\"note-").count(), 30, "{html}");
    }

    async fn the_demo_refuses_a_database_that_has_handoffs_unless_forced(app) {
        seeded(&app);
        let mut conn = app.db.conn().expect("conn");
        let err = seed(&mut conn, &small(), &gitlab()).expect_err("refused");
        assert!(err.contains("--force"), "{err}");
        let forced = DemoArgs { force: true, ..small() };
        let again = seed(&mut conn, &forced, &gitlab()).expect("forced");
        assert_eq!(again.users, 0, "the demo users are reused");
        assert_eq!(again.shifts, 0, "shifts are not doubled");
        assert_eq!(count(&mut conn, notes::table.count()), 800);
    }
}
