//! The rows of handoffs, notes and issue links as they are stored, and what
//! callers hand the model to write new ones.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow, Queryable};
use diesel::prelude::*;

use crate::db::models::users::User;
use crate::db::schema::{handoffs, issue_links, notes};
use crate::db::types::{BadRow, RowReader};
use crate::domain::handoff::{Kind, Severity, Status, Verification};
use crate::domain::issue_ref::IssueRef;
use crate::domain::lifecycle::{Lifecycle, PendingPass};
use crate::domain::time;

/// A handoff row. Its status, holder, pending pass, times of change and
/// version are a [`Lifecycle`]'s, copied in by the change that made them.
#[derive(Debug, Clone, PartialEq, Eq, Identifiable, Insertable)]
#[diesel(table_name = handoffs, treat_none_as_default_value = false)]
pub struct Handoff {
    /// UUID v7.
    pub id: String,
    /// Outage or perceived data loss.
    pub kind: Kind,
    /// One line.
    pub title: String,
    /// 1 to 4.
    pub severity: Severity,
    /// Open or resolved.
    pub status: Status,
    /// Hidden from signed-out readers and chat unfurls.
    pub confidential: bool,
    /// The user responsible now.
    pub holder_id: String,
    /// The user a pending pass names.
    pub pending_to_id: Option<String>,
    /// When that pass was written.
    pub pending_since: Option<NaiveDateTime>,
    /// The note that made the pending pass.
    pub pending_note_id: Option<String>,
    /// Who opened it.
    pub created_by_id: String,
    /// Data loss: what data is affected.
    pub dl_scope: Option<String>,
    /// Data loss: the recovery point estimate.
    pub dl_recovery_point: Option<String>,
    /// Data loss: whether it is verified.
    pub dl_verification: Option<Verification>,
    /// Data loss: whether customers have been told.
    pub dl_customers_notified: Option<bool>,
    /// Plain-text start of the newest note.
    pub latest_note_excerpt: String,
    /// Opened.
    pub created_at: NaiveDateTime,
    /// Last changed in any way.
    pub updated_at: NaiveDateTime,
    /// Last note, pass or acknowledgement: the order of lists.
    pub last_activity_at: NaiveDateTime,
    /// Resolved.
    pub resolved_at: Option<NaiveDateTime>,
    /// Incremented by every change; a PATCH must name the current one.
    pub version: i32,
}

/// The data-loss record of a `perceived_data_loss` handoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataLoss {
    /// What data is affected.
    pub scope: Option<String>,
    /// The recovery point estimate, as people write it.
    pub recovery_point: Option<String>,
    /// Perceived until verified.
    pub verification: Verification,
    /// Whether customers have been told.
    pub customers_notified: bool,
}

impl DataLoss {
    /// A new, unverified record.
    pub fn unverified() -> DataLoss {
        DataLoss {
            scope: None,
            recovery_point: None,
            verification: Verification::Unverified,
            customers_notified: false,
        }
    }
}

/// The columns of a handoffs row as stored, in the schema's order.
type HandoffColumns = (
    String,
    String,
    String,
    i32,
    String,
    bool,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<bool>,
    String,
    NaiveDateTime,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    i32,
);

/// Reads a stored row; a kind, severity, status or verification state
/// Baton does not know is an error naming the row.
impl<ST, DB> Queryable<ST, DB> for Handoff
where
    DB: Backend,
    HandoffColumns: FromStaticSqlRow<ST, DB>,
{
    type Row = HandoffColumns;

    fn build(row: HandoffColumns) -> deserialize::Result<Handoff> {
        let (
            id,
            kind,
            title,
            severity,
            status,
            confidential,
            holder_id,
            pending_to_id,
            pending_since,
            pending_note_id,
            created_by_id,
            dl_scope,
            dl_recovery_point,
            dl_verification,
            dl_customers_notified,
            latest_note_excerpt,
            created_at,
            updated_at,
            last_activity_at,
            resolved_at,
            version,
        ) = row;
        let read = RowReader::new("handoffs", &id);
        Ok(Handoff {
            kind: read.text("kind", kind)?,
            severity: read.severity("severity", severity)?,
            status: read.text("status", status)?,
            dl_verification: read.optional_text("dl_verification", dl_verification)?,
            id,
            title,
            confidential,
            holder_id,
            pending_to_id,
            pending_since,
            pending_note_id,
            created_by_id,
            dl_scope,
            dl_recovery_point,
            dl_customers_notified,
            latest_note_excerpt,
            created_at,
            updated_at,
            last_activity_at,
            resolved_at,
            version,
        })
    }
}

impl Handoff {
    /// Its lifecycle as stored, for the next change to go on from. A
    /// pending pass is its three columns together, or none of them (else
    /// a [`BadRow`]).
    pub fn lifecycle(&self) -> QueryResult<Lifecycle> {
        let pending = match (
            &self.pending_to_id,
            self.pending_since,
            &self.pending_note_id,
        ) {
            (None, None, None) => None,
            (Some(to_id), Some(since), Some(note_id)) => Some(PendingPass {
                to_id: to_id.clone(),
                since: time::from_db(since),
                note_id: note_id.clone(),
            }),
            _ => {
                return Err(BadRow {
                    table: "handoffs",
                    id: self.id.clone(),
                    problem: "has only part of a pending pass: pending_to_id, pending_since \
                              and pending_note_id are set together or not at all"
                        .into(),
                }
                .into());
            }
        };
        Ok(Lifecycle::resume(
            self.status,
            self.holder_id.clone(),
            pending,
            time::from_db(self.updated_at),
            time::from_db(self.last_activity_at),
            self.resolved_at.map(time::from_db),
            self.version,
        ))
    }

    /// Copies `lifecycle`'s state into the row (the texts only when they
    /// changed: `baton demo` follows a million notes).
    pub(super) fn follow(&mut self, lifecycle: &Lifecycle) {
        let pending = lifecycle.pending();
        self.status = lifecycle.status();
        if self.holder_id != lifecycle.holder_id() {
            self.holder_id = lifecycle.holder_id().to_owned();
        }
        if self.pending_note_id.as_deref() != pending.map(|p| p.note_id.as_str()) {
            self.pending_to_id = pending.map(|p| p.to_id.clone());
            self.pending_note_id = pending.map(|p| p.note_id.clone());
        }
        self.pending_since = pending.map(|p| time::to_db(p.since));
        self.updated_at = time::to_db(lifecycle.updated_at());
        self.last_activity_at = time::to_db(lifecycle.last_activity_at());
        self.resolved_at = lifecycle.resolved_at().map(time::to_db);
        self.version = lifecycle.version();
    }

    /// The data-loss record, for that kind only.
    pub fn data_loss(&self) -> Option<DataLoss> {
        (self.kind == Kind::PerceivedDataLoss).then(|| DataLoss {
            scope: self.dl_scope.clone(),
            recovery_point: self.dl_recovery_point.clone(),
            // Perceived until verified.
            verification: self.dl_verification.unwrap_or(Verification::Unverified),
            customers_notified: self.dl_customers_notified.unwrap_or(false),
        })
    }

    /// Whom a pending pass names, and since when, as the pages show it.
    pub fn pending_pass(&self) -> Option<(&str, DateTime<Utc>)> {
        Some((
            self.pending_to_id.as_deref()?,
            time::from_db(self.pending_since?),
        ))
    }

    /// When it was opened.
    pub fn created(&self) -> DateTime<Utc> {
        time::from_db(self.created_at)
    }

    /// The end of its carried life: resolution, or `now` while open.
    pub fn carried_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.resolved_at.map(time::from_db).unwrap_or(now)
    }
}

/// A note row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable)]
#[diesel(table_name = notes, treat_none_as_default_value = false)]
pub struct Note {
    /// UUID v7: notes sort by id in the order they were written.
    pub id: String,
    /// The handoff.
    pub handoff_id: String,
    /// Who wrote it.
    pub author_id: String,
    /// Markdown as written (the latest edit).
    pub body: String,
    /// Sanitized HTML of `body`.
    pub body_html: String,
    /// The user this note passed the handoff to.
    pub pass_to_id: Option<String>,
    /// When that user acknowledged the pass.
    pub acknowledged_at: Option<NaiveDateTime>,
    /// The closing note of a resolution.
    pub resolves: bool,
    /// Written.
    pub created_at: NaiveDateTime,
    /// Last edited; earlier texts are in `note_revisions`.
    pub edited_at: Option<NaiveDateTime>,
}

/// A GitLab issue link row: on the handoff (`note_id` empty) or on one note.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = issue_links, treat_none_as_default_value = false)]
pub struct IssueLink {
    /// Row id.
    pub id: String,
    /// The handoff.
    pub handoff_id: String,
    /// The note, for references made by a note.
    pub note_id: Option<String>,
    /// Project path.
    pub project: String,
    /// Issue number.
    pub iid: i64,
}

impl IssueLink {
    /// The reference; rows were written from parsed references.
    pub fn issue_ref(&self) -> Option<IssueRef> {
        IssueRef::new(&self.project, u64::try_from(self.iid).ok()?).ok()
    }
}

/// What opening a handoff needs; every value has been parsed.
#[derive(Debug, Clone)]
pub struct NewHandoff {
    /// Kind.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Confidential.
    pub confidential: bool,
    /// Linked issues.
    pub issues: Vec<IssueRef>,
    /// For `perceived_data_loss` only.
    pub data_loss: Option<DataLoss>,
    /// The first note.
    pub note: NewNote,
}

/// A note to add; every value has been parsed.
#[derive(Debug, Clone, Default)]
pub struct NewNote {
    /// Markdown.
    pub body: String,
    /// Pass the handoff to this user.
    pub pass_to: Option<User>,
    /// Issues this note links explicitly (also linked to the handoff).
    pub issues: Vec<IssueRef>,
}
