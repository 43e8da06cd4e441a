//! `journal.*`: heartbeat updates per second of the run journal on PostgreSQL and SQLite.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use crmsync_domain::{NewProcess, ProcessKind};
use crmsync_ports::{Expected, Heartbeat, ProcessStore};
use crmsync_store::{postgres, sqlite};
use serde_json::json;

use crate::report::Report;

const UPDATES: u64 = 3_000;

pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    report.input(format!(
        "{UPDATES} sequential heartbeat updates of one journal entry, one connection"
    ));
    tokio::runtime::Runtime::new()?.block_on(async {
        let db = crmsync_testkit::services::fresh_postgres().await;
        postgres::migrate(&db.pool).await?;
        let pg: Arc<dyn ProcessStore> = Arc::new(postgres::PgProcessStore::new(db.pool));
        report.record(
            "journal.postgres_updates_per_s",
            updates_per_s(pg.as_ref()).await?,
        );

        let dir =
            std::env::temp_dir().join(format!("crmsync-bench-{}", uuid::Uuid::new_v4().simple()));
        let pool = sqlite::open(&dir.join("journal.sqlite")).await?;
        let lite: Arc<dyn ProcessStore> = Arc::new(sqlite::SqliteProcessStore::new(pool));
        report.record(
            "journal.sqlite_updates_per_s",
            updates_per_s(lite.as_ref()).await?,
        );
        let _ = std::fs::remove_dir_all(dir);
        Ok(())
    })
}

/// Sequential heartbeat writes (progress + heartbeat of a running entry), one statement each.
async fn updates_per_s(store: &dyn ProcessStore) -> anyhow::Result<f64> {
    let new = NewProcess {
        kind: ProcessKind::new("bench.journal")?,
        settings: json!({}),
        total: Some(UPDATES),
    };
    let created = store.create(new).await?;
    let mut running = created.clone();
    running.start(Utc::now())?;
    anyhow::ensure!(
        store.save(&running, Expected::from(&created)).await?,
        "could not start the entry"
    );
    let expected = Expected::from(&running);
    let started = Instant::now();
    for processed in 1..=UPDATES {
        let beat = Heartbeat {
            id: running.id(),
            processed,
            total: None,
            message: None,
            at: Utc::now(),
        };
        anyhow::ensure!(store.heartbeat(&beat, expected).await?, "heartbeat refused");
    }
    Ok(UPDATES as f64 / started.elapsed().as_secs_f64())
}
