//! Reception sync end to end: the generated clinic (SQLite and PostgreSQL) against the amoCRM emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
use serde_json::Value;

struct World {
    emulator: AmoCrmEmulator,
    crm: AmoCrmClient,
    mis: IdentDb,
    clinic: Clinic,
    storage: Database,
    settings: SyncSettings,
    _dir: std::path::PathBuf,
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ident-sync-test-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn world(mis_url: Option<String>, spec: ClinicSpec, faults: FaultPlan) -> World {
    let dir = temp_dir();
    let url = mis_url.unwrap_or_else(|| format!("sqlite:{}", dir.join("ident.sqlite").display()));
    let (mis, clinic) = sandbox::create_clinic(&url, spec).await.unwrap();
    let emulator = sandbox::start_amocrm(None, 1_000, faults).await.unwrap();
    let storage = Database::open(&format!("sqlite:{}", dir.join("store.sqlite").display()))
        .await
        .unwrap();
    let crm = AmoCrmSettings {
        base_url: emulator.base_url(),
        long_lived_token: SANDBOX_TOKEN.into(),
        max_attempts: 6,
        retry_base_delay_ms: 10,
        request_timeout_ms: 1_000,
        ..AmoCrmSettings::default()
    }
    .client(storage.key_values(), "ident-sync-test")
    .await
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
            let id = reception_id(lead).unwrap();
            *per_reception.entry(id).or_default() += 1;
        }
        (per_reception, dump.leads.len(), dump.contacts.len())
    }

    fn valid_receptions(&self) -> HashSet<i64> {
        let bad: HashSet<i64> = self.clinic.bad_reception_ids().into_iter().collect();
        let unusable: HashSet<i64> = self
            .clinic
            .persons
            .iter()
            .filter(|p| {
                [&p.phone, &p.mobile_phone]
                    .into_iter()
                    .flatten()
                    .all(|ph| crmsync_domain::Phone::parse(ph).is_err())
                    || crmsync_domain::reception::parse_birthday(p.birthday.as_deref()).is_err()
            })
            .map(|p| p.id)
            .collect();
        self.clinic
            .receptions
            .iter()
            .filter(|r| !bad.contains(&r.id))
            .filter(|r| r.patient_id.is_some_and(|p| !unusable.contains(&p)))
            .map(|r| r.id)
            .collect()
    }

    fn patients_with_phone(&self) -> usize {
        let valid = self.valid_receptions();
        self.clinic
            .receptions
            .iter()
            .filter(|r| valid.contains(&r.id))
            .filter_map(|r| r.patient_id)
            .collect::<HashSet<_>>()
            .len()
    }
}

fn reception_id(lead: &Value) -> Option<i64> {
    lead.get("custom_fields_values")?
        .as_array()?
        .iter()
        .find(|f| f.get("field_id").and_then(Value::as_i64) == Some(26))?
        .get("values")?
        .get(0)?
        .get("value")
        .and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| v.as_i64())
        })
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
    let (per_reception, leads, contacts) = w.state();
    assert_eq!(leads, valid.len());
    assert!(per_reception.values().all(|n| *n == 1));
    assert_eq!(contacts, w.patients_with_phone());

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
    let (open_receptions, _) = faulty
        .storage
        .reception_links()
        .open_intents()
        .await
        .unwrap();
    assert_eq!(open_receptions, 0);
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
