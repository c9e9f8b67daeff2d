//! Shifts: a user on call in a rotation role from `starts_at` to `ends_at`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::models::users::User;
use crate::db::models::{Clock, Ids};
use crate::db::schema::{shifts, users};
use crate::db::{DbConnection, on_backend};
use crate::domain::shift::MAX_SHIFT;
use crate::domain::time;
use crate::error::AppError;

/// A shift row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable)]
#[diesel(table_name = shifts)]
pub struct Shift {
    /// UUID v7.
    pub id: String,
    /// Who is on call.
    pub user_id: String,
    /// The rotation role (`EOC`, `IMOC`, …).
    pub role: String,
    /// UTC.
    pub starts_at: NaiveDateTime,
    /// UTC, after `starts_at`.
    pub ends_at: NaiveDateTime,
    /// When it was recorded.
    pub created_at: NaiveDateTime,
    /// The calendar event it was imported from (its `UID`, with the
    /// occurrence's start for a recurring one); none for one entered here.
    pub import_uid: Option<String>,
    /// When it last changed, if it changed since it was recorded: the
    /// calendar feeds' `SEQUENCE` grows with it.
    pub updated_at: Option<NaiveDateTime>,
}

/// What a new shift row is written with: the columns every schema since
/// the first has (the demo and the backup tests write into older ones);
/// `import_uid` and `updated_at` start empty.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = shifts)]
struct NewShift {
    id: String,
    user_id: String,
    role: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

impl Shift {
    /// The row of the shift `input` describes, recorded at `at`.
    pub fn new(ids: &mut impl Ids, input: &ShiftInput, at: DateTime<Utc>) -> Shift {
        Shift {
            id: ids.id_at(at),
            user_id: input.user_id.clone(),
            role: input.role.clone(),
            starts_at: time::to_db(input.starts_at),
            ends_at: time::to_db(input.ends_at),
            created_at: time::to_db(at),
            import_uid: None,
            updated_at: None,
        }
    }

    /// When it last changed (or was recorded).
    pub fn changed(&self) -> DateTime<Utc> {
        time::from_db(self.updated_at.unwrap_or(self.created_at))
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

/// The fields of a shift to write. The span has been checked by the domain.
#[derive(Debug, Clone)]
pub struct ShiftInput {
    /// Who.
    pub user_id: String,
    /// Rotation role.
    pub role: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
}

pub(crate) fn check_overlap(
    conn: &mut DbConnection,
    input: &ShiftInput,
    except: Option<&str>,
) -> Result<(), AppError> {
    let mut query = shifts::table
        .filter(shifts::user_id.eq(&input.user_id))
        .filter(shifts::role.eq(&input.role))
        .filter(shifts::starts_at.lt(time::to_db(input.ends_at)))
        .filter(shifts::ends_at.gt(time::to_db(input.starts_at)))
        .select(shifts::id)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(shifts::id.ne(id.to_owned()));
    }
    if query.first::<String>(conn).optional()?.is_some() {
        return Err(AppError::Conflict(
            "this person already has a shift in this role that overlaps these times".into(),
        ));
    }
    Ok(())
}

/// Records a shift; an overlapping shift of the same person in the same role is a 409.
pub fn create(conn: &mut DbConnection, input: &ShiftInput) -> Result<Shift, AppError> {
    conn.transaction(|conn| {
        check_overlap(conn, input, None)?;
        let shift = Shift::new(&mut Clock, input, time::now());
        insert_all(conn, std::slice::from_ref(&shift))?;
        Ok(shift)
    })
}

/// Records shifts that are known not to overlap (a generated rota), in as
/// few statements as the backend allows.
pub fn insert_all(conn: &mut DbConnection, rows: &[Shift]) -> QueryResult<()> {
    let rows: Vec<NewShift> = rows
        .iter()
        .map(|s| NewShift {
            id: s.id.clone(),
            user_id: s.user_id.clone(),
            role: s.role.clone(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            created_at: s.created_at,
        })
        .collect();
    // In batches (multi-row VALUES, 12 000 binds at most), per backend.
    rows.chunks(2_000).try_for_each(|chunk| {
        on_backend!(conn, |c| diesel::insert_into(shifts::table)
            .values(chunk)
            .execute(c)
            .map(|_| ()))
    })
}

/// Records `shift`, imported from the calendar event `import_uid`.
pub fn insert_imported(
    conn: &mut DbConnection,
    shift: &Shift,
    import_uid: &str,
) -> QueryResult<()> {
    insert_all(conn, std::slice::from_ref(shift))?;
    diesel::update(shifts::table.filter(shifts::id.eq(&shift.id)))
        .set(shifts::import_uid.eq(import_uid))
        .execute(conn)
        .map(|_| ())
}

/// When a shift last changed at `before` changes again at `now`: now, but
/// at least a whole second later, so that the feeds' `SEQUENCE` (counted in
/// seconds) grows even for two changes within one second.
pub fn next_change(before: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    now.max(time::whole_seconds(before) + chrono::Duration::seconds(1))
}

/// Changes a shift; 404 when it does not exist. Its `created_at` stays;
/// its `updated_at` grows.
pub fn update(conn: &mut DbConnection, id: &str, input: &ShiftInput) -> Result<Shift, AppError> {
    conn.transaction(|conn| {
        let before: Shift = shifts::table
            .filter(shifts::id.eq(id))
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::NotFound("no such shift".into()))?;
        check_overlap(conn, input, Some(id))?;
        write(conn, &before, input)
    })
}

/// Writes `input` over the shift `before`, which exists.
pub(crate) fn write(
    conn: &mut DbConnection,
    before: &Shift,
    input: &ShiftInput,
) -> Result<Shift, AppError> {
    diesel::update(shifts::table.filter(shifts::id.eq(&before.id)))
        .set((
            shifts::user_id.eq(&input.user_id),
            shifts::role.eq(&input.role),
            shifts::starts_at.eq(time::to_db(input.starts_at)),
            shifts::ends_at.eq(time::to_db(input.ends_at)),
            shifts::updated_at.eq(Some(time::to_db(next_change(
                before.changed(),
                time::now(),
            )))),
        ))
        .execute(conn)?;
    Ok(shifts::table
        .filter(shifts::id.eq(&before.id))
        .first(conn)?)
}

/// Deletes a shift; 404 when it does not exist.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    let deleted = diesel::delete(shifts::table.filter(shifts::id.eq(id))).execute(conn)?;
    if deleted == 0 {
        return Err(AppError::NotFound("no such shift".into()));
    }
    Ok(())
}

/// One shift with its user.
pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<(Shift, User)> {
    shifts::table
        .inner_join(users::table)
        .filter(shifts::id.eq(id))
        .first(conn)
}

/// Shifts that overlap `[from, to)`, with their users, by start.
pub fn list_between(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<Shift>> {
    shifts::table
        .filter(shifts::ends_at.gt(time::to_db(from)))
        .filter(shifts::starts_at.lt(time::to_db(to)))
        // A shift is at most 14 days long, so this bounds the index scan.
        .filter(shifts::ends_at.le(time::to_db(to + MAX_SHIFT)))
        .order((shifts::starts_at.asc(), shifts::role.asc()))
        .load(conn)
}

/// The explicit shift of `user_id` that is current at `now`, or else the
/// one that ended last (the final schedule's is `schedule::latest_for_user`).
pub fn latest_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<Shift>> {
    shifts::table
        .filter(shifts::user_id.eq(user_id))
        .filter(shifts::starts_at.le(time::to_db(now)))
        .order(shifts::ends_at.desc())
        .first(conn)
        .optional()
}

/// The end of the last explicit shift of `user_id` that ended before `now`
/// (the final schedule's is `schedule::last_ended_for_user`).
pub fn last_ended_for_user(
    conn: &mut DbConnection,
    user_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<DateTime<Utc>>> {
    // max() rather than ORDER BY … LIMIT 1: the same answer from the
    // (user_id, ends_at) index, in a statement SQLite keeps prepared.
    on_backend!(conn, |c| shifts::table
        .filter(shifts::user_id.eq(user_id))
        .filter(shifts::ends_at.le(time::to_db(now)))
        .select(diesel::dsl::max(shifts::ends_at))
        .get_result::<Option<NaiveDateTime>>(c))
    .map(|t| t.map(time::from_db))
}

/// How many of the sorted `changes` fall in `(since, until]`.
pub fn count_changes(
    changes: &[DateTime<Utc>],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> usize {
    let lo = changes.partition_point(|t| *t <= since);
    let hi = changes.partition_point(|t| *t <= until);
    hi.saturating_sub(lo)
}
