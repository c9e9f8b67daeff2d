//! Users: usernames and display names.

/// A username as GitLab spells them: 1 to 64 letters, digits, `_`, `-`, `.`,
/// not starting with `-` or `.`.
pub fn parse_username(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() {
        return Err("a username is required".into());
    }
    let valid = name.len() <= 64
        && !name.starts_with(['-', '.'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{name:?} is not a username: use up to 64 letters, digits, '_', '-' or '.'"
        ))
    }
}

/// A display name: 1 to 100 characters on one line.
pub fn parse_display_name(text: &str) -> Result<String, String> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        Err("a name is required".into())
    } else if name.chars().count() > 100 {
        Err("a name is at most 100 characters".into())
    } else {
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_gitlab_rules() {
        assert_eq!(parse_username(" alice ").unwrap(), "alice");
        assert!(parse_username("bob.smith-2").is_ok());
        assert!(parse_username("-x").is_err());
        assert!(parse_username("a b").is_err());
        assert!(parse_username("").is_err());
    }

    #[test]
    fn display_names_are_one_line() {
        assert_eq!(parse_display_name(" Alice \n A. ").unwrap(), "Alice A.");
        assert!(parse_display_name("  ").is_err());
    }
}
