//! What the rotation routes accept: a name, a rhythm (`12h`, `7d`, or
//! daily hand-off times in UTC) and a list of member usernames.

use std::sync::LazyLock;

use serde_json::json;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

use super::text::{ONE_LINE, Text, USERNAME_TEXT};
use crate::domain::rotation::{MAX_MEMBERS, MAX_NAME_CHARS, Rhythm};
use crate::error::AppError;

/// A rotation's name.
pub static ROTATION_NAME: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_NAME_CHARS),
        ONE_LINE,
        format!("one line of 1 to {MAX_NAME_CHARS} characters with a visible one"),
        "EOC follow the sun",
    )
});

/// A rotation's rhythm, as the pattern allows it.
pub static RHYTHM: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (2, 143),
        r"^(?:[0-9]{1,5}[mhd]|[0-9]{2}:[0-9]{2}(?:,[0-9]{2}:[0-9]{2}){0,23})$",
        "a fixed shift length from 1 hour to 14 days (90m, 12h, 7d), or daily hand-off times in UTC in order through the day (00:00,08:00,16:00)",
        "00:00,08:00,16:00",
    )
});

/// Reads a rhythm: the pattern, then the domain's rules (a length in
/// range, times in order); each refusal is a 422 on `field`.
pub fn rhythm(field: &str, text: &str) -> Result<Rhythm, AppError> {
    let text = RHYTHM.check(field, text)?;
    Rhythm::parse(text).map_err(|e| AppError::invalid(field, e))
}

/// A rotation's name.
pub fn name_schema_required() -> Object {
    ROTATION_NAME.schema(false)
}

/// A rotation's new name, or null to keep it.
pub fn name_schema_nullable() -> Object {
    ROTATION_NAME.schema(true)
}

/// A new rotation role, or null to keep it.
pub fn role_or_null() -> Object {
    super::ROLE_TEXT.schema(true)
}

/// A rhythm.
pub fn rhythm_schema() -> Object {
    RHYTHM.schema(false)
}

/// A rhythm, or null to keep it.
pub fn rhythm_or_null_schema() -> Object {
    RHYTHM.schema(true)
}

fn members(nullable: bool) -> Array {
    let kind = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    ArrayBuilder::new()
        .schema_type(kind)
        .items(USERNAME_TEXT.schema(false))
        .min_items(Some(1))
        .max_items(Some(MAX_MEMBERS))
        .description(Some(
            "usernames in the order they take their shifts; each a user, nobody twice",
        ))
        .examples([json!(["alice", "bob"])])
        .build()
}

/// The members of a new rotation.
pub fn members_schema() -> Array {
    members(false)
}

/// The new members, or null to keep them.
pub fn members_or_null_schema() -> Array {
    members(true)
}

/// An id list item (a schema for a nullable UUID).
pub fn uuid_or_null() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
            utoipa::openapi::schema::KnownFormat::Uuid,
        )))
        .description(Some("the explicit shift's id; null for a derived one"))
        .build()
}

/// Whether a shift is derived from a rotation or explicit.
pub fn source_schema() -> Object {
    super::enum_schema(
        &["rotation", "override"],
        false,
        "rotation (derived) or override (an explicit shift, which wins)",
    )
}
