//! `baton shifts import FILE.ics --role ROLE`: the same import as the
//! shifts page and `POST /api/v1/shifts/import`, with its report printed.

use std::path::Path;

use crate::db::DbConnection;
use crate::db::models::shift_import::{self, Outcome};
use crate::domain::ics_import;
use crate::domain::shift::parse_rotation_role;
use crate::domain::time;

/// Imports `file` into `role`; the report, or why nothing was imported.
pub fn import_shifts(conn: &mut DbConnection, file: &Path, role: &str) -> Result<String, String> {
    let role = parse_rotation_role(role).map_err(|e| format!("--role: {e}"))?;
    let bytes = std::fs::read(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    let refused =
        |e: ics_import::Malformed| format!("{}: {e}; nothing was imported", file.display());
    let text = ics_import::decode(&bytes).map_err(refused)?;
    let parsed = ics_import::parse(text, time::now()).map_err(refused)?;
    let report = shift_import::import(conn, &role, &parsed).map_err(|e| e.to_string())?;
    let mut out = format!(
        "imported {} into {}: {}",
        file.display(),
        report.role,
        report.summary()
    );
    for e in &report.entries {
        let span = e
            .span
            .map(|(s, t)| format!("{} to {}", time::rfc3339(s), time::rfc3339(t)))
            .unwrap_or_default();
        out.push_str(&format!(
            "\nline {:<5} {:<9} {:<20} {span} {}",
            e.line,
            e.outcome.as_str(),
            e.username.as_deref().unwrap_or("-"),
            e.uid
        ));
        if e.outcome == Outcome::Skipped
            && let Some(reason) = &e.reason
        {
            out.push_str(&format!("\n           why: {reason}"));
        }
    }
    Ok(out)
}
