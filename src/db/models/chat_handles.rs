//! Chat handles: how chat messages mention a user (a Slack member id such
//! as `U024BE7LH`, or a Mattermost username), set on the profile.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::chat_handles;
use crate::db::{DbConnection, on_backend};

/// The handle of `user_id`, if they gave one.
pub fn of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Option<String>> {
    chat_handles::table
        .filter(chat_handles::user_id.eq(user_id))
        .select(chat_handles::handle)
        .first(conn)
        .optional()
}

/// The handles of `user_ids`, by user id.
pub fn of_many(conn: &mut DbConnection, user_ids: &[&str]) -> QueryResult<HashMap<String, String>> {
    Ok(chat_handles::table
        .filter(chat_handles::user_id.eq_any(user_ids))
        .select((chat_handles::user_id, chat_handles::handle))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Sets the handle of `user_id`, or removes it (`None`).
pub fn set(conn: &mut DbConnection, user_id: &str, handle: Option<&str>) -> QueryResult<()> {
    diesel::delete(chat_handles::table.filter(chat_handles::user_id.eq(user_id))).execute(conn)?;
    if let Some(handle) = handle {
        let row = (
            chat_handles::user_id.eq(user_id),
            chat_handles::handle.eq(handle),
        );
        on_backend!(conn, |c| diesel::insert_into(chat_handles::table)
            .values(row)
            .execute(c))?;
    }
    Ok(())
}
