//! Wire tests of the amoCRM emulator, driven with plain HTTP (reqwest), not the client crate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod common;
mod entities;
mod faults;
mod fixtures;
mod limits;
mod listing;
mod oauth;
mod platform;
mod webhooks;
