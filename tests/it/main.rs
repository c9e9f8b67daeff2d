//! The integration tests, in one binary: it links Baton once. Each module
//! starts the real server on port 0 with a fresh database per test.

#[path = "../common/mod.rs"]
#[macro_use]
mod common;
#[path = "../support/browser.rs"]
mod browser;

mod api;
mod auth;
mod backup;
mod chat;
mod cli;
mod cover;
mod demo;
mod drift;
mod e2e;
mod events;
mod gitlab;
mod handover;
mod import;
mod input;
mod labels;
mod layers;
mod logs;
mod metrics;
mod pages;
mod review;
mod schedules;
mod stored;
mod timeline;
