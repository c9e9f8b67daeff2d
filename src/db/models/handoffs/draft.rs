//! A change to a handoff built in memory: each row's id from its time, the
//! excerpt, the issue links, and the handoff's state as its [`Lifecycle`]
//! leaves it (status, holder, pending pass, version). The only place those
//! are computed: the application's writes and `baton demo` both build their
//! rows here and store them with a `Batch` (`write.rs`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::QueryResult;

use super::links::{dedup, key};
use super::rows::{DataLoss, Handoff, IssueLink, NewHandoff, NewNote, Note};
use crate::db::models::Ids;
use crate::domain::handoff::{Kind, Status};
use crate::domain::issue_ref::{GitLab, IssueRef, find_refs};
use crate::domain::lifecycle::Lifecycle;
use crate::domain::rejection::Rejection;
use crate::domain::{markdown, time};

/// How long the dashboard excerpt of the newest note may be.
const EXCERPT_CHARS: usize = 160;

/// The dashboard excerpt of a note's text.
pub(super) fn excerpt_of(body: &str) -> String {
    markdown::excerpt(body, EXCERPT_CHARS)
}

/// What a note's Markdown shows and links. It depends on the text alone,
/// so a writer that uses one text many times (the demo) renders it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitized HTML of the text.
    pub html: String,
    /// The issues the text refers to, without repeats.
    pub refs: Vec<IssueRef>,
}

impl Rendered {
    /// Renders `body` as pages show it and finds the issues it refers to.
    pub fn of(body: &str, gitlab: &GitLab) -> Rendered {
        Rendered {
            html: markdown::render(body, gitlab),
            refs: find_refs(body, gitlab),
        }
    }
}

/// One handoff and the rows a change to it adds, built in memory by the
/// handoff's rules; nothing is stored until it goes through a `Batch`.
/// Every change goes through the handoff's [`Lifecycle`], which refuses
/// what its rules do not allow (the draft is then unchanged) and whose
/// state the draft copies into the row.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The handoff as the change leaves it (its excerpt is brought up to
    /// date when the draft joins a batch).
    handoff: Handoff,
    /// The handoff's state, which `handoff` follows.
    lifecycle: Lifecycle,
    /// Whether `handoff` is a new row; else its stored row changes.
    new: bool,
    /// The handoff's own links, stored and added, so that each is added once.
    own: Vec<(String, i64)>,
    /// New notes, oldest first.
    notes: Vec<Note>,
    /// New issue links.
    links: Vec<IssueLink>,
    /// Stored notes whose pass was acknowledged, with when.
    acknowledged: Vec<(String, NaiveDateTime)>,
}

/// A note to add to a draft.
struct Entry {
    author_id: String,
    body: String,
    rendered: Rendered,
    pass_to_id: Option<String>,
    issues: Vec<IssueRef>,
    resolves: bool,
}

impl Draft {
    /// Opens a handoff at `at`, held by its author, with its own issue
    /// links and its first note (`first` is that note's text rendered),
    /// which may pass it to someone else at once.
    pub fn open(
        ids: &mut impl Ids,
        author_id: &str,
        input: NewHandoff,
        first: Rendered,
        at: DateTime<Utc>,
    ) -> Result<Draft, Rejection> {
        let now = time::to_db(at);
        let data_loss = match input.kind {
            Kind::PerceivedDataLoss => Some(input.data_loss.unwrap_or_else(DataLoss::unverified)),
            Kind::Outage => None,
        };
        let id = ids.id_at(at);
        let mut own = Vec::new();
        let mut links = Vec::new();
        for issue in dedup(input.issues) {
            own.push(key(&issue));
            links.push(IssueLink::new(ids, &id, None, &issue, at));
        }
        let note_id = ids.id_at(at);
        let pass_to_id = input.note.pass_to.map(|u| u.id);
        let lifecycle = Lifecycle::open(author_id, &note_id, pass_to_id.as_deref(), at)?;
        let handoff = Handoff {
            id,
            kind: input.kind,
            title: input.title,
            severity: input.severity,
            status: Status::Open,
            confidential: input.confidential,
            holder_id: author_id.to_owned(),
            pending_to_id: None,
            pending_since: None,
            pending_note_id: None,
            created_by_id: author_id.to_owned(),
            dl_scope: data_loss.as_ref().and_then(|d| d.scope.clone()),
            dl_recovery_point: data_loss.as_ref().and_then(|d| d.recovery_point.clone()),
            dl_verification: data_loss.as_ref().map(|d| d.verification),
            dl_customers_notified: data_loss.as_ref().map(|d| d.customers_notified),
            latest_note_excerpt: String::new(),
            created_at: now,
            updated_at: now,
            last_activity_at: now,
            resolved_at: None,
            version: 0,
        };
        let mut draft = Draft {
            handoff,
            lifecycle,
            new: true,
            own,
            notes: Vec::new(),
            links,
            acknowledged: Vec::new(),
        };
        let entry = Entry {
            author_id: author_id.to_owned(),
            body: input.note.body,
            rendered: first,
            pass_to_id,
            issues: input.note.issues,
            resolves: false,
        };
        draft.add(ids, note_id, entry, at);
        Ok(draft)
    }

    /// Continues from a stored handoff, locked by the caller, whose own
    /// links are `own`.
    pub(super) fn resume(handoff: Handoff, own: Vec<(String, i64)>) -> QueryResult<Draft> {
        Ok(Draft {
            lifecycle: handoff.lifecycle()?,
            handoff,
            new: false,
            own,
            notes: Vec::new(),
            links: Vec::new(),
            acknowledged: Vec::new(),
        })
    }

    /// Makes room for `notes` more notes (and as many links), for a writer
    /// that knows how many it will add.
    pub fn reserve(&mut self, notes: usize) {
        self.notes.reserve(notes);
        self.links.reserve(notes);
    }

    /// The handoff as the change leaves it so far.
    pub fn handoff(&self) -> &Handoff {
        &self.handoff
    }

    /// Adds a note by `author_id` at `at` (`rendered` is its text
    /// rendered), if the handoff takes it (see [`Lifecycle::note`]). A
    /// pass to someone other than the holder becomes the pending pass; a
    /// pass back to the holder cancels a pending one.
    pub fn note(
        &mut self,
        ids: &mut impl Ids,
        author_id: &str,
        note: NewNote,
        rendered: Rendered,
        at: DateTime<Utc>,
    ) -> Result<&Note, Rejection> {
        let note_id = ids.id_at(at);
        let pass_to_id = note.pass_to.map(|u| u.id);
        self.lifecycle.note(&note_id, pass_to_id.as_deref(), at)?;
        let entry = Entry {
            author_id: author_id.to_owned(),
            body: note.body,
            rendered,
            pass_to_id,
            issues: note.issues,
            resolves: false,
        };
        Ok(self.add(ids, note_id, entry, at))
    }

    /// Resolves the handoff with a closing note by `author_id` at `at`, if
    /// it is open; a pending pass lapses.
    pub fn resolve(
        &mut self,
        ids: &mut impl Ids,
        author_id: &str,
        body: String,
        rendered: Rendered,
        at: DateTime<Utc>,
    ) -> Result<&Note, Rejection> {
        let note_id = ids.id_at(at);
        self.lifecycle.resolve(at)?;
        let entry = Entry {
            author_id: author_id.to_owned(),
            body,
            rendered,
            pass_to_id: None,
            issues: Vec::new(),
            resolves: true,
        };
        Ok(self.add(ids, note_id, entry, at))
    }

    /// `user_id` takes the handoff at `at`, if the pending pass names them:
    /// they become the holder and the passing note records when.
    pub fn acknowledge(&mut self, user_id: &str, at: DateTime<Utc>) -> Result<(), Rejection> {
        let pass = self.lifecycle.acknowledge(user_id, at)?;
        let now = time::to_db(at);
        match self.notes.iter_mut().find(|n| n.id == pass.note_id) {
            Some(note) => note.acknowledged_at = Some(now),
            None => self.acknowledged.push((pass.note_id, now)),
        }
        self.handoff.follow(&self.lifecycle);
        Ok(())
    }

    /// Links `issue` to the handoff itself, once.
    fn link_own(&mut self, ids: &mut impl Ids, issue: &IssueRef, at: DateTime<Utc>) {
        self.own.push(key(issue));
        let link = IssueLink::new(ids, &self.handoff.id, None, issue, at);
        self.links.push(link);
    }

    /// Writes a note `id` whose change the lifecycle has taken: its row,
    /// its links, and the handoff's state.
    fn add(&mut self, ids: &mut impl Ids, id: String, entry: Entry, at: DateTime<Utc>) -> &Note {
        let note = Note {
            id,
            handoff_id: self.handoff.id.clone(),
            author_id: entry.author_id,
            body: entry.body,
            body_html: entry.rendered.html,
            pass_to_id: entry.pass_to_id,
            acknowledged_at: None,
            resolves: entry.resolves,
            created_at: time::to_db(at),
            edited_at: None,
        };
        // The issues a note names explicitly are the handoff's too; all it
        // names or mentions are the note's.
        let explicit = dedup(entry.issues);
        for issue in &explicit {
            if !self.own.contains(&key(issue)) {
                self.link_own(ids, issue, at);
            }
        }
        let mut mentioned = explicit;
        mentioned.extend(entry.rendered.refs);
        for issue in dedup(mentioned) {
            let link = IssueLink::new(ids, &self.handoff.id, Some(&note.id), &issue, at);
            self.links.push(link);
        }
        self.handoff.follow(&self.lifecycle);
        let index = self.notes.len();
        self.notes.push(note);
        &self.notes[index]
    }

    /// The rows to store: the handoff (with the excerpt of its newest note,
    /// if the change added one), whether it is new, the new notes and
    /// links, and the stored notes whose pass was acknowledged.
    pub(super) fn finish(self) -> Finished {
        let mut handoff = self.handoff;
        if let Some(newest) = self.notes.last() {
            handoff.latest_note_excerpt = excerpt_of(&newest.body);
        }
        Finished {
            handoff,
            new: self.new,
            notes: self.notes,
            links: self.links,
            acknowledged: self.acknowledged,
        }
    }
}

/// What a finished [`Draft`] stores.
pub(super) struct Finished {
    pub(super) handoff: Handoff,
    pub(super) new: bool,
    pub(super) notes: Vec<Note>,
    pub(super) links: Vec<IssueLink>,
    pub(super) acknowledged: Vec<(String, NaiveDateTime)>,
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::db::models::users::User;
    use crate::domain::handoff::Severity;

    /// Ids that say which time they were made for, in order.
    struct Stamps(Vec<DateTime<Utc>>);

    impl Ids for Stamps {
        fn id_at(&mut self, at: DateTime<Utc>) -> String {
            self.0.push(at);
            format!("{:03}@{}", self.0.len(), at.timestamp_millis())
        }
    }

    fn user(id: &str) -> User {
        User::fixture(id)
    }

    fn gitlab() -> GitLab {
        GitLab::new("https://gitlab.com", None).expect("gitlab")
    }

    fn issue(iid: u64) -> IssueRef {
        IssueRef::new("group/project", iid).expect("issue")
    }

    fn note(body: &str, pass_to: Option<&str>, issues: Vec<IssueRef>) -> NewNote {
        NewNote {
            body: body.to_owned(),
            pass_to: pass_to.map(user),
            issues,
        }
    }

    fn opened(ids: &mut Stamps, at: DateTime<Utc>, first: NewNote) -> Draft {
        let rendered = Rendered::of(&first.body, &gitlab());
        let input = NewHandoff {
            kind: Kind::Outage,
            title: "Disk full".to_owned(),
            severity: Severity::ALL[1],
            confidential: false,
            issues: vec![issue(1), issue(1)],
            data_loss: None,
            note: first,
        };
        Draft::open(ids, "alice", input, rendered, at).expect("opens")
    }

    fn add(draft: &mut Draft, ids: &mut Stamps, author: &str, n: NewNote, at: DateTime<Utc>) {
        let rendered = Rendered::of(&n.body, &gitlab());
        draft.note(ids, author, n, rendered, at).expect("a note");
    }

    #[test]
    fn a_new_handoff_is_at_version_one_held_by_its_author_with_its_first_note() {
        let at = time::now();
        let mut ids = Stamps(vec![]);
        let done = opened(
            &mut ids,
            at,
            note("**Mitigated**, see group/project#2", None, vec![]),
        )
        .finish();
        assert!(done.new);
        assert_eq!(done.handoff.version, 1);
        assert_eq!(done.handoff.holder_id, "alice");
        assert_eq!(done.handoff.created_at, done.handoff.last_activity_at);
        assert_eq!(
            done.handoff.latest_note_excerpt,
            "Mitigated, see group/project#2"
        );
        assert_eq!(done.notes.len(), 1);
        assert!(
            done.notes[0]
                .body_html
                .contains("<strong>Mitigated</strong>")
        );
        let links: Vec<(Option<&str>, i64)> = done
            .links
            .iter()
            .map(|l| (l.note_id.as_deref(), l.iid))
            .collect();
        assert_eq!(links, [(None, 1), (Some(done.notes[0].id.as_str()), 2)]);
        assert!(
            ids.0.iter().all(|t| *t == at),
            "every row is written at {at}"
        );
    }

    #[test]
    fn every_row_takes_its_id_from_its_own_time() {
        let t0 = time::now();
        let t1 = t0 + Duration::minutes(5);
        let mut ids = Stamps(vec![]);
        let mut draft = opened(&mut ids, t0, note("first", None, vec![]));
        add(
            &mut draft,
            &mut ids,
            "alice",
            note("see group/project#9", None, vec![]),
            t1,
        );
        let done = draft.finish();
        assert!(done.handoff.id.starts_with("001@"));
        assert_eq!(
            ids.0,
            [t0, t0, t0, t1, t1],
            "handoff, own link, note, note, its link"
        );
        assert_eq!(done.notes[1].created_at, time::to_db(t1));
        assert_eq!(done.handoff.updated_at, time::to_db(t1));
        assert_eq!(done.handoff.version, 2);
        assert_eq!(done.handoff.latest_note_excerpt, "see group/project#9");
    }

    #[test]
    fn a_pass_waits_until_acknowledged_and_the_passing_note_records_when() {
        let t0 = time::now();
        let (t1, t2) = (t0 + Duration::hours(1), t0 + Duration::hours(2));
        let mut ids = Stamps(vec![]);
        let mut draft = opened(&mut ids, t0, note("first", None, vec![]));
        add(
            &mut draft,
            &mut ids,
            "alice",
            note("yours", Some("bob"), vec![]),
            t1,
        );
        let h = draft.handoff();
        let pass = h.pending_note_id.clone().expect("a pending pass");
        assert_eq!(h.pending_to_id.as_deref(), Some("bob"));
        assert_eq!(h.pending_since, Some(time::to_db(t1)));
        assert_eq!(h.holder_id, "alice");
        draft.acknowledge("bob", t2).expect("bob acknowledges");
        let done = draft.finish();
        assert_eq!(done.handoff.holder_id, "bob");
        assert_eq!(done.handoff.pending_to_id, None);
        assert_eq!(done.handoff.pending_note_id, None);
        assert_eq!(done.handoff.version, 3, "two notes and an acknowledgement");
        assert_eq!(done.handoff.last_activity_at, time::to_db(t2));
        let passing = done.notes.iter().find(|n| n.id == pass).expect("the pass");
        assert_eq!(passing.acknowledged_at, Some(time::to_db(t2)));
        assert!(done.acknowledged.is_empty(), "no stored note to update");
    }

    #[test]
    fn a_pass_back_to_the_holder_cancels_the_pending_one() {
        let t0 = time::now();
        let mut ids = Stamps(vec![]);
        let mut draft = opened(&mut ids, t0, note("first", Some("bob"), vec![]));
        assert_eq!(draft.handoff().pending_to_id.as_deref(), Some("bob"));
        add(
            &mut draft,
            &mut ids,
            "alice",
            note("mine again", Some("alice"), vec![]),
            t0,
        );
        let h = draft.handoff();
        assert_eq!(
            (
                h.pending_to_id.as_ref(),
                h.pending_since,
                h.pending_note_id.as_ref()
            ),
            (None, None, None)
        );
        assert_eq!(h.holder_id, "alice");
    }

    #[test]
    fn a_closing_note_resolves_and_a_pending_pass_lapses() {
        let t0 = time::now();
        let t1 = t0 + Duration::days(1);
        let mut ids = Stamps(vec![]);
        let mut draft = opened(&mut ids, t0, note("first", Some("bob"), vec![]));
        let body = "Resolved.".to_owned();
        let rendered = Rendered::of(&body, &gitlab());
        let closing = draft
            .resolve(&mut ids, "alice", body, rendered, t1)
            .expect("resolves")
            .clone();
        assert!(closing.resolves);
        let done = draft.finish();
        assert_eq!(done.handoff.status, Status::Resolved);
        assert_eq!(done.handoff.resolved_at, Some(time::to_db(t1)));
        assert_eq!(done.handoff.pending_to_id, None);
        assert_eq!(done.handoff.latest_note_excerpt, "Resolved.");
    }

    #[test]
    fn an_issue_a_note_names_is_linked_to_the_handoff_once_and_to_the_note() {
        let t0 = time::now();
        let mut ids = Stamps(vec![]);
        let mut draft = opened(&mut ids, t0, note("first", None, vec![issue(1), issue(3)]));
        add(
            &mut draft,
            &mut ids,
            "alice",
            note("again", None, vec![issue(3), issue(4)]),
            t0,
        );
        let done = draft.finish();
        let own: Vec<i64> = done
            .links
            .iter()
            .filter(|l| l.note_id.is_none())
            .map(|l| l.iid)
            .collect();
        assert_eq!(own, [1, 3, 4]);
        let second = &done.notes[1].id;
        let of_second: Vec<i64> = done
            .links
            .iter()
            .filter(|l| l.note_id.as_ref() == Some(second))
            .map(|l| l.iid)
            .collect();
        assert_eq!(of_second, [3, 4]);
    }

    #[test]
    fn a_refused_change_adds_no_row_and_leaves_the_handoff_as_it_was() {
        let t0 = time::now();
        let mut ids = Stamps(vec![]);
        let mut draft = opened(&mut ids, t0, note("first", Some("bob"), vec![]));
        let before = draft.handoff().clone();
        assert!(matches!(
            draft.acknowledge("carol", t0),
            Err(Rejection::NotYours(_))
        ));
        let body = "Resolved.".to_owned();
        let rendered = Rendered::of(&body, &gitlab());
        draft
            .resolve(&mut ids, "alice", body, rendered, t0)
            .expect("resolves");
        let resolved = draft.handoff().clone();
        let rendered = Rendered::of("late", &gitlab());
        let late = draft.note(&mut ids, "alice", note("late", None, vec![]), rendered, t0);
        assert!(matches!(late, Err(Rejection::Conflict(_))));
        assert!(draft.acknowledge("bob", t0).is_err(), "the pass lapsed");
        assert_eq!(draft.handoff(), &resolved);
        assert_ne!(before, resolved);
        let done = draft.finish();
        assert_eq!(done.notes.len(), 2, "the first and the closing note only");
        assert_eq!(done.handoff.version, 2);
    }

    #[test]
    fn a_first_note_that_passes_to_its_author_is_refused() {
        let mut ids = Stamps(vec![]);
        let first = note("mine", Some("alice"), vec![]);
        let rendered = Rendered::of(&first.body, &gitlab());
        let input = NewHandoff {
            kind: Kind::Outage,
            title: "Disk full".to_owned(),
            severity: Severity::ALL[1],
            confidential: false,
            issues: vec![],
            data_loss: None,
            note: first,
        };
        let refused = Draft::open(&mut ids, "alice", input, rendered, time::now());
        assert!(matches!(
            refused,
            Err(Rejection::Invalid { field, .. }) if field == "pass_to"
        ));
    }

    #[test]
    fn a_stored_row_with_part_of_a_pending_pass_is_refused_by_name() {
        let mut ids = Stamps(vec![]);
        let mut stored = opened(&mut ids, time::now(), note("yours", Some("bob"), vec![]))
            .finish()
            .handoff;
        stored.pending_note_id = None;
        let err = Draft::resume(stored.clone(), vec![]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "handoffs row {} has only part of a pending pass: pending_to_id, \
                 pending_since and pending_note_id are set together or not at all",
                stored.id
            )
        );
    }

    #[test]
    fn acknowledging_a_stored_pass_updates_that_note() {
        let t0 = time::now();
        let mut ids = Stamps(vec![]);
        let mut stored = opened(&mut ids, t0, note("yours", Some("bob"), vec![]))
            .finish()
            .handoff;
        stored.version = 7;
        let pass = stored.pending_note_id.clone().expect("pending");
        let mut draft = Draft::resume(stored, vec![]).expect("a whole pending pass");
        draft.acknowledge("bob", t0).expect("bob acknowledges");
        let done = draft.finish();
        assert!(!done.new);
        assert_eq!(done.handoff.version, 8);
        assert_eq!(done.acknowledged, [(pass, time::to_db(t0))]);
        assert!(done.notes.is_empty());
    }
}
