//! AMONITION's upload end to end: 20,000 generated sellers in PostgreSQL, the amoCRM and marketplace emulators
//! over loopback HTTP. A first run creates 20k companies, a second only updates; a run killed mid-way (its create
//! answer lost in a random batch) and rerun ends with exactly 20k companies and 20k links; a run under injected
//! faults (lost answers included) ends in the clean run's state (3,000 sellers there: every fault costs retries
//! and lookups). The real process killed with SIGKILL is in `crates/amonition/tests/upload_processes.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use crmsync_amocrm::{AmoCrmClient, BatchPolicy, Credentials, RateLimit, RetryPolicy};
use crmsync_domain::crm::{
    Company, CompanyId, CompanyUpdate, ComplexCreated, ComplexLead, Contact, ContactId,
    ContactUpdate, CustomFieldDefinition, EntityKind, Lead, LeadId, LeadUpdate, NewCompany,
    NewContact, NewLead, NewNote, NewTask, NoteId, Pipeline, Task, TaskId,
};
use crmsync_jobs::amonition::upload::{self, UploadPorts, UploadReport, UploadSettings};
use crmsync_marketplace::{FeedClient, ServiceConfig};
use crmsync_ports::{
    CompanyFilter, CompanyStore, ContactFilter, Created, CrmClient, CrmError, LeadFilter,
    NoProgress, Page, PageCursor, TaskFilter,
};
use crmsync_sandbox::FaultRates;
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use crmsync_sandbox::faults::{Fault, FaultPlan, Injection};
use crmsync_sandbox::marketplace::{self, MarketplaceConfig, MarketplaceEmulator};
use crmsync_store::postgres::{self, PgCompanyStore, PgSellerSource};
use crmsync_testkit::services;
use secrecy::SecretString;
use serde_json::Value;

const SELLERS: u64 = 20_000;
/// Sellers of the run under faults (each fault costs retries and lookups).
const FAULTY_SELLERS: u64 = 3_000;
const TOKEN: &str = "e2e-amonition-token";

struct World {
    sellers_count: u64,
    amocrm: AmoCrmEmulator,
    feeds_emulator: MarketplaceEmulator,
    sellers: PgSellerSource,
    companies: PgCompanyStore,
    crm: AmoCrmClient,
    feeds: FeedClient,
}

async fn world(faults: FaultPlan, sellers: u64) -> World {
    let db = services::fresh_postgres().await;
    postgres::migrate(&db.pool).await.unwrap();
    postgres::load_marketplace(&db.pool, &marketplace::sellers::sellers(7, 0, sellers))
        .await
        .unwrap();
    let amocrm = AmoCrmEmulator::start(AmoCrmConfig {
        long_lived_token: Some(TOKEN.into()),
        rate_limit_per_s: None,
        faults,
        fixture: amonition::sandbox::fixture(),
        ..AmoCrmConfig::default()
    })
    .await
    .unwrap();
    let feeds_emulator = MarketplaceEmulator::start(MarketplaceConfig::default())
        .await
        .unwrap();
    for i in (0..sellers).step_by(50) {
        let id = marketplace::sellers::seller_id(i);
        feeds_emulator.set_feed(&id, &format!("https://feeds.example/{id}.xml"), None);
    }
    let crm = AmoCrmClient::builder(
        amocrm.base_url(),
        Credentials::LongLived(SecretString::from(TOKEN)),
    )
    .rate_limit(RateLimit::per_second(200).unwrap())
    .retry(RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    })
    .batch(BatchPolicy {
        write_chunk: 250,
        ..BatchPolicy::default()
    })
    .build()
    .unwrap();
    let feeds = FeedClient::new(&ServiceConfig {
        backoff_ms: 1,
        ..ServiceConfig::new(feeds_emulator.base_url(), marketplace::DEFAULT_TOKEN)
    })
    .unwrap();
    World {
        sellers_count: sellers,
        amocrm,
        feeds_emulator,
        sellers: PgSellerSource::new(db.pool.clone()),
        companies: PgCompanyStore::new(db.pool),
        crm,
        feeds,
    }
}

fn settings() -> UploadSettings {
    UploadSettings {
        batch_size: 500,
        fields: amonition::sandbox::seller_fields(),
        enrich_feeds: true,
    }
}

async fn run(
    world: &World,
    crm: &dyn CrmClient,
    process: i64,
) -> Result<UploadReport, upload::UploadError> {
    let ports = UploadPorts {
        sellers: &world.sellers,
        feeds: &world.feeds,
        companies: &world.companies,
        crm,
    };
    upload::run(ports, &settings(), process, &NoProgress).await
}

/// Every company in the emulator by its seller id: its name and custom field values, ids left out.
fn state(world: &World) -> BTreeMap<String, Vec<Value>> {
    let seller_field = amonition::sandbox::seller_fields().seller_id.0;
    let mut out = BTreeMap::new();
    for company in world.amocrm.dump().companies {
        let fields = company["custom_fields_values"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let seller = fields
            .iter()
            .find(|f| f["field_id"].as_i64() == Some(seller_field))
            .and_then(|f| f["values"][0]["value"].as_str())
            .unwrap()
            .to_owned();
        let mut values = vec![company["name"].clone()];
        values.extend(
            fields
                .into_iter()
                .map(|f| serde_json::json!([f["field_id"], f["values"]])),
        );
        assert!(
            out.insert(seller.clone(), values).is_none(),
            "seller {seller} has two companies"
        );
    }
    out
}

async fn assert_complete(world: &World) {
    let n = world.sellers_count;
    assert_eq!(world.amocrm.count("companies"), n as usize);
    assert_eq!(world.companies.count().await.unwrap(), n);
    assert!(
        world
            .companies
            .pending_intents(10)
            .await
            .unwrap()
            .is_empty()
    );
    let ids: Vec<_> = (0..n)
        .map(|i| {
            crmsync_domain::seller::SellerId::parse(&marketplace::sellers::seller_id(i)).unwrap()
        })
        .collect();
    let links = world.companies.by_sellers(&ids).await.unwrap();
    let companies: BTreeSet<CompanyId> = links.iter().map(|l| l.company_id).collect();
    assert_eq!((links.len(), companies.len()), (n as usize, n as usize));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_creates_every_company_and_the_second_only_updates() {
    let world = world(FaultPlan::none(), SELLERS).await;
    let first = run(&world, &world.crm, 1).await.unwrap();
    assert_eq!(
        (first.sellers, first.created, first.updated),
        (SELLERS, SELLERS, 0)
    );
    assert_eq!(first.with_feed, SELLERS / 50);
    assert!(
        first.without_phone > 0,
        "some generated sellers have no usable phone"
    );
    assert_complete(&world).await;
    let creates = world.amocrm.stats().requests("POST /api/v4/companies");
    assert_eq!(creates, SELLERS / 250, "250 companies per create request");
    let before = state(&world);

    let second = run(&world, &world.crm, 2).await.unwrap();
    assert_eq!(
        (second.created, second.updated, second.recovered),
        (0, SELLERS, 0)
    );
    assert_eq!(
        world.amocrm.stats().requests("POST /api/v4/companies"),
        creates,
        "no create on the rerun"
    );
    assert_eq!(
        world.amocrm.stats().requests("PATCH /api/v4/companies"),
        SELLERS / 250
    );
    assert_complete(&world).await;
    assert_eq!(
        state(&world),
        before,
        "an update with unchanged sellers changes nothing"
    );
    assert!(world.feeds_emulator.lookups() >= 2 * SELLERS / 500);
}

/// A CRM whose `kill_at`-th create call reaches amoCRM and then never returns, like a process killed while the
/// answer is on its way.
struct KilledMidway<'a> {
    inner: &'a AmoCrmClient,
    creates: AtomicUsize,
    kill_at: usize,
    killed: tokio::sync::Notify,
}

#[async_trait]
impl CrmClient for KilledMidway<'_> {
    async fn list_leads(
        &self,
        f: &LeadFilter,
        c: Option<PageCursor>,
    ) -> Result<Page<Lead>, CrmError> {
        self.inner.list_leads(f, c).await
    }
    async fn list_contacts(
        &self,
        f: &ContactFilter,
        c: Option<PageCursor>,
    ) -> Result<Page<Contact>, CrmError> {
        self.inner.list_contacts(f, c).await
    }
    async fn list_companies(
        &self,
        f: &CompanyFilter,
        c: Option<PageCursor>,
    ) -> Result<Page<Company>, CrmError> {
        self.inner.list_companies(f, c).await
    }
    async fn list_tasks(
        &self,
        f: &TaskFilter,
        c: Option<PageCursor>,
    ) -> Result<Page<Task>, CrmError> {
        self.inner.list_tasks(f, c).await
    }
    async fn get_lead(&self, id: LeadId, with: bool) -> Result<Option<Lead>, CrmError> {
        self.inner.get_lead(id, with).await
    }
    async fn get_contact(&self, id: ContactId) -> Result<Option<Contact>, CrmError> {
        self.inner.get_contact(id).await
    }
    async fn get_company(&self, id: CompanyId) -> Result<Option<Company>, CrmError> {
        self.inner.get_company(id).await
    }
    async fn add_leads(&self, l: &[NewLead]) -> Result<Vec<Created<LeadId>>, CrmError> {
        self.inner.add_leads(l).await
    }
    async fn update_leads(&self, u: &[LeadUpdate]) -> Result<Vec<LeadId>, CrmError> {
        self.inner.update_leads(u).await
    }
    async fn add_contacts(&self, c: &[NewContact]) -> Result<Vec<Created<ContactId>>, CrmError> {
        self.inner.add_contacts(c).await
    }
    async fn update_contacts(&self, u: &[ContactUpdate]) -> Result<Vec<ContactId>, CrmError> {
        self.inner.update_contacts(u).await
    }
    async fn add_companies(&self, c: &[NewCompany]) -> Result<Vec<Created<CompanyId>>, CrmError> {
        let n = self.creates.fetch_add(1, Ordering::SeqCst) + 1;
        let created = self.inner.add_companies(c).await;
        if n >= self.kill_at {
            self.killed.notify_one();
            std::future::pending::<()>().await;
        }
        created
    }
    async fn update_companies(&self, u: &[CompanyUpdate]) -> Result<Vec<CompanyId>, CrmError> {
        self.inner.update_companies(u).await
    }
    async fn add_complex(&self, i: &[ComplexLead]) -> Result<Vec<ComplexCreated>, CrmError> {
        self.inner.add_complex(i).await
    }
    async fn add_tasks(&self, t: &[NewTask]) -> Result<Vec<Created<TaskId>>, CrmError> {
        self.inner.add_tasks(t).await
    }
    async fn add_notes(&self, n: &[NewNote]) -> Result<Vec<Created<NoteId>>, CrmError> {
        self.inner.add_notes(n).await
    }
    async fn pipelines(&self) -> Result<Vec<Pipeline>, CrmError> {
        self.inner.pipelines().await
    }
    async fn custom_fields(&self, e: EntityKind) -> Result<Vec<CustomFieldDefinition>, CrmError> {
        self.inner.custom_fields(e).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_midway_and_rerun_ends_with_one_company_and_one_link_per_seller() {
    let world = world(FaultPlan::none(), SELLERS).await;
    // The batch whose create answer is lost as the run dies, at random (printed to reproduce).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let kill_at = 1 + u64::from(nanos) % (SELLERS / 500 - 1);
    println!("the run dies in batch {kill_at}");
    let killed = KilledMidway {
        inner: &world.crm,
        creates: AtomicUsize::new(0),
        kill_at: kill_at as usize,
        killed: tokio::sync::Notify::new(),
    };
    tokio::select! {
        outcome = run(&world, &killed, 1) => panic!("the killed run finished: {outcome:?}"),
        () = killed.killed.notified() => {}
    }
    assert_eq!(
        world.amocrm.count("companies"),
        (kill_at * 500) as usize,
        "{kill_at} batches reached amoCRM"
    );
    assert_eq!(
        world.companies.count().await.unwrap(),
        (kill_at - 1) * 500,
        "the last batch's links were never written"
    );
    assert_eq!(
        world.companies.pending_intents(1000).await.unwrap().len(),
        500
    );

    let rerun = run(&world, &world.crm, 2).await.unwrap();
    assert_eq!(
        rerun.recovered, 500,
        "the killed batch's companies are found, not created again"
    );
    assert_eq!(rerun.created, SELLERS - kill_at * 500);
    assert_complete(&world).await;
    state(&world);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_with_lost_answers_the_end_state_is_the_clean_runs() {
    let clean = world(FaultPlan::none(), FAULTY_SELLERS).await;
    run(&clean, &clean.crm, 1).await.unwrap();
    let expected = state(&clean);

    let rates = FaultRates {
        after_processing: 0.5,
        ..FaultRates::spread(0.15)
    };
    let plan = FaultPlan {
        hang_ms: 1_700,
        ..FaultPlan::uniform(11, FaultRates::default())
            .with_route("POST /api/v4/companies", rates.clone())
            .with_route("PATCH /api/v4/companies", rates)
            .with_script(
                "POST /api/v4/companies",
                vec![
                    None,
                    Injection::after(Fault::Error502),
                    None,
                    Injection::after(Fault::Drop),
                    Injection::before(Fault::Error500),
                ],
            )
    };
    let faulty = world(plan, FAULTY_SELLERS).await;
    let crm = AmoCrmClient::builder(
        faulty.amocrm.base_url(),
        Credentials::LongLived(SecretString::from(TOKEN)),
    )
    .rate_limit(RateLimit::per_second(200).unwrap())
    .timeouts(crmsync_amocrm::Timeouts {
        connect: Duration::from_millis(500),
        request: Duration::from_millis(1_500),
    })
    .retry(RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    })
    .batch(BatchPolicy {
        write_chunk: 250,
        ..BatchPolicy::default()
    })
    .build()
    .unwrap();
    let mut finished = false;
    for attempt in 1..=6 {
        match run(&faulty, &crm, attempt).await {
            Ok(_) => {
                finished = true;
                break;
            }
            Err(error) => eprintln!("run {attempt} under faults stopped: {error}"),
        }
    }
    assert!(finished, "a run under faults eventually goes through");
    let faults = faulty.amocrm.stats().faults_total();
    assert!(faults > 0, "faults were injected");
    assert_complete(&faulty).await;
    assert_eq!(state(&faulty), expected);
}
