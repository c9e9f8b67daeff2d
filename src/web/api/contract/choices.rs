//! Enumerated values the API takes (kinds, statuses, verification states,
//! roles, time zones): exactly one of the domain's own spellings, else a
//! 422 that lists them; and the schemas that list them in the document.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde_json::{Value, json};
use utoipa::openapi::schema::{Object, ObjectBuilder};

use super::string_type;
use crate::domain::handoff::{Kind, Role, Status, Verification};
use crate::error::AppError;

/// An enumerated value: one of `values`, exactly; else a 422 listing them.
pub fn one_of<'v>(field: &str, value: &'v str, values: &[&str]) -> Result<&'v str, AppError> {
    if values.contains(&value) {
        Ok(value)
    } else {
        Err(AppError::invalid(
            field,
            format!("{value:?} is not one of: {}", values.join(", ")),
        ))
    }
}

/// The schema of an enumerated string.
pub fn enum_schema(values: &[&str], nullable: bool, description: &str) -> Object {
    let mut builder = ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .description(Some(description));
    if nullable {
        builder = builder.enum_values(Some(values.iter().map(|v| json!(v)).chain([Value::Null])));
    } else {
        builder = builder.enum_values(Some(values.iter().copied()));
    }
    builder.build()
}

/// The handoff kinds.
pub fn kinds() -> Vec<&'static str> {
    Kind::ALL.iter().map(|k| k.as_str()).collect()
}

/// The handoff statuses.
pub fn statuses() -> Vec<&'static str> {
    Status::ALL.iter().map(|s| s.as_str()).collect()
}

/// The data-loss verification states.
pub fn verifications() -> Vec<&'static str> {
    Verification::ALL.iter().map(|v| v.as_str()).collect()
}

/// The user roles.
pub fn roles() -> Vec<&'static str> {
    Role::ALL.iter().map(|r| r.as_str()).collect()
}

/// The status filter of the handoff list: a status, or `all`.
pub fn status_filters() -> Vec<&'static str> {
    let mut values = statuses();
    values.push("all");
    values
}

/// Every IANA zone name of the bundled database, exactly as spelled (the
/// domain also reads them in any letter case; the API takes them exactly,
/// as its document lists them).
pub fn zone_names() -> Vec<&'static str> {
    crate::domain::time::zone_names().to_vec()
}

/// A time zone: exactly one of [`zone_names`].
pub fn zone<'v>(field: &str, value: &'v str) -> Result<&'v str, AppError> {
    static NAMES: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| zone_names().into_iter().collect());
    if NAMES.contains(value) {
        Ok(value)
    } else {
        Err(AppError::invalid(
            field,
            format!(
                "{value:?} is not an IANA time zone; use a name such as Europe/Amsterdam or Asia/Tokyo, spelled exactly"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_name_is_one_the_domain_parses_as_itself() {
        for name in zone_names() {
            let zone = crate::domain::time::Timezone::parse(name).unwrap();
            assert_eq!(zone.name(), name);
        }
        assert!(zone("timezone", "Europe/Amsterdam").is_ok());
        assert!(zone("timezone", "europe/amsterdam").is_err());
        assert!(zone("timezone", " UTC").is_err());
        assert!(zone("timezone", "Mars/Olympus").is_err());
    }
}
