//! The IDENT clinic database as a [`MisSource`](crmsync_ports::MisSource).
//!
//! IDENT (ident.ru) keeps its data in Microsoft SQL Server; the sync reads it directly and read-only. The tables
//! and columns are the real ones (`Persons`, `Patients`, `Staffs`, `Receptions`; see `docs/reception-sync.md` for
//! which are verified). Three adapters share one row mapping ([`rows`]):
//!
//! - [`IdentDb`]: PostgreSQL or SQLite through sqlx, with the same schema ([`schema`]) — the demo, the tests and
//!   the benchmarks run on these;
//! - `MssqlIdent` (feature `mssql`): SQL Server through tiberius over rustls, its T-SQL in [`tsql`];
//! - with the `sandbox` feature, [`fixture`] writes a generated clinic into an [`IdentDb`].
//!
//! Every list is a page ordered by (change time, id) and continued from a cursor: no call reads a whole table.

#[cfg(feature = "sandbox")]
pub mod fixture;
#[cfg(feature = "mssql")]
mod mssql;
pub mod rows;
pub mod schema;
mod source;
pub mod sql;
pub mod tsql;

#[cfg(feature = "mssql")]
pub use mssql::MssqlIdent;
pub use source::IdentDb;

/// Most ids one `IN (…)` list holds; longer lists are split.
pub const MAX_IN_LIST: usize = 1_000;
