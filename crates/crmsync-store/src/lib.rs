//! Storage adapters of the crmsync ports.
//!
//! - [`memory`]: in-memory adapters of every storage port, for the embedded default and for tests.
//! - [`postgres`]: production adapters on PostgreSQL, with embedded migrations.
//! - [`sqlite`]: embedded adapters on a SQLite file, with embedded migrations.
//! - [`mysql`]: a Bitrix shop's MySQL/MariaDB: the journal, the audit, and coupons in Bitrix's own table.
//! - [`sql`]: the stores written once for every SQL backend, and what a backend supplies ([`sql::Dialect`]).
//! - [`Database`]: the one way to open storage: a URL becomes an open, migrated backend, and every store is
//!   built from it (`database.processes()`, `.sets()`, `.key_values()`, `.locks()`, `.org()`, …) on its pool.
//! - [`SqlReceptionLinks`] / [`MemoryReceptionLinks`]: the reception sync's link tables.
//! - [`CouponStores`]: the journal and the coupon table of a [`Database`], or of a Bitrix shop's MySQL database.

mod audit_row;
mod company_rows;
mod coupon_row;
mod coupon_stores;
mod database;
mod error;
pub mod memory;
pub mod mysql;
mod org;
mod org_rows;
pub mod postgres;
mod process_row;
mod reception_links;
pub mod sql;
pub mod sqlite;

pub use coupon_stores::CouponStores;
pub use database::{Database, MemoryDatabase, StorageUrlError};
pub use reception_links::{MemoryReceptionLinks, SqlReceptionLinks};
