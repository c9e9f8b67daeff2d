//! `/admin/settings`: the chat targets (the webhook's host only, never its
//! secret path), each one's last success and last failure, the outbox's
//! depth and oldest undelivered message, escalation, and a button that
//! sends a test message.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::config::url_host;
use crate::db::models::outbox::{self, events};
use crate::domain::chat::ChatTarget;
use crate::domain::time::{self, TimeView, human_duration};
use crate::error::AppError;
use crate::web::{AppState, Layout, Viewer, render_page, see_other};

/// A chat target as shown.
pub struct TargetView {
    name: &'static str,
    host: Option<String>,
    last_success: Option<TimeView>,
    last_failure: Option<(TimeView, String)>,
}

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    layout: Layout,
    targets: Vec<TargetView>,
    any_target: bool,
    undelivered: i64,
    oldest: Option<String>,
    escalate_after: String,
    escalate_role: String,
    escalate_max: u32,
    sent: bool,
}

/// `GET /admin/settings`.
pub async fn show_settings(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    viewer.admin()?;
    let st = state.clone();
    let sent = query.get("sent").is_some_and(|v| v == "1");
    let page = state
        .db
        .run(move |conn| {
            let chat = &st.settings.chat;
            let mut targets = vec![];
            for (target, name) in [
                (ChatTarget::Slack, "Slack"),
                (ChatTarget::Mattermost, "Mattermost"),
            ] {
                let status = outbox::target_status(conn, target.as_str())?;
                targets.push(TargetView {
                    name,
                    host: chat.url(target).map(|u| url_host(u.expose())),
                    last_success: status
                        .last_success
                        .map(|t| TimeView::new(time::from_db(t), viewer.tz)),
                    last_failure: status
                        .last_failure
                        .map(|(t, why)| (TimeView::new(time::from_db(t), viewer.tz), why)),
                });
            }
            let depth = outbox::depth(conn)?;
            Ok(SettingsPage {
                layout: Layout::load(conn, &st, &viewer, "Settings")?,
                any_target: !chat.targets().is_empty(),
                targets,
                undelivered: depth.undelivered,
                oldest: depth
                    .oldest
                    .map(|t| human_duration(time::now() - time::from_db(t))),
                escalate_after: format!("{} s", chat.escalate_after.as_secs()),
                escalate_role: chat.escalate_to_role.clone(),
                escalate_max: chat.escalate_max,
                sent,
            })
        })
        .await?;
    render_page(&page, StatusCode::OK)
}

/// `POST /admin/settings/chat-test`: sends a test message to every
/// configured chat target (through the outbox, as every message goes).
pub async fn send_test_message(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    let me = viewer.admin()?.clone();
    if !state.chat.is_on() {
        return Err(AppError::Conflict(
            "no chat webhook is configured: set BATON_SLACK_WEBHOOK_URL or BATON_MATTERMOST_WEBHOOK_URL"
                .into(),
        ));
    }
    let notify = state.chat.clone();
    state
        .db
        .run(move |conn| Ok(events::test(conn, &notify, &me)?))
        .await?;
    state.chat.bell.ring();
    Ok(see_other(&viewer.keep_tz("/admin/settings?sent=1")))
}
