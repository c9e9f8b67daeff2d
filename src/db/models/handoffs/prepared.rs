//! The statements every note, pass, acknowledgement and resolve runs, as
//! types of their own with fixed SQL, so that each connection prepares them
//! once. Diesel prepares every `diesel::update` anew (its `SET` list may
//! skip `None`s), and compiling it on each write weighed on SQLite's single
//! writer and on PostgreSQL's backends alike (`bench/README.md`).

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType, Integer, Nullable, Text, Timestamp};

use super::rows::{Handoff, Note};
use crate::domain::handoff::Status;

/// `UPDATE handoffs SET version = version WHERE id = ?`: SQLite's write
/// lock on a handoff (see `write::lock`).
pub(super) struct Lock<'a>(pub &'a str);

impl QueryId for Lock<'_> {
    type QueryId = Lock<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB> QueryFragment<DB> for Lock<'_>
where
    DB: Backend + HasSqlType<Text>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE handoffs SET version = version WHERE id = ");
        out.push_bind_param::<Text, str>(self.0)
    }
}

impl<Conn> RunQueryDsl<Conn> for Lock<'_> {}

/// `UPDATE handoffs SET status = ?, … WHERE id = ?`: what a change to a
/// stored handoff writes (its lifecycle and the newest note's excerpt).
pub(super) struct Store<'a>(pub &'a Handoff);

impl QueryId for Store<'_> {
    type QueryId = Store<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB> QueryFragment<DB> for Store<'_>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<Timestamp> + HasSqlType<Integer>,
    str: ToSql<Text, DB>,
    Status: ToSql<Text, DB>,
    Option<String>: ToSql<Nullable<Text>, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
    Option<NaiveDateTime>: ToSql<Nullable<Timestamp>, DB>,
    i32: ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        store(self.0, out)
    }
}

/// [`Store`]'s SQL.
fn store<'b, DB>(h: &'b Handoff, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<Timestamp> + HasSqlType<Integer>,
    str: ToSql<Text, DB>,
    Status: ToSql<Text, DB>,
    Option<String>: ToSql<Nullable<Text>, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
    Option<NaiveDateTime>: ToSql<Nullable<Timestamp>, DB>,
    i32: ToSql<Integer, DB>,
{
    out.push_sql("UPDATE handoffs SET status = ");
    out.push_bind_param::<Text, Status>(&h.status)?;
    out.push_sql(", holder_id = ");
    out.push_bind_param::<Text, str>(&h.holder_id)?;
    out.push_sql(", pending_to_id = ");
    out.push_bind_param::<Nullable<Text>, _>(&h.pending_to_id)?;
    out.push_sql(", pending_since = ");
    out.push_bind_param::<Nullable<Timestamp>, _>(&h.pending_since)?;
    out.push_sql(", pending_note_id = ");
    out.push_bind_param::<Nullable<Text>, _>(&h.pending_note_id)?;
    out.push_sql(", latest_note_excerpt = ");
    out.push_bind_param::<Text, str>(&h.latest_note_excerpt)?;
    out.push_sql(", updated_at = ");
    out.push_bind_param::<Timestamp, _>(&h.updated_at)?;
    out.push_sql(", last_activity_at = ");
    out.push_bind_param::<Timestamp, _>(&h.last_activity_at)?;
    out.push_sql(", resolved_at = ");
    out.push_bind_param::<Nullable<Timestamp>, _>(&h.resolved_at)?;
    out.push_sql(", version = ");
    out.push_bind_param::<Integer, _>(&h.version)?;
    out.push_sql(" WHERE id = ");
    out.push_bind_param::<Text, str>(&h.id)
}

impl<Conn> RunQueryDsl<Conn> for Store<'_> {}

/// `WITH n AS (INSERT INTO notes …) UPDATE handoffs SET … WHERE id = ?`: a
/// note and the change it makes to its handoff in one round trip, on
/// PostgreSQL (SQLite has no `INSERT` in a `WITH`, and no round trips).
pub(super) struct NoteAndStore<'a>(pub &'a Note, pub &'a Handoff);

impl QueryId for NoteAndStore<'_> {
    type QueryId = NoteAndStore<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for NoteAndStore<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let n = self.0;
        out.push_sql(
            "WITH n AS (INSERT INTO notes (id, handoff_id, author_id, body, body_html, \
             pass_to_id, acknowledged_at, resolves, created_at, edited_at) VALUES (",
        );
        out.push_bind_param::<Text, str>(&n.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, str>(&n.handoff_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, str>(&n.author_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, str>(&n.body)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, str>(&n.body_html)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&n.pass_to_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.acknowledged_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&n.resolves)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&n.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Timestamp>, _>(&n.edited_at)?;
        out.push_sql(")) ");
        store(self.1, out)
    }
}

impl<Conn> RunQueryDsl<Conn> for NoteAndStore<'_> {}
