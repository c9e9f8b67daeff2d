//! The life of a handoff: opened by its holder, carried from holder to
//! holder by passes that wait until their recipient acknowledges them, and
//! over once resolved. [`Lifecycle`] holds that state and its version; its
//! methods are the only way to change them, and each one checks its rule
//! before it changes anything.

use chrono::{DateTime, Utc};

use crate::domain::handoff::Status;
use crate::domain::rejection::Rejection;

/// A pass written and not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPass {
    /// The user it names.
    pub to_id: String,
    /// When it was written.
    pub since: DateTime<Utc>,
    /// The note that made it.
    pub note_id: String,
}

/// The state of a handoff that its rules look at and change: open or
/// resolved, who holds it, the pass waiting for acknowledgement, when it
/// last changed, and its version, which every change raises by one (a
/// change to its details names the version it was made against).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    status: Status,
    holder_id: String,
    pending: Option<PendingPass>,
    updated_at: DateTime<Utc>,
    last_activity_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    version: i32,
}

impl Lifecycle {
    /// A handoff opened at `at` by `holder_id`, with its first note
    /// `note_id`, which may pass it to `pass_to` at once: version 1.
    pub fn open(
        holder_id: &str,
        note_id: &str,
        pass_to: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Lifecycle, Rejection> {
        let mut opened = Lifecycle {
            status: Status::Open,
            holder_id: holder_id.to_owned(),
            pending: None,
            updated_at: at,
            last_activity_at: at,
            resolved_at: None,
            version: 0,
        };
        opened.note(note_id, pass_to, at)?;
        Ok(opened)
    }

    /// The state as it was stored (no rule is checked: it was checked when
    /// the state was made).
    pub fn resume(
        status: Status,
        holder_id: String,
        pending: Option<PendingPass>,
        updated_at: DateTime<Utc>,
        last_activity_at: DateTime<Utc>,
        resolved_at: Option<DateTime<Utc>>,
        version: i32,
    ) -> Lifecycle {
        Lifecycle {
            status,
            holder_id,
            pending,
            updated_at,
            last_activity_at,
            resolved_at,
            version,
        }
    }

    /// Open or resolved.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The user responsible now.
    pub fn holder_id(&self) -> &str {
        &self.holder_id
    }

    /// The pass waiting for acknowledgement.
    pub fn pending(&self) -> Option<&PendingPass> {
        self.pending.as_ref()
    }

    /// When anything last changed.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    /// When the last note, pass or acknowledgement was written.
    pub fn last_activity_at(&self) -> DateTime<Utc> {
        self.last_activity_at
    }

    /// When it was resolved.
    pub fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.resolved_at
    }

    /// The version: 1 when opened, one more for every change.
    pub fn version(&self) -> i32 {
        self.version
    }

    /// A note `note_id` written at `at`, passing the handoff to `pass_to`
    /// if given. A resolved handoff takes no note and no pass. A pass names
    /// someone other than the holder, and waits for them to acknowledge it
    /// (replacing a pass that was waiting); a pass back to the holder is
    /// refused unless a pass to someone else is waiting, which it cancels.
    pub fn note(
        &mut self,
        note_id: &str,
        pass_to: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), Rejection> {
        if self.status == Status::Resolved {
            return Err(Rejection::Conflict(
                "this handoff is resolved; it takes no more notes or passes".into(),
            ));
        }
        if let Some(to) = pass_to
            && to == self.holder_id
            && self.pending.is_none()
        {
            return Err(Rejection::invalid(
                "pass_to",
                "that person already holds this handoff",
            ));
        }
        if let Some(to) = pass_to {
            self.pending = (to != self.holder_id).then(|| PendingPass {
                to_id: to.to_owned(),
                since: at,
                note_id: note_id.to_owned(),
            });
        }
        self.activity(at);
        Ok(())
    }

    /// `user_id` takes the handoff at `at`: only the person a waiting pass
    /// names, and only while the handoff is open. They become the holder;
    /// returns the pass they acknowledged.
    pub fn acknowledge(
        &mut self,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> Result<PendingPass, Rejection> {
        if self.status == Status::Resolved {
            return Err(Rejection::Conflict(
                "this handoff is resolved; there is nothing to acknowledge".into(),
            ));
        }
        match &self.pending {
            None => Err(Rejection::Conflict(
                "no pass is waiting for acknowledgement".into(),
            )),
            Some(pass) if pass.to_id != user_id => Err(Rejection::NotYours(
                "only the person the handoff was passed to can acknowledge it".into(),
            )),
            Some(pass) => {
                let pass = pass.clone();
                self.pending = None;
                self.holder_id = pass.to_id.clone();
                self.activity(at);
                Ok(pass)
            }
        }
    }

    /// Resolves an open handoff at `at` (with its closing note); a waiting
    /// pass lapses, and the holder stays who it was.
    pub fn resolve(&mut self, at: DateTime<Utc>) -> Result<(), Rejection> {
        if self.status == Status::Resolved {
            return Err(Rejection::Conflict(
                "this handoff is already resolved".into(),
            ));
        }
        self.status = Status::Resolved;
        self.resolved_at = Some(at);
        self.pending = None;
        self.activity(at);
        Ok(())
    }

    /// A change to the details (title, severity, links, data-loss record)
    /// made at `at` against `version`: refused unless that is the current
    /// version, so that nobody overwrites a change they have not seen. It
    /// is not activity: the order of lists stays.
    pub fn edit(&mut self, version: i32, at: DateTime<Utc>) -> Result<(), Rejection> {
        if version != self.version {
            return Err(Rejection::Conflict(format!(
                "version {version} is stale: the handoff has changed since (now version {}); reload and try again",
                self.version
            )));
        }
        self.changed(at);
        Ok(())
    }

    /// A note's text replaced at `at`: only while the handoff is open.
    pub fn edit_note(&mut self, at: DateTime<Utc>) -> Result<(), Rejection> {
        if self.status == Status::Resolved {
            return Err(Rejection::Conflict(
                "this handoff is resolved; its notes are final".into(),
            ));
        }
        self.changed(at);
        Ok(())
    }

    /// A note, pass or acknowledgement: lists order by it.
    fn activity(&mut self, at: DateTime<Utc>) {
        self.last_activity_at = at;
        self.changed(at);
    }

    /// Any change.
    fn changed(&mut self, at: DateTime<Utc>) {
        self.updated_at = at;
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("an instant") + Duration::minutes(minutes)
    }

    fn opened(pass_to: Option<&str>) -> Lifecycle {
        Lifecycle::open("alice", "n1", pass_to, t(0)).expect("opens")
    }

    fn resolved() -> Lifecycle {
        let mut h = opened(None);
        h.resolve(t(1)).expect("resolves");
        h
    }

    fn is_conflict(r: Result<impl std::fmt::Debug, Rejection>, message: &str) -> bool {
        matches!(r, Err(Rejection::Conflict(m)) if m == message)
    }

    #[test]
    fn an_opened_handoff_is_open_at_version_one_held_by_its_author() {
        let h = opened(None);
        assert_eq!(h.status(), Status::Open);
        assert_eq!(h.holder_id(), "alice");
        assert_eq!(h.pending(), None);
        assert_eq!(h.version(), 1);
        assert_eq!((h.updated_at(), h.last_activity_at()), (t(0), t(0)));
        assert_eq!(h.resolved_at(), None);
    }

    #[test]
    fn the_first_note_may_pass_at_once_but_not_to_the_author() {
        let h = opened(Some("bob"));
        let pass = h.pending().expect("a pass waits");
        assert_eq!(
            (pass.to_id.as_str(), pass.since, pass.note_id.as_str()),
            ("bob", t(0), "n1")
        );
        assert_eq!(
            h.holder_id(),
            "alice",
            "the holder changes on acknowledgement"
        );
        assert_eq!(h.version(), 1);
        assert!(matches!(
            Lifecycle::open("alice", "n1", Some("alice"), t(0)),
            Err(Rejection::Invalid { field, .. }) if field == "pass_to"
        ));
    }

    #[test]
    fn a_note_is_activity_and_raises_the_version_by_one() {
        let mut h = opened(None);
        h.note("n2", None, t(5)).expect("a note");
        assert_eq!(h.version(), 2);
        assert_eq!((h.updated_at(), h.last_activity_at()), (t(5), t(5)));
        assert_eq!((h.holder_id(), h.pending()), ("alice", None));
    }

    #[test]
    fn a_pass_waits_for_its_recipient_and_a_later_pass_replaces_it() {
        let mut h = opened(None);
        h.note("n2", Some("bob"), t(5)).expect("a pass");
        assert_eq!(h.pending().map(|p| p.to_id.as_str()), Some("bob"));
        h.note("n3", Some("carol"), t(6)).expect("another pass");
        let pass = h.pending().expect("a pass waits");
        assert_eq!(
            (pass.to_id.as_str(), pass.since, pass.note_id.as_str()),
            ("carol", t(6), "n3")
        );
        assert_eq!((h.holder_id(), h.version()), ("alice", 3));
    }

    #[test]
    fn a_note_without_a_pass_leaves_a_waiting_pass_waiting() {
        let mut h = opened(Some("bob"));
        h.note("n2", None, t(5)).expect("a note");
        assert_eq!(h.pending().map(|p| p.note_id.as_str()), Some("n1"));
    }

    #[test]
    fn a_pass_to_the_holder_is_refused_unless_it_cancels_a_waiting_pass() {
        let mut h = opened(None);
        let before = h.clone();
        assert!(matches!(
            h.note("n2", Some("alice"), t(5)),
            Err(Rejection::Invalid { field, message })
                if field == "pass_to" && message == "that person already holds this handoff"
        ));
        assert_eq!(h, before, "a refusal changes nothing");

        let mut h = opened(Some("bob"));
        h.note("n2", Some("alice"), t(5)).expect("cancels");
        assert_eq!(
            (h.pending(), h.holder_id(), h.version()),
            (None, "alice", 2)
        );
    }

    #[test]
    fn only_the_named_recipient_acknowledges_and_becomes_the_holder() {
        let mut h = opened(Some("bob"));
        let before = h.clone();
        assert!(matches!(
            h.acknowledge("carol", t(5)),
            Err(Rejection::NotYours(m)) if m == "only the person the handoff was passed to can acknowledge it"
        ));
        assert!(matches!(
            h.acknowledge("alice", t(5)),
            Err(Rejection::NotYours(_))
        ));
        assert_eq!(h, before);
        let pass = h.acknowledge("bob", t(5)).expect("bob acknowledges");
        assert_eq!(pass.note_id, "n1");
        assert_eq!((h.holder_id(), h.pending(), h.version()), ("bob", None, 2));
        assert_eq!((h.updated_at(), h.last_activity_at()), (t(5), t(5)));
    }

    #[test]
    fn nothing_is_acknowledged_without_a_waiting_pass() {
        let mut h = opened(None);
        assert!(is_conflict(
            h.acknowledge("bob", t(5)),
            "no pass is waiting for acknowledgement"
        ));
        let mut h = opened(Some("bob"));
        h.acknowledge("bob", t(5)).expect("once");
        assert!(is_conflict(
            h.acknowledge("bob", t(6)),
            "no pass is waiting for acknowledgement"
        ));
        assert_eq!(h.version(), 2);
    }

    #[test]
    fn the_new_holder_can_pass_it_on_and_the_old_one_can_pass_it_back() {
        let mut h = opened(Some("bob"));
        h.acknowledge("bob", t(1)).expect("bob holds it");
        assert!(matches!(
            h.note("n2", Some("bob"), t(2)),
            Err(Rejection::Invalid { .. })
        ));
        h.note("n2", Some("alice"), t(2)).expect("back to alice");
        h.acknowledge("alice", t(3)).expect("alice holds it again");
        assert_eq!((h.holder_id(), h.version()), ("alice", 4));
    }

    #[test]
    fn resolving_ends_it_and_a_waiting_pass_lapses() {
        let mut h = opened(Some("bob"));
        h.resolve(t(9)).expect("resolves");
        assert_eq!(h.status(), Status::Resolved);
        assert_eq!(h.resolved_at(), Some(t(9)));
        assert_eq!((h.pending(), h.holder_id()), (None, "alice"));
        assert_eq!((h.version(), h.last_activity_at()), (2, t(9)));
    }

    #[test]
    fn a_resolved_handoff_takes_no_note_pass_acknowledgement_resolution_or_note_edit() {
        let mut h = resolved();
        let before = h.clone();
        assert!(is_conflict(
            h.note("n3", None, t(5)),
            "this handoff is resolved; it takes no more notes or passes"
        ));
        assert!(is_conflict(
            h.note("n3", Some("bob"), t(5)),
            "this handoff is resolved; it takes no more notes or passes"
        ));
        assert!(is_conflict(
            h.acknowledge("bob", t(5)),
            "this handoff is resolved; there is nothing to acknowledge"
        ));
        assert!(is_conflict(
            h.resolve(t(5)),
            "this handoff is already resolved"
        ));
        assert!(is_conflict(
            h.edit_note(t(5)),
            "this handoff is resolved; its notes are final"
        ));
        assert_eq!(h, before, "refusals change nothing");
    }

    #[test]
    fn an_edit_must_name_the_current_version_and_is_not_activity() {
        let mut h = opened(None);
        h.note("n2", None, t(1)).expect("a note");
        let before = h.clone();
        assert!(is_conflict(
            h.edit(1, t(2)),
            "version 1 is stale: the handoff has changed since (now version 2); reload and try again"
        ));
        assert_eq!(h, before);
        h.edit(2, t(2)).expect("the current version");
        assert_eq!(h.version(), 3);
        assert_eq!((h.updated_at(), h.last_activity_at()), (t(2), t(1)));
        assert!(h.edit(2, t(3)).is_err(), "the same version twice is stale");
    }

    #[test]
    fn a_resolved_handoff_keeps_taking_detail_edits() {
        let mut h = resolved();
        h.edit(2, t(5))
            .expect("details of a resolved handoff still change");
        assert_eq!((h.status(), h.version()), (Status::Resolved, 3));
    }

    #[test]
    fn a_note_edit_is_a_change_but_not_activity() {
        let mut h = opened(None);
        h.edit_note(t(3)).expect("open");
        assert_eq!(h.version(), 2);
        assert_eq!((h.updated_at(), h.last_activity_at()), (t(3), t(0)));
    }

    #[test]
    fn versions_grow_by_one_per_change_through_a_whole_life() {
        let mut h = opened(None);
        let mut versions = vec![h.version()];
        h.note("n2", Some("bob"), t(1)).expect("pass");
        versions.push(h.version());
        h.acknowledge("bob", t(2)).expect("ack");
        versions.push(h.version());
        h.edit(3, t(3)).expect("edit");
        versions.push(h.version());
        h.edit_note(t(4)).expect("note edit");
        versions.push(h.version());
        h.resolve(t(5)).expect("resolve");
        versions.push(h.version());
        assert_eq!(versions, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_resumed_state_goes_on_from_where_it_was_stored() {
        let pass = PendingPass {
            to_id: "bob".into(),
            since: t(1),
            note_id: "n7".into(),
        };
        let mut h = Lifecycle::resume(
            Status::Open,
            "alice".into(),
            Some(pass.clone()),
            t(2),
            t(1),
            None,
            7,
        );
        assert_eq!(h.acknowledge("bob", t(3)).expect("ack"), pass);
        assert_eq!((h.version(), h.holder_id()), (8, "bob"));
    }
}
