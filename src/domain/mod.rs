//! Pure logic, no I/O: issue references, time zones, handoff state rules.

pub mod handoff;
pub mod issue_ref;
pub mod labels;
pub mod markdown;
pub mod password;
pub mod rejection;
pub mod shift;
pub mod text;
pub mod time;
pub mod user;
