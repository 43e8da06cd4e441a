//! What SQLite supplies to the shared SQL stores: its timestamps, transactions and statements.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteQueryResult;
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::sql::company::{CompanySql, company_statements};
use crate::sql::key_value::{KeyValueSql, kv_statements_on_clock};
use crate::sql::lock::{LockSql, lock_statements_on_clock};
use crate::sql::set::SetSql;
use crate::sql::{Dialect, Raw};

impl Dialect for Sqlite {
    const BACKEND: &'static str = super::BACKEND;
    type Time = String;

    fn time(at: DateTime<Utc>) -> Self::Time {
        super::timestamp(at)
    }

    fn bind_time(query: Raw<Self>, at: Option<Self::Time>) -> Raw<Self> {
        query.bind(at)
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    /// `BEGIN IMMEDIATE`: see [`super::begin_write`].
    async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Self>, sqlx::Error> {
        pool.begin_with("BEGIN IMMEDIATE").await
    }
}

/// The database clock in milliseconds since the Unix epoch.
macro_rules! now_ms {
    () => {
        "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
    };
}

impl LockSql for Sqlite {
    const ACQUIRE: &'static str = concat!(
        "INSERT INTO lock_leases (key, token, owner, fence, expires_at_ms) \
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(fence), 0) + 1 FROM lock_leases), ",
        now_ms!(),
        " + $4) \
         ON CONFLICT (key) DO UPDATE SET token = excluded.token, owner = excluded.owner, \
         fence = excluded.fence, expires_at_ms = excluded.expires_at_ms \
         WHERE lock_leases.expires_at_ms <= ",
        now_ms!(),
        " RETURNING fence"
    );
    lock_statements_on_clock!(now_ms!());
}

impl KeyValueSql for Sqlite {
    kv_statements_on_clock!("(strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000+00:00')");
}

impl SetSql for Sqlite {
    const ADD: &'static str = "INSERT INTO set_members (set_name, member) \
         SELECT $1, value FROM json_each($2) WHERE true ORDER BY key \
         ON CONFLICT (set_name, member) DO NOTHING";
    const REMOVE: &'static str = "DELETE FROM set_members \
         WHERE set_name = $1 AND member IN (SELECT value FROM json_each($2))";
}

impl CompanySql for Sqlite {
    company_statements!(
        "IN (SELECT value FROM json_each($1))",
        "json_each($1)",
        "json_each($1)"
    );
}
