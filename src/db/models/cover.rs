//! Cover requests (`cover_requests`): "cover me in EOC on Tuesday
//! 14:00–18:00". Taking one writes the override shift through the shifts'
//! own functions, so the final schedule changes the way every override
//! changes it, trims the requester's own explicit shifts of the role out
//! of the span, tells chat, and records what changed for whom
//! (`future::recording`), all in one transaction.
//!
//! **Members of a role**, who may take its requests: the members of every
//! rotation of the role (the plan in force when the request starts), and
//! everyone the final schedule puts in the role within 14 days either side
//! of the request. An admin may take any request, or assign it to anyone.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::outbox::{self, Notify};
use crate::db::models::schedule::{self, OnCall};
use crate::db::models::shifts::{self, Shift, ShiftInput};
use crate::db::models::users::{self, User};
use crate::db::models::{future, new_id, rotations};
use crate::db::schema::{cover_requests, shifts as shift_rows};
use crate::domain::cover::{self, CoverStatus};
use crate::domain::handoff::Role;
use crate::domain::shift::MAX_SHIFT;
use crate::domain::time;
use crate::error::AppError;

/// A cover request row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable)]
#[diesel(table_name = cover_requests)]
pub struct CoverRequest {
    /// UUID v7.
    pub id: String,
    /// Who wants cover.
    pub requester_id: String,
    /// The rotation role.
    pub role: String,
    /// UTC.
    pub starts_at: NaiveDateTime,
    /// UTC.
    pub ends_at: NaiveDateTime,
    /// `open`, `taken` or `cancelled`.
    pub status: String,
    /// Who asked (the requester, or an admin for them).
    pub created_by_id: String,
    /// When.
    pub created_at: NaiveDateTime,
    /// Who covers, once taken.
    pub taken_by_id: Option<String>,
    /// When it was taken.
    pub taken_at: Option<NaiveDateTime>,
    /// The admin who chose the taker, if one did.
    pub assigned_by_id: Option<String>,
    /// The override shift taking it wrote.
    pub shift_id: Option<String>,
    /// When it was cancelled.
    pub cancelled_at: Option<NaiveDateTime>,
}

impl CoverRequest {
    /// Where it stands; a stored value Baton does not know is an error naming the row.
    pub fn status(&self) -> Result<CoverStatus, AppError> {
        CoverStatus::exact(&self.status).ok_or_else(|| {
            AppError::internal(format!(
                "cover_requests row {} has status {:?}, which Baton does not know",
                self.id, self.status
            ))
        })
    }

    /// The start as an instant.
    pub fn starts(&self) -> DateTime<Utc> {
        time::from_db(self.starts_at)
    }

    /// The end as an instant.
    pub fn ends(&self) -> DateTime<Utc> {
        time::from_db(self.ends_at)
    }
}

/// Who is a member of which role around a span of time: read once, asked
/// for many requests.
pub struct RoleMembers {
    rotations: Vec<rotations::Loaded>,
    scheduled: Vec<OnCall>,
}

impl RoleMembers {
    /// The rotations, and the final schedule of `[from - 14 days, to + 14 days)`.
    pub fn load(
        conn: &mut DbConnection,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<RoleMembers, AppError> {
        Ok(RoleMembers {
            rotations: rotations::list(conn)?,
            scheduled: schedule::between(conn, from - MAX_SHIFT, to + MAX_SHIFT)?,
        })
    }

    /// The user ids of the members of `role` for a request of `[starts, ends)`.
    pub fn of(&self, role: &str, starts: DateTime<Utc>, ends: DateTime<Utc>) -> BTreeSet<String> {
        let mut ids: BTreeSet<String> = self
            .rotations
            .iter()
            .filter(|r| r.rotation.role == role)
            .filter_map(|r| r.plan_at(starts))
            .flat_map(|p| p.member_ids())
            .collect();
        ids.extend(
            self.scheduled
                .iter()
                .filter(|o| o.shift.role == role)
                .filter(|o| o.shift.ends > starts - MAX_SHIFT && o.shift.starts < ends + MAX_SHIFT)
                .map(|o| o.user.id.clone()),
        );
        ids
    }
}

/// Asks for cover: `requester` in `role` for `[starts, ends)`, by
/// `created_by` (the requester, or an admin for them). 422 on `ends_at` or
/// `starts_at` for a span that is not one, on `role` for a role nobody is a
/// member of or one the requester is not a member of; 409 when the
/// requester has an open request of the role that overlaps.
pub fn create(
    conn: &mut DbConnection,
    requester: &User,
    created_by: &User,
    role: &str,
    (starts, ends): (DateTime<Utc>, DateTime<Utc>),
) -> Result<CoverRequest, AppError> {
    let now = time::now();
    cover::check_span(starts, ends)?;
    let members = RoleMembers::load(conn, starts, ends)?.of(role, starts, ends);
    if members.is_empty() {
        return Err(AppError::invalid(
            "role",
            format!("nobody is on call as {role}: no rotation or shift has this role"),
        ));
    }
    if !members.contains(&requester.id) {
        return Err(AppError::invalid(
            "role",
            format!(
                "{} is not a member of {role} (its rotations, or its shifts within 14 days)",
                requester.username
            ),
        ));
    }
    conn.transaction(|conn| {
        let overlapping: Option<String> = cover_requests::table
            .filter(cover_requests::requester_id.eq(&requester.id))
            .filter(cover_requests::role.eq(role))
            .filter(cover_requests::status.eq(CoverStatus::Open.as_str()))
            .filter(cover_requests::starts_at.lt(time::to_db(ends)))
            .filter(cover_requests::ends_at.gt(time::to_db(starts)))
            .select(cover_requests::id)
            .first(conn)
            .optional()?;
        if overlapping.is_some() {
            return Err(AppError::Conflict(format!(
                "{} has an open cover request in {role} that overlaps these times",
                requester.username
            )));
        }
        let row = CoverRequest {
            id: new_id(),
            requester_id: requester.id.clone(),
            role: role.to_owned(),
            starts_at: time::to_db(starts),
            ends_at: time::to_db(ends),
            status: CoverStatus::Open.as_str().to_owned(),
            created_by_id: created_by.id.clone(),
            created_at: time::to_db(now),
            taken_by_id: None,
            taken_at: None,
            assigned_by_id: None,
            shift_id: None,
            cancelled_at: None,
        };
        diesel::insert_into(cover_requests::table)
            .values(&row)
            .execute(conn)?;
        Ok(row)
    })
}

/// One request; 404 when it does not exist.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<CoverRequest, AppError> {
    cover_requests::table
        .filter(cover_requests::id.eq(id))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such cover request".into()))
}

/// `actor` takes request `id` (or, an admin, assigns it to `assignee`):
/// the override shift for the taker, the requester's own explicit shifts
/// of the role cut out of the span, the request marked taken, a chat
/// message and the notices of whose future changed, in one transaction.
/// 403 for a taker who is not a member of the role (unless an admin takes
/// it) and for a non-admin who names someone else; 409 for a request that
/// is taken, cancelled, over or the taker's own, or a taker who has an
/// overlapping shift in the role.
pub fn take(
    conn: &mut DbConnection,
    notify: &Notify,
    id: &str,
    actor: &User,
    assignee: Option<&User>,
) -> Result<CoverRequest, AppError> {
    let request = find(conn, id)?;
    let is_admin = actor.role == Role::Admin;
    let taker = match assignee {
        Some(other) if other.id != actor.id && !is_admin => {
            return Err(AppError::Forbidden(
                "only an admin assigns a cover request to someone else".into(),
            ));
        }
        Some(other) => other,
        None => actor,
    };
    if !taker.active {
        return Err(AppError::ConflictAt {
            field: "username".into(),
            message: format!("{} is deactivated", taker.username),
        });
    }
    let (starts, ends) = (request.starts(), request.ends());
    cover::check_take(request.status()?, &request.requester_id, &taker.id)?;
    if !is_admin
        && !RoleMembers::load(conn, starts, ends)?
            .of(&request.role, starts, ends)
            .contains(&taker.id)
    {
        return Err(AppError::Forbidden(format!(
            "{} is not a member of {}: its members (or an admin) take its cover requests",
            taker.username, request.role
        )));
    }
    let requester = users::find_many(conn, &[request.requester_id.as_str()])?
        .remove(&request.requester_id)
        .ok_or_else(|| AppError::internal(format!("cover request {id}: no requester")))?;
    let cause = format!(
        "{} covers {} as {}",
        taker.username, requester.username, request.role
    );
    future::recording(conn, &cause, |conn| {
        clear_requester(conn, &request, starts, ends)?;
        let shift = shifts::create(
            conn,
            &ShiftInput {
                user_id: taker.id.clone(),
                role: request.role.clone(),
                starts_at: starts,
                ends_at: ends,
            },
        )?;
        let changed = diesel::update(
            cover_requests::table
                .filter(cover_requests::id.eq(id))
                .filter(cover_requests::status.eq(CoverStatus::Open.as_str())),
        )
        .set((
            cover_requests::status.eq(CoverStatus::Taken.as_str()),
            cover_requests::taken_by_id.eq(&taker.id),
            cover_requests::taken_at.eq(time::to_db(time::now())),
            cover_requests::assigned_by_id.eq((actor.id != taker.id).then_some(&actor.id)),
            cover_requests::shift_id.eq(&shift.id),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(AppError::Conflict(
                "somebody took this cover request already".into(),
            ));
        }
        outbox::events::cover_taken(
            conn,
            notify,
            id,
            &requester,
            taker,
            actor,
            &request.role,
            (starts, ends),
        )?;
        find(conn, id)
    })
}

/// Cuts `[starts, ends)` out of the requester's own explicit shifts in the
/// request's role (a derived shift needs nothing: the override wins).
fn clear_requester(
    conn: &mut DbConnection,
    request: &CoverRequest,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
) -> Result<(), AppError> {
    let own: Vec<Shift> = shift_rows::table
        .filter(shift_rows::user_id.eq(&request.requester_id))
        .filter(shift_rows::role.eq(&request.role))
        .filter(shift_rows::starts_at.lt(time::to_db(ends)))
        .filter(shift_rows::ends_at.gt(time::to_db(starts)))
        .load(conn)?;
    for shift in own {
        let (a, b) = (shift.starts(), shift.ends());
        let input = |starts_at, ends_at| ShiftInput {
            user_id: shift.user_id.clone(),
            role: shift.role.clone(),
            starts_at,
            ends_at,
        };
        match (a < starts, b > ends) {
            (false, false) => shifts::delete(conn, &shift.id)?,
            (true, false) => {
                shifts::update(conn, &shift.id, &input(a, starts))?;
            }
            (false, true) => {
                shifts::update(conn, &shift.id, &input(ends, b))?;
            }
            (true, true) => {
                shifts::update(conn, &shift.id, &input(a, starts))?;
                shifts::create(conn, &input(ends, b))?;
            }
        }
    }
    Ok(())
}

/// `actor` cancels open request `id`: its requester, whoever asked for
/// them, or an admin (else 403); 409 when it is not open.
pub fn cancel(conn: &mut DbConnection, id: &str, actor: &User) -> Result<CoverRequest, AppError> {
    conn.transaction(|conn| {
        let request = find(conn, id)?;
        let allowed = actor.id == request.requester_id
            || actor.id == request.created_by_id
            || actor.role == Role::Admin;
        if !allowed {
            return Err(AppError::Forbidden(
                "only the requester (or an admin) cancels a cover request".into(),
            ));
        }
        if request.status()? != CoverStatus::Open {
            return Err(AppError::Conflict(format!(
                "this cover request is {}, not open",
                request.status
            )));
        }
        diesel::update(cover_requests::table.filter(cover_requests::id.eq(id)))
            .set((
                cover_requests::status.eq(CoverStatus::Cancelled.as_str()),
                cover_requests::cancelled_at.eq(time::to_db(time::now())),
            ))
            .execute(conn)?;
        find(conn, id)
    })
}

/// Requests not over at `now` (ending after it), by start: with `status`
/// only those, with `role` only that role's; at most `limit`.
pub fn upcoming(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    status: Option<CoverStatus>,
    role: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CoverRequest>> {
    let mut query = cover_requests::table
        .filter(cover_requests::ends_at.gt(time::to_db(now)))
        .into_boxed();
    if let Some(s) = status {
        query = query.filter(cover_requests::status.eq(s.as_str()));
    }
    if let Some(r) = role {
        query = query.filter(cover_requests::role.eq(r.to_owned()));
    }
    query
        .order((cover_requests::starts_at.asc(), cover_requests::id.asc()))
        .limit(limit)
        .load(conn)
}

/// The open requests `user_id` may take that start within the next 24 hours
/// (or have started and are not over): for their dashboard.
pub fn wanted_soon(
    conn: &mut DbConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<CoverRequest>, AppError> {
    let soon: Vec<CoverRequest> = upcoming(conn, now, Some(CoverStatus::Open), None, 200)?
        .into_iter()
        .filter(|r| r.starts() <= now + cover::DASHBOARD_AHEAD && r.requester_id != user_id)
        .collect();
    if soon.is_empty() {
        return Ok(soon);
    }
    let last = soon.iter().map(CoverRequest::ends).max().unwrap_or(now);
    let members = RoleMembers::load(conn, now, last)?;
    Ok(soon
        .into_iter()
        .filter(|r| members.of(&r.role, r.starts(), r.ends()).contains(user_id))
        .collect())
}

/// The people requests name (requesters, takers), by id.
pub fn people(
    conn: &mut DbConnection,
    requests: &[CoverRequest],
) -> QueryResult<HashMap<String, User>> {
    let ids: Vec<&str> = requests
        .iter()
        .flat_map(|r| {
            [Some(r.requester_id.as_str()), r.taken_by_id.as_deref()]
                .into_iter()
                .flatten()
        })
        .collect();
    users::find_many(conn, &ids)
}
