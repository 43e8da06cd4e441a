//! Named ordered sets on PostgreSQL.

use async_trait::async_trait;
use crmsync_ports::{SetStore, StoreError};
use sqlx::PgPool;

use super::BACKEND;
use crate::error::sql_error;

/// [`SetStore`] on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgSetStore {
    pool: PgPool,
}

impl PgSetStore {
    /// Sets on `pool` (migrated with [`super::migrate`]).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl SetStore for PgSetStore {
    async fn add(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        if members.is_empty() {
            return Ok(0);
        }
        let result = sqlx::query(
            "INSERT INTO set_members (set_name, member) \
             SELECT $1, m FROM UNNEST($2::text[]) WITH ORDINALITY AS t(m, ord) ORDER BY ord \
             ON CONFLICT (set_name, member) DO NOTHING",
        )
        .bind(set)
        .bind(members)
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected())
    }

    async fn remove(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        if members.is_empty() {
            return Ok(0);
        }
        let result =
            sqlx::query("DELETE FROM set_members WHERE set_name = $1 AND member = ANY($2)")
                .bind(set)
                .bind(members)
                .execute(&self.pool)
                .await
                .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected())
    }

    async fn members(&self, set: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT member FROM set_members WHERE set_name = $1 ORDER BY seq")
            .bind(set)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))
    }

    async fn contains(&self, set: &str, member: &str) -> Result<bool, StoreError> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM set_members WHERE set_name = $1 AND member = $2)",
        )
        .bind(set)
        .bind(member)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))
    }

    async fn len(&self, set: &str) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM set_members WHERE set_name = $1")
            .bind(set)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        Ok(count.unsigned_abs())
    }

    async fn clear(&self, set: &str) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM set_members WHERE set_name = $1")
            .bind(set)
            .execute(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected())
    }
}
