//! Named ordered sets on SQLite.

use async_trait::async_trait;
use crmsync_ports::{SetStore, StoreError};
use sqlx::SqlitePool;

use super::BACKEND;
use crate::error::sql_error;

/// [`SetStore`] on SQLite; multi-member changes run in one transaction.
#[derive(Debug, Clone)]
pub struct SqliteSetStore {
    pool: SqlitePool,
}

impl SqliteSetStore {
    /// Sets on `pool` (opened with [`super::open`]).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    async fn for_each_member(
        &self,
        sql: &'static str,
        set: &str,
        members: &[String],
    ) -> Result<u64, StoreError> {
        let mut tx = super::begin_write(&self.pool).await?;
        let mut changed = 0;
        for member in members {
            let result = sqlx::query(sql)
                .bind(set)
                .bind(member)
                .execute(&mut *tx)
                .await
                .map_err(|e| sql_error(BACKEND, e))?;
            changed += result.rows_affected();
        }
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))?;
        Ok(changed)
    }
}

#[async_trait]
impl SetStore for SqliteSetStore {
    async fn add(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        self.for_each_member(
            "INSERT OR IGNORE INTO set_members (set_name, member) VALUES ($1, $2)",
            set,
            members,
        )
        .await
    }

    async fn remove(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        self.for_each_member(
            "DELETE FROM set_members WHERE set_name = $1 AND member = $2",
            set,
            members,
        )
        .await
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
