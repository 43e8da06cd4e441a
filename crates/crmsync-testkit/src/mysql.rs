//! Fresh, isolated databases on the local MariaDB/MySQL server, and the Bitrix sale-module tables a test shop
//! needs (`b_sale_discount`, `b_sale_discount_coupon`).

use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor, MySqlPool};

/// How to start MariaDB on this kind of machine.
pub const MARIADB_START: &str = "/etc/init.d/mariadb start";

/// The server tests create their databases on (`CRMSYNC_TEST_MYSQL_URL` overrides).
pub fn mysql_admin_url() -> String {
    std::env::var("CRMSYNC_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// A MySQL database created for one test; dropped by later runs once it is old.
#[derive(Debug)]
pub struct TestMySql {
    /// Connection URL of the new database.
    pub url: String,
    /// Pool on the new database.
    pub pool: MySqlPool,
}

/// Creates an empty database for one test (with `b_sale_discount` and `b_sale_discount_coupon` when
/// `bitrix` is set).
///
/// Panics with the command that starts MariaDB when the server cannot be reached.
pub async fn fresh_mysql(bitrix: bool) -> TestMySql {
    let admin_url = mysql_admin_url();
    let admin_options: MySqlConnectOptions = admin_url
        .parse()
        .expect("CRMSYNC_TEST_MYSQL_URL is not a valid URL");
    let admin = match MySqlPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(admin_options.clone())
        .await
    {
        Ok(pool) => pool,
        Err(error) => panic!(
            "this test needs MariaDB/MySQL at {admin_url} but it is not reachable ({error}).\n\
             Start it with:  {MARIADB_START}\n(or run `cargo xtask services`)"
        ),
    };
    drop_old_databases(&admin).await;
    let name = format!(
        "crmsync_t_{}_{}",
        chrono::Utc::now().timestamp(),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    admin
        .execute(AssertSqlSafe(format!(
            "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )))
        .await
        .unwrap_or_else(|e| panic!("could not create test database {name}: {e}"));
    admin.close().await;
    let options = admin_options
        .database(&name)
        .timezone(Some("+00:00".to_owned()))
        .disable_statement_logging();
    let pool = MySqlPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await
        .unwrap_or_else(|e| panic!("could not connect to test database {name}: {e}"));
    if bitrix {
        bitrix_schema(&pool, "utf8mb4_bin").await;
    }
    TestMySql {
        url: format!("{}/{name}", admin_url.trim_end_matches('/')),
        pool,
    }
}

/// Creates the sale module's `b_sale_discount` (with discounts 1 to 9) and `b_sale_discount_coupon`, as Bitrix
/// installs them, its `COUPON` column in `coupon_collation` (a shop's is usually case-insensitive `…_ci`; the
/// contract suites use `utf8mb4_bin`). Times are `DATETIME(6)` so stored values read back exactly.
pub async fn bitrix_schema(pool: &MySqlPool, coupon_collation: &str) {
    pool.execute(
        "CREATE TABLE b_sale_discount (
            ID int NOT NULL AUTO_INCREMENT,
            XML_ID varchar(255) NULL,
            LID char(2) NOT NULL DEFAULT 's1',
            NAME varchar(255) NULL,
            ACTIVE char(1) NOT NULL DEFAULT 'Y',
            PRIMARY KEY (ID)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    )
    .await
    .unwrap();
    pool.execute(
        "INSERT INTO b_sale_discount (NAME) VALUES ('1'), ('2'), ('3'), ('4'), ('5'), ('6'), ('7'), ('8'), ('9')",
    )
    .await
    .unwrap();
    pool.execute(AssertSqlSafe(format!(
        "CREATE TABLE b_sale_discount_coupon (
            ID int NOT NULL AUTO_INCREMENT,
            DISCOUNT_ID int NOT NULL,
            ACTIVE char(1) NOT NULL DEFAULT 'Y',
            ACTIVE_FROM datetime(6) NULL DEFAULT NULL,
            ACTIVE_TO datetime(6) NULL DEFAULT NULL,
            COUPON varchar(32) COLLATE {coupon_collation} NOT NULL,
            TYPE int NOT NULL DEFAULT 0,
            MAX_USE int NOT NULL DEFAULT 0,
            USE_COUNT int NOT NULL DEFAULT 0,
            USER_ID int NOT NULL DEFAULT 0,
            DATE_APPLY datetime(6) NULL DEFAULT NULL,
            TIMESTAMP_X datetime(6) NULL DEFAULT NULL,
            MODIFIED_BY int NULL DEFAULT NULL,
            DATE_CREATE datetime(6) NULL DEFAULT NULL,
            CREATED_BY int NULL DEFAULT NULL,
            DESCRIPTION text NULL,
            PRIMARY KEY (ID),
            UNIQUE KEY IX_S_D_COUPON (COUPON)
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci"
    )))
    .await
    .unwrap();
}

/// Drops test databases created more than six hours ago (left by failed or killed runs).
async fn drop_old_databases(admin: &MySqlPool) {
    let cutoff = chrono::Utc::now().timestamp() - 6 * 3600;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'crmsync\\_t\\_%'",
    )
    .fetch_all(admin)
    .await
    .unwrap_or_default();
    for name in names {
        let created = name.split('_').nth(2).and_then(|ts| ts.parse::<i64>().ok());
        if created.is_some_and(|ts| ts < cutoff) {
            let _ = admin
                .execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .await;
        }
    }
}
