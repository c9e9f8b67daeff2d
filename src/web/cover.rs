//! Cover requests on the pages: the section of `/shifts` that lists them
//! and asks for cover (`templates/_cover_requests.html`) and the
//! dashboard's "cover wanted" list (`templates/_cover_dashboard.html`). The
//! forms' handlers are `web::cover_forms`; the rules are the model's
//! (`db::models::cover`), the same as the API's.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::db::DbConnection;
use crate::db::models::cover::{self, CoverRequest, RoleMembers};
use crate::db::models::rotations;
use crate::db::models::users::{self, User};
use crate::domain::cover::CoverStatus;
use crate::domain::handoff::Role;
use crate::domain::time::{TimeView, human_duration};
use crate::error::AppError;
use crate::web::views::UserOption;
use crate::web::{FormErrors, Viewer};

/// One cover request as listed.
#[derive(Clone)]
pub struct CoverRow {
    /// Its id.
    pub id: String,
    /// The rotation role.
    pub role: String,
    /// Who wants cover, and their zone.
    pub requester: String,
    /// The requester's zone.
    pub requester_tz: String,
    /// Start, in the viewer's zone.
    pub starts: TimeView,
    /// End, in the viewer's zone.
    pub ends: TimeView,
    /// How long.
    pub length: String,
    /// Who covers, once taken.
    pub taken_by: Option<String>,
    /// Whether the viewer may take it with one button.
    pub can_take: bool,
    /// Whether the viewer may cancel it.
    pub can_cancel: bool,
}

/// The values of the cover form, kept when it comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct CoverForm {
    /// Rotation role.
    pub role: String,
    /// Local start as typed.
    pub starts_at: String,
    /// Local end as typed.
    pub ends_at: String,
    /// For an admin: whom it is for (blank: themselves).
    pub requester: String,
    /// Errors by field.
    pub errors: FormErrors,
}

/// The cover section of `/shifts`.
#[derive(Default)]
pub struct CoverSection {
    /// Requests not over yet, open or taken, by start.
    pub requests: Vec<CoverRow>,
    /// The form to ask for cover.
    pub form: CoverForm,
    /// Whether the viewer may ask (responders and admins).
    pub can_ask: bool,
    /// Whether the viewer is an admin (asks for others, assigns).
    pub is_admin: bool,
    /// Active people, for an admin's choices.
    pub users: Vec<UserOption>,
    /// Roles to suggest.
    pub roles: Vec<String>,
    /// Why the last take or cancel was refused.
    pub problem: Option<String>,
    /// The zone the form's times are read in.
    pub tz: String,
}

/// What the dashboard shows of cover requests.
#[derive(Clone, Default)]
pub struct DashboardCover {
    /// Open requests of the viewer's roles starting within 24 hours.
    pub wanted: Vec<CoverRow>,
    /// The viewer's own requests that are not over.
    pub mine: Vec<CoverRow>,
}

fn rows(
    conn: &mut DbConnection,
    viewer: &Viewer,
    requests: &[CoverRequest],
    now: DateTime<Utc>,
) -> Result<Vec<CoverRow>, AppError> {
    if requests.is_empty() {
        return Ok(vec![]);
    }
    let people: HashMap<String, User> = cover::people(conn, requests)?;
    let me = viewer.user.as_ref().filter(|u| u.role.can_write());
    let last = requests.iter().map(CoverRequest::ends).max().unwrap_or(now);
    let members = match me {
        Some(_) => Some(RoleMembers::load(conn, now, last)?),
        None => None,
    };
    let name = |id: &str| {
        people
            .get(id)
            .map(|u| u.username.clone())
            .unwrap_or_default()
    };
    Ok(requests
        .iter()
        .map(|r| {
            let open = r.status == CoverStatus::Open.as_str();
            let mine = me.is_some_and(|u| u.id == r.requester_id || u.id == r.created_by_id);
            let admin = me.is_some_and(|u| u.role == Role::Admin);
            let member = match (me, &members) {
                (Some(u), Some(m)) => m.of(&r.role, r.starts(), r.ends()).contains(&u.id),
                _ => false,
            };
            let requester_is_me = me.is_some_and(|u| u.id == r.requester_id);
            CoverRow {
                id: r.id.clone(),
                role: r.role.clone(),
                requester: name(&r.requester_id),
                requester_tz: people
                    .get(&r.requester_id)
                    .map(|u| u.timezone.name().to_owned())
                    .unwrap_or_default(),
                starts: TimeView::new(r.starts(), viewer.tz),
                ends: TimeView::new(r.ends(), viewer.tz),
                length: human_duration(r.ends() - r.starts()),
                taken_by: r.taken_by_id.as_deref().map(name),
                can_take: open && !requester_is_me && (member || admin),
                can_cancel: open && (mine || admin),
            }
        })
        .collect())
}

/// The cover section of `/shifts` for `viewer` at `now`.
pub fn section(
    conn: &mut DbConnection,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<CoverSection, AppError> {
    let listed: Vec<CoverRequest> = cover::upcoming(conn, now, None, None, 100)?
        .into_iter()
        .filter(|r| r.status != CoverStatus::Cancelled.as_str())
        .collect();
    let mut roles: Vec<String> = ["EOC", "IMOC", "CMOC"].map(str::to_owned).to_vec();
    for r in rotations::list(conn)? {
        if !roles.contains(&r.rotation.role) {
            roles.push(r.rotation.role);
        }
    }
    let is_admin = viewer.user.as_ref().is_some_and(|u| u.role == Role::Admin);
    let users = if is_admin {
        users::list_active(conn)?
            .into_iter()
            .map(|u| UserOption {
                label: format!("{} ({}, {})", u.name, u.username, u.timezone),
                username: u.username,
            })
            .collect()
    } else {
        vec![]
    };
    Ok(CoverSection {
        requests: rows(conn, viewer, &listed, now)?,
        form: CoverForm::default(),
        can_ask: viewer.user.as_ref().is_some_and(|u| u.role.can_write()),
        is_admin,
        users,
        roles,
        problem: None,
        tz: viewer.tz.name().to_owned(),
    })
}

/// The dashboard's cover requests for `viewer` at `now`.
pub fn dashboard(
    conn: &mut DbConnection,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<DashboardCover, AppError> {
    let Some(me) = viewer.user.as_ref().filter(|u| u.role.can_write()) else {
        return Ok(DashboardCover::default());
    };
    let wanted = cover::wanted_soon(conn, &me.id, now)?;
    let mine: Vec<CoverRequest> = cover::upcoming(conn, now, None, None, 200)?
        .into_iter()
        .filter(|r| r.requester_id == me.id && r.status != CoverStatus::Cancelled.as_str())
        .collect();
    Ok(DashboardCover {
        wanted: rows(conn, viewer, &wanted, now)?,
        mine: rows(conn, viewer, &mine, now)?,
    })
}
