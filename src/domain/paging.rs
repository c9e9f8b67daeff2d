//! Pages of lists: how many handoffs a page holds, and the cursor that says
//! where the next page starts. The list page's "next" link and the API's
//! `next_cursor` give out the same cursor and read it back here; the shift
//! log pages its events and handovers with it too.

use std::fmt;

use chrono::{DateTime, NaiveDateTime};

/// Handoffs on one page, unless the API is asked for another number.
pub const PAGE_SIZE: i64 = 50;
/// The most handoffs one page of the API holds.
pub const MAX_PAGE_SIZE: i64 = 200;

/// Where a page of a list ordered by activity (newest first) starts: just
/// after the handoff with this last activity and this id. Written
/// `{microseconds since 1970}_{uuid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last activity of the last handoff of the page before (UTC).
    pub at: NaiveDateTime,
    /// That handoff's id.
    pub id: String,
}

impl Cursor {
    /// The cursor after the handoff `id`, last active `at`.
    pub fn after(at: NaiveDateTime, id: &str) -> Cursor {
        Cursor {
            at,
            id: id.to_owned(),
        }
    }

    /// Reads a cursor as [`Cursor`]'s `Display` writes it.
    pub fn parse(text: &str) -> Result<Cursor, String> {
        let bad = || "the cursor is not one this server gave out".to_owned();
        let (micros, id) = text.split_once('_').ok_or_else(bad)?;
        let at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(bad)?;
        let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?;
        Ok(Cursor {
            at: at.naive_utc(),
            id: id.to_string(),
        })
    }

    /// The activity time and the id, as the list query takes them.
    pub fn into_parts(self) -> (NaiveDateTime, String) {
        (self.at, self.id)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.at.and_utc().timestamp_micros(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_it_was_written() {
        let at = DateTime::from_timestamp_micros(1_764_000_000_123_456)
            .unwrap()
            .naive_utc();
        let cursor = Cursor::after(at, "0190c6a4-8a3b-7c1d-9e2f-0123456789ab");
        let text = cursor.to_string();
        assert_eq!(
            text,
            "1764000000123456_0190c6a4-8a3b-7c1d-9e2f-0123456789ab"
        );
        assert_eq!(Cursor::parse(&text).unwrap(), cursor);
    }

    #[test]
    fn a_cursor_this_server_did_not_give_out_is_refused() {
        for bad in [
            "",
            "garbage",
            "12_not-a-uuid",
            "x_0190c6a4-8a3b-7c1d-9e2f-0123456789ab",
            "99999999999999999999_0190c6a4-8a3b-7c1d-9e2f-0123456789ab",
        ] {
            assert_eq!(
                Cursor::parse(bad).unwrap_err(),
                "the cursor is not one this server gave out",
                "{bad:?}"
            );
        }
    }
}
