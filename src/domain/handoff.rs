//! The vocabulary of a handoff: its kinds, statuses, severities and texts
//! (the rules of its state changes are in `lifecycle`).

use crate::domain::rejection::Rejection;
use crate::domain::text::{check_line, check_multiline};
use crate::domain::text_enum::text_enum;

/// The largest note body, in bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The most GitLab issues one handoff or note may link.
pub const MAX_ISSUES: usize = 50;

text_enum!(
    /// What kind of ongoing item a handoff is.
    Kind {
        /// An outage.
        Outage = "outage",
        /// A (perceived) data-loss issue, "perceived" until verified.
        PerceivedDataLoss = "perceived_data_loss",
    } "kind"
);

impl Kind {
    /// The label people read.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Outage => "Outage",
            Kind::PerceivedDataLoss => "Data loss?",
        }
    }
}

text_enum!(
    /// Whether a handoff is still carried.
    Status {
        /// Still being carried across shifts.
        Open = "open",
        /// Over.
        Resolved = "resolved",
    } "status"
);

text_enum!(
    /// Whether a perceived data loss has been verified.
    Verification {
        /// Still perceived.
        Unverified = "unverified",
        /// Data was lost.
        Confirmed = "confirmed",
        /// No data was lost.
        RuledOut = "ruled_out",
    } "verification state"
);

impl Verification {
    /// The label people read.
    pub fn label(self) -> &'static str {
        match self {
            Verification::Unverified => "unverified (perceived)",
            Verification::Confirmed => "confirmed",
            Verification::RuledOut => "ruled out",
        }
    }
}

text_enum!(
    /// What a user may do.
    Role {
        /// Reads.
        Viewer = "viewer",
        /// Reads and writes.
        Responder = "responder",
        /// Writes and manages users and settings.
        Admin = "admin",
    } "role"
);

impl Role {
    /// Whether this role may change handoffs and shifts.
    pub fn can_write(self) -> bool {
        matches!(self, Role::Responder | Role::Admin)
    }
}

/// GitLab's `severity::1` (critical) to `severity::4` (low).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Severity(i32);

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [Severity(1), Severity(2), Severity(3), Severity(4)];

    /// A severity from 1 to 4.
    pub fn new(value: i64) -> Result<Severity, String> {
        if (1..=4).contains(&value) {
            Ok(Severity(value as i32))
        } else {
            Err(format!(
                "severity must be 1, 2, 3 or 4 (as severity::1..4), not {value}"
            ))
        }
    }

    /// Parses a form value.
    pub fn parse(text: &str) -> Result<Severity, String> {
        let text = text.trim().trim_start_matches("severity::");
        text.parse::<i64>()
            .map_err(|_| format!("severity must be 1, 2, 3 or 4, not {text:?}"))
            .and_then(Severity::new)
    }

    /// The number.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// A handoff title: not blank, at most [`MAX_TITLE_CHARS`] characters, one
/// line (runs of whitespace become one space), without invisible characters.
pub fn parse_title(text: &str) -> Result<String, String> {
    let title = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        Err("a title is required".into())
    } else if let Err(e) = check_line("the title", &title) {
        Err(e)
    } else if title.chars().count() > MAX_TITLE_CHARS {
        Err(format!("a title is at most {MAX_TITLE_CHARS} characters"))
    } else {
        Ok(title)
    }
}

/// A note body: not blank and at most [`MAX_NOTE_BYTES`] (a 413 beyond);
/// newlines and tabs are kept, NUL, other control characters and the
/// bidirectional overrides refused (see [`check_multiline`]).
pub fn parse_note_body(field: &str, text: &str) -> Result<String, Rejection> {
    if text.len() > MAX_NOTE_BYTES {
        return Err(Rejection::TooLarge {
            field: field.into(),
            message: format!(
                "a note is at most 64 KiB; this one is {} KiB",
                text.len().div_ceil(1024)
            ),
        });
    }
    let body = text.trim_end();
    if body.trim().is_empty() {
        return Err(Rejection::invalid(field, "a note needs some text"));
    }
    check_multiline("the note", body).map_err(|e| Rejection::invalid(field, e))?;
    Ok(body.replace("\r\n", "\n"))
}

/// A free-text field of the data-loss record: trimmed, empty means not known
/// yet; it may span lines, as a note may (see [`check_multiline`]).
pub fn parse_short_text(
    field: &str,
    text: &str,
    max_chars: usize,
) -> Result<Option<String>, Rejection> {
    let text = text.trim();
    check_multiline("the text", text).map_err(|e| Rejection::invalid(field, e))?;
    if text.chars().count() > max_chars {
        return Err(Rejection::invalid(
            field,
            format!("at most {max_chars} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_one_to_four() {
        assert!(Severity::new(0).is_err());
        assert!(Severity::new(5).is_err());
        assert_eq!(Severity::parse("severity::2").unwrap().get(), 2);
        assert!(Severity::parse("high").is_err());
    }

    #[test]
    fn a_note_over_64_kib_is_too_large_and_a_blank_one_is_invalid() {
        let big = "x".repeat(MAX_NOTE_BYTES + 1);
        assert!(matches!(
            parse_note_body("body", &big),
            Err(Rejection::TooLarge { .. })
        ));
        assert!(matches!(
            parse_note_body("body", "  \n "),
            Err(Rejection::Invalid { .. })
        ));
        assert_eq!(parse_note_body("body", "ok\r\nnext\n").unwrap(), "ok\nnext");
    }

    #[test]
    fn titles_are_one_trimmed_line() {
        assert_eq!(parse_title("  db   down\n").unwrap(), "db down");
        assert!(parse_title("   ").is_err());
        assert!(parse_title(&"x".repeat(201)).is_err());
    }

    #[test]
    fn titles_refuse_invisible_characters_and_notes_refuse_nul() {
        let err = parse_title("db down\u{202E}").unwrap_err();
        assert!(err.starts_with("the title contains U+202E"), "{err}");
        assert!(parse_title("db\0down").is_err());
        let err = parse_note_body("note.body", "ok\0").unwrap_err();
        assert!(
            matches!(&err, Rejection::Invalid { field, message }
                if field == "note.body" && message.contains("U+0000 (NUL)")),
            "{err}"
        );
        assert_eq!(
            parse_note_body("body", "line\n\tindented \u{200F}עברית").unwrap(),
            "line\n\tindented \u{200F}עברית"
        );
        assert!(parse_note_body("body", "kubectl \u{202E}sdop eteled").is_err());
        let err = parse_short_text("data_loss.scope", "users\u{1B}", 10).unwrap_err();
        assert_eq!(err.field(), Some("data_loss.scope"));
        let err = Role::parse("admin\u{202E}").unwrap_err();
        assert!(err.starts_with("the role contains U+202E"), "{err}");
    }

    #[test]
    fn kinds_parse_only_their_api_spelling() {
        assert_eq!(
            Kind::parse("perceived_data_loss").unwrap(),
            Kind::PerceivedDataLoss
        );
        let err = Kind::parse("fire").unwrap_err();
        assert!(err.contains("outage, perceived_data_loss"), "{err}");
    }
}
