//! Test support shared by the crmsync crates.
//!
//! - [`contract`]: suites that run unchanged against every adapter of a port.
//! - [`services`]: fresh PostgreSQL databases and Redis namespaces on the local servers, failing loudly with the
//!   command that starts a missing server (tests never skip silently).
//! - [`mysql`]: the same for MariaDB/MySQL, with the Bitrix sale-module tables of a test shop.
//!
//! This crate exists for tests: it panics on failure, like an assertion.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod contract;
pub mod mysql;
pub mod services;
