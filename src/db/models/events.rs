//! Production events of the on-call log and the GitLab issues they link.
//! Append-only: there is no update and no delete; a correction is a new
//! event whose `corrects_id` names the one it corrects.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow, Queryable};
use diesel::prelude::*;

use crate::db::models::users::User;
use crate::db::models::{Clock, Ids};
use crate::db::schema::{event_issues, events, users};
use crate::db::types::RowReader;
use crate::db::{DbConnection, on_backend};
use crate::domain::event::{EventInput, EventKind};
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::domain::markdown;
use crate::domain::paging::Cursor;
use crate::domain::time;
use crate::error::AppError;

/// An event row.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = events)]
pub struct Event {
    /// UUID v7.
    pub id: String,
    /// `change` or `incident`.
    pub kind: EventKind,
    /// One line.
    pub title: String,
    /// Markdown, may be empty.
    pub body: String,
    /// The body rendered and cleaned.
    pub body_html: String,
    /// Who wrote it.
    pub author_id: String,
    /// The handoff it belongs to, if any.
    pub handoff_id: Option<String>,
    /// The event it corrects, if any.
    pub corrects_id: Option<String>,
    /// When it happened (UTC).
    pub occurred_at: NaiveDateTime,
    /// When it was written (UTC).
    pub created_at: NaiveDateTime,
}

/// An event row as stored.
type EventColumns = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    NaiveDateTime,
);

/// Reads a stored row; a kind Baton does not know is an error naming the
/// row, never a guess.
impl<ST, DB> Queryable<ST, DB> for Event
where
    DB: Backend,
    EventColumns: FromStaticSqlRow<ST, DB>,
{
    type Row = EventColumns;

    fn build(row: EventColumns) -> deserialize::Result<Event> {
        let (
            id,
            kind,
            title,
            body,
            body_html,
            author_id,
            handoff_id,
            corrects_id,
            occurred_at,
            created_at,
        ) = row;
        Ok(Event {
            kind: RowReader::new("events", &id).text("kind", kind)?,
            id,
            title,
            body,
            body_html,
            author_id,
            handoff_id,
            corrects_id,
            occurred_at,
            created_at,
        })
    }
}

impl Event {
    /// When it happened.
    pub fn occurred(&self) -> DateTime<Utc> {
        time::from_db(self.occurred_at)
    }

    /// When it was written.
    pub fn created(&self) -> DateTime<Utc> {
        time::from_db(self.created_at)
    }
}

/// An issue an event links.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = event_issues)]
pub struct EventIssue {
    /// UUID v7.
    pub id: String,
    /// The event.
    pub event_id: String,
    /// The project path.
    pub project: String,
    /// The issue number.
    pub iid: i64,
}

/// An event with its author and its issues, as pages and the API show it.
#[derive(Debug, Clone)]
pub struct LoadedEvent {
    /// The row.
    pub event: Event,
    /// Its author.
    pub author: User,
    /// Its issues, in the order given.
    pub issues: Vec<IssueRef>,
}

/// Writes a new event by `author` (in one transaction with its issue
/// links). `handoff_id` and `corrects_id` must name existing rows: the
/// caller checks them (a foreign key refuses them anyway).
pub fn create(
    conn: &mut DbConnection,
    author: &User,
    input: &EventInput,
    handoff_id: Option<&str>,
    corrects_id: Option<&str>,
    gitlab: &GitLab,
) -> Result<Event, AppError> {
    let at = time::now();
    let mut ids = Clock;
    let body = input.body.clone().unwrap_or_default();
    let row = Event {
        id: ids.id_at(at),
        kind: input.kind,
        title: input.title.clone(),
        body_html: if body.is_empty() {
            String::new()
        } else {
            markdown::render(&body, gitlab)
        },
        body,
        author_id: author.id.clone(),
        handoff_id: handoff_id.map(str::to_owned),
        corrects_id: corrects_id.map(str::to_owned),
        occurred_at: time::to_db(input.occurred_at),
        created_at: time::to_db(at),
    };
    let links: Vec<EventIssue> = input
        .issues
        .iter()
        .map(|issue| EventIssue {
            id: ids.id_at(at),
            event_id: row.id.clone(),
            project: issue.project().to_owned(),
            iid: i64::try_from(issue.iid()).unwrap_or(i64::MAX),
        })
        .collect();
    conn.transaction(|conn| {
        on_backend!(conn, |c| diesel::insert_into(events::table)
            .values(&row)
            .execute(c))?;
        for link in &links {
            on_backend!(conn, |c| diesel::insert_into(event_issues::table)
                .values(link)
                .execute(c))?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(row)
}

/// Whether an event with this id exists.
pub fn exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let found: i64 = on_backend!(conn, |c| events::table
        .filter(events::id.eq(id))
        .count()
        .get_result(c))?;
    Ok(found > 0)
}

/// One event, loaded; `None` when there is none with that id.
pub fn get(conn: &mut DbConnection, id: &str) -> QueryResult<Option<LoadedEvent>> {
    let rows: Vec<(Event, User)> = on_backend!(conn, |c| events::table
        .inner_join(users::table)
        .filter(events::id.eq(id))
        .load(c))?;
    Ok(load_issues(conn, rows)?.into_iter().next())
}

/// The events of a handoff, oldest first (for its timeline).
pub fn for_handoff(conn: &mut DbConnection, handoff_id: &str) -> QueryResult<Vec<LoadedEvent>> {
    let rows: Vec<(Event, User)> = on_backend!(conn, |c| events::table
        .inner_join(users::table)
        .filter(events::handoff_id.eq(handoff_id))
        .order((events::occurred_at.asc(), events::id.asc()))
        .load(c))?;
    load_issues(conn, rows)
}

/// What a list of events is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this kind.
    pub kind: Option<EventKind>,
    /// Only by this author (user id).
    pub author_id: Option<String>,
    /// Only those that happened in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    /// See `from`.
    pub to: Option<DateTime<Utc>>,
    /// Only those that link this issue.
    pub issue: Option<IssueRef>,
    /// Only those before this (time it happened, id), newest first: the
    /// next page.
    pub before: Option<Cursor>,
}

/// Events newest first (by when they happened), at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &EventFilter,
    limit: i64,
) -> QueryResult<Vec<LoadedEvent>> {
    let issue = filter.issue.as_ref().map(|i| {
        (
            i.project().to_owned(),
            i64::try_from(i.iid()).unwrap_or(i64::MAX),
        )
    });
    // Built in each backend's arm: a boxed query is of one backend.
    let rows: Vec<(Event, User)> = on_backend!(conn, |c| {
        let mut query = events::table.inner_join(users::table).into_boxed();
        if let Some(kind) = filter.kind {
            query = query.filter(events::kind.eq(kind));
        }
        if let Some(author) = &filter.author_id {
            query = query.filter(events::author_id.eq(author.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter(events::occurred_at.ge(time::to_db(from)));
        }
        if let Some(to) = filter.to {
            query = query.filter(events::occurred_at.lt(time::to_db(to)));
        }
        if let Some(cursor) = &filter.before {
            let (at, id) = cursor.clone().into_parts();
            query = query.filter(
                events::occurred_at
                    .lt(at)
                    .or(events::occurred_at.eq(at).and(events::id.lt(id))),
            );
        }
        if let Some((project, iid)) = &issue {
            let linking = event_issues::table
                .filter(event_issues::project.eq(project.clone()))
                .filter(event_issues::iid.eq(*iid))
                .select(event_issues::event_id);
            query = query.filter(events::id.eq_any(linking));
        }
        query
            .order((events::occurred_at.desc(), events::id.desc()))
            .limit(limit)
            .load(c)
    })?;
    load_issues(conn, rows)
}

/// The issues of `rows`, read in one query.
fn load_issues(conn: &mut DbConnection, rows: Vec<(Event, User)>) -> QueryResult<Vec<LoadedEvent>> {
    let ids: Vec<String> = rows.iter().map(|(e, _)| e.id.clone()).collect();
    let links: Vec<EventIssue> = if ids.is_empty() {
        vec![]
    } else {
        on_backend!(conn, |c| event_issues::table
            .filter(event_issues::event_id.eq_any(&ids))
            .order(event_issues::id.asc())
            .load(c))?
    };
    let mut by_event: HashMap<String, Vec<IssueRef>> = HashMap::new();
    for link in links {
        if let Ok(issue) = IssueRef::new(&link.project, u64::try_from(link.iid).unwrap_or(0)) {
            by_event.entry(link.event_id).or_default().push(issue);
        }
    }
    Ok(rows
        .into_iter()
        .map(|(event, author)| LoadedEvent {
            issues: by_event.remove(&event.id).unwrap_or_default(),
            event,
            author,
        })
        .collect())
}
