//! The vocabulary of a handoff and the rules of its state changes.

use crate::domain::text::{check_line, check_multiline};
use crate::error::AppError;

/// The largest note body, in bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The most GitLab issues one handoff or note may link.
pub const MAX_ISSUES: usize = 50;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? } $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and API spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stored or API spelling; the message lists the accepted values.
            pub fn parse(text: &str) -> Result<Self, String> {
                check_line(concat!("the ", $what), text.trim())?;
                match text.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "{other:?} is not a {}; use one of: {}",
                        $what,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

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
pub fn parse_note_body(field: &str, text: &str) -> Result<String, AppError> {
    if text.len() > MAX_NOTE_BYTES {
        return Err(AppError::TooLarge {
            field: field.into(),
            message: format!(
                "a note is at most 64 KiB; this one is {} KiB",
                text.len().div_ceil(1024)
            ),
        });
    }
    let body = text.trim_end();
    if body.trim().is_empty() {
        return Err(AppError::invalid(field, "a note needs some text"));
    }
    check_multiline("the note", body).map_err(|e| AppError::invalid(field, e))?;
    Ok(body.replace("\r\n", "\n"))
}

/// A free-text field of the data-loss record: trimmed, empty means not known
/// yet; it may span lines, as a note may (see [`check_multiline`]).
pub fn parse_short_text(
    field: &str,
    text: &str,
    max_chars: usize,
) -> Result<Option<String>, AppError> {
    let text = text.trim();
    check_multiline("the text", text).map_err(|e| AppError::invalid(field, e))?;
    if text.chars().count() > max_chars {
        return Err(AppError::invalid(
            field,
            format!("at most {max_chars} characters"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// The state of a handoff that its rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffState<'a> {
    /// Open or resolved.
    pub status: Status,
    /// The user responsible now.
    pub holder_id: &'a str,
    /// The user a pending pass names.
    pub pending_to_id: Option<&'a str>,
}

impl HandoffState<'_> {
    /// Only the pending recipient acknowledges, and only while a pass is pending.
    pub fn check_acknowledge(&self, user_id: &str) -> Result<(), AppError> {
        if self.status == Status::Resolved {
            return Err(AppError::Conflict(
                "this handoff is resolved; there is nothing to acknowledge".into(),
            ));
        }
        match self.pending_to_id {
            None => Err(AppError::Conflict(
                "no pass is waiting for acknowledgement".into(),
            )),
            Some(to) if to != user_id => Err(AppError::Forbidden(
                "only the person the handoff was passed to can acknowledge it".into(),
            )),
            Some(_) => Ok(()),
        }
    }

    /// A resolved handoff takes no note and no pass; a pass names someone
    /// other than the holder (unless a pass to someone else is pending: then
    /// passing back to the holder cancels it).
    pub fn check_note(&self, pass_to_id: Option<&str>) -> Result<(), AppError> {
        if self.status == Status::Resolved {
            return Err(AppError::Conflict(
                "this handoff is resolved; it takes no more notes or passes".into(),
            ));
        }
        if let Some(to) = pass_to_id
            && to == self.holder_id
            && self.pending_to_id.is_none()
        {
            return Err(AppError::invalid(
                "pass_to",
                "that person already holds this handoff",
            ));
        }
        Ok(())
    }

    /// Only an open handoff can be resolved.
    pub fn check_resolve(&self) -> Result<(), AppError> {
        if self.status == Status::Resolved {
            return Err(AppError::Conflict(
                "this handoff is already resolved".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open<'a>(holder: &'a str, pending: Option<&'a str>) -> HandoffState<'a> {
        HandoffState {
            status: Status::Open,
            holder_id: holder,
            pending_to_id: pending,
        }
    }

    #[test]
    fn only_the_pending_recipient_can_acknowledge() {
        let h = open("alice", Some("bob"));
        assert!(h.check_acknowledge("bob").is_ok());
        assert_eq!(
            h.check_acknowledge("carol").unwrap_err().status().as_u16(),
            403
        );
        assert_eq!(
            open("alice", None)
                .check_acknowledge("bob")
                .unwrap_err()
                .status()
                .as_u16(),
            409
        );
    }

    #[test]
    fn a_resolved_handoff_takes_no_pass() {
        let h = HandoffState {
            status: Status::Resolved,
            holder_id: "alice",
            pending_to_id: None,
        };
        assert_eq!(
            h.check_note(Some("bob")).unwrap_err().status().as_u16(),
            409
        );
        assert_eq!(h.check_resolve().unwrap_err().status().as_u16(), 409);
    }

    #[test]
    fn passing_to_the_holder_is_refused_unless_it_cancels_a_pending_pass() {
        assert_eq!(
            open("alice", None)
                .check_note(Some("alice"))
                .unwrap_err()
                .field(),
            Some("pass_to")
        );
        assert!(open("alice", Some("bob")).check_note(Some("alice")).is_ok());
    }

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
        assert_eq!(
            parse_note_body("body", &big).unwrap_err().status().as_u16(),
            413
        );
        assert_eq!(
            parse_note_body("body", "  \n ")
                .unwrap_err()
                .status()
                .as_u16(),
            422
        );
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
        assert_eq!(err.status().as_u16(), 422);
        assert_eq!(err.field(), Some("note.body"));
        assert!(err.message().contains("U+0000 (NUL)"), "{err}");
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
