//! Several processes opening and writing one fresh SQLite file at once (each pool stands for a process).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crmsync_ports::SetStore;
use crmsync_store::sqlite;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_openers_of_a_fresh_file_all_succeed_and_migrate_once() {
    for round in 0..5 {
        let dir = std::env::temp_dir().join(format!(
            "crmsync-sqlite-race-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let path = dir.join("shared.sqlite");
        let mut openers = Vec::new();
        for opener in 0..6 {
            let path = path.clone();
            openers.push(tokio::spawn(async move {
                let pool = sqlite::open(&path).await?;
                let sets = sqlite::SqliteSetStore::new(pool.clone());
                let members: Vec<String> = (0..50).map(|i| format!("{opener}-{i}")).collect();
                sets.add("shared", &members).await?;
                Ok::<_, crmsync_ports::StoreError>(pool)
            }));
        }
        let mut pools = Vec::new();
        for opener in openers {
            pools.push(
                opener
                    .await
                    .unwrap()
                    .unwrap_or_else(|e| panic!("round {round}: {e}")),
            );
        }
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&pools[0])
            .await
            .unwrap();
        assert_eq!(
            applied as usize,
            sqlite::MIGRATOR.iter().count(),
            "each migration applied exactly once"
        );
        let members = sqlite::SqliteSetStore::new(pools[0].clone())
            .len("shared")
            .await
            .unwrap();
        assert_eq!(members, 300);
        for pool in pools {
            pool.close().await;
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
