//! `/admin/drills`: the restore drills (`baton drill`), passed or failed,
//! with the time of each step; and the dashboard's warning to admins when
//! the last drill that passed is too old.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::db::DbConnection;
use crate::db::models::drills::{self, Drill};
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::{AppState, Layout, Viewer, render_page};

/// How many drills the page shows.
const DRILL_ROWS: i64 = 100;
/// After how many days without a drill that passed the dashboard warns.
pub const WARN_AFTER_DAYS: i64 = 31;

/// A drill as shown.
pub struct DrillView {
    at: TimeView,
    drill: Drill,
    archive: String,
    steps: Vec<String>,
    total: String,
}

fn seconds(ms: Option<i64>) -> String {
    ms.map(|ms| format!("{:.2} s", ms as f64 / 1000.0))
        .unwrap_or_else(|| "not run".into())
}

impl DrillView {
    fn new(drill: Drill, viewer: &Viewer) -> DrillView {
        let archive = match (drill.archive_bytes, drill.row_count) {
            (Some(bytes), Some(rows)) => format!(
                "{}, {rows} rows",
                crate::domain::text::human_bytes(u64::try_from(bytes).unwrap_or(0))
            ),
            _ => "–".into(),
        };
        DrillView {
            at: TimeView::new(time::from_db(drill.started_at), viewer.tz),
            steps: [
                drill.backup_ms,
                drill.restore_ms,
                drill.verify_ms,
                drill.render_ms,
                drill.cleanup_ms,
            ]
            .into_iter()
            .map(seconds)
            .collect(),
            total: seconds(Some(drill.total_ms)),
            archive,
            drill,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_drills.html")]
struct DrillsPage {
    layout: Layout,
    warning: Option<String>,
    drills: Vec<DrillView>,
}

/// What the dashboard says to admins about restore drills, if anything:
/// none ever passed, or the last one that did is older than
/// [`WARN_AFTER_DAYS`].
pub fn drill_warning(last_passed: Option<NaiveDateTime>, now: DateTime<Utc>) -> Option<String> {
    match last_passed {
        None => Some(
            "No restore drill has passed yet: a backup counts once it has been restored. Run baton drill."
                .into(),
        ),
        Some(at) => {
            let days = (now - time::from_db(at)).num_days();
            (days > WARN_AFTER_DAYS).then(|| {
                format!(
                    "The last restore drill that passed was {days} days ago (more than {WARN_AFTER_DAYS}). Run baton drill."
                )
            })
        }
    }
}

/// The dashboard's warning for `viewer`: admins only.
pub fn warning_for(conn: &mut DbConnection, viewer: &Viewer) -> Result<Option<String>, AppError> {
    let admin = viewer
        .user
        .as_ref()
        .is_some_and(|u| u.role == crate::domain::handoff::Role::Admin);
    if !admin {
        return Ok(None);
    }
    Ok(drill_warning(drills::last_passed_at(conn)?, time::now()))
}

/// `GET /admin/drills`.
pub async fn show_drills(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    viewer.admin()?;
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| {
            Ok(DrillsPage {
                layout: Layout::load(conn, &st, &viewer, "Restore drills")?,
                warning: warning_for(conn, &viewer)?,
                drills: drills::recent(conn, DRILL_ROWS)?
                    .into_iter()
                    .map(|d| DrillView::new(d, &viewer))
                    .collect(),
            })
        })
        .await?;
    render_page(&page, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_are_warned_when_no_drill_passed_within_31_days() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-31T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ago = |days: i64| Some((now - chrono::Duration::days(days)).naive_utc());
        assert!(
            drill_warning(None, now)
                .unwrap()
                .contains("No restore drill")
        );
        assert_eq!(drill_warning(ago(1), now), None);
        assert_eq!(drill_warning(ago(31), now), None);
        assert!(drill_warning(ago(32), now).unwrap().contains("32 days ago"));
    }
}
