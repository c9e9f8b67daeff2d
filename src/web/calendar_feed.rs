//! `/calendar/{secret}.ics`: a calendar feed for apps that cannot send a
//! token. The secret opens one person's feed: their own shifts
//! (`personal`) or the whole team's (`team`), each from 30 days back to
//! 12 months ahead; a secret that was regenerated or revoked opens nothing.

use actix_web::{HttpResponse, web};
use chrono::Duration;

use crate::db::models::{calendar_feeds, schedule};
use crate::domain::ics::{AHEAD_DAYS, FeedShift, feed};
use crate::domain::time;
use crate::error::AppError;
use crate::web::AppState;

/// `GET /calendar/{secret}.ics`.
pub async fn show_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let secret = path.into_inner();
    let unknown = || AppError::NotFound("no such calendar feed (it may have been replaced)".into());
    if secret.is_empty() || secret.len() > 128 || !secret.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(unknown());
    }
    let public_url = state.settings.public_url.clone();
    let body = state
        .db
        .run(move |conn| {
            let Some((user, kind)) = calendar_feeds::open(conn, &secret)? else {
                return Err(unknown());
            };
            let now = time::now();
            let mut shifts = schedule::between(
                conn,
                now - Duration::days(30),
                now + Duration::days(AHEAD_DAYS),
            )?;
            let name = if kind == "team" {
                "Baton: team shifts".to_owned()
            } else {
                shifts.retain(|o| o.user.id == user.id);
                format!("Baton: shifts of {}", user.username)
            };
            let events: Vec<FeedShift<'_>> =
                shifts.iter().map(schedule::OnCall::feed_shift).collect();
            Ok(feed(&events, &public_url, &name))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(body))
}
