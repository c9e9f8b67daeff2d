//! The whole URL surface in one table: every route with who may call it.
//! The table both registers the handlers and drives the authorization
//! middleware, so a route cannot exist without an access decision.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::AppError;
use crate::web::api::{
    self, calendar as api_calendar, cover_requests as api_cover, events as api_events,
    export as api_export, handoffs as api_handoffs, handovers as api_handovers,
    review as api_review, rotations as api_rotations, shift_import as api_shift_import,
    shifts as api_shifts, uncovered as api_uncovered, users as api_users,
};
pub use crate::web::identity::Access;
use crate::web::identity::Rules;
use crate::web::respond::ApiError;
use crate::web::{
    AppState, admin, admin_settings, assets, auth, cache, calendar_feed, cover_forms, csrf,
    dashboard, drills, gitlab, handoffs, handover, hooks, identity, log, notices, profile, review,
    review_csv, rotations, scrape, shift_import, shifts,
};

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `get`, `post`, `patch` or `delete`.
    pub method: &'static str,
    /// The full path pattern.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

macro_rules! route_table {
    ($table:ident, $register:ident, $prefix:literal, api: $api:literal, { $($access:ident $method:ident $path:literal => $handler:path,)* }) => {
        /// The routes of this part of the site.
        pub const $table: &[Route] = &[
            $(Route { method: stringify!($method), path: concat!($prefix, $path), access: Access::$access },)*
        ];

        fn $register(scope: actix_web::Scope) -> actix_web::Scope {
            let mut resources = Resources::default();
            $(resources.add(
                $path,
                stringify!($method),
                Access::$access,
                method_routes(stringify!($method)).into_iter().map(|r| r.to($handler)).collect(),
            );)*
            resources.register(scope, $api)
        }
    };
}

/// The actix routes of a table method; a `get` answers `HEAD` too (headers
/// only), as monitors and link checkers expect.
fn method_routes(method: &str) -> Vec<actix_web::Route> {
    match method {
        "get" => vec![web::get(), web::head()],
        "post" => vec![web::post()],
        "patch" => vec![web::patch()],
        "delete" => vec![web::delete()],
        other => vec![web::method(
            Method::from_bytes(other.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET),
        )],
    }
}

/// The routes of a scope grouped by path: one actix resource per path, so
/// the router's match decides both the handler and the access rule, and a
/// method the path does not answer gets 405 with `Allow`.
#[derive(Default)]
struct Resources(Vec<(&'static str, Rules, Vec<actix_web::Route>)>);

impl Resources {
    fn add(
        &mut self,
        path: &'static str,
        method: &str,
        access: Access,
        routes: Vec<actix_web::Route>,
    ) {
        let method =
            Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET);
        match self.0.iter_mut().find(|(p, _, _)| *p == path) {
            Some((_, rules, existing)) => {
                rules.push(method, access);
                existing.extend(routes);
            }
            None => self
                .0
                .push((path, Rules::new(vec![(method, access)]), routes)),
        }
    }

    /// Registers each path's resource with the access decision wrapped
    /// around it, so it runs after the router matched this very resource.
    fn register(self, mut scope: actix_web::Scope, api: bool) -> actix_web::Scope {
        use actix_web::dev::ServiceRequest;
        use actix_web::middleware::{Next, from_fn};
        for (path, rules, routes) in self.0 {
            let rules = std::rc::Rc::new(rules);
            let resource = routes
                .into_iter()
                .fold(web::resource(path), |resource, route| resource.route(route))
                .wrap(from_fn(cache::keep_pages));
            scope = if api {
                scope.service(
                    resource.wrap(from_fn(move |req: ServiceRequest, next: Next<_>| {
                        identity::authorize(rules.clone(), true, req, next)
                    })),
                )
            } else {
                scope.service(resource.wrap(from_fn(csrf::guard)).wrap(from_fn(
                    move |req: ServiceRequest, next: Next<_>| {
                        identity::authorize(rules.clone(), false, req, next)
                    },
                )))
            };
        }
        scope
    }
}

route_table!(OPEN_ROUTES, register_open, "", api: false, {
    Public get "/healthz" => healthz,
    Public get "/readyz" => readyz,
    Public get "/tzdata" => crate::web::zones::tzdata,
    Public get "/static/baton.css" => assets::stylesheet,
    Public get "/static/baton.js" => assets::script,
    Public get "/api/openapi.json" => api::openapi::openapi_json,
    // Checks its reader itself: loopback, BATON_METRICS_ALLOW or the token.
    Public get "/metrics" => scrape::show_metrics,
});

route_table!(API_ROUTES, register_api, "/api/v1", api: true, {
    Read get "/handoffs" => api_handoffs::list_handoffs,
    Write post "/handoffs" => api_handoffs::create_handoff,
    Read get "/handoffs/{id}" => api_handoffs::get_handoff,
    Write patch "/handoffs/{id}" => api_handoffs::patch_handoff,
    Write post "/handoffs/{id}/notes" => api_handoffs::create_note,
    Write post "/handoffs/{id}/acknowledge" => api_handoffs::acknowledge_handoff,
    Write post "/handoffs/{id}/resolve" => api_handoffs::resolve_handoff,
    Read get "/shifts" => api_shifts::list_shifts,
    Write post "/shifts" => api_shifts::create_shift,
    // Before /shifts/{id}, which would take "import" for an id.
    Write post "/shifts/import" => api_shift_import::import_shifts,
    Write delete "/shifts/{id}" => api_shifts::delete_shift,
    Read get "/oncall" => api_shifts::oncall,
    Read get "/shifts.ics" => api_calendar::shifts_ics,
    Read get "/rotations" => api_rotations::list_rotations,
    Write post "/rotations" => api_rotations::create_rotation,
    Read get "/rotations/{id}" => api_rotations::get_rotation,
    Write patch "/rotations/{id}" => api_rotations::patch_rotation,
    Write delete "/rotations/{id}" => api_rotations::delete_rotation,
    Read get "/cover-requests" => api_cover::list_cover_requests,
    Write post "/cover-requests" => api_cover::create_cover_request,
    Write post "/cover-requests/{id}/take" => api_cover::take_cover_request,
    Write post "/cover-requests/{id}/cancel" => api_cover::cancel_cover_request,
    SignedIn get "/users/me" => api_users::get_me,
    SignedIn patch "/users/me" => api_users::patch_me,
    Read get "/uncovered" => api_uncovered::list_uncovered,
    Admin get "/export" => api_export::export_archive,
    Read get "/events" => api_events::list_events,
    Write post "/events" => api_events::create_event,
    Read get "/events/{id}" => api_events::get_event,
    Read get "/handovers" => api_handovers::list_handovers,
    Read get "/review" => api_review::get_review,
});

// Webhooks: called by other systems, which prove themselves in the
// handler; answered in JSON, outside CSRF and sessions.
route_table!(HOOK_ROUTES, register_hooks, "/hooks", api: true, {
    Public post "/gitlab" => hooks::receive_gitlab_hook,
});

route_table!(PAGE_ROUTES, register_pages, "", api: false, {
    Read get "/" => dashboard::show_dashboard,
    Public get "/login" => auth::show_login,
    Public post "/login" => auth::login,
    Public post "/login/password" => auth::login_with_password,
    Public get "/auth/gitlab" => gitlab::start_sign_in,
    Public get "/auth/gitlab/callback" => gitlab::finish_sign_in,
    SignedIn post "/logout" => auth::logout,
    Read get "/handoffs" => handoffs::list_handoffs,
    Write post "/handoffs" => handoffs::create_handoff,
    Write get "/handoffs/new" => handoffs::new_handoff,
    Read get "/handoffs/{id}" => handoffs::show_handoff,
    Write post "/handoffs/{id}/notes" => handoffs::create_note,
    Write post "/handoffs/{id}/notes/{note_id}" => handoffs::edit_note,
    Write post "/handoffs/{id}/acknowledge" => handoffs::acknowledge_handoff,
    Write post "/handoffs/{id}/resolve" => handoffs::resolve_handoff,
    Write post "/handoffs/{id}/details" => handoffs::update_handoff,
    Write get "/handover" => handover::show_handover,
    Write post "/handover" => handover::submit_handover,
    Read get "/log" => log::show_log,
    Write post "/log" => log::create_event,
    SignedIn get "/review" => review::show_review,
    SignedIn get "/review.csv" => review_csv::review_csv_file,
    SignedIn get "/review/load.csv" => review_csv::load_csv_file,
    Read get "/shifts" => shifts::list_shifts,
    Write post "/shifts" => shifts::create_shift,
    // Before /shifts/{id}, which would take "import" for an id.
    Write post "/shifts/import" => shift_import::import_shifts,
    Write post "/shifts/{id}" => shifts::update_shift,
    Write get "/shifts/{id}/edit" => shifts::edit_shift,
    Write post "/shifts/{id}/delete" => shifts::delete_shift,
    Write post "/cover-requests" => cover_forms::create_cover_request,
    Write post "/cover-requests/{id}/take" => cover_forms::take_cover_request,
    Write post "/cover-requests/{id}/cancel" => cover_forms::cancel_cover_request,
    Read get "/rotations" => rotations::list_rotations,
    Write post "/rotations" => rotations::create_rotation,
    Write get "/rotations/{id}/edit" => rotations::edit_rotation,
    Write post "/rotations/{id}" => rotations::update_rotation,
    Write post "/rotations/{id}/delete" => rotations::delete_rotation,
    SignedIn get "/me" => profile::show_profile,
    SignedIn post "/me" => profile::update_profile,
    SignedIn post "/me/calendar/{kind}" => profile::regenerate_feed,
    SignedIn post "/me/calendar/{kind}/delete" => profile::revoke_feed,
    SignedIn post "/me/schedule-changes/dismiss" => notices::dismiss_all_notices,
    SignedIn post "/me/schedule-changes/{id}/dismiss" => notices::dismiss_notice,
    Public get "/calendar/{secret}.ics" => calendar_feed::show_feed,
    Admin get "/admin/users" => admin::show_users,
    Admin post "/admin/users/{username}/role" => admin::change_role,
    Admin post "/admin/users/{username}/active" => admin::change_active,
    Admin post "/admin/users/{username}/gitlab" => admin::link_gitlab,
    Admin get "/admin/drills" => drills::show_drills,
    Admin get "/admin/settings" => admin_settings::show_settings,
    Admin post "/admin/settings/chat-test" => admin_settings::send_test_message,
});

/// Every route of the site.
pub fn all() -> impl Iterator<Item = &'static Route> {
    OPEN_ROUTES
        .iter()
        .chain(API_ROUTES)
        .chain(HOOK_ROUTES)
        .chain(PAGE_ROUTES)
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        register_api(web::scope("/api/v1"))
            .app_data(
                web::JsonConfig::default()
                    .limit(api::JSON_LIMIT)
                    .error_handler(api::json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(api::query_error))
            .app_data(web::PathConfig::default().error_handler(api::path_error))
            .default_service(web::to(api_not_found)),
    )
    .service(register_hooks(web::scope("/hooks")).default_service(web::to(api_not_found)))
    .service(
        register_pages(register_open(web::scope("")))
            .app_data(
                web::FormConfig::default()
                    .limit(csrf::FORM_LIMIT)
                    .error_handler(form_error),
            )
            .app_data(web::QueryConfig::default().error_handler(page_query_error))
            .default_service(web::to(page_not_found)),
    );
}

/// `GET /healthz`: the process answers; the second line names the time
/// zone rules compiled in (`tzdata 2026f`).
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain")
        .body(HEALTH.as_str())
}

static HEALTH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("ok\ntzdata {}\n", crate::domain::time::TZDATA_VERSION));

/// `GET /readyz`: the database answers.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    match web::block(move || db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok()
            .content_type("text/plain")
            .body("ready\n"),
        _ => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable\n"),
    }
}

async fn api_not_found() -> Result<HttpResponse, ApiError> {
    Err(AppError::NotFound("no such API route; see /api/openapi.json".into()).into())
}

async fn page_not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound(
        "there is no page at this address".into(),
    ))
}

fn form_error(err: actix_web::error::UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    match err {
        actix_web::error::UrlencodedError::Overflow { .. } => AppError::TooLarge {
            field: "form".into(),
            message: "the form is larger than 4 MiB".into(),
        },
        other => AppError::Malformed(format!("the form could not be read: {other}")),
    }
    .into()
}

fn page_query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    AppError::Malformed(format!("the query string could not be read: {err}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_of_a_path_has_its_own_rule_and_head_follows_get() {
        let mut resources = Resources::default();
        resources.add("/x", "get", Access::Read, vec![]);
        resources.add("/x", "post", Access::Write, vec![]);
        resources.add("/y", "delete", Access::Admin, vec![]);
        let rules = &resources.0[0].1;
        assert_eq!(resources.0.len(), 2);
        assert_eq!(rules.access(&Method::GET), Some(Access::Read));
        assert_eq!(rules.access(&Method::HEAD), Some(Access::Read));
        assert_eq!(rules.access(&Method::POST), Some(Access::Write));
        assert_eq!(rules.access(&Method::DELETE), None);
        assert_eq!(rules.allow(), "GET, HEAD, POST");
        assert_eq!(resources.0[1].1.allow(), "DELETE");
    }

    #[test]
    fn no_path_and_method_is_listed_twice() {
        let mut seen = std::collections::HashSet::new();
        for route in all() {
            assert!(
                seen.insert((route.method, route.path)),
                "{} {} is listed twice",
                route.method,
                route.path
            );
        }
    }
}
