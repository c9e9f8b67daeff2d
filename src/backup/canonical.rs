//! The canonical form of a row, the same whichever backend it was read
//! from: a JSON array of its values in the manifest's column order, where
//! text is a string, an integer a number, a boolean `true`/`false`, an
//! instant the string `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, always six digits),
//! and NULL `null`. The archive holds rows in this form, and the checksums
//! are taken over it, so that a table restored into the other backend reads
//! back byte for byte the same.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// What a column holds, as the archive names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `TEXT`.
    Text,
    /// `INTEGER` (32 bits).
    Integer,
    /// `BIGINT`.
    Bigint,
    /// `BOOLEAN`.
    Boolean,
    /// `TIMESTAMP`, UTC.
    Timestamp,
}

impl Kind {
    /// The kind of a column from the type its database declares (SQLite's
    /// declared type, PostgreSQL's `information_schema` data type).
    pub fn from_declared(declared: &str) -> Option<Kind> {
        match declared.trim().to_ascii_lowercase().as_str() {
            "text" => Some(Kind::Text),
            "integer" | "int" | "int4" => Some(Kind::Integer),
            "bigint" | "int8" => Some(Kind::Bigint),
            "boolean" | "bool" => Some(Kind::Boolean),
            "timestamp" | "timestamp without time zone" => Some(Kind::Timestamp),
            _ => None,
        }
    }

    /// PostgreSQL's name of the type, for a cast.
    pub fn postgres_type(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Bigint => "bigint",
            Kind::Boolean => "boolean",
            Kind::Timestamp => "timestamp",
        }
    }
}

/// A column of a table in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// What it holds.
    #[serde(rename = "type")]
    pub kind: Kind,
}

/// Turns one row as a database gave it (a JSON array, booleans possibly as
/// 0/1, instants with a `T` or fewer digits) into its canonical line,
/// appended to `out` with its newline. Values already in their canonical
/// form (most text, every integer and NULL) are copied as they come.
pub fn canonical_row(columns: &[Column], json: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let values: Vec<&RawValue> =
        serde_json::from_str(json).map_err(|e| format!("a row the database gave: {e}"))?;
    if values.len() != columns.len() {
        return Err(format!(
            "a row with {} values for {} columns",
            values.len(),
            columns.len()
        ));
    }
    out.push(b'[');
    for (i, (value, column)) in values.iter().zip(columns).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical_value(column, value.get(), out)?;
    }
    out.extend_from_slice(b"]\n");
    Ok(())
}

/// `raw` (one JSON value) in its canonical form for `column`.
fn canonical_value(column: &Column, raw: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let wrong = || {
        format!(
            "column {} holds {raw}, which is not a {:?}",
            column.name, column.kind
        )
    };
    // A JSON string without a backslash has nothing to escape: it is
    // written as serde_json writes it.
    let plain = |raw: &str| {
        raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') && !raw.contains('\\')
    };
    match (column.kind, raw) {
        (_, "null") => out.extend_from_slice(b"null"),
        (Kind::Text, raw) if plain(raw) => out.extend_from_slice(raw.as_bytes()),
        (Kind::Text, raw) if raw.starts_with('"') => {
            let text: String = serde_json::from_str(raw).map_err(|_| wrong())?;
            serde_json::to_writer(&mut *out, &text).map_err(|e| e.to_string())?;
        }
        (Kind::Integer | Kind::Bigint, raw) if raw.parse::<i64>().is_ok() => {
            out.extend_from_slice(raw.as_bytes())
        }
        (Kind::Boolean, "true" | "1") => out.extend_from_slice(b"true"),
        (Kind::Boolean, "false" | "0") => out.extend_from_slice(b"false"),
        (Kind::Timestamp, raw) if plain(raw) => {
            let instant = canonical_timestamp(&raw[1..raw.len() - 1]).ok_or_else(wrong)?;
            out.push(b'"');
            out.extend_from_slice(instant.as_bytes());
            out.push(b'"');
        }
        _ => return Err(wrong()),
    }
    Ok(())
}

/// `2026-12-03 08:15:00.1234` or `2026-12-03T08:15:00` as
/// `2026-12-03 08:15:00.123400`; beyond microseconds digits are dropped
/// (Baton keeps instants to the microsecond, which both backends hold).
pub fn canonical_timestamp(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let shape = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && (b[10] == b' ' || b[10] == b'T')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return None;
    }
    let fraction = match &text[19..] {
        "" => "",
        f => {
            let f = f.strip_prefix('.')?;
            if f.is_empty() || !f.bytes().all(|d| d.is_ascii_digit()) {
                return None;
            }
            &f[..f.len().min(6)]
        }
    };
    Some(format!("{} {}.{fraction:0<6}", &text[..10], &text[11..19]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(kinds: &[Kind]) -> Vec<Column> {
        kinds
            .iter()
            .enumerate()
            .map(|(i, k)| Column {
                name: format!("c{i}"),
                kind: *k,
            })
            .collect()
    }

    #[test]
    fn both_backends_rows_give_the_same_line() {
        let columns = cols(&[
            Kind::Text,
            Kind::Boolean,
            Kind::Timestamp,
            Kind::Bigint,
            Kind::Timestamp,
        ]);
        let mut sqlite = vec![];
        canonical_row(
            &columns,
            r#"["a\"b\u00e9",1,"2026-12-03 08:15:00.5",9007199254740993,null]"#,
            &mut sqlite,
        )
        .unwrap();
        let mut postgres = vec![];
        canonical_row(
            &columns,
            r#"["a\"bé", true, "2026-12-03T08:15:00.500000", 9007199254740993, null]"#,
            &mut postgres,
        )
        .unwrap();
        assert_eq!(sqlite, postgres);
        assert_eq!(
            String::from_utf8(sqlite).unwrap(),
            "[\"a\\\"bé\",true,\"2026-12-03 08:15:00.500000\",9007199254740993,null]\n"
        );
    }

    #[test]
    fn instants_are_written_one_way() {
        assert_eq!(
            canonical_timestamp("2026-12-03 08:15:00").as_deref(),
            Some("2026-12-03 08:15:00.000000")
        );
        assert_eq!(
            canonical_timestamp("2026-12-03T08:15:00.123456789").as_deref(),
            Some("2026-12-03 08:15:00.123456")
        );
        for bad in [
            "2026-12-03",
            "2026-12-03 08:15:00.",
            "2026-12-03 08:15:00Z",
            "x026-12-03 08:15:00",
        ] {
            assert_eq!(canonical_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_named() {
        let columns = cols(&[Kind::Boolean]);
        let err = canonical_row(&columns, "[2]", &mut vec![]).unwrap_err();
        assert!(err.contains("c0"), "{err}");
        assert!(canonical_row(&columns, "[1, 2]", &mut vec![]).is_err());
    }
}
