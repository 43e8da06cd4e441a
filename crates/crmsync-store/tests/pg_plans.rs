//! PostgreSQL plans of the reads by a list of ids: a prepared statement's generic plan (the one PostgreSQL
//! switches to after a few executions) must still use an index, not scan the whole table.
//!
//! The tables hold rows enough for a sequential scan to be the planner's choice when it cannot see how many ids
//! the JSON array holds; they are never analysed, as right after a bulk load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crmsync_store::postgres;
use crmsync_store::sql::attributes::AttributeSql;
use crmsync_store::sql::company::CompanySql;
use crmsync_store::sql::flow::FlowSql;
use crmsync_store::sql::set::SetSql;
use crmsync_testkit::services;
use sqlx::{Postgres, Row};

/// Rows per filled table (ten times as many tasks).
const ROWS: i64 = 20_000;

/// The generic plan of `statement` executed with `args` (a parenthesised list of literals), as text.
async fn generic_plan(
    conn: &mut sqlx::PgConnection,
    statement: &str,
    types: &str,
    args: &str,
) -> String {
    sqlx::raw_sql("SET plan_cache_mode = force_generic_plan")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DEALLOCATE ALL; PREPARE probe({types}) AS {statement}"
    )))
    .execute(&mut *conn)
    .await
    .unwrap();
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("EXPLAIN EXECUTE probe{args}")))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.get::<String, _>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn reads_by_a_list_of_ids_keep_an_index_scan_in_their_generic_plan() {
    let db = services::fresh_postgres().await;
    postgres::migrate(&db.pool).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "INSERT INTO app_session (id, category, flow_key, status, creator, anonymous, participants, parent_id, \
             form, started_at, updated_at) \
         SELECT 'i' || n, 'office', 'leave', 'running', 'u' || (n % 50), false, '[]', \
             CASE WHEN n % 5 = 0 THEN 'i' || (n / 5 - 1) END, '{{}}', n, n \
         FROM generate_series(1, {ROWS}) AS n; \
         INSERT INTO task_history (id, sess_id, node_id, node_name, task_type, notified, status, created_at, \
             updated_at) \
         SELECT 't' || n, 'i' || (n / 10), 'n' || (n % 7), 'node', 'approval', false, 'pending', n, n \
         FROM generate_series(1, {ROWS} * 10) AS n; \
         INSERT INTO set_members (set_name, member) SELECT 's', 'm' || n FROM generate_series(1, {ROWS}) AS n; \
         INSERT INTO companies (seller_id, company_id) SELECT 's' || n, n::text FROM generate_series(1, {ROWS}) AS n; \
         INSERT INTO officeflow_user_attributes (username, identity, attributes) \
         SELECT 'u' || n, 'student', jsonb_build_object('grade', n % 12, 'class', 'c' || (n % 400)) \
         FROM generate_series(1, {ROWS}) AS n"
    )))
    .execute(&db.pool)
    .await
    .unwrap();

    let mut conn = db.pool.acquire().await.unwrap();
    let ids = "('[\"i7\", \"i8\"]')";
    for (name, statement, types, args, table) in [
        (
            "instances",
            <Postgres as FlowSql>::INSTANCES_IN,
            "text",
            ids,
            "app_session",
        ),
        (
            "tasks",
            <Postgres as FlowSql>::TASKS_OF_INSTANCES_IN,
            "text",
            ids,
            "task_history",
        ),
        (
            "set remove",
            <Postgres as SetSql>::REMOVE,
            "text, text",
            "('s', '[\"m1\"]')",
            "set_members",
        ),
        (
            "companies by seller",
            <Postgres as CompanySql>::BY_SELLERS,
            "text",
            "('[\"s1\"]')",
            "companies",
        ),
        (
            "companies by company",
            <Postgres as CompanySql>::BY_COMPANIES,
            "text",
            "('[\"1\"]')",
            "companies",
        ),
        (
            "user attributes",
            <Postgres as AttributeSql>::USERS_IN,
            "text",
            "('[\"u1\"]')",
            "officeflow_user_attributes",
        ),
        (
            "user attributes remove",
            <Postgres as AttributeSql>::DELETE_USERS_IN,
            "text",
            "('[\"u1\"]')",
            "officeflow_user_attributes",
        ),
    ] {
        let plan = generic_plan(&mut conn, statement, types, args).await;
        assert!(
            !plan.contains(&format!("Seq Scan on {table}")),
            "{name}: the generic plan scans {table}:\n{plan}"
        );
        assert!(
            plan.contains("Index"),
            "{name}: no index in the generic plan:\n{plan}"
        );
    }

    // Users by attribute value: the containment test is one the GIN index answers (which plan the planner
    // prefers depends on the values; with sequential and plain index scans off only the GIN index is left).
    sqlx::raw_sql("SET enable_seqscan = off; SET enable_indexscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    let plan = generic_plan(
        &mut conn,
        <Postgres as AttributeSql>::USERS_WITH,
        "text, text, text, bigint",
        "('class', '\"c7\"', 'student', 100)",
    )
    .await;
    assert!(
        plan.contains("Bitmap Index Scan on officeflow_user_attributes_values"),
        "users by attribute value: the GIN index cannot answer the test:\n{plan}"
    );
}

#[tokio::test]
async fn refreshing_the_flow_statistics_analyses_both_tables() {
    use crmsync_ports::FlowStore;
    let db = services::fresh_postgres().await;
    postgres::migrate(&db.pool).await.unwrap();
    let analysed = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_user_tables \
             WHERE relname IN ('app_session', 'task_history') AND last_analyze IS NOT NULL",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    assert_eq!(analysed().await, 0);
    crmsync_store::sql::flow::SqlFlowStore::new(db.pool.clone())
        .refresh_statistics()
        .await
        .unwrap();
    // The statistics collector reports the analyse asynchronously.
    let mut seen = 0;
    for _ in 0..50 {
        seen = analysed().await;
        if seen == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, 2, "both flow tables analysed");
}
