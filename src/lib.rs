//! Baton, the on-call handoff log.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod routes;
pub mod startup;
pub mod web;
