//! Wiring against a SQLite storage database: the data-source settings row wins over the config and
//! environment, a bad row stops the run with exit code 2 naming the field, and `stats` says which was used.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crmsync_cli::config::load_from;
use crmsync_jobs::officeflow::officeflow_stats;
use crmsync_jobs::shutdown::Shutdown;

use super::*;
use crate::output::{self, StatsView};
use crate::settings::ENV_PREFIX;

/// A SQLite file in the temp directory, removed on drop.
struct TempDb(std::path::PathBuf);

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

fn settings(db: &TempDb) -> Settings {
    let env = [
        ("STORAGE__URL", format!("sqlite:{}", db.0.display())),
        (
            "OFFICEFLOW__BASE_URL",
            "https://config.example/api/v1".into(),
        ),
        ("OFFICEFLOW__APP_KEY", "cfg".into()),
        ("OFFICEFLOW__APP_SECRET", "cfg-secret".into()),
    ]
    .into_iter()
    .map(|(key, value)| (format!("{ENV_PREFIX}__{key}"), value))
    .collect::<Vec<_>>();
    load_from(None, ENV_PREFIX, env).unwrap()
}

async fn stats_text(wired: &Wired) -> String {
    let deps = &wired.deps;
    let stats = officeflow_stats(
        deps.processes.as_ref(),
        deps.store.as_ref(),
        deps.flows.as_ref().map(|f| f.store.as_ref()),
        10,
    )
    .await
    .unwrap();
    let view = StatsView {
        stats: &stats,
        data_sources: &wired.sources,
    };
    let json: serde_json::Value = serde_json::from_str(&output::json(&view)).unwrap();
    assert_eq!(
        json["data_sources"][0]["origin"],
        serde_json::json!(wired.sources[0].origin),
        "{json}"
    );
    output::stats(&view)
}

#[tokio::test]
async fn the_database_row_wins_and_stats_names_the_source() {
    let db = TempDb(std::env::temp_dir().join(format!(
        "officeflow-sources-{}.sqlite",
        uuid::Uuid::new_v4().simple()
    )));
    let settings = settings(&db);

    let wired = wire(&settings, false, false, Shutdown::never(), None)
        .await
        .unwrap();
    assert_eq!(wired.sources.len(), 1);
    assert_eq!(wired.sources[0].origin, Origin::Config);
    let text = stats_text(&wired).await;
    assert!(
        text.contains(
            "data source officeflow: https://config.example/api/v1 (config file/environment)"
        ),
        "{text}"
    );
    drop(wired);

    let rows = Database::open(&format!("sqlite:{}", db.0.display()))
        .await
        .unwrap()
        .key_values();
    rows.put(
        "officeflow:source:officeflow",
        r#"{"base_url": "https://row.example/api/v1", "app_key": "row", "app_secret": "row-secret"}"#,
        None,
    )
    .await
    .unwrap();
    let wired = wire(&settings, false, false, Shutdown::never(), None)
        .await
        .unwrap();
    assert_eq!(wired.sources[0].origin, Origin::Database);
    let text = stats_text(&wired).await;
    assert!(
        text.contains(
            "data source officeflow: https://row.example/api/v1 (database settings row officeflow:source:officeflow)"
        ),
        "{text}"
    );
    assert!(!text.contains("row-secret"), "{text}");
    drop(wired);

    rows.put(
        "officeflow:source:officeflow",
        r#"{"base_url": "https://row.example:70000/api", "app_key": "row", "app_secret": "row-secret"}"#,
        None,
    )
    .await
    .unwrap();
    let Err(failure) = wire(&settings, false, false, Shutdown::never(), None).await else {
        panic!("a row with a bad port was accepted");
    };
    assert_eq!(failure.code, crmsync_cli::exit::BAD_USAGE);
    assert!(
        failure
            .message
            .contains("database settings row officeflow:source:officeflow: field `base_url`"),
        "{}",
        failure.message
    );
}
