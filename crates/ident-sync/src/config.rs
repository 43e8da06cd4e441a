//! `ident-sync`'s configuration: `[amocrm]`, `[mis]`, `[pipelines]`, `[fields]`, `[sync]`, `[schedule]`,
//! `[storage]`, `[redis]`, `[lock]`; every key overridable by `IDENT_SYNC__SECTION__KEY`.

use crmsync_amocrm::settings::{AmoCrmSettings, SettingsError};
use crmsync_cli::backends::{LockSection, RedisSection, StorageSection};
use crmsync_cli::config::{ConfigError, Validate};
use crmsync_domain::crm::{FieldId, PipelineId, StatusId, StatusRef, UserId};
use crmsync_jobs::reception_sync::{FieldMapping, MAX_BATCH, SyncSettings};
use serde::Deserialize;

/// The environment prefix of overrides.
pub const ENV_PREFIX: &str = "IDENT_SYNC";
/// Storage when `[storage]` names none.
pub const DEFAULT_STORAGE_URL: &str = "sqlite:ident-sync.sqlite";
/// The lock key prefix when `[lock]` names none.
pub const DEFAULT_LOCK_KEY: &str = "ident-sync";

/// `[mis]`: the IDENT database.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MisSection {
    /// `sqlite:PATH`, `postgres://…`, or an ADO.NET string for SQL Server (`server=tcp:host,1433;…`, feature
    /// `mssql`).
    pub url: crmsync_cli::SecretUrl,
}

/// `[pipelines]`: where deals go and which stages are never matched.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelinesSection {
    /// "Первичные приёмы".
    pub primary_pipeline_id: i64,
    /// The stage new primary deals start in.
    pub primary_status_id: i64,
    /// "Повторные приёмы".
    pub secondary_pipeline_id: i64,
    /// The stage new secondary deals start in.
    pub secondary_status_id: i64,
    /// Stages never matched besides 142 and 143.
    pub excluded_statuses: Vec<i64>,
    /// The responsible user of new deals and contacts.
    pub responsible_user_id: Option<i64>,
}

/// `[fields]`: amoCRM field ids.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldsSection {
    /// "ID приёма" (required).
    pub reception_id: i64,
    /// "Дата приёма".
    pub reception_date: Option<i64>,
    /// "Врач".
    pub doctor_name: Option<i64>,
    /// "Услуга".
    pub service_name: Option<i64>,
    /// "Стоимость приёма".
    pub reception_cost: Option<i64>,
    /// "Порядковый номер пациента".
    pub patient_number: Option<i64>,
    /// A contact date field for the birthday.
    pub contact_birthday: Option<i64>,
}

/// `[sync]`: batch size, deep-sync window, time zone.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSection {
    /// Receptions per batch (1–250).
    pub batch_size: usize,
    /// Days a deep sync re-reads.
    pub deep_sync_days: u32,
    /// The clinic's offset from UTC in minutes (Moscow: 180).
    pub utc_offset_minutes: i32,
    /// Prefix of the cursor keys.
    pub key_prefix: String,
}

impl Default for SyncSection {
    fn default() -> Self {
        Self {
            batch_size: MAX_BATCH,
            deep_sync_days: 14,
            utc_offset_minutes: 180,
            key_prefix: "ident".to_owned(),
        }
    }
}

/// `[schedule]`: cron expressions (seconds first: `sec min hour day month weekday`) of the service.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleSection {
    /// Receptions (default every minute).
    pub receptions: String,
    /// Patients (default every 5 minutes).
    pub patients: String,
    /// Deep sync (default 07:00 and 19:00).
    pub deep: String,
}

impl Default for ScheduleSection {
    fn default() -> Self {
        Self {
            receptions: "0 * * * * *".to_owned(),
            patients: "30 */5 * * * *".to_owned(),
            deep: "0 0 7,19 * * *".to_owned(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// amoCRM (long-lived token or OAuth).
    pub amocrm: AmoCrmSettings,
    /// IDENT.
    pub mis: MisSection,
    /// Pipelines.
    pub pipelines: PipelinesSection,
    /// Field ids.
    pub fields: FieldsSection,
    /// Batches and windows.
    pub sync: SyncSection,
    /// The service's schedule.
    pub schedule: ScheduleSection,
    /// Journal, link tables and cursors.
    pub storage: StorageSection,
    /// Redis (lock, cursors, tokens).
    pub redis: RedisSection,
    /// The run locks.
    pub lock: LockSection,
}

/// A settings error as a configuration error naming the key.
pub(crate) fn settings_error(error: SettingsError) -> ConfigError {
    match error {
        SettingsError::Invalid { key, reason } => ConfigError::invalid(key, reason),
        other => ConfigError::Parse(other.to_string()),
    }
}

fn positive(key: &'static str, value: i64) -> Result<(), ConfigError> {
    if value <= 0 {
        return Err(ConfigError::invalid(key, "is required (a positive id)"));
    }
    Ok(())
}

impl Validate for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_BATCH).contains(&self.sync.batch_size) {
            return Err(ConfigError::invalid(
                "sync.batch_size",
                "must be between 1 and 250",
            ));
        }
        if !(-720..=840).contains(&self.sync.utc_offset_minutes) {
            return Err(ConfigError::invalid(
                "sync.utc_offset_minutes",
                "must be between -720 and 840",
            ));
        }
        for (key, expression) in [
            ("schedule.receptions", &self.schedule.receptions),
            ("schedule.patients", &self.schedule.patients),
            ("schedule.deep", &self.schedule.deep),
        ] {
            expression
                .trim()
                .parse::<croner::Cron>()
                .map_err(|e| ConfigError::invalid(key, format!("is not a cron expression: {e}")))?;
        }
        let mut lock = self.lock.clone();
        lock.or_key(DEFAULT_LOCK_KEY);
        lock.validate()
    }
}

impl Config {
    /// Gives unset storage and lock keys their defaults.
    pub fn fill_defaults(&mut self) {
        self.storage.or_url(DEFAULT_STORAGE_URL);
        self.lock.or_key(DEFAULT_LOCK_KEY);
    }

    /// Checks what a live run needs (everything `--sandbox` supplies).
    pub fn require_live(&self) -> Result<(), ConfigError> {
        self.amocrm.validate().map_err(settings_error)?;
        if self.mis.url.is_empty() {
            return Err(ConfigError::invalid("mis.url", "is required"));
        }
        let p = &self.pipelines;
        positive("pipelines.primary_pipeline_id", p.primary_pipeline_id)?;
        positive("pipelines.primary_status_id", p.primary_status_id)?;
        positive("pipelines.secondary_pipeline_id", p.secondary_pipeline_id)?;
        positive("pipelines.secondary_status_id", p.secondary_status_id)?;
        positive("fields.reception_id", self.fields.reception_id)?;
        for (key, value) in [
            ("fields.reception_date", self.fields.reception_date),
            ("fields.doctor_name", self.fields.doctor_name),
            ("fields.service_name", self.fields.service_name),
            ("fields.reception_cost", self.fields.reception_cost),
            ("fields.patient_number", self.fields.patient_number),
            ("fields.contact_birthday", self.fields.contact_birthday),
        ] {
            if let Some(value) = value {
                positive(key, value)?;
            }
        }
        Ok(())
    }

    /// The job's settings.
    pub fn sync_settings(&self) -> SyncSettings {
        let p = &self.pipelines;
        let f = &self.fields;
        let field = |v: Option<i64>| v.map(FieldId);
        SyncSettings {
            primary: StatusRef::new(
                PipelineId(p.primary_pipeline_id),
                StatusId(p.primary_status_id),
            ),
            secondary: StatusRef::new(
                PipelineId(p.secondary_pipeline_id),
                StatusId(p.secondary_status_id),
            ),
            excluded_statuses: p.excluded_statuses.iter().copied().map(StatusId).collect(),
            responsible_user: p.responsible_user_id.map(UserId),
            fields: FieldMapping {
                reception_id: FieldId(f.reception_id),
                reception_date: field(f.reception_date),
                doctor: field(f.doctor_name),
                service: field(f.service_name),
                cost: field(f.reception_cost),
                patient_number: field(f.patient_number),
                contact_birthday: field(f.contact_birthday),
            },
            batch_size: self.sync.batch_size,
            utc_offset_minutes: self.sync.utc_offset_minutes,
            deep_sync_days: self.sync.deep_sync_days,
            key_prefix: self.sync.key_prefix.clone(),
        }
    }
}
