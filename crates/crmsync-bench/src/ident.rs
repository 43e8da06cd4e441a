//! `ident.*`: the reception sync against the amoCRM emulator and a generated clinic (SQLite IDENT) — requests and
//! wall time of 1,000 new receptions, requests of 50 changed ones, the bootstrap read of an account with 10,000
//! contacts and 10,000 deals, peak memory of 10,000 receptions in one run (the syncing process's own `VmHWM`: the
//! sync runs in a child process, this binary re-executed with `CRMSYNC_BENCH_CHILD=ident-sync`, against the
//! emulator and the generated clinic this process holds), and the pure plan's throughput. `ident.seed_model_*`
//! are the seed's own figures.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{Duration, Utc};
use crmsync_amocrm::settings::AmoCrmSettings;
use crmsync_domain::crm::{ContactId, LeadId};
use crmsync_domain::{PatientId, ReceptionId};
use crmsync_ident::fixture;
use crmsync_jobs::reception_sync::{self, BatchInput, Ports, RunOptions};
use crmsync_ports::{Link, NoProgress};
use crmsync_sandbox::FaultPlan;
use crmsync_sandbox::amocrm::AmoCrmEmulator;
use crmsync_sandbox::clinic::{Clinic, ClinicSpec};
use crmsync_store::Database;
use ident_sync::sandbox::{self, SANDBOX_TOKEN};
use serde_json::json;

use crate::amonition::child::{CHILD_ENV, SPEC_ENV, outcome_of};
use crate::report::Report;

/// The child kind of the memory figure.
const CHILD_KIND: &str = "ident-sync";

/// Where the sync child finds the clinic, the emulator and its storage.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SyncSpec {
    /// The generated clinic (SQLite URL).
    clinic: String,
    /// The amoCRM emulator's base URL.
    amocrm: String,
    /// The child's storage (SQLite URL).
    storage: String,
}

/// What the sync child prints as its last line.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SyncOutcome {
    /// Deals created.
    deals_created: u64,
    /// Receptions that failed.
    errors: u64,
    /// The child's `VmHWM`, in MiB.
    rss_mb: f64,
}

/// Runs the sync child when `CRMSYNC_BENCH_CHILD=ident-sync`; `None` in any other process.
pub(crate) fn run_if_child() -> anyhow::Result<Option<ExitCode>> {
    if std::env::var(CHILD_ENV).ok().as_deref() != Some(CHILD_KIND) {
        return Ok(None);
    }
    let spec: SyncSpec = serde_json::from_str(
        &std::env::var(SPEC_ENV)
            .map_err(|_| anyhow::anyhow!("the {CHILD_KIND} child needs {SPEC_ENV}"))?,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async {
        let mis = crmsync_ident::IdentDb::open(&spec.clinic).await?;
        let storage = Database::open(&spec.storage).await?;
        let crm = client(&spec.amocrm, 7, &storage)?;
        let r = sync(&crm, &mis, &storage).await?;
        anyhow::Ok(SyncOutcome {
            deals_created: r.deals_created,
            errors: r.errors,
            rss_mb: crate::report::peak_rss_mb()?,
        })
    })?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(Some(ExitCode::SUCCESS))
}

/// The reception sync's amoCRM client for `base_url`, as `ident-sync` builds it.
fn client(
    base_url: &str,
    rate: u32,
    storage: &Database,
) -> anyhow::Result<crmsync_amocrm::AmoCrmClient> {
    Ok(ident_sync::app::crm_client(
        &AmoCrmSettings {
            base_url: base_url.to_owned(),
            long_lived_token: SANDBOX_TOKEN.into(),
            rate_limit_per_s: rate.min(7),
            ..AmoCrmSettings::default()
        },
        storage.key_values(),
    )?)
}

/// One incremental reception sync with the sandbox's settings.
async fn sync(
    crm: &crmsync_amocrm::AmoCrmClient,
    mis: &crmsync_ident::IdentDb,
    storage: &Database,
) -> anyhow::Result<reception_sync::Report> {
    let links = storage.reception_links();
    let kv = storage.key_values();
    let ports = Ports {
        crm,
        mis,
        links: links.as_ref(),
        cursors: kv.as_ref(),
    };
    Ok(reception_sync::run(
        ports,
        &sandbox::settings(),
        &RunOptions::incremental(Utc::now()),
        &NoProgress,
    )
    .await?
    .report)
}

/// Runs every reception-sync figure.
pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    report.input("a generated clinic (SQLite IDENT) and the amoCRM emulator at 7 requests/s (sizes in the names)");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        rss_10000(report).await?;
        new_1000(report).await?;
        bootstrap_10000(report).await?;
        anyhow::Ok(())
    })?;
    plan_throughput(report);
    report.record("ident.seed_model_requests_1000", 210.0);
    report.record("ident.seed_model_wall_s_1000", 30.0);
    report.record("ident.seed_model_rss_mb_1000", 50.0);
    Ok(())
}

struct Bench {
    emulator: AmoCrmEmulator,
    crm: crmsync_amocrm::AmoCrmClient,
    mis: crmsync_ident::IdentDb,
    storage: Database,
    _dir: std::path::PathBuf,
}

async fn bench(
    spec: Option<ClinicSpec>,
    rate: u32,
    account: Option<crmsync_sandbox::amocrm::Fixture>,
) -> anyhow::Result<Bench> {
    let dir = std::env::temp_dir().join(format!(
        "ident-bench-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite:{}", dir.join("ident.sqlite").display());
    let mis = match spec {
        Some(spec) => {
            sandbox::create_clinic(&url, spec)
                .await
                .map_err(anyhow::Error::msg)?
                .0
        }
        None => {
            let db = crmsync_ident::IdentDb::open(&url).await?;
            db.create_schema().await?;
            db
        }
    };
    let emulator = match account {
        Some(fixture) => {
            crmsync_sandbox::amocrm::AmoCrmEmulator::start(crmsync_sandbox::amocrm::AmoCrmConfig {
                long_lived_token: Some(SANDBOX_TOKEN.to_owned()),
                rate_limit_per_s: Some(rate),
                fixture,
                ..Default::default()
            })
            .await?
        }
        None => sandbox::start_amocrm(None, rate, FaultPlan::none()).await?,
    };
    let storage = Database::open(&format!("sqlite:{}", dir.join("store.sqlite").display())).await?;
    let crm = client(&emulator.base_url(), rate, &storage)?;
    Ok(Bench {
        emulator,
        crm,
        mis,
        storage,
        _dir: dir,
    })
}

impl Bench {
    async fn run(&self) -> anyhow::Result<reception_sync::Report> {
        sync(&self.crm, &self.mis, &self.storage).await
    }

    fn requests(&self) -> f64 {
        self.emulator.stats().requests_total as f64
    }
}

/// 10,000 new receptions synced by a child process against the emulator and clinic of this one; the child's
/// peak memory.
async fn rss_10000(report: &mut Report) -> anyhow::Result<()> {
    let b = bench(
        Some(ClinicSpec::plain(10_000, sandbox::clinic_now())),
        1_000,
        None,
    )
    .await?;
    let spec = serde_json::to_string(&SyncSpec {
        clinic: format!("sqlite:{}", b._dir.join("ident.sqlite").display()),
        amocrm: b.emulator.base_url(),
        storage: format!("sqlite:{}", b._dir.join("child-store.sqlite").display()),
    })?;
    let (line, _) = outcome_of(CHILD_KIND, spec).await?;
    let outcome: SyncOutcome = serde_json::from_str(&line)?;
    anyhow::ensure!(
        outcome.deals_created + outcome.errors == 10_000
            && b.emulator.count("leads") as u64 == outcome.deals_created,
        "expected 10,000 receptions handled: {outcome:?}"
    );
    report
        .record("ident.rss_mb_10000", outcome.rss_mb)
        .goal("≤ 50")
        .baseline("≈ 500 (50 MB per 1,000)");
    Ok(())
}

async fn new_1000(report: &mut Report) -> anyhow::Result<()> {
    let b = bench(
        Some(ClinicSpec::plain(1_000, sandbox::clinic_now())),
        7,
        None,
    )
    .await?;
    let started = Instant::now();
    let r = b.run().await?;
    report
        .record("ident.wall_s_1000_new", started.elapsed().as_secs_f64())
        .goal("≤ 2")
        .baseline("≈ 30");
    anyhow::ensure!(
        r.deals_created + r.errors == 1_000,
        "expected 1,000 receptions handled: {r}"
    );
    report
        .record("ident.requests_1000_new", b.requests())
        .goal("≤ 12 (floor 8)")
        .baseline("≈ 210");
    b.run().await?;
    b.emulator.reset_request_stats();
    let clinic = Clinic::generate(ClinicSpec::plain(1_000, sandbox::clinic_now()));
    let ids: Vec<i64> = clinic.receptions.iter().take(50).map(|r| r.id).collect();
    fixture::touch_receptions(
        &b.mis,
        &ids,
        sandbox::clinic_now() + Duration::minutes(5),
        "777",
    )
    .await?;
    let r = b.run().await?;
    anyhow::ensure!(r.receptions == 50, "expected 50 receptions: {r}");
    report
        .record("ident.requests_50_incremental", b.requests())
        .goal("≤ 5");
    Ok(())
}

async fn bootstrap_10000(report: &mut Report) -> anyhow::Result<()> {
    let mut account = sandbox::account();
    for i in 0..10_000_i64 {
        account.contacts.push(json!({
            "id": 1_000_000 + i,
            "name": format!("Контакт {i}"),
            "custom_fields_values": [{ "field_code": "PHONE", "values": [{ "value": format!("+7916{:07}", i), "enum_code": "WORK" }] }],
        }));
        account.leads.push(json!({
            "id": 2_000_000 + i,
            "name": format!("Сделка {i}"),
            "pipeline_id": sandbox::PRIMARY.pipeline_id.0,
            "status_id": sandbox::PRIMARY.status_id.0,
            "custom_fields_values": [{ "field_id": 17, "values": [{ "value": format!("{}", 500_000 + i) }] }],
        }));
    }
    let b = bench(None, 1_000, Some(account)).await?;
    let r = b.run().await?;
    anyhow::ensure!(
        r.amocrm_read.bootstrap && r.amocrm_read.contacts == 10_000,
        "bootstrap read: {r}"
    );
    let pages = (r.amocrm_read.lead_pages + r.amocrm_read.contact_pages) as f64;
    report
        .record("ident.requests_bootstrap_10000", b.requests())
        .goal(format!("≤ 1.1 × {pages} pages"));
    report.record(
        "ident.pages_bootstrap_10000",
        (r.amocrm_read.lead_pages + r.amocrm_read.contact_pages) as f64,
    );
    Ok(())
}

fn plan_throughput(report: &mut Report) {
    let clinic = Clinic::generate(ClinicSpec::plain(250, sandbox::clinic_now()));
    let receptions: Vec<crmsync_domain::MisReception> = clinic
        .receptions
        .iter()
        .map(|r| crmsync_domain::MisReception {
            id: r.id,
            patient_id: r.patient_id,
            doctor: Some("Иванов Иван".into()),
            service: r.service.clone(),
            cost: r.cost.clone(),
            plan_start: Some(r.plan_start),
            plan_end: Some(r.plan_end),
            changed_at: r.changed_at,
            facts: r.facts,
        })
        .collect();
    let patients: Vec<crmsync_domain::MisPatient> = clinic
        .persons
        .iter()
        .skip(clinic.spec.doctors)
        .map(|p| crmsync_domain::MisPatient {
            id: p.id,
            card_number: None,
            patient_number: Some(p.id.to_string()),
            surname: Some(p.surname.clone()),
            name: Some(p.name.clone()),
            patronymic: p.patronymic.clone(),
            phones: [&p.phone, &p.mobile_phone]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            birthday: p.birthday.clone(),
            changed_at: p.changed_at,
        })
        .collect();
    let mut patient_links = HashMap::new();
    for (i, p) in patients.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        patient_links.insert(PatientId(p.id), Link::Linked(ContactId(i as i64 + 1)));
    }
    let mut reception_links = HashMap::new();
    for r in receptions.iter().step_by(3) {
        reception_links.insert(ReceptionId(r.id), Link::Linked(LeadId(r.id)));
    }
    let settings = sandbox::settings();
    let rounds = 200;
    let started = Instant::now();
    let mut decided = 0usize;
    for _ in 0..rounds {
        let input = BatchInput {
            receptions: &receptions,
            patients: patients.iter().map(|p| (PatientId(p.id), p)).collect(),
            completed: HashMap::new(),
            reception_links: reception_links.clone(),
            patient_links: patient_links.clone(),
            phone_links: HashMap::new(),
            number_links: HashMap::new(),
            leads: HashMap::new(),
        };
        decided += reception_sync::plan(&input, &settings).decisions.len();
    }
    let secs = started.elapsed().as_secs_f64();
    report
        .record(
            "ident.plan_receptions_per_s",
            decided as f64 / secs.max(1e-9),
        )
        .goal("≥ 200,000");
}
