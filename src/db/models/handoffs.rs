//! Handoffs, their append-only notes and their GitLab issue links: the
//! tables that change together, always inside one transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::models::users::User;
use crate::db::schema::{handoffs, issue_links, note_revisions, notes};
use crate::db::{DbConnection, on_backend};
use crate::domain::handoff::{HandoffState, Kind, Severity, Status, Verification};
use crate::domain::issue_ref::{GitLab, IssueRef, find_refs};
use crate::domain::{markdown, time};
use crate::error::AppError;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// How long the dashboard excerpt of the newest note may be.
const EXCERPT_CHARS: usize = 160;

/// A handoff row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable)]
#[diesel(table_name = handoffs)]
pub struct Handoff {
    /// UUID v7.
    pub id: String,
    /// `outage` or `perceived_data_loss`.
    pub kind: String,
    /// One line.
    pub title: String,
    /// 1 to 4.
    pub severity: i32,
    /// `open` or `resolved`.
    pub status: String,
    /// Hidden from signed-out readers and chat unfurls.
    pub confidential: bool,
    /// The user responsible now.
    pub holder_id: String,
    /// The user a pending pass names.
    pub pending_to_id: Option<String>,
    /// When that pass was written.
    pub pending_since: Option<NaiveDateTime>,
    /// The note that made the pending pass.
    pub pending_note_id: Option<String>,
    /// Who opened it.
    pub created_by_id: String,
    /// Data loss: what data is affected.
    pub dl_scope: Option<String>,
    /// Data loss: the recovery point estimate.
    pub dl_recovery_point: Option<String>,
    /// Data loss: `unverified`, `confirmed` or `ruled_out`.
    pub dl_verification: Option<String>,
    /// Data loss: whether customers have been told.
    pub dl_customers_notified: Option<bool>,
    /// Plain-text start of the newest note.
    pub latest_note_excerpt: String,
    /// Opened.
    pub created_at: NaiveDateTime,
    /// Last changed in any way.
    pub updated_at: NaiveDateTime,
    /// Last note, pass or acknowledgement: the order of lists.
    pub last_activity_at: NaiveDateTime,
    /// Resolved.
    pub resolved_at: Option<NaiveDateTime>,
    /// Incremented by every change; a PATCH must name the current one.
    pub version: i32,
}

/// The data-loss record of a `perceived_data_loss` handoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataLoss {
    /// What data is affected.
    pub scope: Option<String>,
    /// The recovery point estimate, as people write it.
    pub recovery_point: Option<String>,
    /// Perceived until verified.
    pub verification: Verification,
    /// Whether customers have been told.
    pub customers_notified: bool,
}

impl DataLoss {
    /// A new, unverified record.
    pub fn unverified() -> DataLoss {
        DataLoss {
            scope: None,
            recovery_point: None,
            verification: Verification::Unverified,
            customers_notified: false,
        }
    }
}

impl Handoff {
    /// The kind; stored values are always valid.
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Outage)
    }

    /// Open or resolved.
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Open)
    }

    /// The severity.
    pub fn severity(&self) -> Severity {
        Severity::new(self.severity.into()).unwrap_or(Severity::ALL[3])
    }

    /// What the state rules look at.
    pub fn state(&self) -> HandoffState<'_> {
        HandoffState {
            status: self.status(),
            holder_id: &self.holder_id,
            pending_to_id: self.pending_to_id.as_deref(),
        }
    }

    /// The data-loss record, for that kind only.
    pub fn data_loss(&self) -> Option<DataLoss> {
        (self.kind() == Kind::PerceivedDataLoss).then(|| DataLoss {
            scope: self.dl_scope.clone(),
            recovery_point: self.dl_recovery_point.clone(),
            verification: self
                .dl_verification
                .as_deref()
                .and_then(|v| Verification::parse(v).ok())
                .unwrap_or(Verification::Unverified),
            customers_notified: self.dl_customers_notified.unwrap_or(false),
        })
    }

    /// When it was opened.
    pub fn created(&self) -> DateTime<Utc> {
        time::from_db(self.created_at)
    }

    /// The end of its carried life: resolution, or `now` while open.
    pub fn carried_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.resolved_at.map(time::from_db).unwrap_or(now)
    }
}

/// A note row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Identifiable)]
#[diesel(table_name = notes)]
pub struct Note {
    /// UUID v7: notes sort by id in the order they were written.
    pub id: String,
    /// The handoff.
    pub handoff_id: String,
    /// Who wrote it.
    pub author_id: String,
    /// Markdown as written (the latest edit).
    pub body: String,
    /// Sanitized HTML of `body`.
    pub body_html: String,
    /// The user this note passed the handoff to.
    pub pass_to_id: Option<String>,
    /// When that user acknowledged the pass.
    pub acknowledged_at: Option<NaiveDateTime>,
    /// The closing note of a resolution.
    pub resolves: bool,
    /// Written.
    pub created_at: NaiveDateTime,
    /// Last edited; earlier texts are in `note_revisions`.
    pub edited_at: Option<NaiveDateTime>,
}

/// A GitLab issue link row: on the handoff (`note_id` empty) or on one note.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
#[diesel(table_name = issue_links)]
pub struct IssueLink {
    /// Row id.
    pub id: String,
    /// The handoff.
    pub handoff_id: String,
    /// The note, for references made by a note.
    pub note_id: Option<String>,
    /// Project path.
    pub project: String,
    /// Issue number.
    pub iid: i64,
}

impl IssueLink {
    /// The reference; rows were written from parsed references.
    pub fn issue_ref(&self) -> Option<IssueRef> {
        IssueRef::new(&self.project, u64::try_from(self.iid).ok()?).ok()
    }
}

/// What opening a handoff needs; every value has been parsed.
#[derive(Debug, Clone)]
pub struct NewHandoff {
    /// Kind.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Confidential.
    pub confidential: bool,
    /// Linked issues.
    pub issues: Vec<IssueRef>,
    /// For `perceived_data_loss` only.
    pub data_loss: Option<DataLoss>,
    /// The first note.
    pub note: NewNote,
}

/// A note to add; every value has been parsed.
#[derive(Debug, Clone, Default)]
pub struct NewNote {
    /// Markdown.
    pub body: String,
    /// Pass the handoff to this user.
    pub pass_to: Option<User>,
    /// Issues this note links explicitly (also linked to the handoff).
    pub issues: Vec<IssueRef>,
}

/// Opens a handoff held by `author`, with its first note (and pass).
pub fn create(
    conn: &mut DbConnection,
    author: &User,
    input: NewHandoff,
    gitlab: &GitLab,
) -> Result<Handoff, AppError> {
    conn.transaction(|conn| {
        let now = time::to_db(time::now());
        let id = super::new_id();
        let data_loss = match input.kind {
            Kind::PerceivedDataLoss => Some(input.data_loss.unwrap_or_else(DataLoss::unverified)),
            Kind::Outage => None,
        };
        diesel::insert_into(handoffs::table)
            .values((
                handoffs::id.eq(&id),
                handoffs::kind.eq(input.kind.as_str()),
                handoffs::title.eq(&input.title),
                handoffs::severity.eq(input.severity.get()),
                handoffs::status.eq(Status::Open.as_str()),
                handoffs::confidential.eq(input.confidential),
                handoffs::holder_id.eq(&author.id),
                handoffs::created_by_id.eq(&author.id),
                handoffs::dl_scope.eq(data_loss.as_ref().and_then(|d| d.scope.clone())),
                handoffs::dl_recovery_point
                    .eq(data_loss.as_ref().and_then(|d| d.recovery_point.clone())),
                handoffs::dl_verification.eq(data_loss.as_ref().map(|d| d.verification.as_str())),
                handoffs::dl_customers_notified
                    .eq(data_loss.as_ref().map(|d| d.customers_notified)),
                handoffs::created_at.eq(now),
                handoffs::updated_at.eq(now),
                handoffs::last_activity_at.eq(now),
                handoffs::version.eq(0),
            ))
            .execute(conn)?;
        for issue in dedup(input.issues) {
            insert_link(conn, &id, None, &issue)?;
        }
        add_note_locked(conn, &id, author, input.note, false, gitlab)?;
        find(conn, &id)
    })
}

fn dedup(mut issues: Vec<IssueRef>) -> Vec<IssueRef> {
    let mut seen = std::collections::HashSet::new();
    issues.retain(|i| seen.insert(i.clone()));
    issues
}

fn insert_link(
    conn: &mut DbConnection,
    handoff_id: &str,
    note_id: Option<&str>,
    issue: &IssueRef,
) -> QueryResult<()> {
    diesel::insert_into(issue_links::table)
        .values((
            issue_links::id.eq(super::new_id()),
            issue_links::handoff_id.eq(handoff_id),
            issue_links::note_id.eq(note_id),
            issue_links::project.eq(issue.project()),
            issue_links::iid.eq(i64::try_from(issue.iid()).unwrap_or(i64::MAX)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The handoff with this id, or a 404.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Handoff, AppError> {
    // No LIMIT: the id is the key, and SQLite re-prepares a statement each
    // time a bound LIMIT is bound again; without one it stays prepared.
    let rows: Vec<Handoff> = on_backend!(conn, |c| handoffs::table
        .filter(handoffs::id.eq(id))
        .load(c))?;
    rows.into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound("no such handoff".into()))
}

/// Takes the write lock on one handoff for the rest of the transaction (a
/// row lock on PostgreSQL, the write lock on SQLite) and reads it, so that
/// concurrent changes queue instead of overwriting each other.
fn lock(conn: &mut DbConnection, id: &str) -> Result<Handoff, AppError> {
    let locked = diesel::update(handoffs::table.filter(handoffs::id.eq(id)))
        .set(handoffs::version.eq(handoffs::version))
        .execute(conn)?;
    if locked == 0 {
        return Err(AppError::NotFound("no such handoff".into()));
    }
    find(conn, id)
}

/// The notes of a handoff, oldest first.
pub fn notes_of(conn: &mut DbConnection, handoff_id: &str) -> QueryResult<Vec<Note>> {
    on_backend!(conn, |c| notes::table
        .filter(notes::handoff_id.eq(handoff_id))
        .order(notes::id.asc())
        .load(c))
}

/// The earlier texts of a note, oldest first.
pub fn revisions_of(
    conn: &mut DbConnection,
    note_ids: &[&str],
) -> QueryResult<HashMap<String, Vec<(String, NaiveDateTime)>>> {
    let rows: Vec<(String, String, NaiveDateTime)> = on_backend!(conn, |c| note_revisions::table
        .filter(note_revisions::note_id.eq_any(note_ids))
        .order(note_revisions::id.asc())
        .select((
            note_revisions::note_id,
            note_revisions::body,
            note_revisions::created_at,
        ))
        .load(c))?;
    let mut by_note: HashMap<String, Vec<(String, NaiveDateTime)>> = HashMap::new();
    for (note_id, body, at) in rows {
        by_note.entry(note_id).or_default().push((body, at));
    }
    Ok(by_note)
}

/// Every issue link of these handoffs (their own and their notes'), by handoff, in one query.
pub fn links_of(
    conn: &mut DbConnection,
    handoff_ids: &[&str],
) -> QueryResult<HashMap<String, Vec<IssueLink>>> {
    if handoff_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<IssueLink> = match handoff_ids {
        // One handoff (its page): `=` makes a statement that stays prepared;
        // `IN (…)` is prepared anew for every call.
        [one] => on_backend!(conn, |c| issue_links::table
            .filter(issue_links::handoff_id.eq(one))
            .order(issue_links::id.asc())
            .load(c))?,
        _ => on_backend!(conn, |c| issue_links::table
            .filter(issue_links::handoff_id.eq_any(handoff_ids))
            .order(issue_links::id.asc())
            .load(c))?,
    };
    Ok(by_handoff(rows))
}

/// The handoffs' own issue links (not those their notes make), by handoff,
/// in one query: what lists and the dashboard show.
pub fn own_links_of(
    conn: &mut DbConnection,
    handoff_ids: &[&str],
) -> QueryResult<HashMap<String, Vec<IssueLink>>> {
    if handoff_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<IssueLink> = on_backend!(conn, |c| issue_links::table
        .filter(issue_links::handoff_id.eq_any(handoff_ids))
        .filter(issue_links::note_id.is_null())
        .order(issue_links::id.asc())
        .load(c))?;
    Ok(by_handoff(rows))
}

/// The own issue links (not their notes') of every open handoff, by
/// handoff: what the dashboard shows, in one statement that stays prepared.
pub fn own_links_of_open(conn: &mut DbConnection) -> QueryResult<HashMap<String, Vec<IssueLink>>> {
    let rows: Vec<IssueLink> = on_backend!(conn, |c| issue_links::table
        .inner_join(handoffs::table)
        .filter(handoffs::status.eq(Status::Open.as_str()))
        .filter(issue_links::note_id.is_null())
        .order(issue_links::id.asc())
        .select(issue_links::all_columns)
        .load(c))?;
    Ok(by_handoff(rows))
}

/// Issue links grouped by their handoff, in their order.
fn by_handoff(rows: Vec<IssueLink>) -> HashMap<String, Vec<IssueLink>> {
    let mut grouped: HashMap<String, Vec<IssueLink>> = HashMap::new();
    for row in rows {
        grouped.entry(row.handoff_id.clone()).or_default().push(row);
    }
    grouped
}

/// Adds a note (and its pass) to an open handoff.
pub fn add_note(
    conn: &mut DbConnection,
    handoff_id: &str,
    author: &User,
    note: NewNote,
    gitlab: &GitLab,
) -> Result<Note, AppError> {
    conn.transaction(|conn| {
        let handoff = lock(conn, handoff_id)?;
        handoff
            .state()
            .check_note(note.pass_to.as_ref().map(|u| u.id.as_str()))?;
        add_note_locked(conn, handoff_id, author, note, false, gitlab)
    })
}

/// Resolves an open handoff with a closing note; a pending pass lapses.
pub fn resolve(
    conn: &mut DbConnection,
    handoff_id: &str,
    author: &User,
    body: String,
    gitlab: &GitLab,
) -> Result<Note, AppError> {
    conn.transaction(|conn| {
        let handoff = lock(conn, handoff_id)?;
        handoff.state().check_resolve()?;
        let note = NewNote {
            body,
            ..NewNote::default()
        };
        add_note_locked(conn, handoff_id, author, note, true, gitlab)
    })
}

/// Writes a note inside a transaction that holds the handoff's lock.
fn add_note_locked(
    conn: &mut DbConnection,
    handoff_id: &str,
    author: &User,
    note: NewNote,
    resolves: bool,
    gitlab: &GitLab,
) -> Result<Note, AppError> {
    let now = time::to_db(time::now());
    let handoff = find(conn, handoff_id)?;
    let row = Note {
        id: super::new_id(),
        handoff_id: handoff_id.to_owned(),
        author_id: author.id.clone(),
        body_html: markdown::render(&note.body, gitlab),
        body: note.body,
        pass_to_id: note.pass_to.as_ref().map(|u| u.id.clone()),
        acknowledged_at: None,
        resolves,
        created_at: now,
        edited_at: None,
    };
    diesel::insert_into(notes::table)
        .values((
            notes::id.eq(&row.id),
            notes::handoff_id.eq(&row.handoff_id),
            notes::author_id.eq(&row.author_id),
            notes::body.eq(&row.body),
            notes::body_html.eq(&row.body_html),
            notes::pass_to_id.eq(&row.pass_to_id),
            notes::resolves.eq(resolves),
            notes::created_at.eq(now),
        ))
        .execute(conn)?;

    let existing: Vec<(String, i64)> = issue_links::table
        .filter(issue_links::handoff_id.eq(handoff_id))
        .filter(issue_links::note_id.is_null())
        .select((issue_links::project, issue_links::iid))
        .load(conn)?;
    let explicit = dedup(note.issues);
    for issue in &explicit {
        let key = (issue.project().to_owned(), issue.iid() as i64);
        if !existing.contains(&key) {
            insert_link(conn, handoff_id, None, issue)?;
        }
    }
    let mut note_refs = explicit;
    note_refs.extend(find_refs(&row.body, gitlab));
    for issue in dedup(note_refs) {
        insert_link(conn, handoff_id, Some(&row.id), &issue)?;
    }

    let excerpt = markdown::excerpt(&row.body, EXCERPT_CHARS);
    let common = (
        handoffs::latest_note_excerpt.eq(excerpt),
        handoffs::updated_at.eq(now),
        handoffs::last_activity_at.eq(now),
        handoffs::version.eq(handoffs::version + 1),
    );
    let target = handoffs::table.filter(handoffs::id.eq(handoff_id));
    if resolves {
        diesel::update(target)
            .set((
                common,
                handoffs::status.eq(Status::Resolved.as_str()),
                handoffs::resolved_at.eq(Some(now)),
                handoffs::pending_to_id.eq(None::<String>),
                handoffs::pending_since.eq(None::<NaiveDateTime>),
                handoffs::pending_note_id.eq(None::<String>),
            ))
            .execute(conn)?;
    } else if let Some(to) = &row.pass_to_id {
        let cancels = *to == handoff.holder_id;
        diesel::update(target)
            .set((
                common,
                handoffs::pending_to_id.eq((!cancels).then(|| to.clone())),
                handoffs::pending_since.eq((!cancels).then_some(now)),
                handoffs::pending_note_id.eq((!cancels).then(|| row.id.clone())),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target).set(common).execute(conn)?;
    }
    Ok(row)
}

/// The pending recipient takes the handoff: they become the holder.
pub fn acknowledge(
    conn: &mut DbConnection,
    handoff_id: &str,
    user: &User,
) -> Result<Handoff, AppError> {
    conn.transaction(|conn| {
        let handoff = lock(conn, handoff_id)?;
        handoff.state().check_acknowledge(&user.id)?;
        let now = time::to_db(time::now());
        if let Some(note_id) = &handoff.pending_note_id {
            diesel::update(notes::table.filter(notes::id.eq(note_id)))
                .set(notes::acknowledged_at.eq(Some(now)))
                .execute(conn)?;
        }
        diesel::update(handoffs::table.filter(handoffs::id.eq(handoff_id)))
            .set((
                handoffs::holder_id.eq(&user.id),
                handoffs::pending_to_id.eq(None::<String>),
                handoffs::pending_since.eq(None::<NaiveDateTime>),
                handoffs::pending_note_id.eq(None::<String>),
                handoffs::updated_at.eq(now),
                handoffs::last_activity_at.eq(now),
                handoffs::version.eq(handoffs::version + 1),
            ))
            .execute(conn)?;
        find(conn, handoff_id)
    })
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

/// Applies `patch` if the handoff is still at `patch.version`; else a 409
/// and nothing changes.
pub fn update(
    conn: &mut DbConnection,
    handoff_id: &str,
    patch: Patch,
) -> Result<Handoff, AppError> {
    conn.transaction(|conn| {
        let handoff = lock(conn, handoff_id)?;
        if handoff.version != patch.version {
            return Err(AppError::Conflict(format!(
                "version {} is stale: the handoff has changed since (now version {}); reload and try again",
                patch.version, handoff.version
            )));
        }
        if patch.data_loss.is_some() && handoff.kind() != Kind::PerceivedDataLoss {
            return Err(AppError::invalid(
                "data_loss",
                "only a perceived_data_loss handoff has data-loss fields",
            ));
        }
        let now = time::to_db(time::now());
        let target = handoffs::table.filter(handoffs::id.eq(handoff_id));
        diesel::update(target)
            .set((
                handoffs::title.eq(patch.title.unwrap_or(handoff.title)),
                handoffs::severity.eq(patch.severity.map(Severity::get).unwrap_or(handoff.severity)),
                handoffs::confidential.eq(patch.confidential.unwrap_or(handoff.confidential)),
                handoffs::updated_at.eq(now),
                handoffs::version.eq(handoffs::version + 1),
            ))
            .execute(conn)?;
        if let Some(d) = patch.data_loss {
            diesel::update(target)
                .set((
                    handoffs::dl_scope.eq(d.scope),
                    handoffs::dl_recovery_point.eq(d.recovery_point),
                    handoffs::dl_verification.eq(Some(d.verification.as_str())),
                    handoffs::dl_customers_notified.eq(Some(d.customers_notified)),
                ))
                .execute(conn)?;
        }
        if let Some(issues) = patch.issues {
            diesel::delete(
                issue_links::table
                    .filter(issue_links::handoff_id.eq(handoff_id))
                    .filter(issue_links::note_id.is_null()),
            )
            .execute(conn)?;
            for issue in dedup(issues) {
                insert_link(conn, handoff_id, None, &issue)?;
            }
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
        if handoff.status() == Status::Resolved {
            return Err(AppError::Conflict(
                "this handoff is resolved; its notes are final".into(),
            ));
        }
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
        let now = time::to_db(time::now());
        diesel::insert_into(note_revisions::table)
            .values((
                note_revisions::id.eq(super::new_id()),
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
        diesel::delete(issue_links::table.filter(issue_links::note_id.eq(&note.id)))
            .execute(conn)?;
        for issue in dedup(find_refs(&body, gitlab)) {
            insert_link(conn, handoff_id, Some(&note.id), &issue)?;
        }
        let newest: Option<String> = notes::table
            .filter(notes::handoff_id.eq(handoff_id))
            .select(notes::id)
            .order(notes::id.desc())
            .first(conn)
            .optional()?;
        let target = handoffs::table.filter(handoffs::id.eq(handoff_id));
        if newest.as_deref() == Some(note.id.as_str()) {
            diesel::update(target)
                .set(handoffs::latest_note_excerpt.eq(markdown::excerpt(&body, EXCERPT_CHARS)))
                .execute(conn)?;
        }
        diesel::update(target)
            .set((
                handoffs::updated_at.eq(now),
                handoffs::version.eq(handoffs::version + 1),
            ))
            .execute(conn)?;
        Ok(notes::table.filter(notes::id.eq(&note.id)).first(conn)?)
    })
}

/// Which handoffs a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// `None` for all.
    pub status: Option<Status>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only handoffs linking this issue (on the handoff or in a note).
    pub issue: Option<IssueRef>,
    /// Only handoffs held by this user id.
    pub holder_id: Option<String>,
    /// Only handoffs whose title or notes contain this text (any case).
    pub text: Option<String>,
    /// Continue after this (last_activity_at, id).
    pub after: Option<(NaiveDateTime, String)>,
    /// At most this many.
    pub limit: i64,
}

/// Handoffs matching `filter`, newest activity first.
pub fn list(conn: &mut DbConnection, filter: &ListFilter) -> QueryResult<Vec<Handoff>> {
    let mut query = handoffs::table.into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(handoffs::status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(handoffs::kind.eq(kind.as_str()));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(handoffs::severity.eq(severity.get()));
    }
    if let Some(holder) = &filter.holder_id {
        query = query.filter(handoffs::holder_id.eq(holder.clone()));
    }
    if let Some(issue) = &filter.issue {
        let linked = issue_links::table
            .filter(issue_links::project.eq(issue.project().to_owned()))
            .filter(issue_links::iid.eq(issue.iid() as i64))
            .select(issue_links::handoff_id);
        query = query.filter(handoffs::id.eq_any(linked));
    }
    if let Some(text) = &filter.text {
        let pattern = format!(
            "%{}%",
            text.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let in_notes = notes::table
            .filter(lower(notes::body).like(pattern.clone()).escape('\\'))
            .select(notes::handoff_id);
        query = query.filter(
            lower(handoffs::title)
                .like(pattern)
                .escape('\\')
                .or(handoffs::id.eq_any(in_notes)),
        );
    }
    if let Some((at, id)) = &filter.after {
        query = query.filter(
            handoffs::last_activity_at
                .lt(*at)
                .or(handoffs::last_activity_at
                    .eq(*at)
                    .and(handoffs::id.lt(id.clone()))),
        );
    }
    query
        .order((handoffs::last_activity_at.desc(), handoffs::id.desc()))
        .limit(filter.limit)
        .load(conn)
}

/// Every open handoff (the dashboard and the handover read them all).
pub fn list_open(conn: &mut DbConnection) -> QueryResult<Vec<Handoff>> {
    on_backend!(conn, |c| handoffs::table
        .filter(handoffs::status.eq(Status::Open.as_str()))
        .order((handoffs::last_activity_at.desc(), handoffs::id.desc()))
        .load(c))
}

/// Open handoffs held by `user_id`, newest activity first.
pub fn list_held_by(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<Handoff>> {
    on_backend!(conn, |c| handoffs::table
        .filter(handoffs::status.eq(Status::Open.as_str()))
        .filter(handoffs::holder_id.eq(user_id))
        .order((handoffs::last_activity_at.desc(), handoffs::id.desc()))
        .load(c))
}

/// A note as the dashboard's "since your last shift" list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct NoteActivity {
    /// The handoff.
    pub handoff_id: String,
    /// Who wrote it.
    pub author_id: String,
    /// Whom it passed the handoff to.
    pub pass_to_id: Option<String>,
    /// The closing note of a resolution.
    pub resolves: bool,
    /// Written.
    pub created_at: NaiveDateTime,
    /// The handoff's title.
    pub title: String,
    /// The handoff's confidential flag.
    pub confidential: bool,
}

/// Notes written since `since` (newest first, at most `limit`), with their
/// handoff's title: only the columns the list shows (not the bodies).
pub fn notes_since(
    conn: &mut DbConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<NoteActivity>> {
    on_backend!(conn, |c| notes::table
        .inner_join(handoffs::table)
        .filter(notes::created_at.gt(time::to_db(since)))
        .order(notes::created_at.desc())
        .limit(limit)
        .select((
            notes::handoff_id,
            notes::author_id,
            notes::pass_to_id,
            notes::resolves,
            notes::created_at,
            handoffs::title,
            handoffs::confidential,
        ))
        .load(c))
}
