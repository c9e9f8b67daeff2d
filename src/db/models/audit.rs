//! The audit log: sign-ins, failed sign-ins, role changes, tokens, deactivations.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow, Queryable};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::audit_log;
use crate::db::types::RowReader;
use crate::domain::audit::AuditAction;
use crate::domain::time;

/// An audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// UUID v7.
    pub id: String,
    /// When.
    pub at: NaiveDateTime,
    /// What happened.
    pub action: AuditAction,
    /// Who did it: a username, `cli`, or `-`.
    pub actor: String,
    /// Whom or what it concerns: a username or a token id.
    pub subject: String,
    /// The client address, or `-`.
    pub address: String,
    /// Method, reason or change; never a secret.
    pub detail: String,
}

/// The columns of an audit_log row as stored, in the schema's order.
type EntryColumns = (
    String,
    NaiveDateTime,
    String,
    String,
    String,
    String,
    String,
);

/// Reads a stored row; an action Baton does not know is an error naming
/// the row.
impl<ST, DB> Queryable<ST, DB> for Entry
where
    DB: Backend,
    EntryColumns: FromStaticSqlRow<ST, DB>,
{
    type Row = EntryColumns;

    fn build(row: EntryColumns) -> deserialize::Result<Entry> {
        let (id, at, action, actor, subject, address, detail) = row;
        Ok(Entry {
            action: RowReader::new("audit_log", &id).text("action", action)?,
            id,
            at,
            actor,
            subject,
            address,
            detail,
        })
    }
}

/// What happened, for [`record`].
pub struct Event<'a> {
    /// What happened.
    pub action: AuditAction,
    /// Who did it.
    pub actor: &'a str,
    /// Whom it concerns.
    pub subject: &'a str,
    /// From where.
    pub address: &'a str,
    /// Details, never a secret.
    pub detail: &'a str,
}

/// Records an event; it is also logged.
pub fn record(conn: &mut DbConnection, event: Event<'_>) -> QueryResult<()> {
    tracing::info!(
        action = event.action.as_str(),
        actor = event.actor,
        subject = event.subject,
        address = event.address,
        detail = event.detail,
        "audit"
    );
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(super::new_id()),
            audit_log::at.eq(time::to_db(time::now())),
            audit_log::action.eq(event.action),
            audit_log::actor.eq(event.actor),
            audit_log::subject.eq(event.subject),
            audit_log::address.eq(event.address),
            audit_log::detail.eq(event.detail),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The newest entries, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Entry>> {
    audit_log::table
        .order(audit_log::id.desc())
        .limit(limit)
        .load(conn)
}
