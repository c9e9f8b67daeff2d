//! Rotations and their plans (`rotations`, `rotation_plans`): a change adds
//! a plan from an instant on and replaces only the plans from that instant
//! on, so that what was in force before is never rewritten.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::new_id;
use crate::db::models::users::User;
use crate::db::schema::{rotation_plans, rotations};
use crate::domain::rotation::{Plan, Rhythm, RotationPlans};
use crate::domain::time;
use crate::error::AppError;

/// A rotation row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable)]
#[diesel(table_name = rotations)]
pub struct Rotation {
    /// UUID v7.
    pub id: String,
    /// What people call it.
    pub name: String,
    /// The rotation role its shifts are in.
    pub role: String,
    /// When it was made.
    pub created_at: NaiveDateTime,
    /// When it last changed.
    pub updated_at: NaiveDateTime,
}

/// A plan row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable, Insertable)]
#[diesel(table_name = rotation_plans)]
pub struct PlanRow {
    /// UUID v7.
    pub id: String,
    /// Its rotation.
    pub rotation_id: String,
    /// From when it is in force.
    pub effective_from: NaiveDateTime,
    /// The anchor its shifts are counted from.
    pub starts_at: NaiveDateTime,
    /// `12h`, `7d` or `00:00,08:00,16:00`.
    pub rhythm: String,
    /// Member user ids in order, separated by commas.
    pub members: String,
    /// When it was written.
    pub created_at: NaiveDateTime,
}

impl PlanRow {
    /// The plan, for the schedule; a stored rhythm Baton cannot read is an
    /// error naming the row.
    pub fn plan(&self) -> Result<Plan, AppError> {
        let rhythm = Rhythm::parse(&self.rhythm).map_err(|e| {
            AppError::internal(format!("rotation plan {}: stored rhythm: {e}", self.id))
        })?;
        Ok(Plan {
            effective_from: time::from_db(self.effective_from),
            starts_at: time::from_db(self.starts_at),
            rhythm,
            members: self.member_ids(),
            written_at: time::from_db(self.created_at),
        })
    }

    /// The member user ids in order.
    pub fn member_ids(&self) -> Vec<String> {
        self.members
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// What a new plan holds: checked by the domain, members resolved to users.
#[derive(Debug, Clone)]
pub struct PlanInput {
    /// The anchor.
    pub starts_at: DateTime<Utc>,
    /// The rhythm.
    pub rhythm: Rhythm,
    /// The members, in order.
    pub members: Vec<User>,
}

/// A rotation with its plans, by `effective_from`.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The rotation.
    pub rotation: Rotation,
    /// Its plans.
    pub plans: Vec<PlanRow>,
}

impl Loaded {
    /// The plan in force at `at`, else the first one (a rotation that has
    /// not started yet).
    pub fn plan_at(&self, at: DateTime<Utc>) -> Option<&PlanRow> {
        let at = time::to_db(at);
        self.plans
            .iter()
            .rev()
            .find(|p| p.effective_from <= at)
            .or(self.plans.first())
    }

    /// The rotation as the schedule reads it.
    pub fn schedule(&self) -> Result<RotationPlans, AppError> {
        Ok(RotationPlans {
            id: self.rotation.id.clone(),
            name: self.rotation.name.clone(),
            role: self.rotation.role.clone(),
            plans: self
                .plans
                .iter()
                .map(PlanRow::plan)
                .collect::<Result<_, _>>()?,
        })
    }
}

fn plan_row(
    rotation_id: &str,
    from: DateTime<Utc>,
    input: &PlanInput,
    at: DateTime<Utc>,
) -> PlanRow {
    PlanRow {
        id: new_id(),
        rotation_id: rotation_id.to_owned(),
        effective_from: time::to_db(from),
        starts_at: time::to_db(input.starts_at),
        rhythm: input.rhythm.text(),
        members: input
            .members
            .iter()
            .map(|u| u.id.as_str())
            .collect::<Vec<_>>()
            .join(","),
        created_at: time::to_db(at),
    }
}

/// Makes a rotation whose first plan is in force from its start.
pub fn create(
    conn: &mut DbConnection,
    name: &str,
    role: &str,
    input: &PlanInput,
) -> Result<Loaded, AppError> {
    let now = time::now();
    let rotation = Rotation {
        id: new_id(),
        name: name.to_owned(),
        role: role.to_owned(),
        created_at: time::to_db(now),
        updated_at: time::to_db(now),
    };
    let plan = plan_row(&rotation.id, input.starts_at, input, now);
    conn.transaction(|conn| {
        diesel::insert_into(rotations::table)
            .values(&rotation)
            .execute(conn)?;
        diesel::insert_into(rotation_plans::table)
            .values(&plan)
            .execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(Loaded {
        rotation,
        plans: vec![plan],
    })
}

/// Changes a rotation's name and role, and, with `plan`, its plan from the
/// instant `from` on (never earlier than now: the past is kept). Plans
/// that would have started at or after `from` are replaced.
pub fn update(
    conn: &mut DbConnection,
    id: &str,
    name: &str,
    role: &str,
    plan: Option<(DateTime<Utc>, &PlanInput)>,
) -> Result<Loaded, AppError> {
    let now = time::now();
    conn.transaction(|conn| {
        let changed = diesel::update(rotations::table.filter(rotations::id.eq(id)))
            .set((
                rotations::name.eq(name),
                rotations::role.eq(role),
                rotations::updated_at.eq(time::to_db(now)),
            ))
            .execute(conn)?;
        if changed == 0 {
            return Err(AppError::NotFound("no such rotation".into()));
        }
        if let Some((from, input)) = plan {
            let from = from.max(now);
            let first: Option<NaiveDateTime> = rotation_plans::table
                .filter(rotation_plans::rotation_id.eq(id))
                .select(diesel::dsl::min(rotation_plans::effective_from))
                .first(conn)?;
            // A rotation that has not started yet is planned again whole.
            let from = match first {
                Some(f) if time::from_db(f) >= from => {
                    time::from_db(f).min(input.starts_at).max(now)
                }
                _ => from,
            };
            diesel::delete(
                rotation_plans::table
                    .filter(rotation_plans::rotation_id.eq(id))
                    .filter(rotation_plans::effective_from.ge(time::to_db(from))),
            )
            .execute(conn)?;
            diesel::insert_into(rotation_plans::table)
                .values(plan_row(id, from, input, now))
                .execute(conn)?;
        }
        find(conn, id)
    })
}

/// Deletes a rotation and its plans; 404 when it does not exist.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    conn.transaction(|conn| {
        diesel::delete(rotation_plans::table.filter(rotation_plans::rotation_id.eq(id)))
            .execute(conn)?;
        let deleted =
            diesel::delete(rotations::table.filter(rotations::id.eq(id))).execute(conn)?;
        if deleted == 0 {
            return Err(AppError::NotFound("no such rotation".into()));
        }
        Ok(())
    })
}

/// One rotation with its plans; 404 when it does not exist.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Loaded, AppError> {
    let rotation: Rotation = rotations::table
        .filter(rotations::id.eq(id))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound("no such rotation".into()))?;
    let plans = rotation_plans::table
        .filter(rotation_plans::rotation_id.eq(id))
        .order((
            rotation_plans::effective_from.asc(),
            rotation_plans::id.asc(),
        ))
        .load(conn)?;
    Ok(Loaded { rotation, plans })
}

/// Every rotation with its plans, by role and name.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Loaded>> {
    let all: Vec<Rotation> = rotations::table
        .order((
            rotations::role.asc(),
            rotations::name.asc(),
            rotations::id.asc(),
        ))
        .load(conn)?;
    let mut plans: Vec<PlanRow> = rotation_plans::table
        .order((
            rotation_plans::effective_from.asc(),
            rotation_plans::id.asc(),
        ))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|rotation| {
            let (mine, rest): (Vec<PlanRow>, Vec<PlanRow>) = std::mem::take(&mut plans)
                .into_iter()
                .partition(|p| p.rotation_id == rotation.id);
            plans = rest;
            Loaded {
                rotation,
                plans: mine,
            }
        })
        .collect())
}

/// The users `names` name, in order, checked as a member list (at least
/// one, nobody twice); a refusal is a 422 on `field(Some(i))` for the `i`-th
/// name (or `field(None)` for the list as a whole): a name that is no
/// active user's included.
pub fn resolve_members(
    conn: &mut DbConnection,
    names: &[String],
    field: &dyn Fn(Option<usize>) -> String,
) -> Result<Vec<User>, AppError> {
    let mut found: Vec<User> = vec![];
    for (i, name) in names.iter().enumerate() {
        let username = crate::domain::user::Username::parse(name.trim().trim_start_matches('@'))
            .map_err(|e| AppError::invalid(field(Some(i)), e))?;
        match crate::db::models::users::find_by_username(conn, &username)? {
            Some(u) if u.active => {
                if found.iter().any(|f| f.id == u.id) {
                    return Err(AppError::invalid(
                        field(Some(i)),
                        format!("{username} is listed twice"),
                    ));
                }
                found.push(u);
            }
            _ => {
                return Err(AppError::invalid(
                    field(Some(i)),
                    format!("there is no active user {username}"),
                ));
            }
        }
    }
    crate::domain::rotation::check_members(&found.iter().map(|u| u.id.clone()).collect::<Vec<_>>())
        .map_err(|e| AppError::invalid(field(None), e))?;
    Ok(found)
}

/// The usernames of the members of `plan`, in order (a member who is no
/// longer a user is left out).
pub fn member_names(conn: &mut DbConnection, plan: &PlanRow) -> QueryResult<Vec<User>> {
    let ids = plan.member_ids();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut by_id = crate::db::models::users::find_many(conn, &refs)?;
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}
