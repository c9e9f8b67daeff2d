//! Instance settings kept in the database, such as the session key.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::settings;

/// The value of setting `name`, if set.
pub fn get(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    settings::table
        .filter(settings::name.eq(name))
        .select(settings::value)
        .first(conn)
        .optional()
}

/// The value of `name`, set to `make()` the first time. When two instances
/// start at once, the first to write wins and both use its value.
pub fn get_or_create(
    conn: &mut DbConnection,
    name: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    if let Some(value) = get(conn, name)? {
        return Ok(value);
    }
    let inserted = diesel::insert_into(settings::table)
        .values((settings::name.eq(name), settings::value.eq(make())))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(e) if super::is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    settings::table
        .filter(settings::name.eq(name))
        .select(settings::value)
        .first(conn)
}
