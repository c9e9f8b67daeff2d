//! The whole URL surface in one table: every route with who may call it.
//! The table both registers the handlers and drives the authorization
//! middleware, so a route cannot exist without an access decision.

use std::sync::LazyLock;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, guard, web};

use crate::error::{ApiError, AppError};
use crate::web::api::{self, handoffs as api_handoffs, shifts as api_shifts, users as api_users};
use crate::web::{
    AppState, admin, assets, auth, cache, csrf, dashboard, gitlab, handoffs, handover, identity,
    profile, shifts,
};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health checks, the stylesheet, signing in).
    Public,
    /// Signed-in users; signed-out visitors too with `BATON_PUBLIC_READ=1` (pages only).
    Read,
    /// Any signed-in user (their own profile, signing out).
    SignedIn,
    /// Responders and admins.
    Write,
    /// Admins.
    Admin,
}

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
    ($table:ident, $register:ident, $prefix:literal, { $($access:ident $method:ident $path:literal => $handler:path,)* }) => {
        /// The routes of this part of the site.
        pub const $table: &[Route] = &[
            $(Route { method: stringify!($method), path: concat!($prefix, $path), access: Access::$access },)*
        ];

        fn $register(scope: actix_web::Scope) -> actix_web::Scope {
            scope $(.route($path, method_route(stringify!($method)).to($handler)))*
        }
    };
}

/// The actix route of a table method; a `get` answers `HEAD` too (headers
/// only), as monitors and link checkers expect.
fn method_route(method: &str) -> actix_web::Route {
    match method {
        "get" => web::route().guard(guard::Any(guard::Get()).or(guard::Head())),
        "post" => web::post(),
        "patch" => web::patch(),
        "delete" => web::delete(),
        other => web::route().method(
            Method::from_bytes(other.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET),
        ),
    }
}

route_table!(OPEN_ROUTES, register_open, "", {
    Public get "/healthz" => healthz,
    Public get "/readyz" => readyz,
    Public get "/tzdata" => crate::web::zones::tzdata,
    Public get "/static/baton.css" => assets::stylesheet,
    Public get "/static/baton.js" => assets::script,
    Public get "/api/openapi.json" => api::openapi::openapi_json,
});

route_table!(API_ROUTES, register_api, "/api/v1", {
    Read get "/handoffs" => api_handoffs::list_handoffs,
    Write post "/handoffs" => api_handoffs::create_handoff,
    Read get "/handoffs/{id}" => api_handoffs::get_handoff,
    Write patch "/handoffs/{id}" => api_handoffs::patch_handoff,
    Write post "/handoffs/{id}/notes" => api_handoffs::create_note,
    Write post "/handoffs/{id}/acknowledge" => api_handoffs::acknowledge_handoff,
    Write post "/handoffs/{id}/resolve" => api_handoffs::resolve_handoff,
    Read get "/shifts" => api_shifts::list_shifts,
    Write post "/shifts" => api_shifts::create_shift,
    Write delete "/shifts/{id}" => api_shifts::delete_shift,
    Read get "/oncall" => api_shifts::oncall,
    SignedIn get "/users/me" => api_users::get_me,
    SignedIn patch "/users/me" => api_users::patch_me,
});

route_table!(PAGE_ROUTES, register_pages, "", {
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
    Read get "/shifts" => shifts::list_shifts,
    Write post "/shifts" => shifts::create_shift,
    Write post "/shifts/{id}" => shifts::update_shift,
    Write get "/shifts/{id}/edit" => shifts::edit_shift,
    Write post "/shifts/{id}/delete" => shifts::delete_shift,
    SignedIn get "/me" => profile::show_profile,
    SignedIn post "/me" => profile::update_profile,
    Admin get "/admin/users" => admin::show_users,
    Admin post "/admin/users/{username}/role" => admin::change_role,
    Admin post "/admin/users/{username}/active" => admin::change_active,
});

/// Every route of the site.
pub fn all() -> impl Iterator<Item = &'static Route> {
    OPEN_ROUTES.iter().chain(API_ROUTES).chain(PAGE_ROUTES)
}

static MATCHERS: LazyLock<Vec<(Method, ResourceDef, Access)>> = LazyLock::new(|| {
    all()
        .filter_map(|r| {
            let method = Method::from_bytes(r.method.to_ascii_uppercase().as_bytes()).ok()?;
            Some((method, ResourceDef::new(r.path), r.access))
        })
        .collect()
});

/// The access rule of the route `method path` names, if it is one.
pub fn access_of(method: &Method, path: &str) -> Option<Access> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    MATCHERS
        .iter()
        .find(|(m, def, _)| m == method && def.is_match(path))
        .map(|(_, _, access)| *access)
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        register_api(web::scope("/api/v1"))
            .wrap(actix_web::middleware::from_fn(cache::keep_pages))
            .wrap(actix_web::middleware::from_fn(identity::authorize))
            .app_data(
                web::JsonConfig::default()
                    .limit(api::JSON_LIMIT)
                    .error_handler(api::json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(api::query_error))
            .app_data(web::PathConfig::default().error_handler(api::path_error))
            .default_service(web::to(api_not_found)),
    )
    .service(
        register_pages(register_open(web::scope("")))
            .wrap(actix_web::middleware::from_fn(cache::keep_pages))
            .wrap(actix_web::middleware::from_fn(csrf::guard))
            .wrap(actix_web::middleware::from_fn(identity::authorize))
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

static HEALTH: LazyLock<String> =
    LazyLock::new(|| format!("ok\ntzdata {}\n", crate::domain::time::TZDATA_VERSION));

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
    fn every_route_is_found_with_its_own_access_rule() {
        for route in all() {
            let path = route
                .path
                .replace("{id}", "x")
                .replace("{note_id}", "y")
                .replace("{username}", "z");
            let method = Method::from_bytes(route.method.to_ascii_uppercase().as_bytes()).unwrap();
            assert_eq!(
                access_of(&method, &path),
                Some(route.access),
                "{} {}",
                route.method,
                route.path
            );
        }
        assert_eq!(access_of(&Method::GET, "/nothing"), None);
        assert_eq!(access_of(&Method::DELETE, "/handoffs/x"), None);
    }
}
