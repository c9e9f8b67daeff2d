//! The content lines of an iCalendar file (RFC 5545 §3.1): physical lines
//! unfolded into logical ones, each remembering the physical line it
//! starts on, and split into name, parameters and value.

use super::Malformed;

/// One logical content line: `NAME;PARAM=VALUE:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentLine {
    /// The physical line (1-based) it starts on.
    pub line: usize,
    /// The property name, upper case.
    pub name: String,
    /// The parameters, names upper case, values unquoted.
    pub params: Vec<(String, String)>,
    /// The value as written (still escaped for text values).
    pub value: String,
}

impl ContentLine {
    /// The value of parameter `name`, if given.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Unfolds `text` (a line that begins with a space or a tab continues the
/// one before) and parses each logical line. Blank lines are allowed (many
/// exporters end with one); a continuation with nothing before it, a line
/// without a `:`, a bad name or an unclosed quote is malformed.
pub fn content_lines(text: &str) -> Result<Vec<ContentLine>, Malformed> {
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let number = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            match logical.last_mut() {
                Some((_, current)) if !current.is_empty() => current.push_str(rest),
                _ => {
                    return Err(Malformed::at(
                        number,
                        "a folded line continues nothing (it begins with a space)",
                    ));
                }
            }
        } else if raw.is_empty() {
            // Ends the line before it: a later space does not continue it.
            logical.push((number, String::new()));
        } else {
            logical.push((number, raw.to_owned()));
        }
    }
    logical
        .into_iter()
        .filter(|(_, l)| !l.is_empty())
        .map(|(number, l)| parse_line(number, &l))
        .collect()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Parses one logical line.
fn parse_line(line: usize, text: &str) -> Result<ContentLine, Malformed> {
    if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\t') {
        return Err(Malformed::at(
            line,
            format!("the line contains the control character U+{:04X}", c as u32),
        ));
    }
    let name_end = text
        .find([';', ':'])
        .ok_or_else(|| Malformed::at(line, "not a content line: NAME:value (there is no ':')"))?;
    let name = &text[..name_end];
    if !valid_name(name) {
        return Err(Malformed::at(
            line,
            format!("{name:?} is not a property name (letters, digits and '-')"),
        ));
    }
    let mut params = Vec::new();
    let mut rest = &text[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let eq = after
            .find('=')
            .ok_or_else(|| Malformed::at(line, "a parameter without '=' (NAME;PARAM=value:…)"))?;
        let pname = &after[..eq];
        if !valid_name(pname) {
            return Err(Malformed::at(
                line,
                format!("{pname:?} is not a parameter name"),
            ));
        }
        let mut value = String::new();
        let mut quoted = false;
        let mut end = None;
        for (i, c) in after[eq + 1..].char_indices() {
            match c {
                '"' => quoted = !quoted,
                ';' | ':' if !quoted => {
                    end = Some(eq + 1 + i);
                    break;
                }
                _ => value.push(c),
            }
        }
        if quoted {
            return Err(Malformed::at(
                line,
                format!("the value of parameter {pname} opens a quote it does not close"),
            ));
        }
        let end = end.ok_or_else(|| {
            Malformed::at(line, "not a content line: NAME:value (there is no ':')")
        })?;
        params.push((pname.to_ascii_uppercase(), value));
        rest = &after[end..];
    }
    let value = rest
        .strip_prefix(':')
        .ok_or_else(|| Malformed::at(line, "not a content line: NAME:value (there is no ':')"))?;
    Ok(ContentLine {
        line,
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_owned(),
    })
}

/// A TEXT value unescaped (`\\`, `\;`, `\,`, `\n`).
pub fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_lines_are_joined_and_keep_the_number_of_their_first_line() {
        let text = "BEGIN:VCALENDAR\r\nSUMMARY:On call: al\r\n ice and\r\n\t bob\r\nDTSTART;TZID=\"Europe/Amsterdam\":20261207T090000\r\n";
        let lines = content_lines(text).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].line, 2);
        assert_eq!(lines[1].value, "On call: alice and bob");
        assert_eq!(lines[2].line, 5);
        assert_eq!(lines[2].param("TZID"), Some("Europe/Amsterdam"));
        assert_eq!(lines[2].value, "20261207T090000");
    }

    #[test]
    fn a_line_without_a_colon_is_named_by_its_physical_number() {
        let text = "BEGIN:VCALENDAR\nSUMMARY:a\n  folded\nDTSTART 2026\n";
        let err = content_lines(text).unwrap_err();
        assert_eq!(err.line, 4, "{err:?}");
        let err = content_lines(" BEGIN:VCALENDAR").unwrap_err();
        assert_eq!(err.line, 1);
        let err = content_lines("A:b\nX;CN=\"open:c\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("quote"), "{err:?}");
    }

    #[test]
    fn quoted_parameters_may_hold_colons_and_text_is_unescaped() {
        let line = &content_lines("ATTENDEE;CN=\"Alice: EOC\";ROLE=REQ:mailto:a@x.org").unwrap()[0];
        assert_eq!(line.param("CN"), Some("Alice: EOC"));
        assert_eq!(line.value, "mailto:a@x.org");
        assert_eq!(unescape(r"a\, b\; c\\d\nnext"), "a, b; c\\d\nnext");
    }
}
