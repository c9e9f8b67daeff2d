//! What the API accepts, in one place. Each rule here both checks a value a
//! request sends and writes the JSON Schema that describes it into the
//! OpenAPI document, so that the document and the server cannot disagree:
//! a value the document allows is accepted (the domain's own checks are
//! never stricter than the rule), and a value it does not allow is refused
//! with a 422 naming the field (the server checks the very pattern and
//! lengths it publishes).
//!
//! The rules only describe: what a value may be is the domain's (its
//! parsers and its limits, `domain::handoff`, `domain::handoff_input`,
//! `domain::user`, `domain::paging`), and every limit here is read from
//! there. One file per kind of value:
//!
//! - `text`: text fields (titles, notes, names, usernames, roles, cursors);
//! - `choices`: enumerated values and time zones;
//! - `numbers`: whole numbers in bodies and query strings;
//! - `instants`: RFC 3339 date-times;
//! - `issues`: GitLab issue links and their lists;
//! - `body`: reading a JSON body strictly, each wrong field named;
//! - `schemas`: the field schemas the request and response types use.

mod body;
mod choices;
mod instants;
mod issues;
mod numbers;
mod paging;
pub mod rotation;
pub mod schemas;
mod text;

pub use body::ApiJson;
pub use choices::{
    enum_schema, kinds, one_of, roles, status_filters, statuses, verifications, zone, zone_names,
};
pub use instants::{instant, instant_schema};
pub use issues::{IssueLink, issue, issue_schema, issues};
pub use numbers::{Int, int_in, int_param, int_schema, severity_range};
pub use paging::{optional_instant, page_cursor, page_limit};
pub use text::{
    CURSOR, CURSOR_TEXT, DATA_LOSS_TEXT, DISPLAY_NAME, LABEL_TEXT, MILESTONE_TEXT, NOTE_BODY,
    RECIPIENT_TEXT, ROLE_TEXT, TITLE, Text, USERNAME_TEXT, recipient, username,
};

use utoipa::openapi::schema::{SchemaType, Type};

use crate::error::AppError;

/// The type of a string, `null` allowed too when `nullable`.
fn string_type(nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    }
}

/// A 409 on `field`: the request keeps the document, but its value
/// conflicts with what exists now. So a request the document allows is
/// never a 422.
pub fn conflict(field: &str, message: impl std::fmt::Display) -> AppError {
    AppError::ConflictAt {
        field: field.into(),
        message: message.to_string(),
    }
}
