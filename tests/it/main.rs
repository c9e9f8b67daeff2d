//! The integration tests, in one binary: it links Baton once.

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod drift;
