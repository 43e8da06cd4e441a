//! Reception sync end to end: the generated clinic (SQLite and PostgreSQL) against the amoCRM emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{Duration, Utc};
use crmsync_amocrm::AmoCrmClient;
use crmsync_amocrm::settings::AmoCrmSettings;
use crmsync_ident::{IdentDb, fixture};
use crmsync_jobs::reception_sync::{self, Outcome, Ports, RunOptions, SyncSettings};
use crmsync_ports::{NoProgress, ReceptionLinkStore};
use crmsync_sandbox::amocrm::AmoCrmEmulator;
use crmsync_sandbox::clinic::{Clinic, ClinicSpec};
use crmsync_sandbox::{FaultPlan, FaultRates};
use crmsync_store::Database;
use ident_sync::sandbox::{self, SANDBOX_TOKEN};

struct World {
    emulator: AmoCrmEmulator,
    crm: AmoCrmClient,
    mis: IdentDb,
    clinic: Clinic,
    storage: Database,
    settings: SyncSettings,
    _dir: std::path::PathBuf,
}

async fn world(mis_url: Option<String>, spec: ClinicSpec, faults: FaultPlan) -> World {
    let dir = support::temp_dir("sync");
    let url = mis_url.unwrap_or_else(|| format!("sqlite:{}", dir.join("ident.sqlite").display()));
    let (mis, clinic) = sandbox::create_clinic(&url, spec).await.unwrap();
    let emulator = sandbox::start_amocrm(None, 1_000, faults).await.unwrap();
    let storage = Database::open(&format!("sqlite:{}", dir.join("store.sqlite").display()))
        .await
        .unwrap();
    let crm = ident_sync::app::crm_client(
        &AmoCrmSettings {
            base_url: emulator.base_url(),
            long_lived_token: SANDBOX_TOKEN.into(),
            max_attempts: 6,
            retry_base_delay_ms: 10,
            request_timeout_ms: 1_000,
            ..AmoCrmSettings::default()
        },
        storage.key_values(),
    )
    .unwrap();
    World {
        emulator,
        crm,
        mis,
        clinic,
        storage,
        settings: sandbox::settings(),
        _dir: dir,
    }
}

impl World {
    async fn run(&self) -> Result<Outcome, reception_sync::ReceptionSyncError> {
        let links = self.storage.reception_links();
        let kv = self.storage.key_values();
        let ports = Ports {
            crm: &self.crm,
            mis: &self.mis,
            links: links.as_ref(),
            cursors: kv.as_ref(),
        };
        reception_sync::run(
            ports,
            &self.settings,
            &RunOptions::incremental(Utc::now()),
            &NoProgress,
        )
        .await
    }

    /// Deals per reception id, and contacts.
    fn state(&self) -> (HashMap<i64, usize>, usize, usize) {
        let dump = self.emulator.dump();
        let mut per_reception: HashMap<i64, usize> = HashMap::new();
        for lead in &dump.leads {
            let id = support::reception_id(lead).unwrap();
            *per_reception.entry(id).or_default() += 1;
        }
        (per_reception, dump.leads.len(), dump.contacts.len())
    }

    fn valid_receptions(&self) -> HashSet<i64> {
        support::valid_receptions(&self.clinic)
    }

    fn patients_with_phone(&self) -> usize {
        support::synced_patients(&self.clinic).len()
    }
}

async fn first_then_nothing(mis_url: Option<String>) {
    let spec = ClinicSpec {
        patients: 300,
        receptions: 420,
        ..ClinicSpec::demo(sandbox::clinic_now())
    };
    let w = world(mis_url, spec, FaultPlan::none()).await;
    let first = w.run().await.unwrap().report;
    let valid = w.valid_receptions();
    assert_eq!(first.deals_created as usize, valid.len(), "{first}");
    assert_eq!(
        first.contacts_created as usize,
        w.patients_with_phone(),
        "{first}"
    );
    assert!(first.errors >= 5, "the bad rows are counted: {first}");
    assert!(first.primary > 0 && first.secondary > 0, "{first}");
    support::assert_one_deal_per_reception_one_contact_per_patient(&w.emulator.dump(), &w.clinic);
    let (per_reception, leads, contacts) = w.state();
    assert_eq!(leads, valid.len());
    assert!(per_reception.values().all(|n| *n == 1));
    assert_eq!(contacts, w.patients_with_phone());
    let dump = w.emulator.dump();
    let linked: HashSet<i64> = dump
        .links
        .iter()
        .filter(|l| l.from_entity == "leads" && l.to_entity == "contacts")
        .map(|l| l.from_id)
        .collect();
    assert_eq!(linked.len(), leads, "every deal names its contact");
    let stats = w.emulator.stats();
    let posts: HashMap<&str, u64> = stats
        .routes
        .iter()
        .filter(|(route, _)| route.starts_with("POST "))
        .map(|(route, r)| (route.as_str(), r.requests))
        .collect();
    assert!(
        posts.keys().all(|route| [
            "POST /api/v4/contacts",
            "POST /api/v4/leads",
            "POST /api/v4/leads/complex"
        ]
        .contains(route)),
        "contacts are linked inside the deal create, never by a request of their own: {posts:?}"
    );
    assert!(
        posts.values().sum::<u64>() <= 2 * first.batches,
        "at most one contact and one deal request per batch of 250: {posts:?}, {} batches",
        first.batches
    );

    w.emulator.reset_request_stats();
    let second = w.run().await.unwrap().report;
    assert_eq!(second.writes(), 0, "{second}");
    assert_eq!(second.receptions, 0);
    let requests = w.emulator.stats().requests_total;
    assert!(requests <= 4, "a quiet run only reads: {requests} requests");

    let changed: Vec<i64> = w.clinic.receptions.iter().take(7).map(|r| r.id).collect();
    fixture::touch_receptions(
        &w.mis,
        &changed,
        sandbox::clinic_now() + Duration::minutes(1),
        "4321",
    )
    .await
    .unwrap();
    let third = w.run().await.unwrap().report;
    assert_eq!(third.receptions, 7);
    let valid_changed = changed.iter().filter(|id| valid.contains(id)).count() as u64;
    assert_eq!(third.deals_updated, valid_changed, "{third}");
    assert_eq!(third.deals_created + third.contacts_created, 0, "{third}");
    assert_eq!(third.by_level.reception_id, valid_changed);
}

#[tokio::test]
async fn sqlite_clinic_first_run_creates_second_writes_nothing() {
    first_then_nothing(None).await;
}

#[tokio::test]
async fn postgres_clinic_first_run_creates_second_writes_nothing() {
    let db = crmsync_testkit::services::fresh_postgres().await;
    first_then_nothing(Some(db.url.clone())).await;
}

#[tokio::test]
async fn under_injected_faults_the_end_state_equals_the_clean_run() {
    let spec = ClinicSpec {
        patients: 200,
        receptions: 300,
        ..ClinicSpec::demo(sandbox::clinic_now())
    };
    let clean = world(None, spec.clone(), FaultPlan::none()).await;
    clean.run().await.unwrap();
    let (clean_state, clean_leads, clean_contacts) = clean.state();

    let mut rates = FaultRates::spread(0.10);
    rates.after_processing = 0.5;
    let faulty = world(
        None,
        spec,
        FaultPlan::uniform(42, rates).with_hang(std::time::Duration::from_millis(1_200)),
    )
    .await;
    let mut attempts = 0;
    loop {
        attempts += 1;
        match faulty.run().await {
            Ok(_) => break,
            Err(e) if attempts < 40 => eprintln!("attempt {attempts}: {e}"),
            Err(e) => panic!("no clean run after {attempts} attempts: {e}"),
        }
    }
    faulty.emulator.set_faults(FaultPlan::none());
    faulty.run().await.unwrap();
    let (state, leads, contacts) = faulty.state();
    assert_eq!(state, clean_state);
    assert_eq!((leads, contacts), (clean_leads, clean_contacts));
    assert!(faulty.emulator.stats().faults_total() > 0);
    let open = faulty
        .storage
        .reception_links()
        .open_intents()
        .await
        .unwrap();
    assert_eq!(open, (0, 0), "every intent resolved");
}

#[tokio::test]
async fn a_patient_number_deal_made_by_staff_is_taken_over() {
    let spec = ClinicSpec {
        patients: 20,
        receptions: 20,
        bad_rows: false,
        ..ClinicSpec::demo(sandbox::clinic_now())
    };
    let w = world(None, spec, FaultPlan::none()).await;
    let patient = &w.clinic.patients[3];
    let reception = w
        .clinic
        .receptions
        .iter()
        .find(|r| r.patient_id == Some(patient.person_id))
        .unwrap();
    let number = patient.patient_number.clone();
    let staff_deal = crmsync_domain::crm::NewLead {
        name: Some("Звонок".into()),
        pipeline_id: Some(sandbox::PRIMARY.pipeline_id),
        status_id: Some(sandbox::PRIMARY.status_id),
        custom_fields: vec![crmsync_domain::crm::CustomFieldValue::text(
            crmsync_domain::crm::FieldId(17),
            number,
        )],
        ..Default::default()
    };
    let created = crmsync_ports::CrmClient::add_leads(&w.crm, &[staff_deal])
        .await
        .unwrap();
    let report = w.run().await.unwrap().report;
    assert_eq!(report.by_level.patient_number, 1, "{report}");
    let links: Arc<dyn ReceptionLinkStore> = w.storage.reception_links();
    let linked = links
        .reception_leads(&[crmsync_domain::ReceptionId(reception.id)])
        .await
        .unwrap();
    assert_eq!(linked[0].1.linked(), Some(created[0].id));
}
