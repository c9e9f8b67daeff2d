//! Whether GitLab answers: since when it has not, and why (the kind of
//! failure only, never a token or a URL). Written only when that changes,
//! so that a healthy refresher writes nothing here (on PostgreSQL every
//! statement on this table tells every instance to drop its kept pages).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::gitlab_status;
use crate::db::{DbConnection, on_backend};
use crate::domain::time;

/// The name of the one status row.
pub(super) const ROW: &str = "api";

/// Creates the status row on a concrete connection if there is none.
macro_rules! ensure_status_row {
    ($c:expr) => {
        diesel::insert_into(crate::db::schema::gitlab_status::table)
            .values(
                crate::db::schema::gitlab_status::name.eq(crate::db::models::gitlab::status::ROW),
            )
            .on_conflict_do_nothing()
            .execute($c)
    };
}
pub(super) use ensure_status_row;

/// GitLab's availability as last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable)]
pub struct GitLabStatus {
    /// `api`.
    pub name: String,
    /// Since when calls have failed; `None` while they succeed.
    pub unavailable_since: Option<NaiveDateTime>,
    /// The kind of the last failure (`timed out`, `refused (503)`, …).
    pub last_error: Option<String>,
    /// When the watched projects were last listed in full.
    pub inventory_at: Option<NaiveDateTime>,
}

impl GitLabStatus {
    /// Since when GitLab has been failing, if it is.
    pub fn unavailable_since(&self) -> Option<DateTime<Utc>> {
        self.unavailable_since.map(time::from_db)
    }
}

/// The status (a default one, all clear, before anything was recorded).
pub fn status(conn: &mut DbConnection) -> QueryResult<GitLabStatus> {
    let rows: Vec<GitLabStatus> = on_backend!(conn, |c| gitlab_status::table
        .filter(gitlab_status::name.eq(ROW))
        .load(c))?;
    Ok(rows.into_iter().next().unwrap_or_default())
}

/// Records a failed call at `at`, of kind `error`: GitLab is unavailable
/// since the first failure in a row. Writes only when that is news.
pub fn mark_unavailable(
    conn: &mut DbConnection,
    at: DateTime<Utc>,
    error: &str,
) -> QueryResult<()> {
    let now = status(conn)?;
    if now.unavailable_since.is_some() && now.last_error.as_deref() == Some(error) {
        return Ok(());
    }
    let since = now.unavailable_since.unwrap_or_else(|| time::to_db(at));
    on_backend!(conn, |c| c.transaction(|c| {
        ensure_status_row!(c)?;
        diesel::update(gitlab_status::table.filter(gitlab_status::name.eq(ROW)))
            .set((
                gitlab_status::unavailable_since.eq(Some(since)),
                gitlab_status::last_error.eq(Some(error)),
            ))
            .execute(c)
            .map(|_| ())
    }))
}

/// Records a successful call: GitLab answers. Writes only when it had not.
pub fn mark_available(conn: &mut DbConnection) -> QueryResult<()> {
    if status(conn)?.unavailable_since.is_none() {
        return Ok(());
    }
    diesel::update(gitlab_status::table.filter(gitlab_status::name.eq(ROW)))
        .set((
            gitlab_status::unavailable_since.eq(None::<NaiveDateTime>),
            gitlab_status::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}
