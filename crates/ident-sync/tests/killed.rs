//! A reception sync killed with SIGKILL at a random batch, twice, then rerun to the end: the `ident-sync` binary
//! as a real process against the amoCRM emulator (in this process) and a generated clinic — SQLite files, and
//! PostgreSQL databases. The account must end with exactly one deal per reception and one contact per patient,
//! no intent left open, and a further run must write nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::time::Duration;

use crmsync_sandbox::FaultPlan;
use crmsync_sandbox::amocrm::AmoCrmEmulator;
use crmsync_sandbox::clinic::ClinicSpec;
use crmsync_store::Database;
use ident_sync::sandbox;

/// A small deterministic generator; the seed is printed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn from_clock() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1;
        eprintln!("kill points seeded with {seed}");
        Self(seed)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high - low + 1)
    }
}

/// Writes (creates) the emulator has received.
fn writes(emulator: &AmoCrmEmulator) -> u64 {
    emulator
        .stats()
        .routes
        .iter()
        .filter(|(route, _)| route.starts_with("POST ") || route.starts_with("PATCH "))
        .map(|(_, r)| r.requests)
        .sum()
}

/// Starts a reception sync and kills it with SIGKILL once the emulator has seen `after` more write requests;
/// fails if the run ended before.
async fn kill_after_writes(config: &support::ChildConfig, emulator: &AmoCrmEmulator, after: u64) {
    let start = writes(emulator);
    let mut child: Child = support::ident_sync(config)
        .arg("reception-sync")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if writes(emulator) >= start + after {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            panic!(
                "the run ended ({status}) before {after} writes: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "killed, not finished: {status}");
}

fn run_to_end(config: &support::ChildConfig) {
    let output = support::ident_sync(config)
        .arg("reception-sync")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "rerun failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn killed_twice_then_rerun(mis_url: String, storage_url: String) {
    let dir = support::temp_dir("killed");
    let spec = ClinicSpec {
        patients: 300,
        receptions: 450,
        ..ClinicSpec::demo(sandbox::clinic_now())
    };
    let (_mis, clinic) = sandbox::create_clinic(&mis_url, spec).await.unwrap();
    let emulator = sandbox::start_amocrm(None, 1_000, FaultPlan::none())
        .await
        .unwrap();
    let config = support::write_config(&dir, &emulator.base_url(), &mis_url, &storage_url, 25, &[]);

    // Nineteen batches of 25 receptions, one or two creates each: the first kill lands somewhere in the first
    // eight writes, the second a few writes into the rerun, both well before the end.
    let mut rng = Rng::from_clock();
    kill_after_writes(&config, &emulator, rng.between(1, 8)).await;
    kill_after_writes(&config, &emulator, rng.between(1, 4)).await;
    run_to_end(&config);

    let dump = emulator.dump();
    support::assert_one_deal_per_reception_one_contact_per_patient(&dump, &clinic);
    let storage = Database::open(&storage_url).await.unwrap();
    let (open_receptions, open_patients) = storage.reception_links().open_intents().await.unwrap();
    assert_eq!(
        (open_receptions, open_patients),
        (0, 0),
        "every intent resolved"
    );

    let before = writes(&emulator);
    run_to_end(&config);
    assert_eq!(
        writes(&emulator),
        before,
        "a run after the repair writes nothing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_run_killed_at_random_batches_then_rerun_makes_one_deal_per_reception() {
    let dir = support::temp_dir("killed-files");
    killed_twice_then_rerun(
        format!("sqlite:{}", dir.join("ident.sqlite").display()),
        format!("sqlite:{}", dir.join("store.sqlite").display()),
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_run_killed_at_random_batches_then_rerun_makes_one_deal_per_reception() {
    let mis = crmsync_testkit::services::fresh_postgres().await;
    let storage = crmsync_testkit::services::fresh_postgres().await;
    killed_twice_then_rerun(mis.url.clone(), storage.url.clone()).await;
}
