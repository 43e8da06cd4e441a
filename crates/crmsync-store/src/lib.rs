//! Storage adapters of the crmsync ports.
//!
//! - [`memory`]: in-memory adapters of every storage port, for the embedded default and for tests.
//! - [`postgres`]: production adapters on PostgreSQL.
//! - [`sqlite`]: embedded adapters on a SQLite file.

pub mod memory;
