//! Storing handoffs and notes. Every change is built as a [`Draft`] (the
//! rules live there) and stored by a [`Batch`]: one note from a form and a
//! million from `baton demo` take the same path. The functions below are
//! the application's writes, each one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::draft::{Draft, Finished, Rendered, excerpt_of};
use super::links::{self, dedup};
use super::prepared::{Lock, NoteAndStore, NoteIfAt, Store};
use super::query::{find, find_for_update};
use super::rows::{DataLoss, Handoff, IssueLink, NewHandoff, NewNote, Note};
use crate::db::models::outbox::{Notify, events};
use crate::db::models::users::User;
use crate::db::models::{Clock, Ids};
use crate::db::schema::{handoffs, issue_links, note_revisions, notes};
use crate::db::{DbConnection, on_backend};
use crate::domain::handoff::{Kind, Severity};
use crate::domain::issue_ref::{GitLab, IssueRef, find_refs};
use crate::domain::{markdown, time};
use crate::error::AppError;

/// Drafts written together, in as few statements as the backend allows:
/// new handoffs, then notes, then links (which refer to both), then the
/// changes to stored handoffs and notes. Runs in the caller's transaction.
#[derive(Debug, Default)]
pub struct Batch {
    new: Vec<Handoff>,
    changed: Vec<Handoff>,
    notes: Vec<Note>,
    links: Vec<IssueLink>,
    acknowledged: Vec<(String, NaiveDateTime)>,
}

impl Batch {
    /// An empty batch with room for `notes` notes (and as many links).
    pub fn with_capacity(notes: usize) -> Batch {
        Batch {
            notes: Vec::with_capacity(notes),
            links: Vec::with_capacity(notes),
            ..Batch::default()
        }
    }

    /// Adds a draft.
    pub fn push(&mut self, draft: Draft) {
        let Finished {
            handoff,
            new,
            notes,
            links,
            acknowledged,
        } = draft.finish();
        if new {
            self.new.push(handoff);
        } else {
            self.changed.push(handoff);
        }
        self.notes.extend(notes);
        self.links.extend(links);
        self.acknowledged.extend(acknowledged);
    }

    /// Handoffs added, new or changed.
    pub fn handoffs(&self) -> usize {
        self.new.len() + self.changed.len()
    }

    /// Notes added.
    pub fn notes(&self) -> usize {
        self.notes.len()
    }

    /// Issue links added.
    pub fn links(&self) -> usize {
        self.links.len()
    }

    /// The note `note_id` of a batch holding one change, with what it
    /// writes besides (see [`Written`]).
    fn written(&self, note_id: &str) -> Option<Written> {
        Some(Written {
            note: self.notes.iter().find(|n| n.id == note_id)?.clone(),
            links: self.links.clone(),
            handoff: self.new.iter().chain(&self.changed).next_back()?.clone(),
        })
    }

    /// The one note and the one stored handoff it changes, when the batch
    /// writes nothing else (no new handoff, link or acknowledgement).
    fn note_and_change(&self) -> Option<(&Note, &Handoff)> {
        match (
            &self.new[..],
            &self.notes[..],
            &self.links[..],
            &self.changed[..],
            &self.acknowledged[..],
        ) {
            ([], [note], [], [h], []) => Some((note, h)),
            _ => None,
        }
    }

    /// Writes everything.
    pub fn write(mut self, conn: &mut DbConnection) -> QueryResult<()> {
        // A note and its handoff's change (most writes): one round trip.
        if let (DbConnection::Postgresql(c), Some((note, h))) = (&mut *conn, self.note_and_change())
        {
            return NoteAndStore(note, Store(h)).execute(c).map(|_| ());
        }
        // In key order, an index grows at its end.
        self.notes.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        insert_rows!(conn, handoffs::table, &self.new[..], 1_000)?;
        insert_rows!(conn, notes::table, &self.notes[..], 2_000)?;
        insert_rows!(conn, issue_links::table, &self.links[..], 5_000)?;
        for h in &self.changed {
            on_backend!(&mut *conn, |c| Store(h).execute(c))?;
        }
        for (note_id, at) in &self.acknowledged {
            diesel::update(notes::table.filter(notes::id.eq(note_id)))
                .set(notes::acknowledged_at.eq(Some(*at)))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Writes one draft.
fn write(conn: &mut DbConnection, draft: Draft) -> QueryResult<()> {
    let mut batch = Batch::default();
    batch.push(draft);
    batch.write(conn)
}

/// A note as stored, with the issue links its change added and the
/// handoff as the change left it: what an answer about the note shows,
/// without reading it back.
#[derive(Debug, Clone)]
pub struct Written {
    /// The note.
    pub note: Note,
    /// The links the note's change added (the handoff's own and the note's).
    pub links: Vec<IssueLink>,
    /// The handoff, as stored.
    pub handoff: Handoff,
}

/// Opens a handoff held by `author`, with its first note (and pass); chat
/// is told in the same transaction.
pub fn create(
    conn: &mut DbConnection,
    author: &User,
    input: NewHandoff,
    gitlab: &GitLab,
    notify: &Notify,
) -> Result<Handoff, AppError> {
    let first = Rendered::of(&input.note.body, gitlab);
    let created = conn.transaction(|conn| {
        let draft = Draft::open(&mut Clock, &author.id, input, first, time::now())?;
        let id = draft.handoff().id.clone();
        write(conn, draft)?;
        let handoff = find(conn, &id)?;
        let first: Note = notes::table
            .filter(notes::handoff_id.eq(&id))
            .order(notes::id.asc())
            .first(conn)?;
        events::opened(conn, notify, &handoff, author, &first)?;
        Ok::<_, AppError>(handoff)
    })?;
    notify.bell.ring();
    Ok(created)
}

/// Takes the write lock on one handoff for the rest of the transaction and
/// reads it, so that concurrent changes queue instead of overwriting each
/// other: on PostgreSQL the row's lock, taken and read in one round trip
/// (`SELECT … FOR UPDATE`); on SQLite, which has no `FOR UPDATE`, the
/// database's write lock, taken by a no-op `UPDATE`.
fn lock(conn: &mut DbConnection, id: &str) -> Result<Handoff, AppError> {
    if let DbConnection::Postgresql(c) = conn {
        return find_for_update(c, id);
    }
    let locked = on_backend!(conn, |c| Lock(id).execute(c))?;
    if locked == 0 {
        return Err(AppError::NotFound("no such handoff".into()));
    }
    find(conn, id)
}

/// Locks a stored handoff and starts a draft of a change to it. `links`:
/// whether the change may link issues to the handoff itself, and so needs
/// the handoff's own links to add each once; a change that links none
/// (a resolve, an acknowledgement, a note naming no issue) skips reading them.
fn resume(conn: &mut DbConnection, id: &str, links: bool) -> Result<Draft, AppError> {
    let handoff = lock(conn, id)?;
    let own = if links {
        links::own_keys(conn, id)?
    } else {
        Vec::new()
    };
    Ok(Draft::resume(handoff, own)?)
}

/// Adds a note (and its pass) to an open handoff; a pass is told to chat
/// in the same transaction. `rendered` is the note's body rendered
/// ([`Rendered::of`]), which a caller does before it queues for SQLite's
/// single writer, so that the writer only writes.
pub fn add_note(
    conn: &mut DbConnection,
    handoff_id: &str,
    author: &User,
    note: NewNote,
    rendered: Rendered,
    notify: &Notify,
) -> Result<Written, AppError> {
    let quiet = note.pass_to.is_none() || !notify.is_on();
    let plain = note.issues.is_empty() && rendered.refs.is_empty();
    if quiet && plain && matches!(conn, DbConnection::Postgresql(_)) {
        let unlocked = add_note_unlocked(conn, handoff_id, author, note.clone(), rendered.clone())?;
        if let Some(written) = unlocked {
            notify.bell.ring();
            return Ok(written);
        }
    }
    let written = conn.transaction(|conn| {
        let mut draft = resume(conn, handoff_id, !note.issues.is_empty())?;
        let note_id = draft
            .note(&mut Clock, &author.id, note, rendered, time::now())?
            .id
            .clone();
        let mut batch = Batch::default();
        batch.push(draft);
        let written = batch
            .written(&note_id)
            .ok_or_else(|| AppError::internal("a note's change wrote no note"))?;
        batch.write(conn)?;
        if written.note.pass_to_id.is_some() && notify.is_on() {
            events::noted(conn, notify, &written.handoff, author, &written.note)?;
        }
        Ok::<_, AppError>(written)
    })?;
    notify.bell.ring();
    Ok(written)
}

/// [`add_note`] without a lock or a transaction, on PostgreSQL, for a note
/// that links no issue and tells chat nothing (most notes): the handoff is
/// read, the change drafted from it, and one statement stores both only if
/// the handoff is still at the version read ([`NoteIfAt`]); two round
/// trips instead of `BEGIN`, `SELECT … FOR UPDATE`, the write and `COMMIT`.
/// `None` when the handoff changed meanwhile (the caller writes it again
/// under the lock), or when the change writes more than a note and its
/// handoff.
fn add_note_unlocked(
    conn: &mut DbConnection,
    handoff_id: &str,
    author: &User,
    note: NewNote,
    rendered: Rendered,
) -> Result<Option<Written>, AppError> {
    let handoff = find(conn, handoff_id)?;
    let version = handoff.version;
    let mut draft = Draft::resume(handoff, Vec::new())?;
    let at = time::now();
    let note_id = draft
        .note(&mut Clock, &author.id, note, rendered, at)?
        .id
        .clone();
    let mut batch = Batch::default();
    batch.push(draft);
    let Some(written) = batch.written(&note_id) else {
        return Ok(None);
    };
    let (DbConnection::Postgresql(c), Some((note, h))) = (conn, batch.note_and_change()) else {
        return Ok(None);
    };
    let stored = NoteIfAt {
        note,
        store: Store(h),
        version,
    }
    .execute(c)?;
    Ok((stored == 1).then_some(written))
}

/// Resolves an open handoff with a closing note; a pending pass lapses.
/// Chat is told in the same transaction.
pub fn resolve(
    conn: &mut DbConnection,
    handoff_id: &str,
    author: &User,
    body: String,
    gitlab: &GitLab,
    notify: &Notify,
) -> Result<Note, AppError> {
    let rendered = Rendered::of(&body, gitlab);
    let written = conn.transaction(|conn| {
        let mut draft = resume(conn, handoff_id, false)?;
        let written = draft
            .resolve(&mut Clock, &author.id, body, rendered, time::now())?
            .clone();
        write(conn, draft)?;
        if notify.is_on() {
            let handoff = find(conn, handoff_id)?;
            events::resolved(conn, notify, &handoff, author, &written)?;
        }
        Ok::<_, AppError>(written)
    })?;
    notify.bell.ring();
    Ok(written)
}

/// The pending recipient takes the handoff: they become the holder. Chat
/// is told (with how long the pass waited) in the same transaction.
pub fn acknowledge(
    conn: &mut DbConnection,
    handoff_id: &str,
    user: &User,
    notify: &Notify,
) -> Result<Handoff, AppError> {
    let handoff = conn.transaction(|conn| {
        let mut draft = resume(conn, handoff_id, false)?;
        let before = find(conn, handoff_id)?;
        let at = time::now();
        draft.acknowledge(&user.id, at)?;
        write(conn, draft)?;
        let after = find(conn, handoff_id)?;
        if let (Some(note), Some(since)) = (&before.pending_note_id, before.pending_since) {
            let since = time::from_db(since);
            events::acknowledged(conn, notify, &after, user, note, since, at)?;
        }
        Ok::<_, AppError>(after)
    })?;
    notify.bell.ring();
    Ok(handoff)
}

/// A change to a handoff's details, made against a known version.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    /// The version the change was made against.
    pub version: i32,
    /// New title.
    pub title: Option<String>,
    /// New severity.
    pub severity: Option<Severity>,
    /// New set of the handoff's own issue links.
    pub issues: Option<Vec<IssueRef>>,
    /// New confidential flag.
    pub confidential: Option<bool>,
    /// New data-loss record (complete: the caller merges partial changes).
    pub data_loss: Option<DataLoss>,
}

/// Applies `patch` if the handoff is still at `patch.version` (see
/// [`Lifecycle::edit`](crate::domain::lifecycle::Lifecycle::edit)); else a
/// 409 and nothing changes.
pub fn update(
    conn: &mut DbConnection,
    handoff_id: &str,
    patch: Patch,
) -> Result<Handoff, AppError> {
    conn.transaction(|conn| {
        let handoff = lock(conn, handoff_id)?;
        let at = time::now();
        let mut lifecycle = handoff.lifecycle()?;
        lifecycle.edit(patch.version, at)?;
        if patch.data_loss.is_some() && handoff.kind != Kind::PerceivedDataLoss {
            return Err(AppError::invalid(
                "data_loss",
                "only a perceived_data_loss handoff has data-loss fields",
            ));
        }
        let target = handoffs::table.filter(handoffs::id.eq(handoff_id));
        diesel::update(target)
            .set((
                handoffs::title.eq(patch.title.unwrap_or(handoff.title)),
                handoffs::severity.eq(patch.severity.unwrap_or(handoff.severity)),
                handoffs::confidential.eq(patch.confidential.unwrap_or(handoff.confidential)),
                handoffs::updated_at.eq(time::to_db(lifecycle.updated_at())),
                handoffs::version.eq(lifecycle.version()),
            ))
            .execute(conn)?;
        if let Some(d) = patch.data_loss {
            diesel::update(target)
                .set((
                    handoffs::dl_scope.eq(d.scope),
                    handoffs::dl_recovery_point.eq(d.recovery_point),
                    handoffs::dl_verification.eq(Some(d.verification)),
                    handoffs::dl_customers_notified.eq(Some(d.customers_notified)),
                ))
                .execute(conn)?;
        }
        if let Some(issues) = patch.issues {
            links::delete(conn, handoff_id, None)?;
            let rows: Vec<IssueLink> = dedup(issues)
                .iter()
                .map(|issue| IssueLink::new(&mut Clock, handoff_id, None, issue, at))
                .collect();
            insert_rows!(conn, issue_links::table, &rows[..], 5_000)?;
        }
        find(conn, handoff_id)
    })
}

/// Replaces a note's text, keeping the earlier text as a revision. Only its
/// author may edit, and only while the handoff is open.
pub fn edit_note(
    conn: &mut DbConnection,
    handoff_id: &str,
    note_id: &str,
    author: &User,
    body: String,
    gitlab: &GitLab,
) -> Result<Note, AppError> {
    conn.transaction(|conn| {
        let handoff = lock(conn, handoff_id)?;
        let at = time::now();
        let mut lifecycle = handoff.lifecycle()?;
        lifecycle.edit_note(at)?;
        let note: Note = notes::table
            .filter(notes::id.eq(note_id))
            .filter(notes::handoff_id.eq(handoff_id))
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::NotFound("no such note".into()))?;
        if note.author_id != author.id {
            return Err(AppError::Forbidden(
                "only its author can edit a note".into(),
            ));
        }
        let now = time::to_db(at);
        diesel::insert_into(note_revisions::table)
            .values((
                note_revisions::id.eq(Clock.id_at(at)),
                note_revisions::note_id.eq(&note.id),
                note_revisions::body.eq(&note.body),
                note_revisions::created_at.eq(note.edited_at.unwrap_or(note.created_at)),
            ))
            .execute(conn)?;
        let html = markdown::render(&body, gitlab);
        diesel::update(notes::table.filter(notes::id.eq(&note.id)))
            .set((
                notes::body.eq(&body),
                notes::body_html.eq(&html),
                notes::edited_at.eq(Some(now)),
            ))
            .execute(conn)?;
        links::delete(conn, handoff_id, Some(&note.id))?;
        let rows: Vec<IssueLink> = dedup(find_refs(&body, gitlab))
            .iter()
            .map(|issue| IssueLink::new(&mut Clock, handoff_id, Some(&note.id), issue, at))
            .collect();
        insert_rows!(conn, issue_links::table, &rows[..], 5_000)?;
        let newest: Option<String> = notes::table
            .filter(notes::handoff_id.eq(handoff_id))
            .select(notes::id)
            .order(notes::id.desc())
            .first(conn)
            .optional()?;
        let target = handoffs::table.filter(handoffs::id.eq(handoff_id));
        if newest.as_deref() == Some(note.id.as_str()) {
            diesel::update(target)
                .set(handoffs::latest_note_excerpt.eq(excerpt_of(&body)))
                .execute(conn)?;
        }
        diesel::update(target)
            .set((
                handoffs::updated_at.eq(time::to_db(lifecycle.updated_at())),
                handoffs::version.eq(lifecycle.version()),
            ))
            .execute(conn)?;
        Ok(notes::table.filter(notes::id.eq(&note.id)).first(conn)?)
    })
}
