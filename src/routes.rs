//! The whole URL surface in one table.

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use crate::error::{ApiError, AppError};
use crate::web::api::{self, handoffs as api_handoffs, shifts as api_shifts, users as api_users};
use crate::web::{AppState, auth, csrf, dashboard, handoffs, handover, profile, shifts};

/// The one stylesheet, embedded in the binary.
const CSS: &str = include_str!("../static/baton.css");

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/static/baton.css", web::get().to(stylesheet))
        .route(
            "/api/openapi.json",
            web::get().to(api::openapi::openapi_json),
        )
        .service(
            web::scope("/api/v1")
                .app_data(
                    web::JsonConfig::default()
                        .limit(api::JSON_LIMIT)
                        .error_handler(api::json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(api::query_error))
                .app_data(web::PathConfig::default().error_handler(api::path_error))
                .route("/handoffs", web::get().to(api_handoffs::list_handoffs))
                .route("/handoffs", web::post().to(api_handoffs::create_handoff))
                .route("/handoffs/{id}", web::get().to(api_handoffs::get_handoff))
                .route(
                    "/handoffs/{id}",
                    web::patch().to(api_handoffs::patch_handoff),
                )
                .route(
                    "/handoffs/{id}/notes",
                    web::post().to(api_handoffs::create_note),
                )
                .route(
                    "/handoffs/{id}/acknowledge",
                    web::post().to(api_handoffs::acknowledge_handoff),
                )
                .route(
                    "/handoffs/{id}/resolve",
                    web::post().to(api_handoffs::resolve_handoff),
                )
                .route("/shifts", web::get().to(api_shifts::list_shifts))
                .route("/shifts", web::post().to(api_shifts::create_shift))
                .route("/shifts/{id}", web::delete().to(api_shifts::delete_shift))
                .route("/oncall", web::get().to(api_shifts::oncall))
                .route("/users/me", web::get().to(api_users::get_me))
                .route("/users/me", web::patch().to(api_users::patch_me))
                .default_service(web::to(api_not_found)),
        )
        .service(
            web::scope("")
                .wrap(actix_web::middleware::from_fn(csrf::guard))
                .app_data(
                    web::FormConfig::default()
                        .limit(csrf::FORM_LIMIT)
                        .error_handler(form_error),
                )
                .app_data(web::QueryConfig::default().error_handler(page_query_error))
                .route("/", web::get().to(dashboard::show_dashboard))
                .route("/login", web::get().to(auth::show_login))
                .route("/login", web::post().to(auth::login))
                .route("/logout", web::post().to(auth::logout))
                .route("/handoffs", web::get().to(handoffs::list_handoffs))
                .route("/handoffs", web::post().to(handoffs::create_handoff))
                .route("/handoffs/new", web::get().to(handoffs::new_handoff))
                .route("/handoffs/{id}", web::get().to(handoffs::show_handoff))
                .route(
                    "/handoffs/{id}/notes",
                    web::post().to(handoffs::create_note),
                )
                .route(
                    "/handoffs/{id}/notes/{note_id}",
                    web::post().to(handoffs::edit_note),
                )
                .route(
                    "/handoffs/{id}/acknowledge",
                    web::post().to(handoffs::acknowledge_handoff),
                )
                .route(
                    "/handoffs/{id}/resolve",
                    web::post().to(handoffs::resolve_handoff),
                )
                .route(
                    "/handoffs/{id}/details",
                    web::post().to(handoffs::update_handoff),
                )
                .route("/handover", web::get().to(handover::show_handover))
                .route("/handover", web::post().to(handover::submit_handover))
                .route("/shifts", web::get().to(shifts::list_shifts))
                .route("/shifts", web::post().to(shifts::create_shift))
                .route("/shifts/{id}", web::post().to(shifts::update_shift))
                .route("/shifts/{id}/edit", web::get().to(shifts::edit_shift))
                .route("/shifts/{id}/delete", web::post().to(shifts::delete_shift))
                .route("/me", web::get().to(profile::show_profile))
                .route("/me", web::post().to(profile::update_profile))
                .default_service(web::to(page_not_found)),
        );
}

/// `GET /healthz`: the process answers.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

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

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
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
