//! The storage contract suites against every backend: in-memory, SQLite and PostgreSQL (fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crmsync_store::{memory, mysql, postgres, sqlite};
use crmsync_testkit::{contract, services};

async fn sqlite_pool() -> (sqlx::SqlitePool, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("crmsync-store-{}", uuid::Uuid::new_v4().simple()));
    let pool = sqlite::open(&dir.join("test.sqlite")).await.unwrap();
    (pool, dir)
}

#[tokio::test]
async fn memory_process_store() {
    contract::process_store(&memory::MemoryProcessStore::new()).await;
}

#[tokio::test]
async fn memory_set_store() {
    contract::set_store(&memory::MemorySetStore::new(), "").await;
}

#[tokio::test]
async fn memory_key_value_store() {
    contract::key_value_store(&memory::MemoryKeyValueStore::new(), "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_lock_store() {
    contract::lock_store(std::sync::Arc::new(memory::MemoryLockStore::new()), "").await;
}

#[tokio::test]
async fn sqlite_process_store() {
    let (pool, dir) = sqlite_pool().await;
    contract::process_store(&sqlite::SqliteProcessStore::new(pool)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sqlite_set_store() {
    let (pool, dir) = sqlite_pool().await;
    contract::set_store(&sqlite::SqliteSetStore::new(pool), "").await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sqlite_key_value_store() {
    let (pool, dir) = sqlite_pool().await;
    contract::key_value_store(&sqlite::SqliteKeyValueStore::new(pool), "").await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_lock_store() {
    let (pool, dir) = sqlite_pool().await;
    contract::lock_store(std::sync::Arc::new(sqlite::SqliteLockStore::new(pool)), "").await;
    let _ = std::fs::remove_dir_all(dir);
}

async fn pg_pool() -> sqlx::PgPool {
    let db = services::fresh_postgres().await;
    postgres::migrate(&db.pool).await.unwrap();
    db.pool
}

#[tokio::test]
async fn postgres_process_store() {
    contract::process_store(&postgres::PgProcessStore::new(pg_pool().await)).await;
}

#[tokio::test]
async fn postgres_set_store() {
    contract::set_store(&postgres::PgSetStore::new(pg_pool().await), "").await;
}

#[tokio::test]
async fn postgres_key_value_store() {
    contract::key_value_store(&postgres::PgKeyValueStore::new(pg_pool().await), "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_lock_store() {
    contract::lock_store(
        std::sync::Arc::new(postgres::PgLockStore::new(pg_pool().await)),
        "",
    )
    .await;
}

#[tokio::test]
async fn memory_coupon_store() {
    let processes = memory::MemoryProcessStore::new();
    let coupons = memory::MemoryCouponStore::new(processes.clone());
    contract::coupon_store(&processes, &coupons).await;
}

#[tokio::test]
async fn sqlite_coupon_store() {
    let (pool, dir) = sqlite_pool().await;
    contract::coupon_store(
        &sqlite::SqliteProcessStore::new(pool.clone()),
        &sqlite::SqliteCouponStore::new(pool),
    )
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_coupon_store_copy() {
    let pool = pg_pool().await;
    contract::coupon_store(
        &postgres::PgProcessStore::new(pool.clone()),
        &postgres::PgCouponStore::new(pool).with_strategy(postgres::PgInsertStrategy::Copy),
    )
    .await;
}

#[tokio::test]
async fn postgres_coupon_store_unnest() {
    let pool = pg_pool().await;
    contract::coupon_store(
        &postgres::PgProcessStore::new(pool.clone()),
        &postgres::PgCouponStore::new(pool).with_strategy(postgres::PgInsertStrategy::Unnest),
    )
    .await;
}

#[tokio::test]
async fn postgres_coupon_store_copy_merge() {
    let pool = pg_pool().await;
    contract::coupon_store(
        &postgres::PgProcessStore::new(pool.clone()),
        &postgres::PgCouponStore::new(pool).with_strategy(postgres::PgInsertStrategy::CopyMerge),
    )
    .await;
}

#[tokio::test]
async fn memory_org_store() {
    contract::org_store(&memory::MemoryOrgStore::new()).await;
}

#[tokio::test]
async fn sqlite_org_store() {
    let (pool, dir) = sqlite_pool().await;
    contract::org_store(&sqlite::SqliteOrgStore::new(pool)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_org_store() {
    contract::org_store(&postgres::PgOrgStore::new(pg_pool().await)).await;
}

#[tokio::test]
async fn memory_audit_log() {
    contract::audit_log(&memory::MemoryAuditLog::new()).await;
}

#[tokio::test]
async fn sqlite_audit_log() {
    let (pool, dir) = sqlite_pool().await;
    contract::audit_log(&sqlite::SqliteAuditLog::new(pool)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_audit_log() {
    contract::audit_log(&postgres::PgAuditLog::new(pg_pool().await)).await;
}

async fn mysql_pool() -> sqlx::MySqlPool {
    let db = crmsync_testkit::mysql::fresh_mysql(true).await;
    mysql::migrate(&db.pool).await.unwrap();
    db.pool
}

#[tokio::test]
async fn mysql_process_store() {
    contract::process_store(&mysql::MySqlProcessStore::new(mysql_pool().await)).await;
}

#[tokio::test]
async fn mysql_bitrix_coupon_store() {
    let pool = mysql_pool().await;
    let processes = mysql::MySqlProcessStore::new(pool.clone());
    let coupons = mysql::BitrixCouponStore::new(pool, mysql::BitrixOptions::default());
    contract::coupon_store(&processes, &coupons).await;
}

#[tokio::test]
async fn mysql_audit_log() {
    contract::audit_log(&mysql::MySqlAuditLog::new(mysql_pool().await)).await;
}

#[tokio::test]
async fn memory_flow_store() {
    contract::flow_store(&memory::MemoryFlowStore::new()).await;
}

#[tokio::test]
async fn sqlite_flow_store() {
    let (pool, dir) = sqlite_pool().await;
    contract::flow_store(&sqlite::SqliteFlowStore::new(pool)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_flow_store() {
    contract::flow_store(&postgres::PgFlowStore::new(pg_pool().await)).await;
}

#[tokio::test]
async fn memory_attribute_store() {
    contract::attribute_store(&memory::MemoryAttributeStore::new()).await;
}

#[tokio::test]
async fn sqlite_attribute_store() {
    let (pool, dir) = sqlite_pool().await;
    contract::attribute_store(&sqlite::SqliteAttributeStore::new(pool)).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_attribute_store() {
    contract::attribute_store(&postgres::PgAttributeStore::new(pg_pool().await)).await;
}
