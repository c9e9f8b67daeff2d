//! The field schemas of the request and response types, for their
//! `#[schema(schema_with = …)]` attributes: each one written from the rule
//! that checks the field, so that its limits are the domain's.

use serde_json::json;
use utoipa::openapi::schema::{
    Array, ArrayBuilder, KnownFormat, Object, ObjectBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr, Schema};

use super::{
    CURSOR, CURSOR_TEXT, DATA_LOSS_TEXT, DISPLAY_NAME, LABEL_TEXT, MILESTONE_TEXT, NOTE_BODY,
    RECIPIENT_TEXT, ROLE_TEXT, TITLE, USERNAME_TEXT, enum_schema, instant_schema, int_schema,
    kinds, roles, severity_range, status_filters, statuses, string_type, verifications, zone_names,
};
use crate::domain::handoff::MAX_ISSUES;
use crate::domain::paging::{MAX_PAGE_SIZE, PAGE_SIZE};

/// A title.
pub fn title() -> Object {
    TITLE.schema(false)
}

/// A title, or null to keep it.
pub fn title_or_null() -> Object {
    TITLE.schema(true)
}

/// A note body.
pub fn note_body() -> Object {
    NOTE_BODY.schema(false)
}

/// A data-loss text, or null to keep it.
pub fn data_loss_text_or_null() -> Object {
    DATA_LOSS_TEXT.schema(true)
}

/// A display name, or null to keep it.
pub fn display_name_or_null() -> Object {
    DISPLAY_NAME.schema(true)
}

/// A username.
pub fn username() -> Object {
    USERNAME_TEXT.schema(false)
}

/// A username to pass to, or null.
pub fn recipient_or_null() -> Object {
    RECIPIENT_TEXT.schema(true)
}

/// A rotation role.
pub fn rotation_role() -> Object {
    ROLE_TEXT.schema(false)
}

/// A list cursor.
pub fn cursor() -> Object {
    CURSOR_TEXT.schema(false)
}

/// A GitLab milestone's title to filter by.
pub fn milestone_filter() -> Object {
    MILESTONE_TEXT.schema(false)
}

/// GitLab labels to filter by (`label=a&label=b`: all of them).
pub fn label_filter() -> Array {
    ArrayBuilder::new()
        .items(LABEL_TEXT.schema(false))
        .max_items(Some(crate::domain::issue_filter::MAX_FILTER_LABELS))
        .description(Some(
            "repeatable (label=severity::1&label=outage): only handoffs linking a GitLab issue that carries every label given (GitLab's labels= meaning) and, with milestone, is in that milestone, as Baton last read it; without GitLab read-back (no BATON_GITLAB_API_TOKEN) nothing matches and the list is empty",
        ))
        .build()
}

/// A handoff kind.
pub fn kind() -> Object {
    enum_schema(&kinds(), false, "outage or perceived_data_loss")
}

/// A handoff status.
pub fn status() -> Object {
    enum_schema(&statuses(), false, "open or resolved")
}

/// The status filter of the list.
pub fn status_filter() -> Object {
    enum_schema(
        &status_filters(),
        false,
        "open (the default), resolved or all",
    )
}

/// A verification state.
pub fn verification() -> Object {
    enum_schema(
        &verifications(),
        false,
        "unverified, confirmed or ruled_out",
    )
}

/// A verification state, or null to keep it.
pub fn verification_or_null() -> Object {
    enum_schema(
        &verifications(),
        true,
        "unverified, confirmed or ruled_out; null keeps it",
    )
}

/// A user's role.
pub fn role() -> Object {
    enum_schema(&roles(), false, "viewer, responder or admin")
}

/// A time zone, or null to keep it.
pub fn zone_or_null() -> Object {
    enum_schema(
        &zone_names(),
        true,
        "an IANA time zone name, spelled exactly (such as Europe/Amsterdam)",
    )
}

/// A severity.
pub fn severity() -> Object {
    let (min, max) = severity_range();
    int_schema(
        min,
        max,
        false,
        &format!("{min} (critical) to {max}, as GitLab's severity::{min}..{max}"),
    )
}

/// A severity, or null to keep it.
pub fn severity_or_null() -> Object {
    let (min, max) = severity_range();
    int_schema(
        min,
        max,
        true,
        &format!("{min} (critical) to {max}; null keeps it"),
    )
}

/// A handoff's version.
pub fn version() -> Object {
    int_schema(
        1,
        i64::from(i32::MAX),
        false,
        "the version the change is made against, from the last read; a stale one is a 409",
    )
}

/// An instant.
pub fn instant() -> Object {
    instant_schema(false, "RFC 3339, UTC", None)
}

/// An instant, or null.
pub fn instant_or_null() -> Object {
    instant_schema(true, "RFC 3339, UTC; null when not (yet)", None)
}

/// The start of a span a request gives.
pub fn start() -> Object {
    instant_schema(
        false,
        "RFC 3339 with any offset",
        Some("2026-11-29T09:00:00Z"),
    )
}

/// The end of a span a request gives.
pub fn end() -> Object {
    instant_schema(
        false,
        "RFC 3339 with any offset",
        Some("2026-11-29T17:00:00+01:00"),
    )
}

/// A UUID.
pub fn uuid() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .build()
}

/// The limit of the list.
pub fn limit() -> Object {
    let mut limit = int_schema(
        1,
        MAX_PAGE_SIZE,
        false,
        &format!("1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE})"),
    );
    limit.examples = vec![json!(PAGE_SIZE)];
    limit
}

/// The cursor of the next page, or null on the last.
pub fn next_cursor() -> Object {
    ObjectBuilder::new()
        .schema_type(string_type(true))
        .pattern(Some(CURSOR))
        .description(Some(
            "Pass as `cursor` for the next page; null on the last.",
        ))
        .build()
}

/// A list of at most `MAX_ISSUES` issue links, described as `description`.
fn issue_links(nullable: bool, description: &str) -> Array {
    let kind = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::new(Type::Array)
    };
    let item: RefOr<Schema> = Ref::from_schema_name("IssueLink").into();
    ArrayBuilder::new()
        .schema_type(kind)
        .items(item)
        .max_items(Some(MAX_ISSUES))
        .description(Some(description))
        .build()
}

/// The issue links of a new handoff.
pub fn handoff_issues() -> Array {
    issue_links(false, "GitLab issue links in any accepted form.")
}

/// The new full list of a handoff's issue links, or null to keep it.
pub fn handoff_issues_or_null() -> Array {
    issue_links(true, "The new full list of the handoff's issue links.")
}

/// The issue links a new note adds.
pub fn note_issues() -> Array {
    issue_links(
        false,
        "GitLab issues to link (to the note and the handoff).",
    )
}
