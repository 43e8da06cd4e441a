//! The upload as real `amonition` processes against the amoCRM and marketplace emulators and PostgreSQL: an
//! `upload` of 5,000 sellers killed with SIGKILL at a random point and rerun ends with exactly one company and
//! one link per seller, and a third run only updates; the cron schedule inside `serve` runs the upload when due; a schedule that is no cron expression is
//! refused naming its key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use crmsync_ports::CompanyStore;
use crmsync_sandbox::faults::FaultPlan;
use crmsync_store::postgres::PgCompanyStore;
use serde_json::Value;
use support::{Options, Process, World, eventually};

/// Sellers of the killed upload, in batches of `BATCH` (a rerun looks up at most one batch's companies, at
/// amoCRM's 7 requests per second). The 20,000-seller runs are in the crmsync-e2e suite.
const SELLERS: u64 = 5_000;
const BATCH: usize = 100;

/// The seller id of every company in the emulator; panics when a seller has two companies.
fn sellers_in_amocrm(world: &World) -> BTreeSet<String> {
    let field = amonition::sandbox::seller_fields().seller_id.0;
    let mut out = BTreeSet::new();
    for company in world.amocrm.dump().companies {
        let seller = company["custom_fields_values"]
            .as_array()
            .and_then(|fields| {
                fields
                    .iter()
                    .find(|f| f["field_id"].as_i64() == Some(field))
            })
            .and_then(|f| f["values"][0]["value"].as_str())
            .unwrap_or_else(|| panic!("a company without a seller id: {company}"))
            .to_owned();
        assert!(
            out.insert(seller.clone()),
            "seller {seller} has two companies"
        );
    }
    out
}

async fn links(world: &World) -> (u64, u64, u64) {
    let (links, companies): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT company_id) FROM companies")
            .fetch_one(world.pool())
            .await
            .unwrap();
    let intents = PgCompanyStore::new(world.pool().clone())
        .pending_intents(100_000)
        .await
        .unwrap()
        .len();
    (links as u64, companies as u64, intents as u64)
}

/// The report an `upload --json` process printed, after checking it exited 0.
async fn finished(process: Process) -> Value {
    let (code, stdout, stderr) = process.finish().await;
    assert_eq!(code, 0, "upload failed:\n{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON report:\n{stdout}\n{stderr}"));
    serde_json::from_str::<Value>(line).unwrap()["report"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_killed_with_sigkill_and_rerun_ends_with_one_company_and_one_link_per_seller() {
    let world = World::start("upload-kill9", SELLERS, FaultPlan::none()).await;
    let options = Options {
        batch_size: BATCH,
        lock_ttl_s: 3,
        lock_wait_s: 60,
        ..Options::default()
    };
    let config = world.config("upload", &options);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let kill_at = 200 + usize::try_from(nanos % 4_600).unwrap_or(0);
    println!("killing the first upload once amoCRM holds {kill_at} companies");
    let mut first = Process::upload(&config, "first");
    eventually(
        "the first upload created enough companies",
        Duration::from_secs(300),
        || {
            let count = world.amocrm.count("companies");
            assert!(
                first.running(),
                "the first upload stopped:\n{}",
                first.stderr()
            );
            async move { count >= kill_at }
        },
    )
    .await;
    first.kill9();
    // A create request already on the wire when the process died may still be answered to nobody.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let created = world.amocrm.count("companies") as u64;
    let (linked, _, _) = links(&world).await;
    assert!(
        created < SELLERS && linked < SELLERS,
        "killed mid-way: {created} companies, {linked} links"
    );

    // The rerun waits for the killed run's lease to lapse, resolves its intents, then uploads the rest.
    let rerun = finished(Process::upload(&config, "rerun")).await;
    assert_eq!(rerun["sellers"], SELLERS);
    assert_eq!(
        rerun["created"].as_u64().unwrap() + rerun["updated"].as_u64().unwrap(),
        SELLERS,
        "{rerun}"
    );
    assert_eq!(
        rerun["recovered"].as_u64().unwrap(),
        created - linked,
        "the companies whose links the killed run never wrote are found, not created again: {rerun}"
    );
    assert_eq!(
        rerun["created"].as_u64().unwrap(),
        SELLERS - created,
        "only sellers without a company are created: {rerun}"
    );
    assert_eq!(world.amocrm.count("companies") as u64, SELLERS);
    assert_eq!(sellers_in_amocrm(&world).len() as u64, SELLERS);
    assert_eq!(links(&world).await, (SELLERS, SELLERS, 0));

    let third = finished(Process::upload(&config, "third")).await;
    assert_eq!(
        (third["created"].as_u64(), third["updated"].as_u64()),
        (Some(0), Some(SELLERS)),
        "a run after a complete one only updates: {third}"
    );
    assert_eq!(world.amocrm.count("companies") as u64, SELLERS);
    assert_eq!(links(&world).await, (SELLERS, SELLERS, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_schedule_inside_serve_runs_the_upload() {
    const N: u64 = 300;
    let world = World::start("schedule", N, FaultPlan::none()).await;
    let options = Options {
        schedule: "* * * * * *".to_owned(),
        ..Options::default()
    };
    let server = Process::serve(&world.config("serve", &options), "serve");
    eventually(
        "a scheduled upload finished",
        Duration::from_secs(120),
        || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM processes WHERE kind = 'amonition.upload' AND status = 'completed'",
            )
            .fetch_one(world.pool())
            .await
            .unwrap()
                >= 1
        },
    )
    .await;
    server.kill9();
    assert_eq!(world.amocrm.count("companies") as u64, N);
    assert_eq!(sellers_in_amocrm(&world).len() as u64, N);
    let (linked, companies, intents) = links(&world).await;
    assert_eq!((linked, companies), (N, N));
    assert_eq!(intents, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_that_is_no_cron_expression_is_refused_naming_its_key() {
    let world = World::start("bad-schedule", 0, FaultPlan::none()).await;
    let options = Options {
        schedule: "every night at three".to_owned(),
        ..Options::default()
    };
    let config = world.config("serve", &options);
    let (code, _, stderr) = support::amonition(&config, &["serve"]).await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("upload.schedule"), "{stderr}");
    assert!(stderr.contains("cron"), "{stderr}");
}
