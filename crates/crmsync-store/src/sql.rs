//! One implementation of each SQL store for every sqlx backend.
//!
//! A store is written once, generic over the sqlx database `DB` (`Postgres`, `Sqlite`, later `MySql`):
//!
//! - [`Dialect`] is what a backend supplies once: its name for errors, how it starts a write transaction, how
//!   it stores a timestamp and how many rows a statement changed.
//! - Each store has its own small trait of SQL texts (e.g. [`lock::LockSql`]) implemented by every backend;
//!   a text that is the same everywhere is a default of that trait, so a backend overrides only what differs.
//! - [`Stmt`] binds values and runs a statement on a connection without the store naming any sqlx bound: the
//!   bounds live once in [`Bind`], [`Decodes`] and [`Run`], which every sqlx backend meets through blanket impls.
//!
//! Adding a backend: implement [`Dialect`] for its sqlx database and each store's SQL trait (overriding the
//! defaults its SQL needs), add its migrations, and give [`crate::Database`] a variant.
//! Adding a store: a `sql/<store>.rs` with the generic store and its SQL trait, implemented in each backend
//! module (see `postgres/dialect.rs`, `sqlite/dialect.rs`).

pub mod attributes;
pub mod audit;
pub mod company;
pub mod fence;
pub mod flow;
pub mod key_value;
pub mod lock;
pub mod process;
pub mod set;

use std::future::Future;

use chrono::{DateTime, Utc};
use crmsync_ports::StoreError;
use sqlx::query::Query;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Pool, Transaction, Type};

use crate::error::sql_error;

/// A statement of `DB` with its arguments, built from a `'static` SQL text.
pub type Raw<DB> = Query<'static, DB, <DB as Database>::Arguments>;

/// `DB` can bind a `T` as a statement parameter.
pub trait Bind<T>: Database {
    /// `query` with `value` bound as its next parameter.
    fn bind_value(query: Raw<Self>, value: T) -> Raw<Self>;
}

impl<DB: Database, T> Bind<T> for DB
where
    T: for<'t> Encode<'t, DB> + Type<DB>,
{
    fn bind_value(query: Raw<Self>, value: T) -> Raw<Self> {
        query.bind(value)
    }
}

/// `DB` can decode one of its rows into a `T` (a `sqlx::FromRow` type, or a one-column tuple).
pub trait Decodes<T>: Database {
    /// The row as a `T`.
    fn decode(row: &Self::Row) -> Result<T, sqlx::Error>;
}

impl<DB: Database, T> Decodes<T> for DB
where
    T: for<'r> FromRow<'r, DB::Row>,
{
    fn decode(row: &Self::Row) -> Result<T, sqlx::Error> {
        T::from_row(row)
    }
}

/// `DB` can run a statement on one of its connections.
pub trait Run: Database {
    /// Runs `query`, returning what it changed.
    fn execute(
        conn: &mut Self::Connection,
        query: Raw<Self>,
    ) -> impl Future<Output = Result<Self::QueryResult, sqlx::Error>> + Send;
    /// Runs `query`, returning its first row if any.
    fn fetch_optional(
        conn: &mut Self::Connection,
        query: Raw<Self>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send;
    /// Runs `query`, returning every row.
    fn fetch_all(
        conn: &mut Self::Connection,
        query: Raw<Self>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send;
}

impl<DB: Database> Run for DB
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
{
    fn execute(
        conn: &mut Self::Connection,
        query: Raw<Self>,
    ) -> impl Future<Output = Result<Self::QueryResult, sqlx::Error>> + Send {
        query.execute(conn)
    }

    fn fetch_optional(
        conn: &mut Self::Connection,
        query: Raw<Self>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send {
        query.fetch_optional(conn)
    }

    fn fetch_all(
        conn: &mut Self::Connection,
        query: Raw<Self>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send {
        query.fetch_all(conn)
    }
}

/// What a SQL backend supplies once for every store.
pub trait Dialect:
    Run
    + Bind<String>
    + Bind<i64>
    + Bind<Option<String>>
    + Bind<Option<i64>>
    + Decodes<(String,)>
    + Decodes<(i64,)>
    + Decodes<(bool,)>
{
    /// The backend's name in errors (`PostgreSQL`, `SQLite`).
    const BACKEND: &'static str;
    /// How a timestamp is stored.
    type Time: Send;

    /// `at` as stored.
    fn time(at: DateTime<Utc>) -> Self::Time;
    /// Binds a stored timestamp.
    fn bind_time(query: Raw<Self>, at: Option<Self::Time>) -> Raw<Self>;
    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
    /// Starts a transaction that writes (SQLite takes its write lock at once, so it waits instead of failing).
    fn begin_write(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, sqlx::Error>> + Send;
}

/// A statement being built: `Stmt::new(sql).bind(a).bind(b).execute(conn)`.
pub(crate) struct Stmt<DB: Database> {
    query: Raw<DB>,
}

impl<DB: Dialect> Stmt<DB> {
    /// The statement `sql`, with no parameter bound yet.
    pub(crate) fn new(sql: &'static str) -> Self {
        Self {
            query: sqlx::query(sql),
        }
    }

    /// Binds the next parameter.
    pub(crate) fn bind<T>(self, value: T) -> Self
    where
        DB: Bind<T>,
    {
        Self {
            query: DB::bind_value(self.query, value),
        }
    }

    /// Binds a timestamp as the backend stores it as the next parameter.
    pub(crate) fn bind_time(self, at: Option<DateTime<Utc>>) -> Self {
        Self {
            query: DB::bind_time(self.query, at.map(DB::time)),
        }
    }

    /// Runs it; how many rows it changed.
    pub(crate) async fn execute(self, conn: &mut DB::Connection) -> Result<u64, StoreError> {
        let result = DB::execute(conn, self.query)
            .await
            .map_err(|e| sql_error(DB::BACKEND, e))?;
        Ok(DB::rows_affected(&result))
    }

    /// Runs it; its first row as a `T`, if any.
    pub(crate) async fn fetch_optional<T>(
        self,
        conn: &mut DB::Connection,
    ) -> Result<Option<T>, StoreError>
    where
        DB: Decodes<T>,
    {
        let row = DB::fetch_optional(conn, self.query)
            .await
            .map_err(|e| sql_error(DB::BACKEND, e))?;
        row.map(|row| DB::decode(&row).map_err(|e| sql_error(DB::BACKEND, e)))
            .transpose()
    }

    /// Runs it; every row as a `T`.
    pub(crate) async fn fetch_all<T>(self, conn: &mut DB::Connection) -> Result<Vec<T>, StoreError>
    where
        DB: Decodes<T>,
    {
        let rows = DB::fetch_all(conn, self.query)
            .await
            .map_err(|e| sql_error(DB::BACKEND, e))?;
        rows.iter()
            .map(|row| DB::decode(row).map_err(|e| sql_error(DB::BACKEND, e)))
            .collect()
    }
}

/// A connection from `pool`, with the backend's error.
pub(crate) async fn connection<DB: Dialect>(
    pool: &Pool<DB>,
) -> Result<sqlx::pool::PoolConnection<DB>, StoreError> {
    pool.acquire().await.map_err(|e| sql_error(DB::BACKEND, e))
}

/// A write transaction on `pool` (see [`Dialect::begin_write`]).
pub(crate) async fn begin_write<DB: Dialect>(
    pool: &Pool<DB>,
) -> Result<Transaction<'static, DB>, StoreError> {
    DB::begin_write(pool)
        .await
        .map_err(|e| sql_error(DB::BACKEND, e))
}

/// Commits `tx`.
pub(crate) async fn commit<DB: Dialect>(tx: Transaction<'static, DB>) -> Result<(), StoreError> {
    tx.commit().await.map_err(|e| sql_error(DB::BACKEND, e))
}
