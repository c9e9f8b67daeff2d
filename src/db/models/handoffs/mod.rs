//! Handoffs, their append-only notes and their GitLab issue links: the
//! tables that change together, always inside one transaction.
//!
//! - `rows`: the rows as stored, and what callers hand in to write new ones;
//! - `draft`: a change built in memory by the handoff's rules (ids,
//!   versions, the excerpt, the pending pass, issue links), for the
//!   application's writes and `baton demo`'s alike;
//! - `write`: storing drafts in batches, and the application's writes;
//! - `prepared`: the statements every change runs, prepared once;
//! - `query`: one handoff, its notes, lists;
//! - `links`: issue link rows and the queries that read them.

mod draft;
mod links;
mod prepared;
mod query;
mod rows;
mod write;

pub use draft::{Draft, Rendered};
pub use links::{links_of, own_links_of, own_links_of_open};
pub use query::{
    IssueMatch, ListFilter, NoteActivity, find, list, list_held_by, list_open, notes_of,
    notes_since, revisions_of,
};
pub use rows::{DataLoss, Handoff, IssueLink, NewHandoff, NewNote, Note};
pub use write::{Batch, Patch, Written, acknowledge, add_note, create, edit_note, resolve, update};
