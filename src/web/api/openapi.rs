//! The OpenAPI 3 document, generated from the handlers' annotations so that
//! it cannot drift from what the server does.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::web::api::{handoffs, shifts, users};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Baton", description = "The on-call handoff log. Bearer tokens come from `baton token create USERNAME`."),
    paths(
        handoffs::list_handoffs,
        handoffs::create_handoff,
        handoffs::get_handoff,
        handoffs::patch_handoff,
        handoffs::create_note,
        handoffs::acknowledge_handoff,
        handoffs::resolve_handoff,
        shifts::list_shifts,
        shifts::create_shift,
        shifts::delete_shift,
        shifts::oncall,
        users::get_me,
        users::patch_me,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
