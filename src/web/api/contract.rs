//! What the API accepts, in one place. Each rule here both checks a value a
//! request sends and writes the JSON Schema that describes it into the
//! OpenAPI document, so that the document and the server cannot disagree:
//! a value the document allows is accepted (the domain's own checks are
//! never stricter than the rule), and a value it does not allow is refused
//! with a 422 naming the field (the server checks the very pattern and
//! lengths it publishes).
//!
//! The patterns are written in the common subset of the regular-expression
//! dialects that read them: `regex-lite` here, ECMA 262 in JSON Schema
//! validators, and Python's `re` in test generators (anchored with `^…$`,
//! explicit character classes, `\uXXXX` escapes, no look-around).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::{DateTime, Duration, Utc};
use regex_lite::Regex;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::{Value, json};
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, SchemaFormat, SchemaType, Type};

use crate::domain::handoff::{Kind, MAX_ISSUES, MAX_NOTE_BYTES, Status, Verification};
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::error::{ApiError, AppError};

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
const ONE_LINE: &str = concat!(
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

/// A username as GitLab spells them (see `domain::user::parse_username`).
const USERNAME: &str = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$";

/// A username to pass to, `@` allowed in front as chat users write it.
const RECIPIENT: &str = r"^@?[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$";

/// A rotation role: letters, digits, `-`, `_` and inner spaces.
const ROTATION_ROLE: &str = r"^[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,30}[A-Za-z0-9_-])?$";

/// A list cursor as `GET /api/v1/handoffs` gives them out.
const CURSOR: &str = r"^[0-9]{1,18}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// The longest issue link taken.
pub const MAX_ISSUE_CHARS: usize = 1000;

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
    pub pattern: &'static str,
    /// What the rule is, for the document and the error message.
    pub rule: &'static str,
    /// A value that keeps the rule, for the document.
    pub example: &'static str,
    regex: OnceLock<Regex>,
}

impl Text {
    const fn new(
        min_chars: usize,
        max_chars: usize,
        pattern: &'static str,
        (rule, example): (&'static str, &'static str),
    ) -> Text {
        Text {
            min_chars,
            max_chars,
            max_bytes: None,
            pattern,
            rule,
            example,
            regex: OnceLock::new(),
        }
    }

    const fn with_max_bytes(
        min_chars: usize,
        max_chars: usize,
        max_bytes: usize,
        pattern: &'static str,
        (rule, example): (&'static str, &'static str),
    ) -> Text {
        Text {
            min_chars,
            max_chars,
            max_bytes: Some(max_bytes),
            pattern,
            rule,
            example,
            regex: OnceLock::new(),
        }
    }

    fn regex(&self) -> &Regex {
        // The patterns are constants, compiled in this module's tests.
        self.regex.get_or_init(|| {
            Regex::new(self.pattern).unwrap_or_else(|e| panic!("{}: {e}", self.pattern))
        })
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
        } else if self.regex().is_match(value) {
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
            .pattern(Some(self.pattern))
            .description(Some(self.rule))
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

fn string_type(nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    }
}

/// A handoff title.
pub static TITLE: Text = Text::new(
    1,
    crate::domain::handoff::MAX_TITLE_CHARS,
    ONE_LINE,
    (
        "one line of 1 to 200 characters with a visible one, without control characters or bidirectional overrides",
        "Patroni failover loop on the main cluster",
    ),
);

/// A note body: Markdown, at most 64 KiB.
pub static NOTE_BODY: Text = Text::with_max_bytes(
    1,
    MAX_NOTE_BYTES,
    MAX_NOTE_BYTES,
    LINES,
    (
        "Markdown with a visible character, at most 65,536 bytes of UTF-8 (as many characters when they are ASCII), without control characters (tab and line breaks allowed) or bidirectional overrides",
        "Replica lag 30s. Next: watch failovers.",
    ),
);

/// A free-text data-loss field.
pub static DATA_LOSS_TEXT: Text = Text::new(
    0,
    2000,
    MAYBE_LINES,
    (
        "at most 2,000 characters without control characters (tab and line breaks allowed) or bidirectional overrides; blank means not known yet",
        "uploads bucket, project avatars",
    ),
);

/// A display name.
pub static DISPLAY_NAME: Text = Text::new(
    1,
    100,
    ONE_LINE,
    (
        "one line of 1 to 100 characters with a visible one, without control characters or bidirectional overrides",
        "Alice Example",
    ),
);

/// A username.
pub static USERNAME_TEXT: Text = Text::new(
    1,
    64,
    USERNAME,
    (
        "a username: 1 to 64 ASCII letters, digits, '_', '-' or '.', not starting with '-' or '.'",
        "alice",
    ),
);

/// A username to pass a handoff to.
pub static RECIPIENT_TEXT: Text = Text::new(
    1,
    65,
    RECIPIENT,
    (
        "the username of a responder or admin (an '@' in front is allowed); leave it out or null to keep the handoff",
        "bob",
    ),
);

/// A rotation role.
pub static ROLE_TEXT: Text = Text::new(
    1,
    32,
    ROTATION_ROLE,
    (
        "a rotation role such as EOC: 1 to 32 ASCII letters, digits, '-', '_' and inner spaces",
        "EOC",
    ),
);

/// A list cursor.
pub static CURSOR_TEXT: Text = Text::new(
    1,
    56,
    CURSOR,
    (
        "the next_cursor of the previous page",
        "1764000000000000_0190c6a4-8a3b-7c1d-9e2f-0123456789ab",
    ),
);

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
    crate::domain::handoff::Role::ALL
        .iter()
        .map(|r| r.as_str())
        .collect()
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
    static NAMES: LazyLock<std::collections::HashSet<&'static str>> =
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

/// A date-time schema (RFC 3339), with an example when one is given.
pub fn instant_schema(nullable: bool, description: &str, example: Option<&str>) -> Object {
    ObjectBuilder::new()
        .schema_type(string_type(nullable))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some(description))
        .examples(example)
        .build()
}

/// Parses an RFC 3339 date-time exactly as JSON Schema's `date-time`
/// format reads it: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, `T` and `Z` in
/// either case, a leap second only at 23:59:60 UTC (taken as the next
/// second). Anything else is a 422 on `field`.
pub fn instant(field: &str, text: &str) -> Result<DateTime<Utc>, AppError> {
    let refuse = || {
        AppError::invalid(
            field,
            format!("{text:?} is not an RFC 3339 date-time such as 2026-11-29T09:00:00Z"),
        )
    };
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| d.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    let shape = digits(0..4).is_some()
        && at(4, b"-")
        && digits(5..7).is_some()
        && at(7, b"-")
        && digits(8..10).is_some()
        && at(10, b"Tt")
        && at(13, b":")
        && at(16, b":");
    let (Some(hour), Some(minute), Some(second)) = (digits(11..13), digits(14..16), digits(17..19))
    else {
        return Err(refuse());
    };
    if !shape {
        return Err(refuse());
    }
    let mut end = 19;
    if at(end, b".") {
        let fraction = b[end + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        if fraction == 0 {
            return Err(refuse());
        }
        end += 1 + fraction;
    }
    let offset_minutes: i64 = if at(end, b"Zz") && b.len() == end + 1 {
        0
    } else if at(end, b"+-") && b.len() == end + 6 && at(end + 3, b":") {
        let (Some(h), Some(m)) = (digits(end + 1..end + 3), digits(end + 4..end + 6)) else {
            return Err(refuse());
        };
        if h > 23 || m > 59 {
            return Err(refuse());
        }
        let minutes = i64::from(h * 60 + m);
        if b[end] == b'-' { -minutes } else { minutes }
    } else {
        return Err(refuse());
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(refuse());
    }
    if second == 60 {
        // A leap second exists only as the last second of a UTC day.
        let utc_minute = (i64::from(hour * 60 + minute) - offset_minutes).rem_euclid(24 * 60);
        if utc_minute != 23 * 60 + 59 {
            return Err(refuse());
        }
        let mut without = text.to_owned();
        without.replace_range(17..19, "59");
        return crate::domain::time::parse_rfc3339(&without)
            .map(|t| t + Duration::seconds(1))
            .map_err(|_| refuse());
    }
    crate::domain::time::parse_rfc3339(text).map_err(|_| refuse())
}

/// An integer as JSON Schema counts them: `2` and `2.0` alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Int, D::Error> {
        struct IntVisitor;
        impl Visitor<'_> for IntVisitor {
            type Value = Int;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom(format!("{v} is too large")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                // i64::MAX as f64 rounds up to 2^63, which does not fit.
                if v.fract() == 0.0 && v >= i64::MIN as f64 && v < i64::MAX as f64 {
                    Ok(Int(v as i64))
                } else {
                    Err(E::invalid_type(de::Unexpected::Float(v), &self))
                }
            }
        }
        deserializer.deserialize_any(IntVisitor)
    }
}

/// `value` if it lies in `min..=max`; else a 422 on `field`.
pub fn int_in(field: &str, value: Int, min: i64, max: i64) -> Result<i64, AppError> {
    if (min..=max).contains(&value.0) {
        Ok(value.0)
    } else {
        Err(AppError::invalid(
            field,
            format!(
                "{field} is a whole number from {min} to {max}, not {}",
                value.0
            ),
        ))
    }
}

/// A whole-number query parameter: digits (an integral decimal such as
/// `5.0` too, as generators write integers) in `min..=max`; else a 422 on
/// `field`. Only non-negative ranges are needed.
pub fn int_param(field: &str, text: &str, min: i64, max: i64) -> Result<i64, AppError> {
    let refuse = || {
        AppError::invalid(
            field,
            format!("{field} is a whole number from {min} to {max}, not {text:?}"),
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.bytes().any(|b| b != b'0') {
        return Err(refuse());
    }
    whole
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(refuse)
}

/// The schema of an integer in `min..=max`.
pub fn int_schema(min: i64, max: i64, nullable: bool, description: &str) -> Object {
    let kind = if nullable {
        SchemaType::from_iter([Type::Integer, Type::Null])
    } else {
        SchemaType::new(Type::Integer)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .minimum(Some(min))
        .maximum(Some(max))
        .description(Some(description))
        .build()
}

/// The patterns of an issue link on one GitLab: what matches `accept` and
/// not `refuse` is an issue link the domain parses.
struct IssuePatterns {
    accept: String,
    refuse: String,
    accept_re: Regex,
    refuse_re: Regex,
}

/// Escapes `text` for a pattern (only the characters that mean something).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl IssuePatterns {
    fn new(gitlab: &GitLab) -> IssuePatterns {
        let segment = r"[A-Za-z0-9_][A-Za-z0-9_.-]*";
        let path = format!("{segment}(?:/{segment})+");
        let number = "[1-9][0-9]{0,18}";
        let base = gitlab.base_url();
        let site = escape(base.split_once("://").map_or(base, |(_, rest)| rest));
        let url = format!(
            r#"https?://{site}/{path}(?:/-/(?:issues/(?:incident/)?{number}|work_items/{number})|/issues/{number})/?(?:\?[!"$-~]*)?(?:#[!-~]*)?"#
        );
        let mut forms = vec![format!("{path}#{number}"), url];
        if gitlab.default_project().is_some() {
            forms.push(format!("#{number}"));
        }
        let accept = format!("^(?:{})$", forms.join("|"));
        // GitLab's reserved `groups/` and paths ending in .git or .atom.
        let groups = "[gG][rR][oO][uU][pP][sS]/";
        let suffix = r"\.(?:[gG][iI][tT]|[aA][tT][oO][mM])";
        let refuse = format!(
            r"^(?:{groups}|https?://{site}/{groups}|[^#]*{suffix}#|https?://{site}/[^?#]*{suffix}/)"
        );
        IssuePatterns {
            accept_re: Regex::new(&accept).unwrap_or_else(|e| panic!("{accept}: {e}")),
            refuse_re: Regex::new(&refuse).unwrap_or_else(|e| panic!("{refuse}: {e}")),
            accept,
            refuse,
        }
    }

    /// The patterns for `gitlab`, made once per configuration.
    fn of(gitlab: &GitLab) -> Arc<IssuePatterns> {
        /// A GitLab's base URL and default project.
        type Configuration = (String, Option<String>);
        static MADE: LazyLock<Mutex<HashMap<Configuration, Arc<IssuePatterns>>>> =
            LazyLock::new(Default::default);
        let key = (
            gitlab.base_url().to_owned(),
            gitlab.default_project().map(str::to_owned),
        );
        let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
        made.entry(key)
            .or_insert_with(|| Arc::new(IssuePatterns::new(gitlab)))
            .clone()
    }
}

/// What an issue link is, for the document and error messages.
fn issue_rule(gitlab: &GitLab) -> String {
    let bare = if gitlab.default_project().is_some() {
        format!(
            ", or #123 in {}",
            gitlab.default_project().unwrap_or_default()
        )
    } else {
        String::new()
    };
    format!(
        "a GitLab issue on {base}: {base}/group/project/-/issues/123 (also /-/issues/incident/123, /-/work_items/123, the legacy /issues/123, with a trailing slash, query or #fragment), or group/project#123{bare}; at most {MAX_ISSUE_CHARS} characters",
        base = gitlab.base_url()
    )
}

/// Parses one issue link as the document describes it; else a 422 on `field`.
pub fn issue(field: &str, text: &str, gitlab: &GitLab) -> Result<IssueRef, AppError> {
    let patterns = IssuePatterns::of(gitlab);
    let fits = text.chars().count() <= MAX_ISSUE_CHARS
        && patterns.accept_re.is_match(text)
        && !patterns.refuse_re.is_match(text);
    if !fits {
        // The domain's message says best what is wrong, when it sees it.
        let why = match IssueRef::parse(text, gitlab) {
            Err(e) => e.to_string(),
            Ok(_) => format!("write it as {}", issue_rule(gitlab)),
        };
        return Err(AppError::invalid(field, format!("{text:?}: {why}")));
    }
    IssueRef::parse(text, gitlab).map_err(|e| AppError::invalid(field, format!("{text:?}: {e}")))
}

/// Parses a list of issue links; the error names the entry.
pub fn issues(field: &str, entries: &[String], gitlab: &GitLab) -> Result<Vec<IssueRef>, AppError> {
    if entries.len() > MAX_ISSUES {
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_ISSUES} issues"),
        ));
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| issue(&format!("{field}[{i}]"), e, gitlab))
        .collect()
}

/// The schema of an issue link on `gitlab`.
pub fn issue_schema(gitlab: &GitLab) -> Value {
    let patterns = IssuePatterns::of(gitlab);
    json!({
        "type": "string",
        "maxLength": MAX_ISSUE_CHARS,
        "pattern": patterns.accept,
        "not": {"pattern": patterns.refuse},
        "description": issue_rule(gitlab),
        "examples": [format!("{}/gitlab-com/gl-infra/production/-/issues/1234", gitlab.base_url())],
    })
}

/// The field schemas of the request and response types, for their
/// `#[schema(schema_with = …)]` attributes: each one written from the rule
/// that checks the field.
pub mod schemas {
    use super::*;

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
        int_schema(1, 4, false, "1 (critical) to 4, as GitLab's severity::1..4")
    }
    /// A severity, or null to keep it.
    pub fn severity_or_null() -> Object {
        int_schema(1, 4, true, "1 (critical) to 4; null keeps it")
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
        let mut limit = int_schema(1, 200, false, "1 to 200 (default 50)");
        limit.examples = vec![json!(50)];
        limit
    }
}

/// An issue link, as a component of the document: the document served
/// carries the pattern of the configured GitLab instead of this stand-in.
pub struct IssueLink;

impl utoipa::PartialSchema for IssueLink {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .max_length(Some(MAX_ISSUE_CHARS))
            .description(Some(
                "a GitLab issue link (the pattern depends on the configured GitLab)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for IssueLink {}

/// A 409 on `field`: the request keeps the document, but its value
/// conflicts with what exists now. So a request the document allows is
/// never a 422.
pub fn conflict(field: &str, message: impl std::fmt::Display) -> AppError {
    AppError::ConflictAt {
        field: field.into(),
        message: message.to_string(),
    }
}

/// A JSON request body: it must be an object (anything else is a 400), and
/// each field of the wrong shape is a 422 naming it (`note.body`,
/// `issues[2]`). Every JSON body of the API is read through this, so that
/// no handler can take an array or a string for an object.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<ApiJson<T>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Size, content type and syntax are checked by the scope's
        // JsonConfig (413 and 400 through `json_error`).
        let value = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            if !value.is_object() {
                let what = match value {
                    Value::Null => "null",
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::String(_) => "a string",
                    Value::Array(_) => "an array",
                    Value::Object(_) => "an object",
                };
                return Err(ApiError(AppError::Malformed(format!(
                    "the body must be a JSON object, not {what}"
                )))
                .into());
            }
            serde_path_to_error::deserialize(Strict(value))
                .map(ApiJson)
                .map_err(|e| ApiError(shape_error(&e)).into())
        })
    }
}

/// A JSON value to deserialize from that refuses to read a struct from
/// anything but an object, at any depth (serde would read one from an
/// array, `[null, null]`, field by field).
struct Strict(Value);

/// What a value is, for a type error.
fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

impl<'de> Deserializer<'de> for Strict {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(StrictSeq(items.into_iter())),
            Value::Object(map) => visitor.visit_map(StrictMap {
                entries: map.into_iter(),
                value: None,
            }),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(StrictMap {
                entries: map.into_iter(),
                value: None,
            }),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a JSON object",
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Strict(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// The items of an array, each read strictly.
struct StrictSeq(std::vec::IntoIter<Value>);

impl<'de> de::SeqAccess<'de> for StrictSeq {
    type Error = serde_json::Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The members of an object, each value read strictly.
struct StrictMap {
    entries: serde_json::map::IntoIter,
    value: Option<Value>,
}

impl<'de> de::MapAccess<'de> for StrictMap {
    type Error = serde_json::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(de::IntoDeserializer::<serde_json::Error>::into_deserializer(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        seed.deserialize(Strict(self.value.take().unwrap_or(Value::Null)))
    }
}

/// A 422 for a body of the wrong shape, naming the field by its path.
fn shape_error(error: &serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let message = error.inner().to_string();
    let path = error.path().to_string();
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match named {
        Some(name) if path == "." || path.is_empty() => name.to_owned(),
        Some(name) if path == name || path.ends_with(&format!(".{name}")) => path,
        Some(name) => format!("{path}.{name}"),
        None if path == "." || path.is_empty() => "body".to_owned(),
        None => path,
    };
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    AppError::invalid(field, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_pattern_compiles() {
        for rule in [
            &TITLE,
            &NOTE_BODY,
            &DATA_LOSS_TEXT,
            &DISPLAY_NAME,
            &USERNAME_TEXT,
            &RECIPIENT_TEXT,
            &ROLE_TEXT,
            &CURSOR_TEXT,
        ] {
            assert!(rule.check("f", "").is_err() || rule.min_chars == 0);
        }
        let gitlab = GitLab::new("https://git.example.com:8443/gl", Some("a/b")).unwrap();
        assert!(issue("i", "#5", &gitlab).is_ok());
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
        assert!(TITLE.check("title", &"x".repeat(200)).is_ok());
        assert!(TITLE.check("title", &"x".repeat(201)).is_err());
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
            &"é".repeat(200),
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
        assert!(NOTE_BODY.check("body", &"x".repeat(65536)).is_ok());
        assert!(NOTE_BODY.check("body", &"x".repeat(65537)).is_err());
        let err = NOTE_BODY.check("body", &"é".repeat(40000)).unwrap_err();
        assert_eq!(err.status().as_u16(), 422);
    }

    #[test]
    fn usernames_roles_and_cursors_have_their_exact_forms() {
        assert!(USERNAME_TEXT.check("u", "bob.smith-2").is_ok());
        assert!(USERNAME_TEXT.check("u", " bob").is_err());
        assert!(USERNAME_TEXT.check("u", "-x").is_err());
        assert!(USERNAME_TEXT.check("u", &"a".repeat(65)).is_err());
        assert!(RECIPIENT_TEXT.check("p", "@bob").is_ok());
        assert!(ROLE_TEXT.check("r", "EOC").is_ok());
        assert!(ROLE_TEXT.check("r", "Database SRE").is_ok());
        assert!(ROLE_TEXT.check("r", " EOC").is_err());
        assert!(ROLE_TEXT.check("r", &"R".repeat(33)).is_err());
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
    fn instants_are_read_as_json_schema_reads_date_time() {
        let t = |s: &str| instant("t", s);
        let nine = Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
        assert_eq!(t("2026-11-29T09:00:00Z").unwrap(), nine);
        assert_eq!(t("2026-11-29t09:00:00z").unwrap(), nine);
        assert_eq!(t("2026-11-29T10:00:00+01:00").unwrap(), nine);
        assert_eq!(
            t("2026-11-29T09:00:00.000123456789Z").unwrap().timestamp(),
            nine.timestamp()
        );
        assert_eq!(
            t("2026-12-31T23:59:60Z").unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
        assert!(t("2026-12-31T22:59:60-01:00").is_ok());
        assert!(t("0000-01-01T00:00:00Z").is_ok());
        for bad in [
            "2026-11-29 09:00:00Z",
            "2026-11-29T09:00:60Z",
            "2026-11-29T09:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-29T09:00:00+24:00",
            "2026-11-29T09:00:00+0100",
            "2026-11-29T09:00:00.Z",
            "+12026-11-29T09:00:00Z",
            " 2026-11-29T09:00:00Z",
            "2026-11-29T09:00:00Z\n",
            "2026-11-29T09:00:00+01:60",
            "yesterday",
            "",
        ] {
            assert!(t(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn integers_are_taken_as_json_schema_counts_them() {
        let read = |s: &str| serde_json::from_str::<Int>(s).map(|i| i.0).ok();
        assert_eq!(read("2"), Some(2));
        assert_eq!(read("2.0"), Some(2));
        assert_eq!(read("-7"), Some(-7));
        assert_eq!(read("2.5"), None);
        assert_eq!(read("\"2\""), None);
        assert_eq!(read("1e300"), None);
        assert_eq!(int_param("limit", "5", 1, 200).unwrap(), 5);
        assert_eq!(int_param("limit", "5.0", 1, 200).unwrap(), 5);
        for bad in ["", "0", "201", "+5", " 5", "5.5", "5.", "abc", "-1", "1e2"] {
            assert!(int_param("limit", bad, 1, 200).is_err(), "{bad:?}");
        }
    }

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

    #[test]
    fn issue_links_are_taken_in_the_documented_forms_only() {
        let gitlab = GitLab::new("https://gitlab.com", None).unwrap();
        let ok = |s: &str| issue("i", s, &gitlab).map(|i| i.to_string());
        let p = "gitlab-com/gl-infra/production#1234";
        for form in [
            "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234",
            "http://gitlab.com/gitlab-com/gl-infra/production/-/issues/incident/1234",
            "https://gitlab.com/gitlab-com/gl-infra/production/-/work_items/1234#note_55",
            "https://gitlab.com/gitlab-com/gl-infra/production/issues/1234/?x=1",
            "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234?a=\"b\"#x",
            "gitlab-com/gl-infra/production#1234",
        ] {
            assert_eq!(ok(form).as_deref(), Ok(p), "{form}");
        }
        for bad in [
            "#1234",
            " gitlab-com/gl-infra/production#1234",
            "gitlab-com/gl-infra/production#01234",
            "gitlab-com/gl-infra/production#0",
            "groups/x#1",
            "Groups/x/y#1",
            "a/b.git#1",
            "a.ATOM/b#1",
            "https://gitlab.com/a/b.git/-/issues/1",
            "https://gitlab.com/groups/a/-/issues/1",
            "https://gitlab.com/a/b/-/merge_requests/1",
            "https://GitLab.com/a/b/-/issues/1",
            "https://gitlab.example.com/a/b/-/issues/1",
            "https://gitlab.com/a/b/-/issues/1 ",
            "https://gitlab.com/a/b/-/iss\tues/1",
            "gitlab-com/gl-infra/production#12345678901234567890",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
        let self_managed =
            GitLab::new("https://Git.Example.com:8443/gl/", Some("ops/infra")).unwrap();
        assert_eq!(
            issue("i", "#7", &self_managed).unwrap().to_string(),
            "ops/infra#7"
        );
        assert!(
            issue(
                "i",
                "https://git.example.com:8443/gl/a/b/-/issues/7",
                &self_managed
            )
            .is_ok()
        );
        assert!(
            issue(
                "i",
                "https://git.example.com:8443/a/b/-/issues/7",
                &self_managed
            )
            .is_err()
        );
    }

    #[test]
    fn a_body_of_the_wrong_shape_names_the_field_by_its_path() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            body: String,
        }
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Outer {
            title: String,
            note: Inner,
            #[serde(default)]
            issues: Vec<String>,
        }
        let field = |v: Value| {
            let err = serde_path_to_error::deserialize::<_, Outer>(Strict(v)).unwrap_err();
            shape_error(&err).field().unwrap().to_owned()
        };
        assert_eq!(field(json!({"note": {"body": "x"}})), "title");
        assert_eq!(field(json!({"title": "t", "note": {}})), "note.body");
        assert_eq!(
            field(json!({"title": "t", "note": {"body": 5}})),
            "note.body"
        );
        assert_eq!(
            field(json!({"title": "t", "note": {"body": "x"}, "colour": 1})),
            "colour"
        );
        assert_eq!(
            field(json!({"title": "t", "note": {"body": "x", "x": 1}})),
            "note.x"
        );
        assert_eq!(
            field(json!({"title": "t", "note": {"body": "x"}, "issues": ["a", 2]})),
            "issues[1]"
        );
        // serde alone reads a struct from an array; here a struct is an object.
        assert_eq!(field(json!({"title": "t", "note": ["x"]})), "note");
        assert_eq!(field(json!({"title": "t", "note": "x"})), "note");
    }
}
