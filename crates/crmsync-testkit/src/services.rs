//! Fresh, isolated resources on the local PostgreSQL and Redis servers.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Executor, PgPool};

/// How to start PostgreSQL on this kind of machine.
pub const POSTGRES_START: &str =
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
/// How to start Redis on this kind of machine.
pub const REDIS_START: &str =
    "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no";

/// The maintenance database tests create their databases from (`CRMSYNC_TEST_POSTGRES_URL` overrides).
pub fn postgres_admin_url() -> String {
    std::env::var("CRMSYNC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The Redis server tests use (`CRMSYNC_TEST_REDIS_URL` overrides).
pub fn redis_url() -> String {
    std::env::var("CRMSYNC_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A database created for one test; dropped by later runs once it is old.
#[derive(Debug)]
pub struct TestDatabase {
    /// Connection URL of the new database.
    pub url: String,
    /// Pool on the new database.
    pub pool: PgPool,
}

/// Creates an empty PostgreSQL database for one test.
///
/// Panics with the command that starts PostgreSQL when the server cannot be reached.
pub async fn fresh_postgres() -> TestDatabase {
    let admin_url = postgres_admin_url();
    let admin_options: PgConnectOptions = admin_url
        .parse()
        .expect("CRMSYNC_TEST_POSTGRES_URL is not a valid URL");
    let admin = match PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(admin_options.clone())
        .await
    {
        Ok(pool) => pool,
        Err(error) => panic!(
            "this test needs PostgreSQL at {admin_url} but it is not reachable ({error}).\n\
             Start it with:  {POSTGRES_START}\n(or run `cargo xtask services`)"
        ),
    };
    drop_old_databases(&admin).await;
    let name = format!(
        "crmsync_t_{}_{}",
        chrono::Utc::now().timestamp(),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap_or_else(|e| panic!("could not create test database {name}: {e}"));
    admin.close().await;
    let options = admin_options.database(&name).disable_statement_logging();
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await
        .unwrap_or_else(|e| panic!("could not connect to test database {name}: {e}"));
    TestDatabase {
        url: options.to_url_lossy().to_string(),
        pool,
    }
}

/// Drops test databases created more than six hours ago (left by failed or killed runs).
async fn drop_old_databases(admin: &PgPool) {
    let cutoff = chrono::Utc::now().timestamp() - 6 * 3600;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'crmsync\\_t\\_%'")
            .fetch_all(admin)
            .await
            .unwrap_or_default();
    for name in names {
        let created = name.split('_').nth(2).and_then(|ts| ts.parse::<i64>().ok());
        if created.is_some_and(|ts| ts < cutoff) {
            let _ = admin
                .execute(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await;
        }
    }
}

/// A key prefix unique to one test on the shared Redis server; its keys are deleted on drop.
#[derive(Debug)]
pub struct RedisNamespace {
    /// Server URL.
    pub url: String,
    /// Prefix every key of the test starts with (ends in `:`).
    pub prefix: String,
}

/// Reserves a fresh key prefix on the local Redis.
///
/// Panics with the command that starts Redis when the server cannot be reached.
pub async fn fresh_redis() -> RedisNamespace {
    let url = redis_url();
    let reachable = async {
        let client = redis::Client::open(url.as_str()).ok()?;
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()
    };
    if tokio::time::timeout(Duration::from_secs(5), reachable)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        panic!(
            "this test needs Redis at {url} but it is not reachable.\n\
             Start it with:  {REDIS_START}\n(or run `cargo xtask services`)"
        );
    }
    RedisNamespace {
        url,
        prefix: format!("crmsync-test:{}:", uuid::Uuid::new_v4().simple()),
    }
}

impl Drop for RedisNamespace {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return;
        };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_secs(2)) else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut conn)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<u64, _> = redis::cmd("DEL").arg(keys).query(&mut conn);
        }
    }
}
