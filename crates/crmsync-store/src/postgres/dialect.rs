//! What PostgreSQL supplies to the shared SQL stores: its timestamps, transactions and statements.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgQueryResult;
use sqlx::{PgPool, Postgres, Transaction};

use crate::sql::company::{CompanySql, company_statements};
use crate::sql::key_value::{KeyValueSql, kv_statements_on_clock};
use crate::sql::lock::{LockSql, lock_statements_on_clock};
use crate::sql::set::SetSql;
use crate::sql::{Dialect, Raw};

impl Dialect for Postgres {
    const BACKEND: &'static str = super::BACKEND;
    type Time = DateTime<Utc>;

    fn time(at: DateTime<Utc>) -> Self::Time {
        at
    }

    fn bind_time(query: Raw<Self>, at: Option<Self::Time>) -> Raw<Self> {
        query.bind(at)
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Self>, sqlx::Error> {
        pool.begin().await
    }
}

/// The database clock in milliseconds since the Unix epoch.
macro_rules! now_ms {
    () => {
        "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
    };
}

impl LockSql for Postgres {
    const ACQUIRE: &'static str = concat!(
        "INSERT INTO lock_leases AS held (key, token, owner, fence, expires_at_ms) \
         VALUES ($1, $2, $3, nextval('lock_fences'), ",
        now_ms!(),
        " + $4) \
         ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token, owner = EXCLUDED.owner, \
         fence = nextval('lock_fences'), expires_at_ms = EXCLUDED.expires_at_ms \
         WHERE held.expires_at_ms <= ",
        now_ms!(),
        " RETURNING fence"
    );
    lock_statements_on_clock!(now_ms!());
}

impl KeyValueSql for Postgres {
    kv_statements_on_clock!("now()");
}

impl SetSql for Postgres {
    const ADD: &'static str = "INSERT INTO set_members (set_name, member) \
         SELECT $1, m FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS t(m, ord) ORDER BY ord \
         ON CONFLICT (set_name, member) DO NOTHING";
    const REMOVE: &'static str = "DELETE FROM set_members \
         WHERE set_name = $1 AND member = ANY (ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))";
}

impl CompanySql for Postgres {
    company_statements!(
        "= ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))",
        "jsonb_array_elements_text($1::jsonb) AS t(value)",
        "jsonb_array_elements($1::jsonb) AS t(value)"
    );
}
