//! `--sandbox`, the tests and the benchmarks: an emulated amoCRM account with the two reception pipelines and
//! the deal fields, and a generated clinic in a SQLite IDENT database.
//!
//! Between `--sandbox` runs the clinic file stays and the emulated account's deals and contacts are saved next
//! to it, so a second run sees what the first one wrote.

use std::path::{Path, PathBuf};

use chrono::{NaiveDateTime, Utc};
use crmsync_domain::crm::{FieldId, PipelineId, StatusId, StatusRef};
use crmsync_ident::{IdentDb, fixture};
use crmsync_jobs::reception_sync::SyncSettings;
use crmsync_sandbox::amocrm::{
    AmoCrmConfig, AmoCrmEmulator, CustomFieldDef, Fixture, Pipeline, Status,
};
use crmsync_sandbox::clinic::{Clinic, ClinicSpec};
use crmsync_sandbox::{FaultPlan, SandboxClock, SandboxError};
use serde_json::Value;

/// The emulator's long-lived token.
pub const SANDBOX_TOKEN: &str = "ident-sandbox-token";
/// "Первичные приёмы" and its first stage.
pub const PRIMARY: StatusRef = StatusRef::new(PipelineId(7_001), StatusId(70_011));
/// "Повторные приёмы" and its first stage.
pub const SECONDARY: StatusRef = StatusRef::new(PipelineId(7_002), StatusId(70_021));
/// Deal fields: reception id, date, doctor, service, cost, patient number.
pub const FIELDS: [(i64, &str, &str); 6] = [
    (26, "ID приёма", "text"),
    (27, "Дата приёма", "date"),
    (28, "Врач", "text"),
    (29, "Услуга", "text"),
    (30, "Стоимость приёма", "numeric"),
    (17, "Порядковый номер пациента", "text"),
];

fn status(id: i64, name: &str, sort: i64) -> Status {
    Status {
        id,
        name: name.to_owned(),
        sort,
        color: "#99ccff".to_owned(),
        status_type: 0,
        is_editable: true,
    }
}

/// The emulated account: the standard fixture plus both pipelines and the deal fields.
pub fn account() -> Fixture {
    let mut fixture = Fixture::standard();
    for (stage, name, second) in [
        (PRIMARY, "Первичные приёмы", 70_012),
        (SECONDARY, "Повторные приёмы", 70_022),
    ] {
        fixture.pipelines.push(Pipeline {
            id: stage.pipeline_id.0,
            name: name.to_owned(),
            sort: 10,
            is_main: false,
            is_unsorted_on: false,
            is_archive: false,
            statuses: vec![
                status(stage.status_id.0, "Записан", 10),
                status(second, "Пришёл", 20),
            ],
        });
    }
    for (id, name, field_type) in FIELDS {
        fixture.custom_fields.leads.push(CustomFieldDef {
            id,
            name: name.to_owned(),
            field_type: field_type.to_owned(),
            code: None,
            sort: id,
            enums: None,
        });
    }
    fixture
}

/// The job settings that match [`account`].
pub fn settings() -> SyncSettings {
    let mut s = SyncSettings::new(PRIMARY, SECONDARY, FieldId(26));
    s.fields.reception_date = Some(FieldId(27));
    s.fields.doctor = Some(FieldId(28));
    s.fields.service = Some(FieldId(29));
    s.fields.cost = Some(FieldId(30));
    s.fields.patient_number = Some(FieldId(17));
    s
}

/// "Now" of the generated clinic: the current minute in Moscow time.
pub fn clinic_now() -> NaiveDateTime {
    let now = Utc::now() + chrono::Duration::hours(3);
    now.naive_utc().with_nanosecond_zero()
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl NoNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
    }
}

/// Writes a generated clinic into a new IDENT database at `url`.
pub async fn create_clinic(url: &str, spec: ClinicSpec) -> Result<(IdentDb, Clinic), String> {
    let db = IdentDb::open(url).await.map_err(|e| e.to_string())?;
    let clinic = Clinic::generate(spec);
    fixture::load(&db, &clinic)
        .await
        .map_err(|e| e.to_string())?;
    Ok((db, clinic))
}

/// An emulated account, optionally starting from saved deals and contacts.
pub async fn start_amocrm(
    saved: Option<&Path>,
    rate_limit_per_s: u32,
    faults: FaultPlan,
) -> Result<AmoCrmEmulator, SandboxError> {
    let mut fixture = account();
    if let Some(path) = saved.filter(|p| p.exists())
        && let Ok(text) = std::fs::read_to_string(path)
        && let Ok(state) = serde_json::from_str::<SavedAccount>(&text)
    {
        fixture.contacts = state.contacts;
        fixture.leads = state.leads;
    }
    AmoCrmEmulator::start(AmoCrmConfig {
        long_lived_token: Some(SANDBOX_TOKEN.to_owned()),
        rate_limit_per_s: Some(rate_limit_per_s),
        faults,
        fixture,
        clock: SandboxClock::real(),
        ..AmoCrmConfig::default()
    })
    .await
}

/// Deals and contacts of an emulated account, as fixture items.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SavedAccount {
    /// Contacts.
    pub contacts: Vec<Value>,
    /// Deals, with their main contact embedded.
    pub leads: Vec<Value>,
}

/// Saves the emulator's deals and contacts to `path` as fixture items.
pub fn save_amocrm(emulator: &AmoCrmEmulator, path: &Path) -> Result<(), String> {
    let dump = emulator.dump();
    let keep = |item: &Value, keys: &[&str]| -> Value {
        let mut out = serde_json::Map::new();
        for key in keys {
            if let Some(v) = item.get(*key) {
                out.insert((*key).to_owned(), v.clone());
            }
        }
        Value::Object(out)
    };
    let contacts = dump
        .contacts
        .iter()
        .map(|c| {
            keep(
                c,
                &[
                    "id",
                    "name",
                    "first_name",
                    "last_name",
                    "created_at",
                    "updated_at",
                    "custom_fields_values",
                ],
            )
        })
        .collect();
    let leads = dump
        .leads
        .iter()
        .map(|l| {
            let mut item = keep(
                l,
                &["id", "name", "price", "pipeline_id", "status_id", "created_at", "updated_at", "custom_fields_values"],
            );
            let contacts: Vec<Value> = dump
                .links
                .iter()
                .filter(|link| {
                    link.from_entity == "leads"
                        && link.to_entity == "contacts"
                        && Some(link.from_id) == l.get("id").and_then(Value::as_i64)
                })
                .map(|link| serde_json::json!({ "id": link.to_id, "is_main": link.is_main.unwrap_or(false) }))
                .collect();
            if !contacts.is_empty() {
                item["_embedded"] = serde_json::json!({ "contacts": contacts });
            }
            item
        })
        .collect();
    let text =
        serde_json::to_string(&SavedAccount { contacts, leads }).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("cannot save the sandbox account: {e}"))
}

/// The files of a sandbox directory.
#[derive(Debug, Clone)]
pub struct SandboxFiles {
    /// The IDENT SQLite database.
    pub clinic: PathBuf,
    /// The saved amoCRM account.
    pub account: PathBuf,
}

impl SandboxFiles {
    /// The files under `dir`.
    pub fn under(dir: &Path) -> Self {
        Self {
            clinic: dir.join("ident.sqlite"),
            account: dir.join("amocrm.json"),
        }
    }
}
