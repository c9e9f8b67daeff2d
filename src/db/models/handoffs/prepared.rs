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

/// Pushes each piece of SQL, then its value as a bind parameter of the
/// given SQL type.
macro_rules! push_binds {
    ($out:ident, $($sql:expr, $st:ty => $value:expr;)+) => {
        $(
            $out.push_sql($sql);
            $out.push_bind_param::<$st, _>($value)?;
        )+
    };
}

/// Makes each type a statement diesel runs and keeps prepared: its SQL is
/// the same every time, whatever it binds.
macro_rules! statements {
    ($($name:ident),+) => {
        $(
            impl QueryId for $name<'_> {
                type QueryId = $name<'static>;
                const HAS_STATIC_QUERY_ID: bool = true;
            }

            impl<Conn> RunQueryDsl<Conn> for $name<'_> {}
        )+
    };
}

/// `UPDATE handoffs SET version = version WHERE id = ?`: SQLite's write
/// lock on a handoff (see `write::lock`).
pub(super) struct Lock<'a>(pub &'a str);

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

/// `UPDATE handoffs SET status = ?, … WHERE id = ?`: what a change to a
/// stored handoff writes (its lifecycle and the newest note's excerpt).
pub(super) struct Store<'a>(pub &'a Handoff);

impl<DB> QueryFragment<DB> for Store<'_>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<Timestamp> + HasSqlType<Integer>,
    String: ToSql<Text, DB>,
    Status: ToSql<Text, DB>,
    Option<String>: ToSql<Nullable<Text>, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
    Option<NaiveDateTime>: ToSql<Nullable<Timestamp>, DB>,
    i32: ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let h = self.0;
        push_binds!(out,
            "UPDATE handoffs SET status = ", Text => &h.status;
            ", holder_id = ", Text => &h.holder_id;
            ", pending_to_id = ", Nullable<Text> => &h.pending_to_id;
            ", pending_since = ", Nullable<Timestamp> => &h.pending_since;
            ", pending_note_id = ", Nullable<Text> => &h.pending_note_id;
            ", latest_note_excerpt = ", Text => &h.latest_note_excerpt;
            ", updated_at = ", Timestamp => &h.updated_at;
            ", last_activity_at = ", Timestamp => &h.last_activity_at;
            ", resolved_at = ", Nullable<Timestamp> => &h.resolved_at;
            ", version = ", Integer => &h.version;
            " WHERE id = ", Text => &h.id;
        );
        Ok(())
    }
}

/// The columns of a note as [`push_note`] lists their values.
const NOTE_COLUMNS: &str = "notes (id, handoff_id, author_id, body, body_html, pass_to_id, \
                            acknowledged_at, resolves, created_at, edited_at)";

/// A note's values, in the order of [`NOTE_COLUMNS`], each a bind parameter.
fn push_note<'b>(out: &mut AstPass<'_, 'b, Pg>, n: &'b Note) -> QueryResult<()> {
    out.push_bind_param::<Text, _>(&n.id)?;
    push_binds!(out,
        ", ", Text => &n.handoff_id;
        ", ", Text => &n.author_id;
        ", ", Text => &n.body;
        ", ", Text => &n.body_html;
        ", ", Nullable<Text> => &n.pass_to_id;
        ", ", Nullable<Timestamp> => &n.acknowledged_at;
        ", ", Bool => &n.resolves;
        ", ", Timestamp => &n.created_at;
        ", ", Nullable<Timestamp> => &n.edited_at;
    );
    Ok(())
}

/// `WITH n AS (INSERT INTO notes …) UPDATE handoffs SET … WHERE id = ?`: a
/// note and the change it makes to its handoff in one round trip, on
/// PostgreSQL (SQLite has no `INSERT` in a `WITH`, and no round trips).
pub(super) struct NoteAndStore<'a>(pub &'a Note, pub Store<'a>);

impl QueryFragment<Pg> for NoteAndStore<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH n AS (INSERT INTO ");
        out.push_sql(NOTE_COLUMNS);
        out.push_sql(" VALUES (");
        push_note(&mut out, self.0)?;
        out.push_sql(")) ");
        self.1.walk_ast(out)
    }
}

/// `WITH h AS (UPDATE handoffs SET … WHERE id = ? AND version = ?
/// RETURNING 1) INSERT INTO notes … SELECT … FROM h`: [`NoteAndStore`]
/// that writes nothing unless the handoff is still at `version`, the one
/// its change was drafted from. One statement is one transaction on its
/// own, so a note needs neither a lock nor a `BEGIN` (PostgreSQL).
pub(super) struct NoteIfAt<'a> {
    pub note: &'a Note,
    pub store: Store<'a>,
    pub version: i32,
}

impl QueryFragment<Pg> for NoteIfAt<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH h AS (");
        self.store.walk_ast(out.reborrow())?;
        push_binds!(out, " AND version = ", Integer => &self.version;);
        out.push_sql(" RETURNING 1) INSERT INTO ");
        out.push_sql(NOTE_COLUMNS);
        out.push_sql(" SELECT ");
        push_note(&mut out, self.note)?;
        out.push_sql(" FROM h");
        Ok(())
    }
}

statements!(Lock, Store, NoteAndStore, NoteIfAt);
