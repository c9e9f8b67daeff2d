//! The OpenAPI 3 document, generated from the handlers' annotations so that
//! it cannot drift from what the server does.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::domain::issue_ref::GitLab;
use crate::web::AppState;
use crate::web::api::{
    calendar, contract, cover_requests, events, export, handoffs, handovers, review, rotations,
    shift_import, shifts, uncovered, users,
};

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
    info(title = "Baton", description = "The on-call handoff log. Bearer tokens come from `baton token create USERNAME`. \
Every JSON body is an object (else 400). A request this document allows is never a 422: a 422 names the field whose value \
the document refuses; a well-formed request that conflicts with what exists (a stale version, a user who is not there, \
a shift that does not fit) is a 409. A path answers only the methods listed here (else 405 with Allow)."),
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
        shift_import::import_shifts,
        calendar::shifts_ics,
        rotations::list_rotations,
        rotations::create_rotation,
        rotations::get_rotation,
        rotations::patch_rotation,
        rotations::delete_rotation,
        cover_requests::list_cover_requests,
        cover_requests::create_cover_request,
        cover_requests::take_cover_request,
        cover_requests::cancel_cover_request,
        users::get_me,
        users::patch_me,
        uncovered::list_uncovered,
        export::export_archive,
        events::list_events,
        events::create_event,
        events::get_event,
        handovers::list_handovers,
        review::get_review,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document this server serves: the generated one, with what only the
/// running configuration or JSON Schema beyond utoipa's model can say.
pub fn document(gitlab: &GitLab) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    let schemas = &mut doc["components"]["schemas"];
    // Issue links in the forms the configured GitLab takes.
    schemas["IssueLink"] = contract::issue_schema(gitlab);
    // An outage takes no data-loss fields: one schema per kind.
    if let Some(create) = schemas.get("CreateHandoff").cloned() {
        let branch = |kind: &str, data_loss: Value| {
            let mut branch = create.clone();
            branch["properties"]["kind"]["enum"] = json!([kind]);
            branch["properties"]["data_loss"] = data_loss;
            branch.as_object_mut().map(|b| b.remove("description"));
            branch
        };
        let data_loss = create["properties"]["data_loss"].clone();
        schemas["CreateHandoff"] = json!({
            "description": create["description"],
            "oneOf": [
                branch("outage", json!({"type": "null", "description": "an outage has no data-loss fields"})),
                branch("perceived_data_loss", data_loss),
            ],
        });
    }
    // What a created resource's answer leads to, for clients and test
    // generators that follow links.
    let by_id = |operation: &str| json!({"operationId": operation, "parameters": {"id": "$response.body#/id"}});
    doc["paths"]["/api/v1/handoffs"]["post"]["responses"]["201"]["links"] = json!({
        "GetHandoff": by_id("get_handoff"),
        "PatchHandoff": {
            "operationId": "patch_handoff",
            "parameters": {"id": "$response.body#/id"},
            "requestBody": {"version": "$response.body#/version"},
        },
        "AddNote": by_id("create_note"),
        "Acknowledge": by_id("acknowledge_handoff"),
        "Resolve": by_id("resolve_handoff"),
    });
    doc["paths"]["/api/v1/shifts"]["post"]["responses"]["201"]["links"] =
        json!({"DeleteShift": by_id("delete_shift")});
    // utoipa leaves a parameter described by `schema_with` optional: the
    // import's role is required.
    for p in doc["paths"]["/api/v1/shifts/import"]["post"]["parameters"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        if p["name"] == "role" {
            p["required"] = true.into();
        }
    }
    doc["paths"]["/api/v1/events"]["post"]["responses"]["201"]["links"] =
        json!({"GetEvent": by_id("get_event")});
    doc["paths"]["/api/v1/rotations"]["post"]["responses"]["201"]["links"] = json!({
        "GetRotation": by_id("get_rotation"),
        "PatchRotation": by_id("patch_rotation"),
        "DeleteRotation": by_id("delete_rotation"),
    });
    doc["paths"]["/api/v1/cover-requests"]["post"]["responses"]["201"]["links"] = json!({
        "TakeCoverRequest": by_id("take_cover_request"),
        "CancelCoverRequest": by_id("cancel_cover_request"),
    });
    doc
}

/// `GET /api/openapi.json`.
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document(&state.settings.gitlab))
}
