//! Storage adapters of the crmsync ports.
//!
//! - [`memory`]: in-memory adapters of every storage port, for the embedded default and for tests.
//! - [`postgres`]: production adapters on PostgreSQL, with embedded migrations.
//! - [`sqlite`]: embedded adapters on a SQLite file, with embedded migrations.
//! - [`mysql`]: a Bitrix shop's MySQL/MariaDB: the journal, the audit, and coupons in Bitrix's own table.
//! - [`sql`]: the stores written once for every SQL backend, and what a backend supplies ([`sql::Dialect`]).
//! - [`Database`]: the one place a storage URL becomes an open backend; every store below is built from it.
//! - [`Stores`]: the journal, sets and key-value store of one backend, chosen by URL; [`open_with_org`] adds
//!   the organisation store of `officeflow-sync` on the same pool.
//! - [`CouponStores`]: the journal and the coupon table of one backend, chosen by URL.

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
pub mod sql;
pub mod sqlite;
mod stores;

pub use coupon_stores::CouponStores;
pub use database::{Database, MemoryDatabase, StorageUrlError};
pub use org::open_with_org;
pub use stores::Stores;
