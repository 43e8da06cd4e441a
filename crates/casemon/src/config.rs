//! `casemon`'s configuration: TOML sections `[amocrm]`, `[cyberjustice]`, `[monitoring]`, `[tasks]`,
//! `[storage]`, `[redis]`, `[lock]` (`[amocrm]` and the last three are the sections every binary shares), each key overridable by `CASEMON__SECTION__KEY`.

use std::time::Duration;

use crmsync_amocrm::settings::{AmoCrmSettings, SettingsError};
use crmsync_cli::backends::{LockSection, RedisSection, StorageSection};
use crmsync_cli::config::{ConfigError, Validate};
use crmsync_cyberjustice::CyberJusticeConfig;
use crmsync_domain::crm::{FieldId, PipelineId, StatusId, StatusRef, TaskTypeId};
use crmsync_jobs::case_monitoring::{
    DEFAULT_LIMIT, DEFAULT_OVERFLOW_SET, DEFAULT_PENDING_SET, DEFAULT_STATE_KEY, JobSettings,
    PlanOptions, TaskSettings,
};
use serde::Deserialize;

/// The environment prefix of overrides.
pub const ENV_PREFIX: &str = "CASEMON";

/// Which leads, which limit, which keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitoringSection {
    /// The pipeline of the leads whose cases are monitored.
    pub pipeline_id: i64,
    /// Their statuses in that pipeline (the seed's "procedure started").
    pub status_ids: Vec<i64>,
    /// The lead custom field holding the case number.
    pub case_field_id: i64,
    /// How many cases may be monitored (the service's own limit, when lower, wins).
    pub limit: usize,
    /// Key of the pending set.
    pub pending_set: String,
    /// Key of the overflow set.
    pub overflow_set: String,
    /// Key of the remembered state.
    pub state_key: String,
    /// Whether a lead with an empty case-number field gets a task.
    pub task_on_missing_number: bool,
    /// After how many consecutive `not_found` runs a case gets a task on its leads (0: never).
    pub not_found_task_after: u32,
    /// Whether new case events are copied into lead notes.
    pub notes: bool,
}

impl Default for MonitoringSection {
    fn default() -> Self {
        let plan = PlanOptions::default();
        Self {
            pipeline_id: 0,
            status_ids: Vec::new(),
            case_field_id: 0,
            limit: DEFAULT_LIMIT,
            pending_set: DEFAULT_PENDING_SET.to_owned(),
            overflow_set: DEFAULT_OVERFLOW_SET.to_owned(),
            state_key: DEFAULT_STATE_KEY.to_owned(),
            task_on_missing_number: plan.task_on_missing_number,
            not_found_task_after: plan.not_found_task_after,
            notes: true,
        }
    }
}

/// Texts and timing of the tasks put on leads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TasksSection {
    /// Text of the "fix the case number" task; `{value}` and `{reason}` are replaced.
    pub invalid_number_text: String,
    /// Text of the "case not found" task; `{value}` and `{reason}` are replaced.
    pub not_found_text: String,
    /// Hours until a task is due.
    pub due_in_hours: u64,
    /// The task type (amoCRM's follow-up when absent).
    pub task_type_id: Option<i64>,
}

impl Default for TasksSection {
    fn default() -> Self {
        let defaults = TaskSettings::default();
        Self {
            invalid_number_text: defaults.invalid_number_text,
            not_found_text: defaults.not_found_text,
            due_in_hours: 24,
            task_type_id: None,
        }
    }
}

/// The storage URL when the configuration names none.
pub const DEFAULT_STORAGE_URL: &str = "sqlite:casemon.sqlite";
/// The lock's key when the configuration names none.
pub const DEFAULT_LOCK_KEY: &str = "casemon:sync";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// amoCRM (the section every binary shares).
    pub amocrm: AmoCrmSettings,
    /// CyberJustice (see `crmsync_cyberjustice::CyberJusticeConfig`).
    pub cyberjustice: CyberJusticeConfig,
    /// Which leads and keys.
    pub monitoring: MonitoringSection,
    /// Task texts.
    pub tasks: TasksSection,
    /// Journal storage.
    pub storage: StorageSection,
    /// Redis.
    pub redis: RedisSection,
    /// The run lock.
    pub lock: LockSection,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            amocrm: AmoCrmSettings::default(),
            cyberjustice: CyberJusticeConfig::default(),
            monitoring: MonitoringSection::default(),
            tasks: TasksSection::default(),
            storage: StorageSection::new(DEFAULT_STORAGE_URL),
            redis: RedisSection::default(),
            lock: LockSection::new(DEFAULT_LOCK_KEY),
        }
    }
}

impl Validate for Config {
    /// Checks the values that are set; [`Config::require_live`] checks that the live systems are configured.
    fn validate(&self) -> Result<(), ConfigError> {
        let m = &self.monitoring;
        if m.limit == 0 || m.limit > 100_000 {
            return Err(ConfigError::invalid(
                "monitoring.limit",
                "must be between 1 and 100000",
            ));
        }
        for (key, value) in [
            ("monitoring.pending_set", &m.pending_set),
            ("monitoring.overflow_set", &m.overflow_set),
            ("monitoring.state_key", &m.state_key),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError::invalid(key, "must not be empty"));
            }
        }
        if m.pending_set == m.overflow_set {
            return Err(ConfigError::invalid(
                "monitoring.overflow_set",
                "must differ from monitoring.pending_set",
            ));
        }
        let mut lock = self.lock.clone();
        lock.or_key(DEFAULT_LOCK_KEY);
        lock.validate()?;
        if self.tasks.due_in_hours == 0 {
            return Err(ConfigError::invalid(
                "tasks.due_in_hours",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// A `[amocrm]` error as a configuration error naming its key.
pub(crate) fn settings_error(error: SettingsError) -> ConfigError {
    match error {
        SettingsError::Invalid { key, reason } => ConfigError::invalid(key, reason),
        other => ConfigError::Parse(other.to_string()),
    }
}

impl Config {
    /// Gives a `[storage]` table without `url` and a `[lock]` table without `key` casemon's defaults.
    pub fn fill_defaults(&mut self) {
        self.storage.or_url(DEFAULT_STORAGE_URL);
        self.lock.or_key(DEFAULT_LOCK_KEY);
    }

    /// Checks that amoCRM, CyberJustice and the leads to read are configured (everything `--sandbox` supplies).
    pub fn require_live(&self) -> Result<(), ConfigError> {
        self.amocrm.validate().map_err(settings_error)?;
        self.cyberjustice
            .validate()
            .map_err(|e| ConfigError::invalid(format!("cyberjustice.{}", e.field), e.reason))?;
        let m = &self.monitoring;
        if m.pipeline_id <= 0 {
            return Err(ConfigError::invalid(
                "monitoring.pipeline_id",
                "is required (a positive pipeline id)",
            ));
        }
        if m.status_ids.is_empty() || m.status_ids.iter().any(|s| *s <= 0) {
            return Err(ConfigError::invalid(
                "monitoring.status_ids",
                "must list at least one positive status id",
            ));
        }
        if m.case_field_id <= 0 {
            return Err(ConfigError::invalid(
                "monitoring.case_field_id",
                "is required (the lead custom field id of the case number)",
            ));
        }
        Ok(())
    }

    /// The job's settings.
    pub fn job_settings(&self) -> JobSettings {
        let m = &self.monitoring;
        let stages = m
            .status_ids
            .iter()
            .map(|s| StatusRef::new(PipelineId(m.pipeline_id), StatusId(*s)))
            .collect();
        JobSettings {
            stages,
            case_field: FieldId(m.case_field_id),
            limit: m.limit,
            pending_set: m.pending_set.clone(),
            overflow_set: m.overflow_set.clone(),
            state_key: m.state_key.clone(),
            plan: PlanOptions {
                task_on_missing_number: m.task_on_missing_number,
                not_found_task_after: m.not_found_task_after,
            },
            tasks: TaskSettings {
                invalid_number_text: self.tasks.invalid_number_text.clone(),
                not_found_text: self.tasks.not_found_text.clone(),
                due_in: Duration::from_secs(self.tasks.due_in_hours.saturating_mul(3600)),
                task_type_id: self.tasks.task_type_id.map(TaskTypeId),
            },
            notes: m.notes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("casemon-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{}.toml", toml.len()));
        std::fs::write(&file, toml).unwrap();
        let vars = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        crmsync_cli::config::load_from(Some(&file), ENV_PREFIX, vars)
    }

    const LIVE: &str = r#"
[amocrm]
base_url = "https://example.amocrm.ru"
long_lived_token = "s3cret-token"
[cyberjustice]
base_url = "https://api.cyberjustice.example"
api_key = "s3cret-key"
[monitoring]
pipeline_id = 10
status_ids = [20]
case_field_id = 30
"#;

    #[test]
    fn a_live_config_maps_to_job_settings() {
        let config = load(LIVE, &[("CASEMON__MONITORING__LIMIT", "300")]).unwrap();
        config.require_live().unwrap();
        let settings = config.job_settings();
        assert_eq!(settings.limit, 300);
        assert_eq!(
            settings.stages,
            [StatusRef::new(PipelineId(10), StatusId(20))]
        );
        assert_eq!(settings.case_field, FieldId(30));
        assert_eq!(settings.pending_set, "cyberjustice:case:retrieve");
        assert_eq!(settings.overflow_set, "cyberjustice:case:overflow");
    }

    #[test]
    fn missing_live_keys_are_named() {
        let config = load("[monitoring]\nlimit = 10\n", &[]).unwrap();
        let error = config.require_live().unwrap_err().to_string();
        assert!(error.contains("amocrm.base_url"), "{error}");
        let no_key = load(&LIVE.replace("api_key = \"s3cret-key\"", ""), &[]).unwrap();
        let error = no_key.require_live().unwrap_err().to_string();
        assert!(error.contains("cyberjustice.api_key"), "{error}");
    }

    #[test]
    fn bad_values_and_unknown_keys_are_refused() {
        let error = load(&format!("{LIVE}\nlimit = 0\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("monitoring.limit"), "{error}");
        let error = load("[monitoring]\nlimt = 3\n", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("limt"), "{error}");
    }

    #[test]
    fn amocrm_may_use_oauth_with_its_token_key() {
        let oauth = LIVE.replace(
            "long_lived_token = \"s3cret-token\"",
            "[amocrm.oauth]\nclient_id = \"app\"\nclient_secret = \"s3cret-client\"\n\
             redirect_uri = \"https://example.org/cb\"\ntoken_key = \"amocrm:tokens\"",
        );
        let config = load(&oauth, &[]).unwrap();
        config.require_live().unwrap();
        let shown = format!("{config:?}");
        assert!(
            shown.contains("amocrm:tokens") && !shown.contains("s3cret"),
            "{shown}"
        );
        let both = oauth.replace("[amocrm.oauth]", "long_lived_token = \"t\"\n[amocrm.oauth]");
        let error = load(&both, &[]).unwrap().require_live().unwrap_err();
        assert!(
            error.to_string().contains("amocrm.long_lived_token"),
            "{error}"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let with_urls = format!(
            "{LIVE}[storage]\nurl = \"postgres://u:s3cret-pg@h/db\"\n[redis]\nurl = \"redis://:s3cret-rd@h/2\"\n"
        );
        let config = load(&with_urls, &[]).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
