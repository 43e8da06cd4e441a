//! Coupons on SQLite: each chunk is one multi-row insert in the transaction that advances the run's journal.
//!
//! The codes travel as one JSON array expanded by `json_each`, so a chunk is one statement whatever its size
//! (bound variables are limited to 32,766 per statement). `ON CONFLICT (code) DO NOTHING` skips only codes that
//! already exist; `INSERT OR IGNORE` would also drop rows that break any other constraint, silently. The count of
//! inserted codes is `changes()`, which counts only the rows actually inserted.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::coupon::CouponFields;
use crmsync_domain::{Process, ProcessId};
use crmsync_ports::{ChunkCommit, ChunkOutcome, CouponStore, Expected, StoreError, StoredCoupon};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, SqliteConnection, SqlitePool};

use super::{BACKEND, timestamp};
use crate::coupon_row::{COUPON_COLUMNS, CouponRow, StoredFields, count};
use crate::error::{sql_error, too_large};

/// Takes the write lock and checks the entry is the expected running attempt holding the expected checkpoint.
///
/// SQLite has no JSON equality, and text equality would depend on key order; the checkpoint (a flat object) is
/// compared member by member instead: same keys, same types, same values.
const CLAIM: &str = "UPDATE processes SET heartbeat_at = $2 \
     WHERE id = $1 AND status = 'running' AND attempts = $3 AND json_valid(checkpoint) \
     AND (SELECT count(*) FROM json_each(checkpoint)) = (SELECT count(*) FROM json_each($4)) \
     AND NOT EXISTS (SELECT 1 FROM json_each(checkpoint) AS stored WHERE NOT EXISTS ( \
         SELECT 1 FROM json_each($4) AS wanted \
         WHERE wanted.key IS stored.key AND wanted.type = stored.type AND wanted.value IS stored.value))";

/// [`CouponStore`] on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteCouponStore {
    pool: SqlitePool,
}

impl SqliteCouponStore {
    /// Coupons on `pool` (opened with [`super::open`]).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

async fn insert(
    conn: &mut SqliteConnection,
    fields: &CouponFields,
    codes: &[String],
    process: Option<ProcessId>,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let stored = StoredFields::of(fields)?;
    let codes = serde_json::to_string(codes).map_err(|e| StoreError::Invalid {
        field: "codes",
        reason: e.to_string(),
    })?;
    let result = sqlx::query(
        "INSERT INTO coupons (code, discount_id, coupon_type, active, active_from, active_to, max_uses, user_id, \
         description, process_id, created_at) \
         SELECT value, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM json_each($1) WHERE true ORDER BY key \
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(codes)
    .bind(stored.discount_id)
    .bind(fields.coupon_type.as_str())
    .bind(fields.active)
    .bind(fields.active_from.map(timestamp))
    .bind(fields.active_to.map(timestamp))
    .bind(stored.max_uses)
    .bind(stored.user_id)
    .bind(fields.description.as_deref())
    .bind(process.map(|p| p.0))
    .bind(timestamp(at))
    .execute(&mut *conn)
    .await
    .map_err(|e| sql_error(BACKEND, e))?;
    Ok(result.rows_affected())
}

#[async_trait]
impl CouponStore for SqliteCouponStore {
    async fn commit_chunk<'a>(&self, chunk: &ChunkCommit<'a>) -> Result<ChunkOutcome, StoreError> {
        let mut tx = super::begin_write(&self.pool).await?;
        let claimed = sqlx::query(CLAIM)
            .bind(chunk.process.0)
            .bind(timestamp(chunk.at))
            .bind(i64::from(chunk.attempts))
            .bind(Json(chunk.expected_checkpoint))
            .execute(&mut *tx)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        if claimed.rows_affected() != 1 {
            tx.rollback().await.map_err(|e| sql_error(BACKEND, e))?;
            return Ok(ChunkOutcome::Stale);
        }
        let inserted = insert(
            &mut tx,
            chunk.fields,
            chunk.codes,
            Some(chunk.process),
            chunk.at,
        )
        .await?;
        let added = i64::try_from(inserted).map_err(|_| too_large("processed", inserted))?;
        sqlx::query(
            "UPDATE processes SET processed = processed + $2, checkpoint = $3 WHERE id = $1",
        )
        .bind(chunk.process.0)
        .bind(added)
        .bind(Json(chunk.next_checkpoint))
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))?;
        Ok(ChunkOutcome::Committed { inserted })
    }

    async fn end_run(&self, process: &Process, expected: Expected) -> Result<bool, StoreError> {
        let r = process.record();
        let result = sqlx::query(
            "UPDATE processes SET status = $2, finished_at = $3, heartbeat_at = $4, last_error = $5, message = $6 \
             WHERE id = $1 AND status = $7 AND attempts = $8",
        )
        .bind(r.id.0)
        .bind(r.status.as_str())
        .bind(r.finished_at.map(timestamp))
        .bind(r.heartbeat_at.map(timestamp))
        .bind(r.last_error.as_deref())
        .bind(r.message.as_deref())
        .bind(expected.status.as_str())
        .bind(i64::from(expected.attempts))
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected() == 1)
    }

    async fn import(&self, fields: &CouponFields, codes: &[String]) -> Result<u64, StoreError> {
        let mut tx = super::begin_write(&self.pool).await?;
        let inserted = insert(&mut tx, fields, codes, None, Utc::now()).await?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))?;
        Ok(inserted)
    }

    async fn delete_unused(&self, process: ProcessId) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM coupons WHERE process_id = $1")
            .bind(process.0)
            .execute(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected())
    }

    async fn find(&self, code: &str) -> Result<Option<StoredCoupon>, StoreError> {
        let row: Option<CouponRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COUPON_COLUMNS} FROM coupons WHERE code = $1"
        )))
        .bind(code)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        row.map(StoredCoupon::try_from).transpose()
    }

    async fn count_by_process(&self, process: ProcessId) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM coupons WHERE process_id = $1")
            .bind(process.0)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        count("coupon count", n)
    }

    async fn list_by_process(
        &self,
        process: ProcessId,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredCoupon>, StoreError> {
        let rows: Vec<CouponRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COUPON_COLUMNS} FROM coupons WHERE process_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        )))
        .bind(process.0)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        rows.into_iter().map(StoredCoupon::try_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use crmsync_domain::coupon::CouponType;
    use crmsync_domain::{NewProcess, ProcessKind};
    use crmsync_ports::ProcessStore;
    use serde_json::json;

    use super::*;
    use crate::sqlite::{SqliteProcessStore, open};

    #[tokio::test]
    async fn the_checkpoint_matches_whatever_its_stored_key_order() {
        let dir = std::env::temp_dir().join(format!("crmsync-sqlite-claim-{}", std::process::id()));
        let pool = open(&dir.join("claim.sqlite")).await.unwrap();
        let processes = SqliteProcessStore::new(pool.clone());
        let created = processes
            .create(NewProcess {
                kind: ProcessKind::new("test.coupons").unwrap(),
                settings: json!({}),
                total: Some(1),
            })
            .await
            .unwrap();
        let mut running = created.clone();
        running.start(Utc::now()).unwrap();
        running.set_checkpoint(json!({"a": 1, "b": "x"})).unwrap();
        assert!(
            processes
                .save(&running, Expected::from(&created))
                .await
                .unwrap()
        );
        sqlx::query("UPDATE processes SET checkpoint = '{ \"b\": \"x\", \"a\": 1 }' WHERE id = $1")
            .bind(running.id().0)
            .execute(&pool)
            .await
            .unwrap();
        let fields = CouponFields {
            discount_id: 1,
            coupon_type: CouponType::OneOrder,
            active: true,
            active_from: None,
            active_to: None,
            max_uses: None,
            user_id: None,
            description: None,
        };
        let codes = vec!["K-1".to_owned()];
        let outcome = SqliteCouponStore::new(pool)
            .commit_chunk(&ChunkCommit {
                process: running.id(),
                attempts: running.attempts(),
                expected_checkpoint: &json!({"a": 1, "b": "x"}),
                next_checkpoint: &json!({"a": 2, "b": "x"}),
                fields: &fields,
                codes: &codes,
                at: Utc::now(),
            })
            .await
            .unwrap();
        assert_eq!(outcome, ChunkOutcome::Committed { inserted: 1 });
        let _ = std::fs::remove_dir_all(dir);
    }
}
