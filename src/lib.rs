//! Baton, the on-call handoff log.
// Input can reach almost any line: nothing outside the tests may panic on a
// missing value.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod backup;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod integrations;
pub mod jobs;
pub mod routes;
pub mod startup;
pub mod web;
