//! PostgreSQL coupons beyond the contract: binary `COPY` values as the server reads them, and chunks the database
//! refuses leave nothing behind with every insert strategy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use crmsync_domain::coupon::{CouponFields, CouponType};
use crmsync_store::postgres::{self, BinaryCopy, CopyValue, PgInsertStrategy};
use crmsync_testkit::{contract, services};

async fn pg_pool() -> sqlx::PgPool {
    let db = services::fresh_postgres().await;
    postgres::migrate(&db.pool).await.unwrap();
    db.pool
}

#[tokio::test]
async fn binary_copy_values_read_back_as_written() {
    let pool = pg_pool().await;
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query(
        "CREATE TABLE copied (t TEXT, i INTEGER, b BIGINT, f BOOLEAN, at TIMESTAMPTZ, j JSONB, n TEXT)",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    let early = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 58).unwrap();
    let late = Utc.timestamp_micros(1_796_083_200_123_456).unwrap();
    let mut copy = BinaryCopy::default();
    for (text, at, flag) in [("Новый-1\t\\", early, true), ("", late, false)] {
        copy.tuple(&[
            CopyValue::Text(text),
            CopyValue::Int4(-7),
            CopyValue::Int8(i64::MAX),
            CopyValue::Bool(flag),
            CopyValue::TimestampTz(at),
            CopyValue::Jsonb(r#"{"a": [1, "ж"]}"#),
            CopyValue::Null,
        ])
        .unwrap();
    }
    let mut sink = conn
        .copy_in_raw("COPY copied FROM STDIN (FORMAT binary)")
        .await
        .unwrap();
    sink.send(copy.finish()).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);
    type Row = (
        String,
        i32,
        i64,
        bool,
        chrono::DateTime<Utc>,
        serde_json::Value,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as("SELECT t, i, b, f, at, j, n FROM copied ORDER BY f DESC")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let json = serde_json::json!({"a": [1, "ж"]});
    assert_eq!(
        rows,
        [
            (
                "Новый-1\t\\".to_owned(),
                -7,
                i64::MAX,
                true,
                early,
                json.clone(),
                None
            ),
            (String::new(), -7, i64::MAX, false, late, json, None),
        ]
    );
}

/// Fields the `coupons` table's `CHECK (discount_id > 0)` refuses.
fn refused() -> CouponFields {
    CouponFields {
        discount_id: 0,
        coupon_type: CouponType::OneOrder,
        active: true,
        active_from: None,
        active_to: None,
        max_uses: None,
        user_id: None,
        description: None,
    }
}

#[tokio::test]
async fn a_refused_chunk_writes_nothing_with_any_strategy() {
    for strategy in [
        PgInsertStrategy::Copy,
        PgInsertStrategy::Unnest,
        PgInsertStrategy::CopyMerge,
    ] {
        let pool = pg_pool().await;
        contract::refused_chunk_writes_nothing(
            &postgres::PgProcessStore::new(pool.clone()),
            &postgres::PgCouponStore::new(pool).with_strategy(strategy),
            refused(),
        )
        .await;
    }
}
