//! Invisible characters that text Baton stores or compares may not carry.
//!
//! Two rules, each one pure function, called by every parser of a text
//! field (so by every entry point: pages, API, command line):
//!
//! - [`check_line`], for one-line values (usernames, display names, titles,
//!   rotation and user roles, time zones, issue links, token labels, search
//!   text): no control character at all (C0 including NUL, DEL, C1), and no
//!   bidirectional formatting character: the embeddings and overrides
//!   U+202A–U+202E, the isolates U+2066–U+2069, and the marks U+200E, U+200F
//!   and U+061C. These make a value display differently from what is stored
//!   ("Trojan Source"), so that two names look the same or a title reads
//!   backwards. Right-to-left names and titles display correctly without
//!   them under the Unicode bidirectional algorithm.
//! - [`check_multiline`], for note bodies, the handover summary and the
//!   free-text data-loss fields: newlines, carriage returns and tabs stay,
//!   every other control character (NUL first) is refused, and so are the
//!   embeddings, overrides and isolates. A rendered body sits in a block of
//!   its own, so they could not reorder Baton's own text around it; but
//!   notes carry commands that responders copy into a terminal in the middle
//!   of an incident, and a command that reads differently from what it is
//!   must not get there. The three marks (U+200E, U+200F, U+061C) stay:
//!   they only set the direction of the neutral characters beside them,
//!   cannot reverse a run of text, and people writing right-to-left prose
//!   use them.
//!
//! Whitespace that a parser normalises away (the trim of a username, the
//! collapsed spaces of a title) is not stored, so parsers check the value as
//! it will be kept.

/// Checks a one-line value; the message names `what` (such as "the title")
/// and the character, by code point, since it cannot be seen.
pub fn check_line(what: &str, text: &str) -> Result<(), String> {
    match text.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
        None => Ok(()),
        Some(c) => Err(refusal(what, c)),
    }
}

/// Checks a multi-line text: newlines, carriage returns, tabs and the
/// bidirectional marks are kept; any other control character and every
/// embedding, override and isolate is refused, with a message that names
/// `what` and the character.
pub fn check_multiline(what: &str, text: &str) -> Result<(), String> {
    match text.chars().find(|&c| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || (is_bidi_control(c) && !is_bidi_mark(c))
    }) {
        None => Ok(()),
        Some(c) => Err(refusal(what, c)),
    }
}

/// Whether `c` is one of Unicode's bidirectional formatting characters.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `c` is one of the bidirectional marks, which only give neutral
/// characters beside them a direction.
pub fn is_bidi_mark(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}')
}

/// "the title contains U+202E (right-to-left override), …".
fn refusal(what: &str, c: char) -> String {
    let code = format!("U+{:04X}", c as u32);
    match name_of(c) {
        Some(name) if is_bidi_control(c) => format!(
            "{what} contains {code} ({name}), an invisible character that changes the \
             order in which text is shown; remove it"
        ),
        Some(name) => {
            format!("{what} contains {code} ({name}), an invisible control character; remove it")
        }
        None => format!("{what} contains {code}, an invisible control character; remove it"),
    }
}

/// Names of the invisible characters people most often meet.
fn name_of(c: char) -> Option<&'static str> {
    Some(match c {
        '\0' => "NUL",
        '\t' => "tab",
        '\n' => "line feed",
        '\r' => "carriage return",
        '\u{1B}' => "escape",
        '\u{7F}' => "delete",
        '\u{85}' => "next line",
        '\u{061C}' => "Arabic letter mark",
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{202A}' => "left-to-right embedding",
        '\u{202B}' => "right-to-left embedding",
        '\u{202C}' => "pop directional formatting",
        '\u{202D}' => "left-to-right override",
        '\u{202E}' => "right-to-left override",
        '\u{2066}' => "left-to-right isolate",
        '\u{2067}' => "right-to-left isolate",
        '\u{2068}' => "first strong isolate",
        '\u{2069}' => "pop directional isolate",
        _ => return None,
    })
}

/// A size for people, in decimal units: `834 B`, `12.3 MB`.
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b < 1_000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{:.1} KB", b as f64 / 1e3),
        b if b < 1_000_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => format!("{:.2} GB", b as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character the one-line rule refuses, by kind.
    const BIDI: [char; 12] = [
        '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
        '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    ];

    #[test]
    fn a_line_refuses_nul_every_control_character_and_every_bidi_control() {
        for c in ('\0'..='\u{1F}').chain('\u{7F}'..='\u{9F}').chain(BIDI) {
            let text = format!("db{c}down");
            let err = check_line("the title", &text).unwrap_err();
            assert!(err.starts_with("the title contains U+"), "{c:?}: {err}");
            assert!(err.contains(&format!("U+{:04X}", c as u32)), "{c:?}: {err}");
        }
    }

    #[test]
    fn a_line_keeps_letters_of_every_script_and_joiners() {
        for ok in [
            "Patroni failover loop",
            "שלום עולם",
            "مرحبا",
            "Zoë Ångström",
            "東京",
            "👩‍💻 on call",
            "می‌خواهم",
        ] {
            assert_eq!(check_line("the name", ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn the_message_names_the_field_and_the_character() {
        assert_eq!(
            check_line("the name", "a\u{202E}b").unwrap_err(),
            "the name contains U+202E (right-to-left override), an invisible character \
             that changes the order in which text is shown; remove it"
        );
        assert_eq!(
            check_line("a username", "x\0").unwrap_err(),
            "a username contains U+0000 (NUL), an invisible control character; remove it"
        );
        assert!(
            check_line("the role", "\u{1}")
                .unwrap_err()
                .contains("U+0001, an invisible control character")
        );
    }

    #[test]
    fn a_note_keeps_newlines_tabs_and_marks_but_refuses_nul_controls_and_overrides() {
        assert_eq!(
            check_multiline(
                "the note",
                "line 1\r\n\tline 2\n\u{200F}עברית, 3 מ\u{200E}\u{061C}"
            ),
            Ok(())
        );
        let refused = [
            '\0', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{1B}', '\u{7F}', '\u{85}',
        ];
        let overrides = BIDI.into_iter().filter(|&c| !is_bidi_mark(c));
        for c in refused.into_iter().chain(overrides) {
            let err = check_multiline("the note", &format!("a{c}b")).unwrap_err();
            assert!(err.starts_with("the note contains U+"), "{c:?}: {err}");
        }
    }

    #[test]
    fn only_the_bidi_formatting_characters_count_as_bidi_controls() {
        for c in BIDI {
            assert!(is_bidi_control(c), "{c:?}");
        }
        for c in [
            'a', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2029}', '\u{2065}', '\u{206A}',
        ] {
            assert!(!is_bidi_control(c), "{c:?}");
        }
    }
}
