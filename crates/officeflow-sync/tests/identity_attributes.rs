//! The attributes part end to end: the emulator over loopback HTTP, the client, the sync under its lock, into
//! SQLite and into PostgreSQL. The first run registers the identities' fields and stores users' values; a rerun writes nothing; a
//! field the platform adds registers itself (no schema change: the table keeps its columns); an invalid value
//! is reported and not stored (the user keeps the stored values); a dry run writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use crmsync_jobs::officeflow::{
    AttributeDeps, JobSettings, LockSettings, Part, PartReport, SyncDeps, SyncMode, SyncRequest,
    attribute_stats, sync,
};
use crmsync_jobs::shutdown::Shutdown;
use crmsync_jobs::tracking::TrackOptions;
use crmsync_officeflow::{OfficeflowClient, OfficeflowConfig};
use crmsync_ports::AttributeStore;
use crmsync_sandbox::officeflow::{EmulatorConfig, OfficeflowEmulator, Org, OrgSpec};
use crmsync_store::Database;
use crmsync_store::memory::MemoryLockStore;
use secrecy::SecretString;
use serde_json::json;

struct World {
    emulator: OfficeflowEmulator,
    database: Database,
    deps: SyncDeps,
    path: Option<std::path::PathBuf>,
}

impl Drop for World {
    fn drop(&mut self) {
        let Some(path) = &self.path else {
            return;
        };
        for suffix in ["", "-wal", "-shm"] {
            let mut path = path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A fresh SQLite file, or a fresh PostgreSQL database, migrated.
async fn database(postgres: bool) -> (Database, Option<std::path::PathBuf>) {
    if postgres {
        let db = crmsync_testkit::services::fresh_postgres().await;
        crmsync_store::postgres::migrate(&db.pool).await.unwrap();
        return (Database::Postgres(db.pool), None);
    }
    let path = std::env::temp_dir().join(format!(
        "officeflow-attributes-{}.sqlite",
        uuid::Uuid::new_v4().simple()
    ));
    let database = Database::open(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    (database, Some(path))
}

async fn world(postgres: bool) -> World {
    let config = EmulatorConfig {
        rate_limit_per_s: 10_000,
        ..EmulatorConfig::default()
    };
    let emulator = OfficeflowEmulator::start(Org::generate(&OrgSpec::new(300)), config)
        .await
        .unwrap();
    let client = Arc::new(
        OfficeflowClient::new(OfficeflowConfig {
            rate_limit_per_s: 1_000,
            page_size: 70,
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(40),
            ..OfficeflowConfig::new(
                emulator.base_url(),
                emulator.app_key(),
                SecretString::from(emulator.app_secret()),
            )
        })
        .unwrap(),
    );
    let (database, path) = database(postgres).await;
    let deps = SyncDeps {
        source: client.clone(),
        store: database.org(),
        processes: database.processes(),
        locks: Arc::new(MemoryLockStore::new()),
        settings: JobSettings {
            batch_size: 50,
            ..JobSettings::default()
        },
        flows: None,
        attributes: Some(AttributeDeps {
            source: client,
            store: database.attributes(),
        }),
        track: TrackOptions {
            heartbeat_every: Duration::from_millis(200),
            stale_after: Duration::from_secs(60),
        },
        shutdown: Shutdown::never(),
        progress: None,
    };
    World {
        emulator,
        database,
        deps,
        path,
    }
}

impl World {
    async fn run(&self, dry_run: bool) -> PartReport {
        let report = sync(
            &self.deps,
            &SyncRequest {
                parts: vec![Part::Attributes],
                mode: SyncMode::Incremental,
                dry_run,
            },
            &LockSettings::default(),
        )
        .await
        .unwrap();
        assert!(report.succeeded(), "{report:?}");
        report.parts.into_iter().next().unwrap()
    }

    fn store(&self) -> Arc<dyn AttributeStore> {
        self.database.attributes()
    }

    async fn columns(&self) -> Vec<String> {
        let rows: Vec<(String,)> = match &self.database {
            Database::Sqlite(pool) => {
                sqlx::query_as("SELECT name FROM pragma_table_info('officeflow_user_attributes')")
                    .fetch_all(pool)
                    .await
            }
            Database::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_name = 'officeflow_user_attributes' ORDER BY ordinal_position",
                )
                .fetch_all(pool)
                .await
            }
            Database::Memory(_) => panic!("the world is on SQLite or PostgreSQL"),
        }
        .unwrap();
        rows.into_iter().map(|(name,)| name).collect()
    }
}

fn change(report: &PartReport, name: &str) -> u64 {
    report.changes.get(name).copied().unwrap_or(0)
}

#[tokio::test]
async fn on_sqlite_attributes_register_fill_rerun_zero_new_field_and_invalid_values() {
    attributes_register_fill_rerun_zero_new_field_and_invalid_values(false).await;
}

#[tokio::test]
async fn on_postgres_attributes_register_fill_rerun_zero_new_field_and_invalid_values() {
    attributes_register_fill_rerun_zero_new_field_and_invalid_values(true).await;
}

async fn attributes_register_fill_rerun_zero_new_field_and_invalid_values(postgres: bool) {
    let world = world(postgres).await;
    let (live, invalid) = world
        .emulator
        .with_org(|org| (org.users_with_identity(), org.invalid_attribute_users()));
    assert!(!invalid.is_empty());
    let columns = world.columns().await;
    assert_eq!(columns, ["username", "identity", "attributes"]);

    let first = world.run(false).await;
    assert_eq!(change(&first, "definitions.added"), 9, "{first:?}");
    assert_eq!(change(&first, "users.invalid"), invalid.len() as u64);
    assert_eq!(
        change(&first, "users.upserted"),
        (live - invalid.len()) as u64
    );
    assert!(first.writes >= 9 + (live - invalid.len()) as u64);
    assert!(
        first
            .rejected
            .iter()
            .any(|r| r.contains(&format!("user {:?}", invalid[0]))),
        "{:?}",
        first.rejected
    );
    let store = world.store();
    assert!(store.user_attributes(&invalid).await.unwrap().is_empty());
    let stats = attribute_stats(store.as_ref()).await.unwrap();
    let identities: Vec<&str> = stats.iter().map(|s| s.identity.as_str()).collect();
    assert_eq!(identities, ["staff", "student", "teacher"]);
    let students = &stats[1];
    let grade = students
        .attributes
        .iter()
        .find(|a| a.key == "grade")
        .unwrap();
    assert!(grade.required && grade.users == students.users && grade.users > 0);

    let rerun = world.run(false).await;
    assert_eq!(rerun.writes, 0, "{rerun:?}");

    let student = world
        .emulator
        .with_org(|org| org.users_of_identity("student"))
        .into_iter()
        .find(|name| !invalid.contains(name))
        .unwrap();
    let before = store
        .user_attributes(std::slice::from_ref(&student))
        .await
        .unwrap();
    world.emulator.with_org(|org| {
        org.add_attribute("student", "house", "enum", &["red", "blue"], false);
        org.set_attribute(&student, "house", json!("red"));
    });
    let dry = world.run(true).await;
    assert_eq!(dry.writes, 0);
    assert_eq!(change(&dry, "definitions.added"), 1);
    assert!(
        store
            .users_with_attribute(None, "house", &json!("red"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let added = world.run(false).await;
    assert_eq!(change(&added, "definitions.added"), 1, "{added:?}");
    assert_eq!(change(&added, "users.upserted"), 1);
    assert!(added.mode.starts_with("full"), "{}", added.mode);
    assert_eq!(
        store
            .users_with_attribute(Some("student".into()), "house", &json!("red"), 10)
            .await
            .unwrap(),
        vec![student.clone()]
    );
    assert_eq!(world.columns().await, columns);
    assert_eq!(world.run(false).await.writes, 0);

    world
        .emulator
        .with_org(|org| org.set_attribute(&student, "house", json!("green")));
    let refused = world.run(false).await;
    assert_eq!(refused.writes, 0);
    assert_eq!(change(&refused, "users.invalid"), 1);
    assert!(
        refused.rejected.iter().any(|r| r.contains(&student)
            && r.contains("attribute `house`")
            && r.contains("not one of red, blue")),
        "{:?}",
        refused.rejected
    );
    let kept = store
        .user_attributes(std::slice::from_ref(&student))
        .await
        .unwrap();
    assert_eq!(kept[0].attributes["house"], json!("red"));
    assert_eq!(kept[0].attributes["grade"], before[0].attributes["grade"]);

    world
        .emulator
        .with_org(|org| org.set_attribute(&student, "house", json!("blue")));
    let fixed = world.run(false).await;
    assert_eq!(fixed.writes, 1);
    assert_eq!(
        store
            .users_with_attribute(None, "house", &json!("blue"), 10)
            .await
            .unwrap(),
        vec![student]
    );
}
