//! The shift form of `/shifts` and its edit page: what it keeps when it
//! comes back with errors, and how it is read. Times are wall-clock times
//! to the second in the zone the form was shown in, with the offset chosen
//! for a time that happens twice.

use crate::db::DbConnection;
use crate::db::models::shifts::ShiftInput;
use crate::db::models::users;
use crate::domain::shift::{check_span, parse_rotation_role};
use crate::domain::time::{self, OffsetChoice, Timezone};
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::{FormErrors, FormPairs, Viewer, field};

/// The values of the shift form, kept when it comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct ShiftForm {
    pub username: String,
    pub role: String,
    pub starts_at: String,
    pub ends_at: String,
    /// The offset chosen for a start that happens twice (`-04:00`).
    pub starts_offset: String,
    /// The offset chosen for an end that happens twice.
    pub ends_offset: String,
    /// The zone the form's times are in.
    pub tz: String,
    /// The two readings of a start that happens twice.
    pub starts_repeated: Option<[OffsetChoice; 2]>,
    /// The two readings of an end that happens twice.
    pub ends_repeated: Option<[OffsetChoice; 2]>,
    pub errors: FormErrors,
}

impl ShiftForm {
    /// The form shown in `zone`, with the choice of reading for a start or
    /// an end that happens twice there.
    pub fn in_zone(mut self, zone: Timezone) -> ShiftForm {
        self.tz = zone.name().to_owned();
        self.starts_repeated = time::repeated(&self.starts_at, zone, &self.starts_offset);
        self.ends_repeated = time::repeated(&self.ends_at, zone, &self.ends_offset);
        self
    }
}

/// The zone a shift form's times are in: the one it says it was shown in
/// (its hidden `tz` field), else the viewer's.
pub fn form_zone(form: &FormPairs, viewer: &Viewer) -> Result<Timezone, AppError> {
    match field(form, "tz").trim() {
        "" => Ok(viewer.tz),
        name => Timezone::parse(name).map_err(|e| AppError::invalid("tz", e)),
    }
}

/// Reads a shift form; the times are wall-clock times in `zone`, to the
/// second, with the offset chosen for a time that happens twice.
pub fn parse_form(
    conn: &mut DbConnection,
    form: &FormPairs,
    zone: Timezone,
) -> Result<(ShiftForm, Option<ShiftInput>), AppError> {
    let mut kept = ShiftForm {
        username: field(form, "username").to_owned(),
        role: field(form, "role").to_owned(),
        starts_at: field(form, "starts_at").to_owned(),
        ends_at: field(form, "ends_at").to_owned(),
        starts_offset: field(form, "starts_offset").to_owned(),
        ends_offset: field(form, "ends_offset").to_owned(),
        ..ShiftForm::default()
    };
    let errors = &mut kept.errors;
    let user = match Username::parse(&kept.username) {
        Ok(name) => match users::find_by_username(conn, &name)? {
            Some(u) => Some(u),
            None => {
                errors.add("username", format!("there is no user {name}"));
                None
            }
        },
        Err(e) => {
            errors.add("username", e);
            None
        }
    };
    let role = errors.check("role", parse_rotation_role(&kept.role));
    let starts = errors.check(
        "starts_at",
        time::parse_local_as(&kept.starts_at, zone, &kept.starts_offset),
    );
    let ends = errors.check(
        "ends_at",
        time::parse_local_as(&kept.ends_at, zone, &kept.ends_offset),
    );
    if let (Some(s), Some(e)) = (starts, ends) {
        errors.check("ends_at", check_span(s, e));
    }
    let input = match (user, role, starts, ends, errors.is_empty()) {
        (Some(u), Some(role), Some(starts_at), Some(ends_at), true) => Some(ShiftInput {
            user_id: u.id,
            role,
            starts_at,
            ends_at,
        }),
        _ => None,
    };
    Ok((kept, input))
}
