//! The messages each change of a handoff writes to the outbox, built from
//! the rows the change wrote (in its transaction).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{Notify, enqueue};
use crate::db::models::chat_handles;
use crate::db::models::handoffs::{Handoff, Note};
use crate::db::models::users::User;
use crate::db::schema::{handoffs, issue_links, users};
use crate::db::{DbConnection, on_backend};
use crate::domain::chat::{Event, Message, Person};
use crate::domain::handoff::Status;
use crate::domain::time;

/// How a message names `user`: with their chat handle, if they gave one.
pub fn person(conn: &mut DbConnection, user: &User) -> QueryResult<Person> {
    Ok(Person {
        name: user.name.clone(),
        handle: chat_handles::of(conn, &user.id)?,
        timezone: user.timezone.name().to_owned(),
    })
}

/// The user `id`, as a message names them.
pub fn person_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Person> {
    let user: User = users::table.filter(users::id.eq(id)).first(conn)?;
    person(conn, &user)
}

fn message(handoff: &Handoff, by: Option<Person>, at: DateTime<Utc>, event: Event) -> Message {
    Message {
        handoff_id: handoff.id.clone(),
        title: handoff.title.clone(),
        severity: handoff.severity.get(),
        confidential: handoff.confidential,
        by,
        at,
        excerpt: handoff.latest_note_excerpt.clone(),
        event,
    }
    .guarded()
}

/// A handoff was opened with `first` as its first note (a pass, or not).
pub fn opened(
    conn: &mut DbConnection,
    notify: &Notify,
    handoff: &Handoff,
    author: &User,
    first: &Note,
) -> QueryResult<()> {
    if !notify.is_on() {
        return Ok(());
    }
    let at = time::from_db(first.created_at);
    match &first.pass_to_id {
        Some(to) => {
            let event = Event::Passed {
                to: person_by_id(conn, to)?,
                opened: true,
            };
            let m = message(handoff, Some(person(conn, author)?), at, event);
            enqueue(
                conn,
                notify,
                &format!("pass:{}", first.id),
                Some(&first.id),
                &m,
            )
        }
        None => {
            let m = message(handoff, Some(person(conn, author)?), at, Event::Opened);
            enqueue(
                conn,
                notify,
                &format!("new:{}", handoff.id),
                Some(&first.id),
                &m,
            )
        }
    }
}

/// A note was added; a pass is told.
pub fn noted(
    conn: &mut DbConnection,
    notify: &Notify,
    handoff: &Handoff,
    author: &User,
    note: &Note,
) -> QueryResult<()> {
    let Some(to) = note.pass_to_id.as_deref().filter(|_| notify.is_on()) else {
        return Ok(());
    };
    let event = Event::Passed {
        to: person_by_id(conn, to)?,
        opened: false,
    };
    let at = time::from_db(note.created_at);
    let m = message(handoff, Some(person(conn, author)?), at, event);
    enqueue(
        conn,
        notify,
        &format!("pass:{}", note.id),
        Some(&note.id),
        &m,
    )
}

/// The pass of note `pass_note` (pending since `since`) was acknowledged
/// by `user` at `at`.
pub fn acknowledged(
    conn: &mut DbConnection,
    notify: &Notify,
    handoff: &Handoff,
    user: &User,
    pass_note: &str,
    since: DateTime<Utc>,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let event = Event::Acknowledged {
        waited_secs: (at - since).num_seconds().max(0),
    };
    let m = message(handoff, Some(person(conn, user)?), at, event);
    enqueue(
        conn,
        notify,
        &format!("ack:{pass_note}"),
        Some(pass_note),
        &m,
    )
}

/// The handoff was resolved by `author` with `note`.
pub fn resolved(
    conn: &mut DbConnection,
    notify: &Notify,
    handoff: &Handoff,
    author: &User,
    note: &Note,
) -> QueryResult<()> {
    let at = time::from_db(note.created_at);
    let m = message(handoff, Some(person(conn, author)?), at, Event::Resolved);
    enqueue(
        conn,
        notify,
        &format!("resolved:{}", handoff.id),
        Some(&note.id),
        &m,
    )
}

/// The `count`th escalation of the pass of note `pass_note`.
#[allow(clippy::too_many_arguments)]
pub fn escalated(
    conn: &mut DbConnection,
    notify: &Notify,
    handoff: &Handoff,
    pass_note: &str,
    event: Event,
    count: i32,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let m = message(handoff, None, at, event);
    enqueue(
        conn,
        notify,
        &format!("esc:{pass_note}:{count}"),
        Some(pass_note),
        &m,
    )
}

/// GitLab closed issue `project#iid` (`project` in lower case, as the
/// cache keeps it): one message for each open handoff that links it itself,
/// once per handoff and issue.
pub fn issue_closed(
    conn: &mut DbConnection,
    notify: &Notify,
    project: &str,
    iid: i64,
) -> QueryResult<()> {
    if !notify.is_on() {
        return Ok(());
    }
    let linking: Vec<(String, String)> = issue_links::table
        .filter(issue_links::iid.eq(iid))
        .filter(issue_links::note_id.is_null())
        .select((issue_links::handoff_id, issue_links::project))
        .load(conn)?;
    let ids: Vec<String> = linking
        .into_iter()
        .filter(|(_, p)| p.to_lowercase() == project)
        .map(|(h, _)| h)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let open: Vec<Handoff> = on_backend!(conn, |c| handoffs::table
        .filter(handoffs::id.eq_any(&ids))
        .filter(handoffs::status.eq(Status::Open))
        .load(c))?;
    let at = time::now();
    for handoff in &open {
        let event = Event::IssueClosed {
            issue: format!("{project}#{iid}"),
        };
        let m = message(handoff, None, at, event);
        let key = format!("closed:{}:{project}#{iid}", handoff.id);
        enqueue(conn, notify, &key, None, &m)?;
    }
    Ok(())
}

/// A test message from /admin/settings, by `user`.
pub fn test(conn: &mut DbConnection, notify: &Notify, user: &User) -> QueryResult<()> {
    let at = time::now();
    let m = Message {
        handoff_id: String::new(),
        title: String::new(),
        severity: 4,
        confidential: false,
        by: Some(person(conn, user)?),
        at,
        excerpt: String::new(),
        event: Event::Test,
    };
    let key = format!("test:{}", crate::db::models::new_id());
    enqueue(conn, notify, &key, None, &m)
}

/// Cover request `request_id` was taken: `taker` covers `requester` in
/// `role` for `[starts, ends)`; `by` did it (the taker, or an admin who
/// assigned it). Once per request.
#[allow(clippy::too_many_arguments)]
pub fn cover_taken(
    conn: &mut DbConnection,
    notify: &Notify,
    request_id: &str,
    requester: &User,
    taker: &User,
    by: &User,
    role: &str,
    (starts, ends): (DateTime<Utc>, DateTime<Utc>),
) -> QueryResult<()> {
    if !notify.is_on() {
        return Ok(());
    }
    let m = Message {
        handoff_id: String::new(),
        title: String::new(),
        severity: 4,
        confidential: false,
        by: Some(person(conn, by)?),
        at: time::now(),
        excerpt: String::new(),
        event: Event::CoverTaken {
            requester: person(conn, requester)?,
            taker: person(conn, taker)?,
            role: role.to_owned(),
            starts,
            ends,
            assigned: by.id != taker.id,
        },
    };
    enqueue(conn, notify, &format!("cover:{request_id}"), None, &m)
}
