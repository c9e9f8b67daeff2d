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
pub use show::{DataLossView, DetailsForm, NoteForm, NoteView, ResolveForm, Shared, show_handoff};

use crate::db::DbConnection;
use crate::db::models::handoffs::DataLoss;
use crate::db::models::users::{self, User};
use crate::domain::handoff_input::{
    parse_data_loss_text, parse_pass_to, parse_verification_choice,
};
use crate::error::AppError;
use crate::web::{FormErrors, FormPairs, field};

/// Resolves the optional "pass to" username of a form: nobody when blank,
/// else a user who can take handoffs (the error beside the field otherwise).
fn recipient(
    conn: &mut DbConnection,
    errors: &mut FormErrors,
    field_name: &str,
    text: &str,
) -> Result<Option<User>, AppError> {
    let username = match parse_pass_to(text) {
        Ok(Some(username)) => username,
        Ok(None) => return Ok(None),
        Err(e) => {
            errors.add(field_name, e);
            return Ok(None);
        }
    };
    match users::find_recipient(conn, field_name, &username) {
        Ok(u) => Ok(Some(u)),
        Err(e) => errors.absorb(field_name, e).map(|_| None),
    }
}

/// Reads the data-loss fields of a form into a record.
fn parse_data_loss(form: &FormPairs, errors: &mut FormErrors) -> Option<DataLoss> {
    let scope = parse_data_loss_text("scope", field(form, "scope"));
    let recovery_point = parse_data_loss_text("recovery_point", field(form, "recovery_point"));
    let verification = parse_verification_choice(field(form, "verification"));
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
