//! Coupons straight into a Bitrix shop's `b_sale_discount_coupon` (the sale module's table), each chunk in
//! multi-row inserts inside the transaction that advances the run's journal entry.
//!
//! The shared fields of a chunk are set once as session variables, so an insert binds only its codes (MySQL
//! allows 65,535 parameters per statement). `INSERT IGNORE` skips codes the shop already has (the `COUPON`
//! unique index decides, with the column's own collation); settings are checked before a run starts
//! ([`CouponStore::check_settings`]), so nothing else can be ignored. Which run made a coupon is recorded in
//! crmsync's `crmsync_coupon_runs` (coupon ID → run), never in a column added to the shop's table: when a
//! statement inserted all its codes and the server hands out consecutive IDs (`innodb_autoinc_lock_mode` 0 or 1,
//! increment 1; MariaDB's default), its rows are linked by their ID range, otherwise by ID and code.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::coupon::{CaseMode, CouponFields, CouponSettings, SettingsError};
use crmsync_domain::{Message, Process, ProcessId};
use crmsync_ports::{ChunkCommit, ChunkOutcome, CouponStore, Expected, StoreError, StoredCoupon};
use sqlx::{AssertSqlSafe, MySqlConnection, MySqlPool};

use super::BACKEND;
use crate::coupon_row::{CouponRow, StoredFields, count};
use crate::error::{sql_error, too_large};

/// The length of Bitrix's `COUPON` column.
pub const BITRIX_COUPON_CHARS: usize = 32;
/// Bitrix's id and counter columns are `int`.
const BITRIX_INT_MAX: u64 = i32::MAX as u64;
/// Codes per insert statement (each is one parameter).
const CODES_PER_STATEMENT: usize = 20_000;

/// How coupons are written into the shop's table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BitrixOptions {
    /// `CREATED_BY`: the Bitrix user the coupons are attributed to (none when not set).
    pub created_by: Option<u64>,
}

/// [`CouponStore`] on a Bitrix shop's MySQL/MariaDB database, next to the [`super::MySqlProcessStore`] of the
/// same pool.
#[derive(Debug, Clone)]
pub struct BitrixCouponStore {
    pool: MySqlPool,
    options: BitrixOptions,
}

/// A coupon of the shop's table as [`CouponRow`] reads it.
const SELECT_COUPON: &str = "SELECT CAST(c.ID AS SIGNED) AS id, c.COUPON AS code, \
     CAST(c.DISCOUNT_ID AS SIGNED) AS discount_id, \
     CASE c.TYPE WHEN 1 THEN 'basket_row' WHEN 2 THEN 'one_order' WHEN 4 THEN 'multi_order' \
       ELSE CONCAT('bitrix type ', c.TYPE) END AS coupon_type, \
     c.ACTIVE = 'Y' AS active, c.ACTIVE_FROM AS active_from, c.ACTIVE_TO AS active_to, \
     CAST(NULLIF(c.MAX_USE, 0) AS SIGNED) AS max_uses, CAST(NULLIF(c.USER_ID, 0) AS SIGNED) AS user_id, \
     c.DESCRIPTION AS description, r.process_id AS process_id, \
     COALESCE(c.DATE_CREATE, c.TIMESTAMP_X, TIMESTAMP('1970-01-01')) AS created_at \
     FROM b_sale_discount_coupon c LEFT JOIN crmsync_coupon_runs r ON r.coupon_id = c.ID";

impl BitrixCouponStore {
    /// Coupons in the shop's `b_sale_discount_coupon` on `pool` (migrated with [`super::migrate`]).
    pub fn new(pool: MySqlPool, options: BitrixOptions) -> Self {
        Self { pool, options }
    }

    async fn insert(
        &self,
        conn: &mut MySqlConnection,
        fields: &CouponFields,
        codes: &[String],
        process: Option<ProcessId>,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let stored = StoredFields::of(fields)?;
        let created_by = self
            .options
            .created_by
            .map(|u| i64::try_from(u).map_err(|_| too_large("created_by", u)))
            .transpose()?;
        sqlx::query(
            "SET @crm_discount = ?, @crm_active = ?, @crm_from = ?, @crm_to = ?, @crm_type = ?, @crm_max = ?, \
             @crm_user = ?, @crm_description = ?, @crm_at = ?, @crm_by = ?",
        )
        .bind(stored.discount_id)
        .bind(if fields.active { "Y" } else { "N" })
        .bind(fields.active_from)
        .bind(fields.active_to)
        .bind(i64::from(fields.coupon_type.bitrix_code()))
        .bind(stored.max_uses.unwrap_or(0))
        .bind(stored.user_id.unwrap_or(0))
        .bind(fields.description.as_deref())
        .bind(at)
        .bind(created_by)
        .execute(&mut *conn)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        let consecutive: i64 = sqlx::query_scalar(
            "SELECT CAST(@@innodb_autoinc_lock_mode IN (0, 1) AND @@auto_increment_increment = 1 AS SIGNED)",
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        let consecutive = consecutive == 1;
        let mut inserted = 0;
        for part in codes.chunks(CODES_PER_STATEMENT) {
            inserted += insert_part(conn, part, process, consecutive).await?;
        }
        Ok(inserted)
    }
}

/// `(?, ?, …)` with `n` parameters.
fn placeholders(n: usize) -> String {
    let mut list = String::with_capacity(n * 3 + 2);
    list.push('(');
    for i in 0..n {
        if i > 0 {
            list.push_str(", ");
        }
        list.push('?');
    }
    list.push(')');
    list
}

/// Inserts `codes` in one statement and links the inserted rows to `process`. `consecutive` says the server gives
/// the rows of one multi-row insert a block of consecutive IDs (`innodb_autoinc_lock_mode` 0 or 1, increment 1).
async fn insert_part(
    conn: &mut MySqlConnection,
    codes: &[String],
    process: Option<ProcessId>,
    consecutive: bool,
) -> Result<u64, StoreError> {
    const ROW: &str = "(@crm_discount, @crm_active, @crm_from, @crm_to, ?, @crm_type, @crm_max, 0, @crm_user, \
                       @crm_description, @crm_at, @crm_by, @crm_at)";
    let mut sql = String::with_capacity(codes.len() * (ROW.len() + 2) + 200);
    sql.push_str(
        "INSERT IGNORE INTO b_sale_discount_coupon (DISCOUNT_ID, ACTIVE, ACTIVE_FROM, ACTIVE_TO, COUPON, TYPE, \
         MAX_USE, USE_COUNT, USER_ID, DESCRIPTION, DATE_CREATE, CREATED_BY, TIMESTAMP_X) VALUES ",
    );
    for i in 0..codes.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(ROW);
    }
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for code in codes {
        query = query.bind(code);
    }
    let result = query
        .execute(&mut *conn)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
    let inserted = result.rows_affected();
    let Some(process) = process.filter(|_| inserted > 0) else {
        return Ok(inserted);
    };
    let first = result.last_insert_id();
    let query = if consecutive && inserted == codes.len() as u64 {
        // Every row went in, so the statement's block of IDs starts at the first one and holds them all; no
        // other writer's row can be inside it.
        sqlx::query(
            "INSERT INTO crmsync_coupon_runs (coupon_id, process_id) SELECT ID, ? FROM b_sale_discount_coupon \
             WHERE ID >= ? AND ID < ?",
        )
        .bind(process.0)
        .bind(first)
        .bind(first.saturating_add(inserted))
    } else {
        // The statement's rows have IDs from its first inserted one on; a code of this chunk at such an ID was
        // inserted by this statement (another writer of the same code would have waited on its unique key).
        let sql = format!(
            "INSERT INTO crmsync_coupon_runs (coupon_id, process_id) SELECT ID, ? FROM b_sale_discount_coupon \
             WHERE ID >= ? AND COUPON IN {}",
            placeholders(codes.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(process.0).bind(first);
        for code in codes {
            query = query.bind(code);
        }
        query
    };
    let linked = query
        .execute(&mut *conn)
        .await
        .map_err(|e| sql_error(BACKEND, e))?
        .rows_affected();
    if linked != inserted {
        return Err(StoreError::Corrupt {
            what: "crmsync_coupon_runs",
            reason: format!(
                "{inserted} coupons were inserted but {linked} were found to link to the run"
            ),
        });
    }
    Ok(inserted)
}

fn rejected(field: &'static str, reason: Message) -> SettingsError {
    SettingsError { field, reason }
}

fn at_most(max: u64) -> Message {
    Message::new("must-be-at-most", format!("must be at most {max}")).arg("max", max)
}

#[async_trait]
impl CouponStore for BitrixCouponStore {
    async fn check_settings(
        &self,
        settings: &CouponSettings,
        code_chars: usize,
    ) -> Result<Vec<SettingsError>, StoreError> {
        let mut errors = Vec::new();
        let coupon = &settings.coupon;
        if code_chars > BITRIX_COUPON_CHARS {
            errors.push(rejected(
                "template",
                Message::new(
                    "template-too-long-bitrix",
                    format!(
                        "the template makes codes of {code_chars} characters; Bitrix's COUPON column holds at \
                         most {BITRIX_COUPON_CHARS}"
                    ),
                )
                .arg("length", code_chars)
                .arg("max", BITRIX_COUPON_CHARS),
            ));
        }
        if coupon.discount_id > BITRIX_INT_MAX {
            errors.push(rejected("discount_id", at_most(BITRIX_INT_MAX)));
        } else {
            let found: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM b_sale_discount WHERE ID = ?")
                    .bind(i64::try_from(coupon.discount_id).unwrap_or(i64::MAX))
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| sql_error(BACKEND, e))?;
            if found == 0 {
                errors.push(rejected(
                    "discount_id",
                    Message::new(
                        "discount-unknown",
                        format!(
                            "discount {} does not exist in the shop (b_sale_discount)",
                            coupon.discount_id
                        ),
                    )
                    .arg("id", coupon.discount_id),
                ));
            }
        }
        if coupon
            .max_uses
            .is_some_and(|m| u64::from(m) > BITRIX_INT_MAX)
        {
            errors.push(rejected("max_uses", at_most(BITRIX_INT_MAX)));
        }
        if coupon.user_id.is_some_and(|u| u > BITRIX_INT_MAX) {
            errors.push(rejected("user_id", at_most(BITRIX_INT_MAX)));
        }
        if settings.case == CaseMode::Mixed {
            let collation: Option<String> = sqlx::query_scalar(
                "SELECT COLLATION_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'b_sale_discount_coupon' AND COLUMN_NAME = 'COUPON'",
            )
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| sql_error(BACKEND, e))?
            .flatten();
            if let Some(collation) = collation.filter(|c| c.ends_with("_ci")) {
                errors.push(rejected(
                    "case",
                    Message::new(
                        "case-mixed-ci",
                        format!(
                            "the shop's COUPON column ignores letter case ({collation}), so mixed-case codes would \
                             collide: use upper or lower"
                        ),
                    )
                    .arg("collation", collation),
                ));
            }
        }
        Ok(errors)
    }

    async fn commit_chunk<'a>(&self, chunk: &ChunkCommit<'a>) -> Result<ChunkOutcome, StoreError> {
        let expected = serde_json::to_string(chunk.expected_checkpoint)
            .map_err(|e| StoreError::backend(BACKEND, e))?;
        let next = serde_json::to_string(chunk.next_checkpoint)
            .map_err(|e| StoreError::backend(BACKEND, e))?;
        let mut tx = self.pool.begin().await.map_err(|e| sql_error(BACKEND, e))?;
        let claimed = sqlx::query(
            "UPDATE processes SET heartbeat_at = ? \
             WHERE id = ? AND status = 'running' AND attempts = ? AND checkpoint = ?",
        )
        .bind(chunk.at)
        .bind(chunk.process.0)
        .bind(i64::from(chunk.attempts))
        .bind(&expected)
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        if claimed.rows_affected() != 1 {
            tx.rollback().await.map_err(|e| sql_error(BACKEND, e))?;
            return Ok(ChunkOutcome::Stale);
        }
        let inserted = self
            .insert(
                &mut tx,
                chunk.fields,
                chunk.codes,
                Some(chunk.process),
                chunk.at,
            )
            .await?;
        let added = i64::try_from(inserted).map_err(|_| too_large("processed", inserted))?;
        sqlx::query("UPDATE processes SET processed = processed + ?, checkpoint = ? WHERE id = ?")
            .bind(added)
            .bind(&next)
            .bind(chunk.process.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| sql_error(BACKEND, e))?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))?;
        Ok(ChunkOutcome::Committed { inserted })
    }

    async fn end_run(&self, process: &Process, expected: Expected) -> Result<bool, StoreError> {
        let r = process.record();
        let result = sqlx::query(
            "UPDATE processes SET status = ?, finished_at = ?, heartbeat_at = ?, last_error = ?, message = ? \
             WHERE id = ? AND status = ? AND attempts = ?",
        )
        .bind(r.status.as_str())
        .bind(r.finished_at)
        .bind(r.heartbeat_at)
        .bind(r.last_error.as_deref())
        .bind(r.message.as_deref())
        .bind(r.id.0)
        .bind(expected.status.as_str())
        .bind(i64::from(expected.attempts))
        .execute(&self.pool)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        Ok(result.rows_affected() == 1)
    }

    async fn import(&self, fields: &CouponFields, codes: &[String]) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| sql_error(BACKEND, e))?;
        let inserted = self
            .insert(&mut tx, fields, codes, None, Utc::now())
            .await?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))?;
        Ok(inserted)
    }

    async fn delete_unused(&self, process: ProcessId) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| sql_error(BACKEND, e))?;
        let deleted = sqlx::query(
            "DELETE c FROM b_sale_discount_coupon c JOIN crmsync_coupon_runs r ON r.coupon_id = c.ID \
             WHERE r.process_id = ? AND c.USE_COUNT = 0",
        )
        .bind(process.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?
        .rows_affected();
        sqlx::query(
            "DELETE r FROM crmsync_coupon_runs r LEFT JOIN b_sale_discount_coupon c ON c.ID = r.coupon_id \
             WHERE r.process_id = ? AND c.ID IS NULL",
        )
        .bind(process.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| sql_error(BACKEND, e))?;
        tx.commit().await.map_err(|e| sql_error(BACKEND, e))?;
        Ok(deleted)
    }

    async fn find(&self, code: &str) -> Result<Option<StoredCoupon>, StoreError> {
        let row: Option<CouponRow> =
            sqlx::query_as(AssertSqlSafe(format!("{SELECT_COUPON} WHERE c.COUPON = ?")))
                .bind(code)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| sql_error(BACKEND, e))?;
        row.map(StoredCoupon::try_from).transpose()
    }

    async fn count_by_process(&self, process: ProcessId) -> Result<u64, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM crmsync_coupon_runs WHERE process_id = ?")
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
            "{SELECT_COUPON} WHERE r.process_id = ? AND c.ID > ? ORDER BY c.ID LIMIT ?"
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
    use super::placeholders;

    #[test]
    fn placeholder_lists_have_one_mark_per_value() {
        assert_eq!(placeholders(1), "(?)");
        assert_eq!(placeholders(3), "(?, ?, ?)");
    }
}
