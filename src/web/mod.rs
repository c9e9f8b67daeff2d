//! The web layer: page handlers (one file per area), the JSON API under
//! `api/`, and what they share: the application state, the signed-in
//! viewer, the page layout and the view models.

pub mod admin;
pub mod admin_settings;
pub mod api;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod calendar_feed;
pub mod charts;
pub mod cover;
pub mod cover_forms;
pub mod csrf;
pub mod dashboard;
pub mod drills;
pub mod fragments;
pub mod gitlab;
pub mod handoffs;
pub mod handover;
pub mod hooks;
pub mod identity;
pub mod issues;
pub mod label_filter;
pub mod log;
pub mod memo;
pub mod metrics;
pub mod multipart;
pub mod notices;
pub mod profile;
pub mod respond;
pub mod review;
pub mod review_csv;
pub mod rotations;
pub mod scrape;
pub mod shift_form;
pub mod shift_import;
pub mod shifts;
pub mod telemetry;
pub mod timeline;
pub mod unfurl;
pub mod views;
pub mod watcher;
pub mod zones;

use std::collections::HashMap;
use std::future::{Ready, ready};

use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::header, web};

use crate::config::Settings;
use crate::db::models::{schedule as shift_rows, users::User};
use crate::db::{Db, DbConnection};
use crate::domain::time::{self, TimeView, Timezone};
use crate::error::AppError;

/// What every handler can reach.
pub struct AppState {
    /// The connection pool.
    pub db: Db,
    /// The settings.
    pub settings: Settings,
    /// No GitLab application configured: anyone who reaches Baton picks a user.
    pub local_mode: bool,
    /// Sign in with GitLab, when configured.
    pub gitlab: Option<crate::integrations::gitlab::OAuthClient>,
    /// Sessions and pages kept between requests.
    pub caches: cache::Caches,
    /// Chat notifications: the targets, and the delivery jobs' doorbell.
    pub chat: crate::db::models::outbox::Notify,
    /// What pages are made of, kept until anything is written.
    pub memos: memo::Memos,
}

impl AppState {
    /// A write through [`Db::write`] (group commit on SQLite); the chat
    /// senders are woken after it, when what it queued has committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let written = self.db.write(f).await;
        if !self.chat.targets.is_empty() {
            self.chat.bell.ring();
        }
        written
    }

    /// Whether signed-out visitors may read non-confidential handoffs: with
    /// `BATON_PUBLIC_READ=1`, and always in local mode, where anyone may
    /// sign in as anyone anyway.
    pub fn public_read(&self) -> bool {
        self.settings.public_read || self.local_mode
    }
}

/// Percent-encodes a query parameter value.
pub fn encode_query(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `location` with the zone chosen with `?tz=` carried on (`?tz=` or
/// `&tz=`, before any `#fragment`), so that the redirect after a form keeps
/// showing the zone the form was shown in.
pub fn keep_tz(location: &str, chosen: Option<Timezone>) -> String {
    match chosen {
        Some(zone) => with_tz(location, zone),
        None => location.to_owned(),
    }
}

/// `location` with `tz=zone` added to its query (before any `#fragment`).
pub fn with_tz(location: &str, zone: Timezone) -> String {
    let (path, fragment) = match location.find('#') {
        Some(at) => location.split_at(at),
        None => (location, ""),
    };
    let join = if path.contains('?') { '&' } else { '?' };
    format!("{path}{join}tz={}{fragment}", encode_query(zone.name()))
}

/// A 303 to `location` (POST/redirect/GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Parses a `{id}` path segment: anything but a UUID is a 404.
pub fn parse_id(raw: &str) -> Result<String, AppError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.to_string())
        .map_err(|_| AppError::NotFound("no such handoff: the id is not a UUID".into()))
}

/// Who is looking at a page: the signed-in user (if any) and the zone
/// times are shown in.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The signed-in user.
    pub user: Option<User>,
    /// Their zone, `?tz=`, or UTC.
    pub tz: Timezone,
    /// Whether the zone was chosen with `?tz=` (and so is carried on by the
    /// page's forms and the redirects after them).
    pub tz_chosen: bool,
    /// The path and query, to come back to after signing in.
    pub path: String,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
}

impl Viewer {
    /// The signed-in user who may write, or the reason they may not.
    pub fn writer(&self) -> Result<&User, AppError> {
        let user = self
            .user
            .as_ref()
            .ok_or_else(|| AppError::SignInRequired(self.path.clone()))?;
        if !user.role.can_write() {
            return Err(AppError::Forbidden(format!(
                "{} is a viewer: viewers read, responders and admins write",
                user.username
            )));
        }
        Ok(user)
    }

    /// The signed-in admin, or the reason they are not one. Admin handlers
    /// ask this themselves, beside the route table's rule.
    pub fn admin(&self) -> Result<&User, AppError> {
        let user = self.signed_in()?;
        if user.role == crate::domain::handoff::Role::Admin {
            Ok(user)
        } else {
            Err(AppError::Forbidden(format!(
                "{} is not an admin",
                user.username
            )))
        }
    }

    /// The signed-in user, or a redirect to sign in.
    pub fn signed_in(&self) -> Result<&User, AppError> {
        self.user
            .as_ref()
            .ok_or_else(|| AppError::SignInRequired(self.path.clone()))
    }

    /// Whether `user_id` is the viewer.
    pub fn is(&self, user_id: &str) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == user_id)
    }

    /// The zone the viewer sees without `?tz=`: their profile's, or UTC.
    pub fn own_tz(&self) -> Timezone {
        self.user.as_ref().map_or(Timezone::UTC, |u| u.timezone)
    }

    /// `?tz=Asia%2FTokyo` when the page was shown in a zone chosen with
    /// `?tz=`, for its forms' actions; empty otherwise.
    pub fn tz_query(&self) -> String {
        if self.tz_chosen {
            format!("?tz={}", encode_query(self.tz.name()))
        } else {
            String::new()
        }
    }

    /// The zone chosen with `?tz=`, if any.
    pub fn chosen_tz(&self) -> Option<Timezone> {
        self.tz_chosen.then_some(self.tz)
    }

    /// `location` with the chosen zone carried on (see [`keep_tz`]).
    pub fn keep_tz(&self, location: &str) -> String {
        keep_tz(location, self.chosen_tz())
    }
}

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = Ready<Result<Viewer, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(user) = identity::decided(req) else {
            return ready(Err(identity::undecided()));
        };
        let csrf = csrf::token(&req.get_session());
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let tz_param = web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("tz").cloned());
        let (tz, tz_chosen) = match tz_param.filter(|t| !t.is_empty()) {
            Some(name) => match Timezone::parse(&name) {
                Ok(tz) => (tz, true),
                Err(e) => return ready(Err(AppError::invalid("tz", e))),
            },
            None => (user.as_ref().map_or(Timezone::UTC, |u| u.timezone), false),
        };
        ready(Ok(Viewer {
            user,
            tz,
            tz_chosen,
            path,
            csrf,
        }))
    }
}

/// One role in the on-call strip of every page.
#[derive(Debug, Clone)]
pub struct OnCallChip {
    /// Rotation role.
    pub role: String,
    /// Who (usernames).
    pub who: String,
    /// Until when, in the viewer's zone.
    pub until: Option<TimeView>,
}

/// What the layout shows around every page.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The page title.
    pub title: String,
    /// The signed-in user's username.
    pub username: Option<String>,
    /// Whether the signed-in user can write.
    pub can_write: bool,
    /// Whether the signed-in user is an admin.
    pub is_admin: bool,
    /// The local-mode banner.
    pub local_mode: bool,
    /// The viewer's zone name.
    pub tz: String,
    /// `?tz=…` when the zone was chosen with `?tz=`, for form actions.
    pub tz_query: String,
    /// Now, in the viewer's zone.
    pub now: Option<TimeView>,
    /// Who is on call now.
    pub oncall: Vec<OnCallChip>,
    /// Whether the viewer may see the on-call strip.
    pub show_oncall: bool,
    /// The CSRF token every form carries.
    pub csrf: String,
    /// "Your future changed": what changes to the schedule did to the viewer's shifts.
    pub notices: notices::Notices,
}

impl Layout {
    /// A layout without database work (error pages).
    pub fn bare(title: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            username: None,
            can_write: false,
            is_admin: false,
            local_mode: false,
            tz: "UTC".into(),
            tz_query: String::new(),
            now: None,
            oncall: vec![],
            show_oncall: false,
            csrf: String::new(),
            notices: notices::Notices::default(),
        }
    }

    /// The full layout: the viewer, the on-call strip and the viewer's
    /// notices (from memory while nothing changed).
    pub fn load(
        conn: &mut DbConnection,
        state: &AppState,
        viewer: &Viewer,
        title: &str,
    ) -> Result<Layout, AppError> {
        let changes = &state.caches.changes;
        let layout = if Layout::shows_oncall(state, viewer) {
            let on_call = state.memos.on_call_now(conn, changes)?;
            Layout::with_roles(state, viewer, title, &on_call.roles, on_call.now)
        } else {
            Layout::with_roles(state, viewer, title, &[], time::now())
        };
        let notices = state.memos.notices_for(conn, changes, viewer)?;
        Ok(layout.with_notices_shown(&notices, viewer))
    }

    /// The layout from what is kept in memory (`web::memo`), when nothing
    /// changed since it was loaded: no database needed.
    pub fn remembered(state: &AppState, viewer: &Viewer, title: &str) -> Option<Layout> {
        let changes = &state.caches.changes;
        let notices = state.memos.notices_of(changes, viewer)?;
        let layout = if Layout::shows_oncall(state, viewer) {
            let on_call = state.memos.on_call.get(changes, &())?;
            Layout::with_roles(state, viewer, title, &on_call.roles, on_call.now)
        } else {
            Layout::with_roles(state, viewer, title, &[], time::now())
        };
        Some(layout.with_notices_shown(&notices, viewer))
    }

    /// This layout with no one on call in its header strip, and no "nobody
    /// is on call" either: for a page that says who is, itself.
    pub fn without_oncall_strip(mut self) -> Layout {
        self.oncall.clear();
        self.show_oncall = false;
        self
    }

    /// The layout with the viewer's notices of what changed in their schedule.
    pub fn with_notices_shown(mut self, notices: &notices::Notices, viewer: &Viewer) -> Layout {
        self.notices = notices::Notices {
            back: viewer.path.clone(),
            ..notices.clone()
        };
        self
    }

    /// Who is on call is for the team: not shown to signed-out visitors
    /// unless the instance is public.
    pub fn shows_oncall(state: &AppState, viewer: &Viewer) -> bool {
        viewer.user.is_some() || state.public_read()
    }

    /// The layout around on-call `roles` that the page has loaded already.
    pub fn with_roles(
        state: &AppState,
        viewer: &Viewer,
        title: &str,
        roles: &[shift_rows::RoleOnCall],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Layout {
        let visible = Layout::shows_oncall(state, viewer);
        let oncall = roles
            .iter()
            .filter(|r| visible && !r.current.is_empty())
            .map(|r| OnCallChip {
                who: r
                    .current
                    .iter()
                    .map(|o| o.user.username.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                until: r
                    .current
                    .iter()
                    .map(|o| o.shift.ends)
                    .min()
                    .map(|t| TimeView::new(t, viewer.tz)),
                role: r.role.clone(),
            })
            .collect();
        Layout {
            title: title.to_owned(),
            username: viewer.user.as_ref().map(|u| u.username.clone()),
            can_write: viewer.user.as_ref().is_some_and(|u| u.role.can_write()),
            is_admin: viewer
                .user
                .as_ref()
                .is_some_and(|u| u.role == crate::domain::handoff::Role::Admin),
            local_mode: state.local_mode,
            tz: viewer.tz.name().to_owned(),
            tz_query: viewer.tz_query(),
            now: Some(TimeView::new(now, viewer.tz)),
            oncall,
            show_oncall: visible,
            csrf: viewer.csrf.clone(),
            notices: notices::Notices::default(),
        }
    }
}

/// Errors of an HTML form, by field, shown beside each field.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(HashMap<String, String>);

impl FormErrors {
    /// Keeps the value of `result`, or records its error on `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e);
                None
            }
        }
    }

    /// Records an error on `field` (the first one stays).
    pub fn add(&mut self, field: &str, message: impl std::fmt::Display) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.to_string());
    }

    /// Records a 422/413/409 from the model on its field (or on `fallback`),
    /// and passes any other error on.
    pub fn absorb(&mut self, fallback: &str, error: impl Into<AppError>) -> Result<(), AppError> {
        let error = error.into();
        match &error {
            AppError::Invalid { field, message } | AppError::TooLarge { field, message } => {
                self.add(field, message);
                Ok(())
            }
            AppError::Conflict(message) => {
                self.add(fallback, message);
                Ok(())
            }
            _ => Err(error),
        }
    }

    /// The error on `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A form posted with its fields in order (repeated names kept).
pub type FormPairs = Vec<(String, String)>;

/// The first value of `name` in a posted form, or "".
pub fn field<'a>(form: &'a FormPairs, name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Renders a page with a status other than 200 (a form with errors is a 422).
pub fn render_page(
    page: &impl askama::Template,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let html = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}
