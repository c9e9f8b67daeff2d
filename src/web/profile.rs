//! `/me`: display name, time zone and chat handle.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::db::DbConnection;
use diesel::Connection;

use crate::db::models::{calendar_feeds, chat_handles, users};
use crate::domain::chat::parse_handle;
use crate::domain::time::{self, TimeView, Timezone};
use crate::domain::user::parse_display_name;
use crate::error::AppError;
use crate::web::{AppState, FormErrors, FormPairs, Layout, Viewer, field, render_page, see_other};

#[derive(Template)]
#[template(path = "me.html")]
struct ProfilePage {
    layout: Layout,
    username: String,
    role: String,
    name: String,
    timezone: String,
    chat_handle: String,
    local: TimeView,
    zones: &'static [&'static str],
    errors: FormErrors,
    /// Each kind of calendar feed: whether there is one, since when.
    feeds: Vec<(&'static str, Option<TimeView>)>,
    /// A feed URL just made: shown this once.
    new_feed: Option<(String, String)>,
}

fn load_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    kept: Option<(String, String, String, FormErrors)>,
) -> Result<ProfilePage, AppError> {
    let me = viewer.signed_in()?;
    let (name, timezone, chat_handle, errors) = match kept {
        Some(kept) => kept,
        None => (
            me.name.clone(),
            me.timezone.name().to_owned(),
            chat_handles::of(conn, &me.id)?.unwrap_or_default(),
            FormErrors::default(),
        ),
    };
    Ok(ProfilePage {
        layout: Layout::load(conn, state, viewer, "Profile")?,
        username: me.username.clone(),
        role: me.role.as_str().to_owned(),
        local: TimeView::new(time::now(), me.timezone),
        name,
        timezone,
        chat_handle,
        zones: time::zone_names(),
        errors,
        feeds: {
            let mine = calendar_feeds::of_user(conn, &me.id)?;
            calendar_feeds::KINDS
                .iter()
                .map(|k| {
                    let since = mine
                        .iter()
                        .find(|(kind, _)| kind == k)
                        .map(|(_, at)| TimeView::new(time::from_db(*at), viewer.tz));
                    (*k, since)
                })
                .collect()
        },
        new_feed: None,
    })
}

/// `GET /me`.
pub async fn show_profile(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    viewer.signed_in()?;
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| load_page(conn, &st, &viewer, None))
        .await?;
    render_page(&page, StatusCode::OK)
}

/// `POST /me`: change display name and time zone.
pub async fn update_profile(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    let me = viewer.signed_in()?.clone();
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let mut errors = FormErrors::default();
            let name = errors.check("name", parse_display_name(field(&form, "name")));
            let tz = errors.check("timezone", Timezone::parse(field(&form, "timezone")));
            let handle = errors.check("chat_handle", parse_handle(field(&form, "chat_handle")));
            if let (Some(name), Some(tz), Some(handle)) = (name, tz, handle) {
                conn.transaction(|conn| {
                    users::update_profile(conn, &me.id, &name, tz)?;
                    chat_handles::set(conn, &me.id, handle.as_deref())
                })?;
                return Ok(None);
            }
            let kept = (
                field(&form, "name").to_owned(),
                field(&form, "timezone").to_owned(),
                field(&form, "chat_handle").to_owned(),
                errors,
            );
            Ok(Some(load_page(conn, &st, &viewer, Some(kept))?))
        })
        .await?;
    match result {
        None => Ok(see_other("/me")),
        Some(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

fn feed_kind(raw: &str) -> Result<&'static str, AppError> {
    calendar_feeds::KINDS
        .iter()
        .find(|k| **k == raw)
        .copied()
        .ok_or_else(|| AppError::NotFound("no such calendar feed".into()))
}

/// `POST /me/calendar/{kind}`: a new feed URL (the old one stops), shown
/// on the page this once.
pub async fn regenerate_feed(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let me = viewer.signed_in()?.clone();
    let kind = feed_kind(&path)?;
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| {
            let secret = calendar_feeds::regenerate(conn, &me.id, kind)?;
            let mut page = load_page(conn, &st, &viewer, None)?;
            let url = format!(
                "{}/calendar/{secret}.ics",
                st.settings.public_url.trim_end_matches('/')
            );
            page.new_feed = Some((kind.to_owned(), url));
            Ok(page)
        })
        .await?;
    let mut response = render_page(&page, StatusCode::OK)?;
    // The secret is on this page only: never kept or cached.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /me/calendar/{kind}/delete`: the feed URL stops working.
pub async fn revoke_feed(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let me = viewer.signed_in()?.clone();
    let kind = feed_kind(&path)?;
    state
        .db
        .run(move |conn| Ok(calendar_feeds::revoke(conn, &me.id, kind)?))
        .await?;
    Ok(see_other("/me"))
}
