//! `SetStore` on a SQL database: one `set_members` row per member, ordered by insertion.
//!
//! A batch of members travels as one JSON array parameter that the backend unpacks (`jsonb_array_elements_text`
//! on PostgreSQL, `json_each` on SQLite), so adding or removing any number of members is one statement.

use async_trait::async_trait;
use crmsync_ports::{SetStore, StoreError};
use sqlx::Pool;

use super::{Dialect, Stmt, connection};

/// The statements of the set store. `$1` is the set's name; `$2` of [`SetSql::ADD`] and [`SetSql::REMOVE`] is
/// a JSON array of members.
pub trait SetSql: Dialect {
    /// Adds the members of `$2` that are missing, in array order.
    const ADD: &'static str;
    /// Removes the members of `$2`.
    const REMOVE: &'static str;
    /// The members of `$1` in insertion order.
    const MEMBERS: &'static str = "SELECT member FROM set_members WHERE set_name = $1 ORDER BY seq";
    /// Whether `$2` is a member of `$1`.
    const CONTAINS: &'static str =
        "SELECT EXISTS (SELECT 1 FROM set_members WHERE set_name = $1 AND member = $2)";
    /// The number of members of `$1`.
    const LEN: &'static str = "SELECT COUNT(*) FROM set_members WHERE set_name = $1";
    /// Removes every member of `$1`.
    const CLEAR: &'static str = "DELETE FROM set_members WHERE set_name = $1";
}

/// [`SetStore`] on the `set_members` table of `DB`.
#[derive(Debug, Clone)]
pub struct SqlSetStore<DB: sqlx::Database> {
    pool: Pool<DB>,
}

impl<DB: sqlx::Database> SqlSetStore<DB> {
    /// Sets on `pool` (opened and migrated by this crate).
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }
}

impl<DB: SetSql> SqlSetStore<DB> {
    async fn change(
        &self,
        sql: &'static str,
        set: &str,
        members: &[String],
    ) -> Result<u64, StoreError> {
        if members.is_empty() {
            return Ok(0);
        }
        let members = serde_json::to_string(members).map_err(|e| StoreError::Invalid {
            field: "members",
            reason: e.to_string(),
        })?;
        let mut conn = connection(&self.pool).await?;
        Stmt::<DB>::new(sql)
            .bind(set.to_owned())
            .bind(members)
            .execute(&mut *conn)
            .await
    }
}

#[async_trait]
impl<DB: SetSql> SetStore for SqlSetStore<DB> {
    async fn add(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        self.change(DB::ADD, set, members).await
    }

    async fn remove(&self, set: &str, members: &[String]) -> Result<u64, StoreError> {
        self.change(DB::REMOVE, set, members).await
    }

    async fn members(&self, set: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let members: Vec<(String,)> = Stmt::<DB>::new(DB::MEMBERS)
            .bind(set.to_owned())
            .fetch_all(&mut *conn)
            .await?;
        Ok(members.into_iter().map(|(member,)| member).collect())
    }

    async fn contains(&self, set: &str, member: &str) -> Result<bool, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let found: Option<(bool,)> = Stmt::<DB>::new(DB::CONTAINS)
            .bind(set.to_owned())
            .bind(member.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(found.is_some_and(|(found,)| found))
    }

    async fn len(&self, set: &str) -> Result<u64, StoreError> {
        let mut conn = connection(&self.pool).await?;
        let count: Option<(i64,)> = Stmt::<DB>::new(DB::LEN)
            .bind(set.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
        Ok(count.map_or(0, |(count,)| count.unsigned_abs()))
    }

    async fn clear(&self, set: &str) -> Result<u64, StoreError> {
        let mut conn = connection(&self.pool).await?;
        Stmt::<DB>::new(DB::CLEAR)
            .bind(set.to_owned())
            .execute(&mut *conn)
            .await
    }
}
