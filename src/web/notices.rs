//! "Your future changed" on every page: the notices of what a change to the
//! schedule did to the viewer's next 14 days (stored by
//! `db::models::future`), in the viewer's zone, each with a button to
//! dismiss it (a form: no script needed).

use actix_web::{HttpResponse, web};

use crate::db::DbConnection;
use crate::db::models::future;
use crate::domain::future::Span;
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::auth::safe_next;
use crate::web::{AppState, FormPairs, Viewer, field, parse_id, see_other};

/// How many notices a page shows (the rest are counted).
const SHOWN: i64 = 5;

/// Who did a change, for the notices it leaves.
pub fn who(viewer: &Viewer) -> &str {
    viewer
        .user
        .as_ref()
        .map_or("someone", |u| u.username.as_str())
}

/// A span of time on call, as a notice shows it.
#[derive(Debug, Clone)]
pub struct SpanView {
    /// The rotation role.
    pub role: String,
    /// Its start in the viewer's zone.
    pub starts: TimeView,
    /// Its end.
    pub ends: TimeView,
}

/// One notice.
#[derive(Debug, Clone)]
pub struct NoticeView {
    /// Its id, for dismissing it.
    pub id: String,
    /// What changed the schedule.
    pub cause: String,
    /// When.
    pub at: TimeView,
    /// Time on call that is gone.
    pub before: Vec<SpanView>,
    /// Time on call that is new.
    pub after: Vec<SpanView>,
}

/// The notices the layout shows.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    /// The newest few.
    pub shown: Vec<NoticeView>,
    /// How many more there are.
    pub more: i64,
    /// The page to come back to after dismissing.
    pub back: String,
}

/// The signed-in viewer's notices (none for anyone else).
pub fn for_viewer(conn: &mut DbConnection, viewer: &Viewer) -> Result<Notices, AppError> {
    let Some(user) = &viewer.user else {
        return Ok(Notices::default());
    };
    let (rows, count) = future::pending(conn, &user.id, SHOWN)?;
    let view = |s: &Span| SpanView {
        role: s.role.clone(),
        starts: TimeView::new(s.starts, viewer.tz),
        ends: TimeView::new(s.ends, viewer.tz),
    };
    let mut shown = vec![];
    for row in &rows {
        let change = row.change()?;
        shown.push(NoticeView {
            id: row.id.clone(),
            cause: row.cause.clone(),
            at: TimeView::new(time::from_db(row.created_at), viewer.tz),
            before: change.before.iter().map(view).collect(),
            after: change.after.iter().map(view).collect(),
        });
    }
    Ok(Notices {
        more: count - shown.len() as i64,
        shown,
        back: viewer.path.clone(),
    })
}

/// `POST /me/schedule-changes/{id}/dismiss` (`next`: where to go back to).
pub async fn dismiss_notice(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.signed_in()?.clone();
    let id = parse_id(&path).map_err(|_| AppError::NotFound("no such notice".into()))?;
    let next = safe_next(field(&form, "next")).to_owned();
    state
        .db
        .run(move |conn| future::dismiss(conn, &user.id, Some(&id)))
        .await?;
    Ok(see_other(&next))
}

/// `POST /me/schedule-changes/dismiss`: every notice at once.
pub async fn dismiss_all_notices(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let user = viewer.signed_in()?.clone();
    let next = safe_next(field(&form, "next")).to_owned();
    state
        .db
        .run(move |conn| future::dismiss(conn, &user.id, None))
        .await?;
    Ok(see_other(&next))
}
