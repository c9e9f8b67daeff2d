//! Writing a calendar import: each occurrence the file describes becomes
//! an explicit shift (an override) in the role imported into, found again
//! by its UID, in one transaction, so that a file is imported whole or not
//! at all and importing it twice changes nothing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::Clock;
use crate::db::models::shifts::{self, Shift, ShiftInput, check_overlap};
use crate::db::models::{future, users};
use crate::db::schema::shifts as table;
use crate::domain::ics_import::people::{Person, name_person};
use crate::domain::ics_import::{Occurrence, Parsed};
use crate::domain::time;
use crate::error::AppError;

/// What became of one event or occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new shift.
    Added,
    /// Its shift changed (person or times).
    Updated,
    /// Its shift is already as the file says.
    Unchanged,
    /// No shift: see the reason.
    Skipped,
}

impl Outcome {
    /// `added`, `updated`, `unchanged` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Added => "added",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What became of it.
    pub outcome: Outcome,
    /// The event's UID (with the occurrence for a recurring one).
    pub uid: String,
    /// The line of its `BEGIN:VEVENT`.
    pub line: usize,
    /// Its `SUMMARY`.
    pub summary: String,
    /// The person it names, when it named one.
    pub username: Option<String>,
    /// Its span, when it has one.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// The shift's id, when there is one.
    pub shift_id: Option<String>,
}

/// What an import did, in file order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The role imported into.
    pub role: String,
    /// Every event and occurrence.
    pub entries: Vec<Entry>,
}

impl Report {
    /// How many entries had `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.entries.iter().filter(|e| e.outcome == outcome).count()
    }

    /// `added 3, updated 0, unchanged 1, skipped 2`.
    pub fn summary(&self) -> String {
        format!(
            "added {}, updated {}, unchanged {}, skipped {}",
            self.count(Outcome::Added),
            self.count(Outcome::Updated),
            self.count(Outcome::Unchanged),
            self.count(Outcome::Skipped)
        )
    }
}

/// Writes one occurrence for `user_id`; what became of it and the shift.
fn write_one(
    conn: &mut DbConnection,
    role: &str,
    o: &Occurrence,
    user_id: &str,
) -> Result<Result<(Outcome, String), String>, AppError> {
    let input = ShiftInput {
        user_id: user_id.to_owned(),
        role: role.to_owned(),
        starts_at: time::whole_seconds(o.starts),
        ends_at: time::whole_seconds(o.ends),
    };
    let existing: Option<Shift> = table::table
        .filter(table::role.eq(role))
        .filter(table::import_uid.eq(&o.uid))
        .first(conn)
        .optional()?;
    let except = existing.as_ref().map(|s| s.id.as_str());
    if let Some(s) = &existing
        && s.user_id == input.user_id
        && s.starts() == input.starts_at
        && s.ends() == input.ends_at
    {
        return Ok(Ok((Outcome::Unchanged, s.id.clone())));
    }
    match check_overlap(conn, &input, except) {
        Ok(()) => {}
        Err(AppError::Conflict(message)) => {
            return Ok(Err(format!("{message} (an earlier shift stays)")));
        }
        Err(e) => return Err(e),
    }
    Ok(Ok(match existing {
        Some(before) => {
            let after = shifts::write(conn, &before, &input)?;
            (Outcome::Updated, after.id)
        }
        None => {
            let row = Shift::new(&mut Clock, &input, time::now());
            shifts::insert_imported(conn, &row, &o.uid)?;
            (Outcome::Added, row.id)
        }
    }))
}

/// Imports `parsed` into `role` (a valid rotation role) in one transaction.
pub fn import(conn: &mut DbConnection, role: &str, parsed: &Parsed) -> Result<Report, AppError> {
    // One transaction with every schedule writer serialised (two imports
    // of the same file would otherwise both find its UIDs new), telling
    // each person whose next 14 days it changes.
    let cause = format!("a calendar file was imported into {role}");
    future::recording(conn, &cause, |conn| {
        let all = users::list_all(conn)?;
        let people: Vec<Person> = all
            .iter()
            .map(|u| Person {
                username: u.username.clone(),
                active: u.active,
            })
            .collect();
        let ids: std::collections::HashMap<&str, &str> = all
            .iter()
            .map(|u| (u.username.as_str(), u.id.as_str()))
            .collect();
        let mut report = Report {
            role: role.to_owned(),
            entries: Vec::new(),
        };
        for o in &parsed.occurrences {
            let mut entry = Entry {
                outcome: Outcome::Skipped,
                uid: o.uid.clone(),
                line: o.line,
                summary: o.hints.summary.clone(),
                username: None,
                span: Some((o.starts, o.ends)),
                reason: None,
                shift_id: None,
            };
            let person = match name_person(&o.hints, &people) {
                Ok(p) => p,
                Err(reason) => {
                    entry.reason = Some(reason);
                    report.entries.push(entry);
                    continue;
                }
            };
            entry.username = Some(person.username.clone());
            let user_id = ids
                .get(person.username.as_str())
                .ok_or_else(|| AppError::NotFound("no such user".into()))?;
            match write_one(conn, role, o, user_id)? {
                Ok((outcome, id)) => {
                    entry.outcome = outcome;
                    entry.shift_id = Some(id);
                }
                Err(reason) => entry.reason = Some(reason),
            }
            report.entries.push(entry);
        }
        report.entries.extend(parsed.skipped.iter().map(|s| Entry {
            outcome: Outcome::Skipped,
            uid: s.uid.clone(),
            line: s.line,
            summary: s.summary.clone(),
            username: None,
            span: None,
            reason: Some(s.reason.clone()),
            shift_id: None,
        }));
        report
            .entries
            .sort_by_key(|e| (e.line, e.span.map(|s| s.0)));
        Ok(report)
    })
}
