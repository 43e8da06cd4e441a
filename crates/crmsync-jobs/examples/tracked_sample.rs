//! A tracked sample job on a SQLite journal: it fails once mid-way, the sweeper retries it from its checkpoint,
//! and the journal and its statistics are printed. Run by `cargo xtask demo`.
//!
//! `cargo run -p crmsync-jobs --example tracked_sample -- --db target/demo/journal.sqlite`
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use crmsync_domain::{NewProcess, ProcessKind};
use crmsync_jobs::stats::stats;
use crmsync_jobs::sweeper::{JobError, RetryPolicy, RetryableJob, Sweeper};
use crmsync_jobs::tracking::{RunContext, RunError, TrackOptions, Tracker};
use crmsync_ports::{ProcessFilter, ProcessStore, Progress};
use crmsync_store::sqlite;
use serde_json::json;

const UNITS: u64 = 100;
const CHECKPOINT_EVERY: u64 = 25;

/// Counts to 100, checkpointing every 25; the first attempt hits a simulated outage at 60.
struct CountToHundred {
    outage_done: AtomicBool,
}

#[async_trait]
impl RetryableJob for CountToHundred {
    async fn run(&self, context: RunContext) -> Result<(), JobError> {
        let start = context
            .checkpoint()
            .and_then(|c| c["next"].as_u64())
            .unwrap_or(0);
        context.progress().set_total(UNITS);
        context.progress().set_processed(start);
        println!("  attempt {} starts at unit {start}", context.attempt());
        for unit in start..UNITS {
            if unit == 60 && !self.outage_done.swap(true, Ordering::SeqCst) {
                return Err("simulated outage of the remote system at unit 60".into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
            context.progress().advance(1);
            if (unit + 1) % CHECKPOINT_EVERY == 0 {
                context.save_checkpoint(json!({ "next": unit + 1 })).await?;
            }
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let db = args
        .iter()
        .position(|a| a == "--db")
        .and_then(|i| args.get(i + 1))
        .map_or_else(
            || PathBuf::from("target/demo/journal.sqlite"),
            PathBuf::from,
        );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let store: Arc<dyn ProcessStore> =
        Arc::new(sqlite::SqliteProcessStore::new(sqlite::open(&db).await?));
    let tracker = Tracker::new(store.clone()).with_options(TrackOptions {
        heartbeat_every: Duration::from_millis(50),
        ..TrackOptions::default()
    });
    let job = Arc::new(CountToHundred {
        outage_done: AtomicBool::new(false),
    });
    let kind = ProcessKind::new("demo.count")?;

    println!("journal: {}", db.display());
    let new = NewProcess {
        kind: kind.clone(),
        settings: json!({ "units": UNITS }),
        total: Some(UNITS),
    };
    let first_job = job.clone();
    match tracker
        .run(new, move |context| async move {
            first_job.run(context).await.map_err(DemoError)
        })
        .await
    {
        Err(RunError::Job { id, source }) => println!("  process {id} failed: {source}"),
        other => return Err(format!("the first attempt was meant to fail, got {other:?}").into()),
    }

    let policy = RetryPolicy {
        base_backoff: Duration::ZERO,
        ..RetryPolicy::default()
    };
    let sweeper = Sweeper::new(tracker, policy).register(kind, job);
    let report = sweeper.sweep(Utc::now()).await?;
    println!("  sweeper retried {} run(s):", report.retried.len());
    for outcome in &report.retried {
        println!(
            "    process {} ({}), attempt {}: {}",
            outcome.id,
            outcome.kind,
            outcome.attempt,
            outcome.error.as_deref().unwrap_or("completed")
        );
    }

    println!(
        "\n{:<4} {:<12} {:<10} {:>9} {:>8}  last error",
        "id", "kind", "status", "processed", "attempts"
    );
    for p in store.list(&ProcessFilter::default()).await? {
        let r = p.record();
        println!(
            "{:<4} {:<12} {:<10} {:>5}/{:<3} {:>8}  {}",
            r.id,
            r.kind,
            r.status,
            r.processed,
            r.total.unwrap_or(0),
            r.attempts,
            r.last_error.as_deref().unwrap_or("-")
        );
    }
    println!(
        "\nstats: {}",
        serde_json::to_string_pretty(&stats(store.as_ref(), 1_000).await?)?
    );
    Ok(())
}

/// The boxed job error as a concrete error type.
#[derive(Debug)]
struct DemoError(JobError);

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DemoError {}
