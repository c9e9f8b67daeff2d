//! Shifts: who is on call in which rotation role, and when.

use chrono::{DateTime, Duration, Utc};

/// The longest shift.
pub const MAX_SHIFT: Duration = Duration::days(14);

/// The longest rotation role name, in characters.
pub const MAX_ROTATION_ROLE_CHARS: usize = 32;

/// A rotation role name (`EOC`, `IMOC`, `CMOC`, or any short name a team
/// uses): 1 to [`MAX_ROTATION_ROLE_CHARS`] letters, digits, `-`, `_` or
/// spaces; stored as typed, trimmed.
pub fn parse_rotation_role(text: &str) -> Result<String, String> {
    let role = text.trim();
    if role.is_empty() {
        return Err("a rotation role is required, such as EOC".into());
    }
    crate::domain::text::check_line("the rotation role", role)?;
    if role.chars().count() > MAX_ROTATION_ROLE_CHARS {
        return Err(format!(
            "a rotation role is at most {MAX_ROTATION_ROLE_CHARS} characters"
        ));
    }
    if !role
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
    {
        return Err("a rotation role uses letters, digits, '-', '_' and spaces".into());
    }
    Ok(role.to_owned())
}

/// The span of a shift: it ends after it starts and lasts at most 14 days.
/// The error is about `ends_at`, the field a person corrects.
pub fn check_span(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), String> {
    if ends_at <= starts_at {
        Err("a shift must end after it starts".into())
    } else if ends_at - starts_at > MAX_SHIFT {
        Err("a shift lasts at most 14 days".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_shift_that_ends_before_it_starts_or_lasts_over_14_days_is_refused() {
        let start = Utc.with_ymd_and_hms(2026, 11, 29, 8, 0, 0).unwrap();
        assert!(check_span(start, start).is_err());
        assert!(check_span(start, start - Duration::hours(1)).is_err());
        assert!(check_span(start, start + Duration::days(14)).is_ok());
        assert!(check_span(start, start + Duration::days(14) + Duration::seconds(1)).is_err());
    }

    #[test]
    fn rotation_roles_are_short_names() {
        assert_eq!(parse_rotation_role(" EOC ").unwrap(), "EOC");
        assert!(parse_rotation_role("").is_err());
        assert!(parse_rotation_role("<b>").is_err());
        assert!(parse_rotation_role(&"x".repeat(33)).is_err());
        let err = parse_rotation_role("EOC\u{2067}").unwrap_err();
        assert!(
            err.starts_with("the rotation role contains U+2067"),
            "{err}"
        );
    }
}
