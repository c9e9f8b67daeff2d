//! Handoff pages: the permalink with its timeline and forms, the new-handoff
//! form, and the list with filters (history). One job per file; the form
//! helpers that several of them share are here.

mod details;
mod list;
mod new;
mod notes;
mod show;

pub use details::update_handoff;
pub use list::{ListQuery, list_handoffs};
pub use new::{NewForm, create_handoff, new_handoff};
pub use notes::{acknowledge_handoff, create_note, edit_note, resolve_handoff};
pub use show::{DataLossView, DetailsForm, NoteForm, NoteView, ResolveForm, show_handoff};

use crate::db::DbConnection;
use crate::db::models::handoffs::DataLoss;
use crate::db::models::users::{self, User};
use crate::domain::handoff::{Verification, parse_short_text};
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::error::AppError;
use crate::web::{FormErrors, FormPairs, field, split_issue_list};

/// The longest free-text data-loss field.
const DATA_LOSS_TEXT: usize = 2000;

/// Parses a box of issue links; every bad entry is named in the error.
pub fn parse_issue_list(text: &str, gitlab: &GitLab) -> Result<Vec<IssueRef>, String> {
    let mut issues = vec![];
    let mut bad = vec![];
    for entry in split_issue_list(text) {
        match IssueRef::parse(entry, gitlab) {
            Ok(i) => issues.push(i),
            Err(e) => bad.push(format!("{entry}: {e}")),
        }
    }
    if !bad.is_empty() {
        return Err(bad.join("; "));
    }
    if issues.len() > crate::domain::handoff::MAX_ISSUES {
        return Err(format!(
            "at most {} issues",
            crate::domain::handoff::MAX_ISSUES
        ));
    }
    Ok(issues)
}

/// Resolves the optional "pass to" username of a form.
fn recipient(
    conn: &mut DbConnection,
    errors: &mut FormErrors,
    field_name: &str,
    username: &str,
) -> Result<Option<User>, AppError> {
    if username.trim().is_empty() {
        return Ok(None);
    }
    match users::find_recipient(conn, field_name, username) {
        Ok(u) => Ok(Some(u)),
        Err(e) => errors.absorb(field_name, e).map(|_| None),
    }
}

/// Reads the data-loss fields of a form into a record.
fn parse_data_loss(form: &FormPairs, errors: &mut FormErrors) -> Option<DataLoss> {
    let scope = parse_short_text("scope", field(form, "scope"), DATA_LOSS_TEXT);
    let recovery_point = parse_short_text(
        "recovery_point",
        field(form, "recovery_point"),
        DATA_LOSS_TEXT,
    );
    let verification = match field(form, "verification") {
        "" => Ok(Verification::Unverified),
        v => Verification::parse(v),
    };
    let scope = scope.map_err(|e| errors.add("scope", e.message())).ok()?;
    let recovery_point = recovery_point
        .map_err(|e| errors.add("recovery_point", e.message()))
        .ok()?;
    let verification = errors.check("verification", verification)?;
    Some(DataLoss {
        scope,
        recovery_point,
        verification,
        customers_notified: !field(form, "customers_notified").is_empty(),
    })
}
