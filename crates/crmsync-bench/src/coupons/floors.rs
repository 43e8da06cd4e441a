//! The floors a coupon run is compared with: the same rows (same codes, same column values) written the plainest
//! way each database offers, into a fresh identical table, without a journal. They are derived from the input
//! alone, not from how the stores plan their writes.

use std::time::Instant;

use chrono::Utc;
use crmsync_domain::coupon::{PermutationKey, SettingsDraft, UniqueCodes};
use crmsync_store::postgres::{self, BinaryCopy, CopyValue};
use sqlx::AssertSqlSafe;

use crate::report::Report;

/// The key of the benchmark's runs, so a run and its floors hold the same codes.
pub(super) fn key() -> PermutationKey {
    PermutationKey::from_bytes([9; 16])
}

/// The first `count` codes of `template` under [`key`]: those a run stores into an empty table.
fn codes(template: &str, count: u64) -> anyhow::Result<Vec<String>> {
    let draft = SettingsDraft {
        template: Some(template.into()),
        ..SettingsDraft::default()
    };
    let template = draft.parse_template()?;
    Ok(UniqueCodes::new(&template, &key()).range(0..u128::from(count))?)
}

/// Seconds of one binary `COPY` of the run's rows (discount 1, one-order, active, run 1) into
/// `CREATE TABLE … (LIKE coupons INCLUDING ALL)` in a fresh database; the stream is encoded before the clock
/// starts.
pub(super) async fn postgres_copy(template: &str, count: u64) -> anyhow::Result<f64> {
    let db = crmsync_testkit::services::fresh_postgres().await;
    postgres::migrate(&db.pool).await?;
    sqlx::query("CREATE TABLE coupon_floor (LIKE coupons INCLUDING ALL)")
        .execute(&db.pool)
        .await?;
    let codes = codes(template, count)?;
    let at = Utc::now();
    let mut copy = BinaryCopy::with_capacity(codes.len() * 96);
    for code in &codes {
        copy.tuple(&[
            CopyValue::Text(code),
            CopyValue::Int8(1),
            CopyValue::Text("one_order"),
            CopyValue::Bool(true),
            CopyValue::Null,
            CopyValue::Null,
            CopyValue::Null,
            CopyValue::Null,
            CopyValue::Null,
            CopyValue::Int8(1),
            CopyValue::TimestampTz(at),
        ])?;
    }
    let data = copy.finish();
    let mut conn = db.pool.acquire().await?;
    let started = Instant::now();
    let mut sink = conn
        .copy_in_raw(
            "COPY coupon_floor (code, discount_id, coupon_type, active, active_from, active_to, max_uses, \
             user_id, description, process_id, created_at) FROM STDIN (FORMAT binary)",
        )
        .await?;
    for piece in data.chunks(1 << 20) {
        sink.send(piece).await?;
    }
    let rows = sink.finish().await?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(rows == count, "the floor copied {rows} of {count} rows");
    Ok(seconds)
}

/// Shapes of plain multi-row inserts tried for the MariaDB floor: rows per statement, rows per transaction.
const MULTIROW_SHAPES: [(usize, usize); 3] =
    [(10_000, 10_000), (2_000, 10_000), (10_000, usize::MAX)];

/// Records the MariaDB floors of the run's rows next to `persisted` (the run's seconds): each multi-row insert
/// shape, the best of them (`coupons.multirow_floor_1m_mariadb_s`, the ratio's base), and server-side
/// `LOAD DATA INFILE` when the server can read this machine's temporary directory.
pub(super) async fn mariadb(
    report: &mut Report,
    template: &str,
    count: u64,
    persisted: f64,
) -> anyhow::Result<()> {
    let codes = codes(template, count)?;
    let mut best = f64::INFINITY;
    for (per_statement, per_transaction) in MULTIROW_SHAPES {
        let seconds = mariadb_multirow(&codes, per_statement, per_transaction).await?;
        let commits = if per_transaction == usize::MAX {
            "one_commit".to_owned()
        } else {
            format!("commit_{per_transaction}")
        };
        report
            .record(
                &format!("coupons.multirow_1m_mariadb_{per_statement}_rows_{commits}_s"),
                seconds,
            )
            .on(format!(
                "the same {count} codes as plain multi-row inserts of {per_statement} rows, no journal"
            ));
        best = best.min(seconds);
    }
    report
        .record("coupons.multirow_floor_1m_mariadb_s", best)
        .on("the best of coupons.multirow_1m_mariadb_*");
    report
        .record("coupons.persist_1m_mariadb_ratio", persisted / best)
        .goal("≤ 1.3")
        .on("coupons.persist_1m_mariadb_s / coupons.multirow_floor_1m_mariadb_s");
    match mariadb_load_data(&codes).await {
        Ok(seconds) => {
            report
                .record("coupons.load_data_floor_1m_mariadb_s", seconds)
                .on(format!(
                    "the same {count} codes by server-side LOAD DATA INFILE from a file (sqlx cannot send \
                     LOAD DATA LOCAL INFILE)"
                ));
            report
                .record("coupons.persist_1m_mariadb_load_data_ratio", persisted / seconds)
                .on("coupons.persist_1m_mariadb_s / coupons.load_data_floor_1m_mariadb_s");
        }
        Err(error) => report.input(format!(
            "coupons.load_data_floor_1m_mariadb_s not measured: the server could not load a file of this \
             machine ({error})"
        )),
    }
    Ok(())
}

/// Seconds of `codes` as `INSERT … VALUES (…), (…)` of `per_statement` rows (the constant fields inline, one
/// parameter per code), committed every `per_transaction` rows, into a fresh Bitrix `b_sale_discount_coupon`.
async fn mariadb_multirow(
    codes: &[String],
    per_statement: usize,
    per_transaction: usize,
) -> anyhow::Result<f64> {
    let shop = crmsync_testkit::mysql::fresh_mysql(true).await;
    let row = "(1, 'Y', ?, 2, 0, 0, 0, NOW(), NOW())";
    let started = Instant::now();
    for transaction in codes.chunks(per_transaction) {
        let mut tx = shop.pool.begin().await?;
        for statement in transaction.chunks(per_statement) {
            let sql = format!(
                "INSERT INTO b_sale_discount_coupon (DISCOUNT_ID, ACTIVE, COUPON, TYPE, MAX_USE, USE_COUNT, \
                 USER_ID, DATE_CREATE, TIMESTAMP_X) VALUES {}",
                vec![row; statement.len()].join(", ")
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for code in statement {
                query = query.bind(code);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Seconds of `LOAD DATA INFILE` of `codes` (one per line, written before the clock starts) into a fresh Bitrix
/// `b_sale_discount_coupon`, the other columns set as a run sets them.
async fn mariadb_load_data(codes: &[String]) -> anyhow::Result<f64> {
    let path = std::env::temp_dir().join(format!(
        "crmsync-bench-coupons-{}.txt",
        uuid::Uuid::new_v4().simple()
    ));
    let mut text = String::with_capacity(codes.iter().map(|c| c.len() + 1).sum());
    for code in codes {
        anyhow::ensure!(
            !code.contains(['\\', '\t', '\n']),
            "the code {code} needs escaping"
        );
        text.push_str(code);
        text.push('\n');
    }
    std::fs::write(&path, text)?;
    let path_text = path.display().to_string();
    anyhow::ensure!(!path_text.contains(['\'', '\\']), "unusual temporary path");
    let shop = crmsync_testkit::mysql::fresh_mysql(true).await;
    let started = Instant::now();
    let loaded = sqlx::raw_sql(AssertSqlSafe(format!(
        "LOAD DATA INFILE '{path_text}' INTO TABLE b_sale_discount_coupon CHARACTER SET utf8mb4 (COUPON) \
         SET DISCOUNT_ID = 1, ACTIVE = 'Y', TYPE = 2, MAX_USE = 0, USE_COUNT = 0, USER_ID = 0, \
         DATE_CREATE = NOW(), TIMESTAMP_X = NOW()"
    )))
    .execute(&shop.pool)
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    let loaded = loaded?.rows_affected();
    anyhow::ensure!(
        loaded == codes.len() as u64,
        "LOAD DATA loaded {loaded} of {} codes",
        codes.len()
    );
    Ok(seconds)
}
