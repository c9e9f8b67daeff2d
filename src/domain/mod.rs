//! Pure logic, no I/O: issue references, time zones, handoff state rules,
//! and the rules of what people give (`handoff_input`, `user`).

pub mod audit;
pub mod chat;
pub mod cover;
pub mod event;
pub mod future;
pub mod handoff;
pub mod handoff_input;
pub mod handover;
pub mod ics;
pub mod ics_import;
pub mod issue_filter;
pub mod issue_ref;
pub mod labels;
pub mod lifecycle;
pub mod markdown;
pub mod paging;
pub mod password;
pub mod rejection;
pub mod review;
pub mod rotation;
pub mod shift;
pub mod text;
pub mod text_enum;
pub mod time;
pub mod timeline;
pub mod user;
