//! The rules of the API's text fields: each one both checks a value and
//! writes the JSON Schema that describes it (length and pattern), with its
//! limits read from the domain's constants.
//!
//! The patterns are written in the common subset of the regular-expression
//! dialects that read them: `regex-lite` here, ECMA 262 in JSON Schema
//! validators, and Python's `re` in test generators (anchored with `^…$`,
//! explicit character classes, `\uXXXX` escapes, no look-around).

use std::sync::LazyLock;

use regex_lite::Regex;
use utoipa::openapi::schema::{Object, ObjectBuilder};

use super::string_type;
use crate::domain::handoff::{MAX_NOTE_BYTES, MAX_TITLE_CHARS};
use crate::domain::handoff_input::MAX_DATA_LOSS_CHARS;
use crate::domain::issue_filter::MAX_FILTER_CHARS;
use crate::domain::shift::MAX_ROTATION_ROLE_CHARS;
use crate::domain::user::{MAX_NAME_CHARS, MAX_USERNAME_CHARS, Username};
use crate::error::AppError;

/// Characters no one-line text field takes: C0 and C1 controls, DEL, and
/// every bidirectional formatting character (the marks U+061C, U+200E,
/// U+200F, the embeddings and overrides U+202A–U+202E, the isolates
/// U+2066–U+2069), exactly as `domain::text::check_line` refuses them.
macro_rules! controls_and_bidi {
    () => {
        r"\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    };
}

/// The same, less tab, line feed and carriage return, which multi-line
/// text (a note) keeps.
macro_rules! controls_and_bidi_but_lines {
    () => {
        r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"
    };
}

/// Unicode's White_Space, exactly the characters Rust's
/// `char::is_whitespace` (and so the domain's trimming) treats as space.
macro_rules! white_space {
    () => {
        r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// One line with at least one visible character.
pub(super) const ONE_LINE: &str = concat!(
    "^[^",
    controls_and_bidi!(),
    "]*[^",
    controls_and_bidi!(),
    white_space!(),
    "][^",
    controls_and_bidi!(),
    "]*$"
);

/// Lines with at least one visible character.
const LINES: &str = concat!(
    "^[^",
    controls_and_bidi_but_lines!(),
    "]*[^",
    controls_and_bidi_but_lines!(),
    white_space!(),
    "][^",
    controls_and_bidi_but_lines!(),
    "]*$"
);

/// Lines, maybe empty or blank (a blank value clears the field).
const MAYBE_LINES: &str = concat!("^[^", controls_and_bidi_but_lines!(), "]*$");

/// A username as GitLab spells them (see `domain::user::Username`), `@`
/// allowed in front when `mention`.
fn username_pattern(mention: bool) -> String {
    let at = if mention { "@?" } else { "" };
    format!(
        "^{at}[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{}}}$",
        MAX_USERNAME_CHARS - 1
    )
}

/// A rotation role: letters, digits, `-`, `_` and inner spaces.
fn rotation_role_pattern() -> String {
    format!(
        "^[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{{0,{}}}[A-Za-z0-9_-])?$",
        MAX_ROTATION_ROLE_CHARS - 2
    )
}

/// A list cursor as `GET /api/v1/handoffs` gives them out.
pub const CURSOR: &str =
    r"^[0-9]{1,18}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// `n` with its thousands grouped, as the document writes sizes: 65,536.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A text field's rule: its length in characters (and bytes, where the
/// domain counts those) and its pattern.
pub struct Text {
    /// Fewest characters.
    pub min_chars: usize,
    /// Most characters.
    pub max_chars: usize,
    /// Most bytes of UTF-8, when the limit is one of size.
    pub max_bytes: Option<usize>,
    /// The pattern the whole value matches.
    pub pattern: String,
    /// What the rule is, for the document and the error message.
    pub rule: String,
    /// A value that keeps the rule, for the document.
    pub example: &'static str,
    regex: Regex,
}

impl Text {
    /// A rule: lengths in characters, the pattern, the rule in words, an example.
    pub(super) fn new(
        (min_chars, max_chars): (usize, usize),
        pattern: impl Into<String>,
        rule: impl Into<String>,
        example: &'static str,
    ) -> Text {
        let pattern = pattern.into();
        // The patterns are the module's own, each compiled in its tests.
        let regex = Regex::new(&pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        Text {
            min_chars,
            max_chars,
            max_bytes: None,
            pattern,
            rule: rule.into(),
            example,
            regex,
        }
    }

    fn with_max_bytes(mut self, max_bytes: usize) -> Text {
        self.max_bytes = Some(max_bytes);
        self
    }

    /// `value` if it keeps the rule; else a 422 on `field` that says why.
    pub fn check<'v>(&self, field: &str, value: &'v str) -> Result<&'v str, AppError> {
        let chars = value.chars().count();
        let why = if chars < self.min_chars {
            Some("it is empty".to_owned())
        } else if chars > self.max_chars {
            Some(format!("it has {chars} characters"))
        } else if self.max_bytes.is_some_and(|max| value.len() > max) {
            Some(format!("it is {} KiB", value.len().div_ceil(1024)))
        } else if self.regex.is_match(value) {
            None
        } else {
            Some(diagnose(value))
        };
        match why {
            None => Ok(value),
            Some(why) => Err(AppError::invalid(field, format!("{}: {why}", self.rule))),
        }
    }

    /// The JSON Schema of the field (`null` allowed too when `nullable`).
    pub fn schema(&self, nullable: bool) -> Object {
        ObjectBuilder::new()
            .schema_type(string_type(nullable))
            .min_length(Some(self.min_chars).filter(|m| *m > 0))
            .max_length(Some(self.max_chars))
            .pattern(Some(self.pattern.as_str()))
            .description(Some(self.rule.as_str()))
            .examples([self.example])
            .build()
    }
}

/// Why a value does not match its pattern, as far as can be said simply.
fn diagnose(value: &str) -> String {
    let forbidden = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if let Some(c) = value.chars().find(|c| forbidden(*c)) {
        format!("it contains the invisible character U+{:04X}", c as u32)
    } else if value.chars().all(char::is_whitespace) {
        "it has no visible character".to_owned()
    } else {
        "it does not have that form".to_owned()
    }
}

/// A handoff title.
pub static TITLE: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_TITLE_CHARS),
        ONE_LINE,
        format!(
            "one line of 1 to {MAX_TITLE_CHARS} characters with a visible one, without control characters or bidirectional overrides"
        ),
        "Patroni failover loop on the main cluster",
    )
});

/// A note body: Markdown, at most `MAX_NOTE_BYTES`.
pub static NOTE_BODY: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_NOTE_BYTES),
        LINES,
        format!(
            "Markdown with a visible character, at most {} bytes of UTF-8 (as many characters when they are ASCII), without control characters (tab and line breaks allowed) or bidirectional overrides",
            grouped(MAX_NOTE_BYTES)
        ),
        "Replica lag 30s. Next: watch failovers.",
    )
    .with_max_bytes(MAX_NOTE_BYTES)
});

/// A free-text data-loss field.
pub static DATA_LOSS_TEXT: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (0, MAX_DATA_LOSS_CHARS),
        MAYBE_LINES,
        format!(
            "at most {} characters without control characters (tab and line breaks allowed) or bidirectional overrides; blank means not known yet",
            grouped(MAX_DATA_LOSS_CHARS)
        ),
        "uploads bucket, project avatars",
    )
});

/// A display name.
pub static DISPLAY_NAME: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_NAME_CHARS),
        ONE_LINE,
        format!(
            "one line of 1 to {MAX_NAME_CHARS} characters with a visible one, without control characters or bidirectional overrides"
        ),
        "Alice Example",
    )
});

/// A username.
pub static USERNAME_TEXT: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_USERNAME_CHARS),
        username_pattern(false),
        format!(
            "a username: 1 to {MAX_USERNAME_CHARS} ASCII letters, digits, '_', '-' or '.', not starting with '-' or '.'"
        ),
        "alice",
    )
});

/// A username to pass a handoff to.
pub static RECIPIENT_TEXT: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_USERNAME_CHARS + 1),
        username_pattern(true),
        "the username of a responder or admin (an '@' in front is allowed); leave it out or null to keep the handoff",
        "bob",
    )
});

/// A rotation role.
pub static ROLE_TEXT: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_ROTATION_ROLE_CHARS),
        rotation_role_pattern(),
        format!(
            "a rotation role such as EOC: 1 to {MAX_ROTATION_ROLE_CHARS} ASCII letters, digits, '-', '_' and inner spaces"
        ),
        "EOC",
    )
});

/// A GitLab label to filter a list by.
pub static LABEL_TEXT: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_FILTER_CHARS),
        ONE_LINE,
        format!(
            "a GitLab label (any case): one line of 1 to {MAX_FILTER_CHARS} characters with a visible one, without control characters or bidirectional overrides"
        ),
        "severity::1",
    )
});

/// A GitLab milestone's title to filter a list by.
pub static MILESTONE_TEXT: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, MAX_FILTER_CHARS),
        ONE_LINE,
        format!(
            "a GitLab milestone's title (exactly): one line of 1 to {MAX_FILTER_CHARS} characters with a visible one, without control characters or bidirectional overrides"
        ),
        "WoW",
    )
});

/// A list cursor.
pub static CURSOR_TEXT: LazyLock<Text> = LazyLock::new(|| {
    Text::new(
        (1, 56),
        CURSOR,
        "the next_cursor of the previous page",
        "1764000000000000_0190c6a4-8a3b-7c1d-9e2f-0123456789ab",
    )
});

/// A username, checked as the document describes it and parsed by the
/// domain; a value both refuse is refused in the domain's words, the same
/// as the forms and the command line say them.
pub fn username(field: &str, text: &str) -> Result<Username, AppError> {
    either(
        USERNAME_TEXT.check(field, text),
        Username::parse(text),
        field,
    )
}

/// A username to pass to (`@` allowed in front), as [`username`] reads one.
pub fn recipient(field: &str, text: &str) -> Result<Username, AppError> {
    either(
        RECIPIENT_TEXT.check(field, text),
        Username::parse_mention(text),
        field,
    )
}

/// The parsed username when the rule and the domain both take it; else the
/// domain's refusal, or the rule's when only the rule refuses.
fn either(
    shape: Result<&str, AppError>,
    parsed: Result<Username, String>,
    field: &str,
) -> Result<Username, AppError> {
    match (shape, parsed) {
        (_, Err(why)) => Err(AppError::invalid(field, why)),
        (Err(shape), Ok(_)) => Err(shape),
        (Ok(_), Ok(name)) => Ok(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_an_empty_value_is_refused_where_one_is_needed() {
        for rule in [
            &*TITLE,
            &*NOTE_BODY,
            &*DATA_LOSS_TEXT,
            &*DISPLAY_NAME,
            &*USERNAME_TEXT,
            &*RECIPIENT_TEXT,
            &*ROLE_TEXT,
            &*CURSOR_TEXT,
        ] {
            assert!(rule.check("f", "").is_err() || rule.min_chars == 0);
        }
    }

    #[test]
    fn sizes_are_written_with_their_thousands_grouped() {
        assert_eq!(grouped(7), "7");
        assert_eq!(grouped(2000), "2,000");
        assert_eq!(grouped(65536), "65,536");
        assert_eq!(grouped(1234567), "1,234,567");
    }

    #[test]
    fn one_line_text_needs_a_visible_character_and_refuses_controls_and_bidi() {
        assert!(TITLE.check("title", "Patroni failover loop").is_ok());
        assert!(TITLE.check("title", " padded  ").is_ok());
        assert!(TITLE.check("title", "日本語のタイトル").is_ok());
        for bad in [
            "",
            " ",
            "\u{3000}",
            "a\nb",
            "a\u{0}b",
            "a\u{202e}b",
            "a\u{2066}b",
            "\u{85}x",
        ] {
            let err = TITLE.check("title", bad).unwrap_err();
            assert_eq!(err.field(), Some("title"), "{bad:?}");
        }
        assert!(TITLE.check("title", &"x".repeat(MAX_TITLE_CHARS)).is_ok());
        assert!(
            TITLE
                .check("title", &"x".repeat(MAX_TITLE_CHARS + 1))
                .is_err()
        );
        assert!(
            TITLE
                .check("title", "a\u{0}b")
                .unwrap_err()
                .message()
                .contains("U+0000")
        );
    }

    #[test]
    fn every_visible_title_is_one_the_domain_accepts() {
        for title in [
            "x",
            " x ",
            "\u{a0}x\u{2028}",
            "a\u{200b}b",
            &"é".repeat(MAX_TITLE_CHARS),
        ] {
            assert!(TITLE.check("title", title).is_ok(), "{title:?}");
            assert!(
                crate::domain::handoff::parse_title(title).is_ok(),
                "{title:?}"
            );
        }
    }

    #[test]
    fn a_note_keeps_tabs_and_line_breaks_and_counts_bytes() {
        assert!(NOTE_BODY.check("body", "line\r\n\tindented").is_ok());
        assert!(NOTE_BODY.check("body", "a\u{7}b").is_err());
        assert!(NOTE_BODY.check("body", " \n\t").is_err());
        assert!(NOTE_BODY.check("body", &"x".repeat(MAX_NOTE_BYTES)).is_ok());
        assert!(
            NOTE_BODY
                .check("body", &"x".repeat(MAX_NOTE_BYTES + 1))
                .is_err()
        );
        let err = NOTE_BODY.check("body", &"é".repeat(40000)).unwrap_err();
        assert_eq!(err.status().as_u16(), 422);
    }

    #[test]
    fn usernames_roles_and_cursors_have_their_exact_forms() {
        assert!(USERNAME_TEXT.check("u", "bob.smith-2").is_ok());
        assert!(USERNAME_TEXT.check("u", " bob").is_err());
        assert!(USERNAME_TEXT.check("u", "-x").is_err());
        assert!(
            USERNAME_TEXT
                .check("u", &"a".repeat(MAX_USERNAME_CHARS))
                .is_ok()
        );
        assert!(
            USERNAME_TEXT
                .check("u", &"a".repeat(MAX_USERNAME_CHARS + 1))
                .is_err()
        );
        assert!(RECIPIENT_TEXT.check("p", "@bob").is_ok());
        assert!(
            RECIPIENT_TEXT
                .check("p", &format!("@{}", "b".repeat(MAX_USERNAME_CHARS)))
                .is_ok()
        );
        assert!(ROLE_TEXT.check("r", "EOC").is_ok());
        assert!(ROLE_TEXT.check("r", "Database SRE").is_ok());
        assert!(ROLE_TEXT.check("r", " EOC").is_err());
        assert!(
            ROLE_TEXT
                .check("r", &"R".repeat(MAX_ROTATION_ROLE_CHARS))
                .is_ok()
        );
        assert!(
            ROLE_TEXT
                .check("r", &"R".repeat(MAX_ROTATION_ROLE_CHARS + 1))
                .is_err()
        );
        for role in ["EOC", "a b", "x-y_z"] {
            assert_eq!(
                crate::domain::shift::parse_rotation_role(role).unwrap(),
                role
            );
        }
        assert!(
            CURSOR_TEXT
                .check("c", "1764000000000000_0190c6a4-8a3b-7c1d-9e2f-0123456789ab")
                .is_ok()
        );
        assert!(CURSOR_TEXT.check("c", "garbage").is_err());
    }

    #[test]
    fn a_username_both_refuse_is_refused_in_the_domains_words() {
        let long = "a".repeat(MAX_USERNAME_CHARS + 1);
        let domain = Username::parse(&long).unwrap_err();
        assert_eq!(username("username", &long).unwrap_err().message(), domain);
        assert_eq!(recipient("pass_to", &long).unwrap_err().message(), domain);
        // Only the document's rule refuses surrounding space.
        let err = username("username", " bob").unwrap_err();
        assert!(err.message().starts_with("a username: 1 to "), "{err}");
        assert_eq!(username("username", "bob").unwrap().as_str(), "bob");
        assert_eq!(recipient("pass_to", "@bob").unwrap().as_str(), "bob");
        assert!(recipient("pass_to", "@@bob").is_err());
    }
}
