//! The query parameters every list takes alike: `limit`, `cursor`, and
//! the instants that bound it.

use chrono::{DateTime, Utc};

use super::{CURSOR_TEXT, instant, int_param};
use crate::domain::paging::{Cursor, MAX_PAGE_SIZE, PAGE_SIZE};
use crate::error::AppError;

/// `limit`: 1 to [`MAX_PAGE_SIZE`], [`PAGE_SIZE`] when not given.
pub fn page_limit(raw: Option<&str>) -> Result<i64, AppError> {
    match raw {
        None => Ok(PAGE_SIZE),
        Some(l) => int_param("limit", l, 1, MAX_PAGE_SIZE),
    }
}

/// `cursor`: one this server gave out as `next_cursor`, if given.
pub fn page_cursor(raw: Option<&str>) -> Result<Option<Cursor>, AppError> {
    raw.map(|c| {
        CURSOR_TEXT.check("cursor", c)?;
        Cursor::parse(c).map_err(|e| AppError::invalid("cursor", e))
    })
    .transpose()
}

/// The instant `field`, if given.
pub fn optional_instant(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    raw.map(|t| instant(field, t)).transpose()
}
