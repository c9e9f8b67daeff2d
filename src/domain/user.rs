//! Users: usernames and display names.

use crate::domain::text::check_line;

/// The longest username: GitLab's own limit, so that every GitLab account
/// can sign in. The one limit of the forms, the API (whose document
/// publishes it) and the command line.
pub const MAX_USERNAME_CHARS: usize = 255;
/// The longest display name.
pub const MAX_NAME_CHARS: usize = 100;

/// A username as GitLab spells them: letters, digits, `_`, `-` and `.`, not
/// starting with `-` or `.`, at most [`MAX_USERNAME_CHARS`].
///
/// A username is parsed once, where it enters Baton (a form, the API, the
/// command line, a URL path segment, a GitLab sign-in), and then compared
/// only as a `Username`, so that every comparison sees the same value. The
/// one normalisation is trimming surrounding whitespace (`dave%20` in a URL,
/// a pasted `" dave"`): `dave ` and `dave` are the same user everywhere.
///
/// Case is kept and compared exactly: `Dave` and `dave` are two usernames.
/// The database's unique index is case-sensitive on both backends (SQLite's
/// binary collation, PostgreSQL's `"C"`), so folding case now could make two
/// stored users one; and GitLab, whose usernames are unique regardless of
/// case, always answers with a username in its one canonical spelling, which
/// is how Baton stores it. So that no new pair of such look-alikes appears,
/// adding a user whose name differs from an existing one only in case is
/// refused (see `db::models::users::create`), as GitLab would.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Parses a username; the message says what is wrong.
    pub fn parse(text: &str) -> Result<Username, String> {
        let name = text.trim();
        if name.is_empty() {
            return Err("a username is required".into());
        }
        check_line("a username", name)?;
        let chars = name.chars().count();
        if chars > MAX_USERNAME_CHARS {
            return Err(format!(
                "a username is at most {MAX_USERNAME_CHARS} characters; this one has {chars}"
            ));
        }
        let valid = !name.starts_with(['-', '.'])
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if valid {
            Ok(Username(name.to_owned()))
        } else {
            Err(format!(
                "{name:?} is not a username: use letters, digits, '_', '-' or '.', \
                 not starting with '-' or '.'"
            ))
        }
    }

    /// Parses a username written as a mention, `@bob` or `bob` (the "pass
    /// to" fields).
    pub fn parse_mention(text: &str) -> Result<Username, String> {
        let text = text.trim();
        Username::parse(text.strip_prefix('@').unwrap_or(text))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this username in another case (`Dave`, `dave`),
    /// which GitLab counts as the same account.
    pub fn differs_only_in_case(&self, other: &str) -> bool {
        self.0 != other && self.0.eq_ignore_ascii_case(other)
    }
}

impl std::ops::Deref for Username {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Username {
    type Err = String;

    fn from_str(text: &str) -> Result<Username, String> {
        Username::parse(text)
    }
}

impl From<Username> for String {
    fn from(name: Username) -> String {
        name.0
    }
}

/// A display name: 1 to [`MAX_NAME_CHARS`] characters on one line (runs of
/// whitespace become one space), without invisible characters.
pub fn parse_display_name(text: &str) -> Result<String, String> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("a name is required".into());
    }
    check_line("the name", &name)?;
    if name.chars().count() > MAX_NAME_CHARS {
        Err(format!("a name is at most {MAX_NAME_CHARS} characters"))
    } else {
        Ok(name)
    }
}

/// The display name of a new user: `name` when one is given (see
/// [`parse_display_name`]), else their username, its first
/// [`MAX_NAME_CHARS`] characters when it is longer (a username is one line
/// of visible ASCII, so any start of it is a name).
pub fn display_name_or_username(name: Option<&str>, username: &Username) -> Result<String, String> {
    match name {
        Some(name) => parse_display_name(name),
        None => Ok(username.chars().take(MAX_NAME_CHARS).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_gitlab_rules() {
        assert_eq!(Username::parse(" alice ").unwrap().as_str(), "alice");
        assert!(Username::parse("bob.smith-2").is_ok());
        assert!(Username::parse("-x").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse(&"a".repeat(MAX_USERNAME_CHARS)).is_ok());
        assert_eq!(
            Username::parse(&"a".repeat(MAX_USERNAME_CHARS + 1)).unwrap_err(),
            format!(
                "a username is at most {MAX_USERNAME_CHARS} characters; this one has {}",
                MAX_USERNAME_CHARS + 1
            )
        );
    }

    #[test]
    fn a_username_with_surrounding_whitespace_is_the_same_username() {
        let dave = Username::parse("dave").unwrap();
        for spelled in ["dave ", " dave", "\tdave\n", "dave\u{a0}"] {
            assert_eq!(Username::parse(spelled).unwrap(), dave, "{spelled:?}");
        }
        assert_ne!(Username::parse("Dave").unwrap(), dave);
        assert!(dave.differs_only_in_case("Dave"));
        assert!(!dave.differs_only_in_case("dave"));
        assert!(!dave.differs_only_in_case("dav"));
    }

    #[test]
    fn a_mention_may_start_with_an_at_sign() {
        let bob = Username::parse("bob").unwrap();
        assert_eq!(Username::parse_mention(" @bob ").unwrap(), bob);
        assert_eq!(Username::parse_mention("bob").unwrap(), bob);
        assert!(Username::parse_mention("@@bob").is_err());
    }

    #[test]
    fn usernames_and_names_refuse_invisible_characters_by_name() {
        let err = Username::parse("dave\u{202E}").unwrap_err();
        assert!(err.starts_with("a username contains U+202E"), "{err}");
        let err = Username::parse("da\0ve").unwrap_err();
        assert!(err.starts_with("a username contains U+0000"), "{err}");
        let err = parse_display_name("Dave\u{2066}").unwrap_err();
        assert!(err.starts_with("the name contains U+2066"), "{err}");
        let err = parse_display_name("Da\0ve").unwrap_err();
        assert!(err.starts_with("the name contains U+0000"), "{err}");
    }

    #[test]
    fn a_new_user_without_a_name_is_called_by_their_username() {
        let bob = Username::parse("bob").unwrap();
        assert_eq!(display_name_or_username(None, &bob).unwrap(), "bob");
        assert_eq!(
            display_name_or_username(Some(" Bob  B. "), &bob).unwrap(),
            "Bob B."
        );
        assert!(display_name_or_username(Some(" "), &bob).is_err());
        let longest = Username::parse(&"l".repeat(MAX_USERNAME_CHARS)).unwrap();
        let name = display_name_or_username(None, &longest).unwrap();
        assert_eq!(name, "l".repeat(MAX_NAME_CHARS));
        assert_eq!(parse_display_name(&name).unwrap(), name);
    }

    #[test]
    fn display_names_are_one_line() {
        assert_eq!(parse_display_name(" Alice \n A. ").unwrap(), "Alice A.");
        assert!(parse_display_name("  ").is_err());
        assert!(parse_display_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
    }
}
