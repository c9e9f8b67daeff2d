//! People: username, display name, time zone, role.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow, Queryable};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{sessions, users};
use crate::db::types::RowReader;
use crate::domain::handoff::Role;
use crate::domain::time::{self, Timezone};
use crate::domain::user::Username;
use crate::error::AppError;

diesel::define_sql_function! {
    /// SQL's `lower`, the same for ASCII on both backends.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A user row.
#[derive(Clone, PartialEq, Eq, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    /// UUID v7.
    pub id: String,
    /// Unique, as on GitLab.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Their time zone.
    pub timezone: Timezone,
    /// What they may do.
    pub role: Role,
    /// Deactivated users cannot sign in or use tokens.
    pub active: bool,
    /// When the user was added.
    pub created_at: NaiveDateTime,
    /// The GitLab account this user signs in with.
    pub gitlab_id: Option<i64>,
    /// Argon2id hash of the break-glass password, if one is set.
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password hash.
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The columns of a users row as stored, in the schema's order.
type UserColumns = (
    String,
    String,
    String,
    String,
    String,
    bool,
    NaiveDateTime,
    Option<i64>,
    Option<String>,
);

/// Reads a stored row; a time zone or role Baton does not know is an error
/// naming the row.
impl<ST, DB> Queryable<ST, DB> for User
where
    DB: Backend,
    UserColumns: FromStaticSqlRow<ST, DB>,
{
    type Row = UserColumns;

    fn build(row: UserColumns) -> deserialize::Result<User> {
        let (id, username, name, timezone, role, active, created_at, gitlab_id, password_hash) =
            row;
        let read = RowReader::new("users", &id);
        Ok(User {
            timezone: read.text("timezone", timezone)?,
            role: read.text("role", role)?,
            id,
            username,
            name,
            active,
            created_at,
            gitlab_id,
            password_hash,
        })
    }
}

impl User {
    /// When the user was added.
    pub fn created(&self) -> DateTime<Utc> {
        time::from_db(self.created_at)
    }

    /// An active responder in UTC whose id, username and name are `name`,
    /// for unit tests.
    #[cfg(test)]
    pub fn fixture(name: &str) -> User {
        User {
            id: name.to_owned(),
            username: name.to_owned(),
            name: name.to_owned(),
            timezone: Timezone::UTC,
            role: Role::Responder,
            active: true,
            created_at: chrono::NaiveDateTime::default(),
            gitlab_id: None,
            password_hash: None,
        }
    }
}

/// Adds a user; a taken username is a 409, and so is one that differs from
/// an existing username only in case (GitLab counts those as one account;
/// see [`Username`]).
pub fn create(
    conn: &mut DbConnection,
    username: &Username,
    name: &str,
    timezone: Timezone,
    role: Role,
) -> Result<User, AppError> {
    let twin: Option<String> = users::table
        .select(users::username)
        .filter(lower(users::username).eq(username.to_ascii_lowercase()))
        .first(conn)
        .optional()?;
    if let Some(twin) = twin.filter(|t| username.differs_only_in_case(t)) {
        return Err(AppError::Conflict(format!(
            "the username {username} is taken: {twin} differs only in case"
        )));
    }
    let user = User {
        id: super::new_id(),
        username: username.as_str().to_owned(),
        name: name.to_owned(),
        timezone,
        role,
        active: true,
        created_at: time::to_db(time::now()),
        gitlab_id: None,
        password_hash: None,
    };
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&user.id),
            users::username.eq(&user.username),
            users::name.eq(&user.name),
            users::timezone.eq(user.timezone),
            users::role.eq(user.role),
            users::active.eq(user.active),
            users::created_at.eq(user.created_at),
        ))
        .execute(conn)
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                AppError::Conflict(format!("the username {username} is taken"))
            } else {
                e.into()
            }
        })?;
    Ok(user)
}

/// The active user with this username.
pub fn find_by_username(conn: &mut DbConnection, username: &Username) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username.as_str()))
        .filter(users::active.eq(true))
        .first(conn)
        .optional()
}

/// The active user with this id.
pub fn find_active(conn: &mut DbConnection, id: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::active.eq(true))
        .first(conn)
        .optional()
}

/// The users with these ids, by id, in one query.
pub fn find_many(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<HashMap<String, User>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .load::<User>(conn)?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect())
}

/// Every active user, by username.
pub fn list_active(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::active.eq(true))
        .order(users::username.asc())
        .load(conn)
}

/// Every user, active or not, by username.
pub fn list_all(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table.order(users::username.asc()).load(conn)
}

/// Changes a user's display name and time zone.
pub fn update_profile(
    conn: &mut DbConnection,
    id: &str,
    name: &str,
    timezone: Timezone,
) -> QueryResult<User> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((users::name.eq(name), users::timezone.eq(timezone)))
        .execute(conn)?;
    users::table.filter(users::id.eq(id)).first(conn)
}

/// Resolves a username given in a request (`bob` or `@bob`) into an active
/// user who can take handoffs; the error is a 422 on `field`.
pub fn find_recipient(
    conn: &mut DbConnection,
    field: &str,
    username: &str,
) -> Result<User, AppError> {
    let username = Username::parse_mention(username).map_err(|e| AppError::invalid(field, e))?;
    let user = find_by_username(conn, &username)?
        .ok_or_else(|| AppError::invalid(field, format!("there is no user {username}")))?;
    if !user.role.can_write() {
        return Err(AppError::invalid(
            field,
            format!("{username} is a viewer and cannot take handoffs"),
        ));
    }
    Ok(user)
}

/// The user with this username, active or not.
pub fn find_any(conn: &mut DbConnection, username: &Username) -> Result<User, AppError> {
    users::table
        .filter(users::username.eq(username.as_str()))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("there is no user {username}")))
}

/// Refuses a change that took the admin role (or activity) from `user`, as
/// it was, if it left no active admin: someone must always be able to
/// manage users. Called inside the transaction of the change, after the
/// change: on PostgreSQL an advisory lock held to the end of the transaction
/// makes two such changes take turns (each would otherwise count the
/// other's admin as still there); on SQLite the change's write has taken the
/// database's one write lock already.
fn keep_an_admin(conn: &mut DbConnection, user: &User) -> Result<(), AppError> {
    if !(user.active && user.role == Role::Admin) {
        return Ok(());
    }
    let admins: i64 = users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?;
    if admins == 0 {
        return Err(AppError::Conflict(format!(
            "{} is the last active admin; make someone else an admin first",
            user.username
        )));
    }
    Ok(())
}

/// Serialises changes to who is an admin (PostgreSQL; see [`keep_an_admin`]).
fn lock_admins(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConnection::Postgresql(c) = conn {
        // The key is arbitrary and only used here: "baton admins".
        c.batch_execute("SELECT pg_advisory_xact_lock(7264811900)")?;
    }
    Ok(())
}

/// Changes a user's role; returns the user as it was. Taking the admin role
/// from the last active admin is a 409.
pub fn set_role(
    conn: &mut DbConnection,
    username: &Username,
    role: Role,
) -> Result<User, AppError> {
    conn.transaction(|conn| {
        lock_admins(conn)?;
        let user = find_any(conn, username)?;
        diesel::update(users::table.filter(users::id.eq(&user.id)))
            .set(users::role.eq(role))
            .execute(conn)?;
        keep_an_admin(conn, &user)?;
        Ok(user)
    })
}

/// Deactivates or reactivates a user. Deactivation ends their sessions at
/// once; their tokens stop working because only active users authenticate.
/// Deactivating the last active admin is a 409.
pub fn set_active(
    conn: &mut DbConnection,
    username: &Username,
    active: bool,
) -> Result<User, AppError> {
    conn.transaction(|conn| {
        lock_admins(conn)?;
        let user = find_any(conn, username)?;
        diesel::update(users::table.filter(users::id.eq(&user.id)))
            .set(users::active.eq(active))
            .execute(conn)?;
        keep_an_admin(conn, &user)?;
        if !active {
            // Their sessions end with them (in this transaction).
            diesel::delete(sessions::table.filter(sessions::user_id.eq(&user.id))).execute(conn)?;
        }
        Ok(user)
    })
}

/// Sets (or, with `None`, removes) a user's break-glass password hash.
pub fn set_password_hash(
    conn: &mut DbConnection,
    username: &Username,
    hash: Option<&str>,
) -> Result<User, AppError> {
    let user = find_any(conn, username)?;
    diesel::update(users::table.filter(users::id.eq(&user.id)))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(user)
}

/// A GitLab profile as Baton keeps it.
#[derive(Debug, Clone)]
pub struct GitLabProfile {
    /// GitLab's numeric user id.
    pub id: i64,
    /// Username on GitLab.
    pub username: String,
    /// Display name on GitLab.
    pub name: String,
}

/// The user a GitLab sign-in is for: the one linked to that GitLab account
/// by its id, else a new user (time zone UTC, `role`). A Baton user with the
/// same username that is not linked to this GitLab account is never taken
/// over: the sign-in is refused until an admin links the two
/// ([`link_gitlab`]). The name follows GitLab's. A deactivated user is
/// refused.
pub fn sign_in_from_gitlab(
    conn: &mut DbConnection,
    profile: &GitLabProfile,
    role: Role,
) -> Result<User, AppError> {
    // Parsed before any query sees it, as every username is.
    let username = Username::parse(&profile.username)
        .map_err(|e| AppError::Forbidden(format!("the GitLab username: {e}")))?;
    conn.transaction(|conn| {
        let linked: Option<User> = users::table
            .filter(users::gitlab_id.eq(profile.id))
            .first(conn)
            .optional()?;
        let user = match linked {
            Some(user) => user,
            None => {
                // The same name in another case is the same GitLab account
                // (see `Username`): a clash too.
                let same_name: Option<User> = users::table
                    .filter(lower(users::username).eq(username.to_ascii_lowercase()))
                    .first(conn)
                    .optional()?;
                if let Some(user) = same_name {
                    return Err(AppError::Forbidden(format!(
                        "the Baton account {} is not linked to this GitLab account (id {}), \
                         so it cannot be signed in to with it; an admin can link the two on \
                         /admin/users or with: baton user link-gitlab {} {}",
                        user.username, profile.id, user.username, profile.id
                    )));
                }
                // A GitLab name Baton would refuse (control or bidi
                // characters) is not kept: the username stands in.
                let name = crate::domain::user::parse_display_name(&profile.name)
                    .unwrap_or_else(|_| username.to_string());
                create(conn, &username, &name, Timezone::UTC, role)?
            }
        };
        if !user.active {
            return Err(AppError::Forbidden(format!(
                "the Baton account {} is deactivated",
                user.username
            )));
        }
        let name = crate::domain::user::parse_display_name(&profile.name)
            .unwrap_or_else(|_| user.name.clone());
        diesel::update(users::table.filter(users::id.eq(&user.id)))
            .set((users::gitlab_id.eq(Some(profile.id)), users::name.eq(&name)))
            .execute(conn)?;
        Ok(users::table.filter(users::id.eq(&user.id)).first(conn)?)
    })
}

/// Links `username` to the GitLab account with id `gitlab_id`, so that
/// signing in with that account signs in as this user; returns the user as
/// it was. A GitLab account can be linked to one user only.
pub fn link_gitlab(
    conn: &mut DbConnection,
    username: &Username,
    gitlab_id: i64,
) -> Result<User, AppError> {
    conn.transaction(|conn| {
        let user = find_any(conn, username)?;
        let holder: Option<User> = users::table
            .filter(users::gitlab_id.eq(gitlab_id))
            .first(conn)
            .optional()?;
        match holder {
            Some(other) if other.id != user.id => Err(AppError::Conflict(format!(
                "GitLab account {gitlab_id} is linked to {} already",
                other.username
            ))),
            _ => {
                diesel::update(users::table.filter(users::id.eq(&user.id)))
                    .set(users::gitlab_id.eq(Some(gitlab_id)))
                    .execute(conn)?;
                Ok(user)
            }
        }
    })
}

/// Parses a GitLab user id as people type it.
pub fn parse_gitlab_id(raw: &str) -> Result<i64, String> {
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!(
            "a GitLab user id is a positive whole number (see the user's GitLab profile or /api/v4/users?username=…), not {:?}",
            raw.trim()
        )),
    }
}
