//! Configuration: a TOML file plus `OFFICEFLOW_SYNC__SECTION__KEY` environment overrides, validated.

use std::collections::BTreeMap;

use crmsync_cli::backends::{LockSection, RedisSection, StorageSection};
use crmsync_cli::config::{ConfigError, Validate};
use crmsync_domain::org::check_platform;
use crmsync_jobs::officeflow::{DepartmentRules, LOCK_KEY};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

mod flows;
mod source;

pub(crate) use flows::{CategorySection, PLATFORM_SOURCE, ProcessesSection};
pub(crate) use source::{Origin, SourceError, SourceUse, resolve};

/// The environment prefix of this binary.
pub(crate) const ENV_PREFIX: &str = "OFFICEFLOW_SYNC";

/// Everything `officeflow-sync` can be configured with.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// The platform; required unless `--sandbox` or a database settings row gives it.
    pub(crate) officeflow: Option<OfficeflowSection>,
    /// Further connections that flow categories can be read from (`[sources.outing]`, ...).
    pub(crate) sources: BTreeMap<String, OfficeflowSection>,
    /// The flow categories of the processes part.
    pub(crate) processes: ProcessesSection,
    /// Where the local copy, the journal and (without Redis) the lock live; required unless `--sandbox`.
    pub(crate) storage: StorageSection,
    /// Redis for the lock; absent: the lock is a lease in the storage database.
    pub(crate) redis: RedisSection,
    /// The `officeflow:sync` lock (key fixed; `ttl_s` 120 renewed every third; `wait_s` for `--wait`).
    pub(crate) lock: LockSection,
    /// Which parts run when `--parts` is not given (the per-environment switches).
    pub(crate) parts: PartsSection,
    /// The departments part.
    pub(crate) departments: DepartmentsSection,
    /// The OpenID part.
    pub(crate) openids: OpenIdsSection,
    /// Writing.
    pub(crate) sync: SyncSection,
    /// `retry-failed` and heartbeats.
    pub(crate) retry: RetrySection,
    /// The in-process emulator of `--sandbox`.
    pub(crate) sandbox: SandboxSection,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            officeflow: None,
            sources: BTreeMap::new(),
            processes: ProcessesSection::default(),
            storage: StorageSection::default(),
            redis: RedisSection::default(),
            lock: LockSection::new(LOCK_KEY),
            parts: PartsSection::default(),
            departments: DepartmentsSection::default(),
            openids: OpenIdsSection::default(),
            sync: SyncSection::default(),
            retry: RetrySection::default(),
            sandbox: SandboxSection::default(),
        }
    }
}

/// How long `--wait` waits for a running instance when `lock.wait_s` is 0.
pub(crate) const DEFAULT_WAIT_S: u64 = 8 * 3600;

/// `[officeflow]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfficeflowSection {
    /// API root, e.g. `https://officeflow.example.edu/api/v1`.
    pub(crate) base_url: String,
    /// The app's key.
    pub(crate) app_key: String,
    /// The app's secret.
    pub(crate) app_secret: SecretString,
    /// Requests per second (1 to 50; the platform allows 50).
    #[serde(default = "defaults::rate_limit_per_s")]
    pub(crate) rate_limit_per_s: u32,
    /// Deadline of one request, in seconds.
    #[serde(default = "defaults::timeout_s")]
    pub(crate) timeout_s: u64,
    /// Retries of one call after a transient failure.
    #[serde(default = "defaults::max_retries")]
    pub(crate) max_retries: u32,
    /// First backoff, in milliseconds.
    #[serde(default = "defaults::backoff_base_ms")]
    pub(crate) backoff_base_ms: u64,
    /// Longest backoff, in milliseconds.
    #[serde(default = "defaults::backoff_max_ms")]
    pub(crate) backoff_max_ms: u64,
    /// Records per page (1 to 10 000).
    #[serde(default = "defaults::page_size")]
    pub(crate) page_size: u32,
    /// The largest answer read, in bytes (default 64 MiB); a larger one fails the run.
    #[serde(default = "defaults::max_response_bytes")]
    pub(crate) max_response_bytes: u64,
}

impl OfficeflowSection {
    /// Checks every value; errors name the key after `prefix` (`officeflow.`, `sources.outing.`).
    pub(crate) fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = |name: &str| format!("{prefix}{name}");
        source::check_url(&key("base_url"), &self.base_url)?;
        if self.app_key.trim().is_empty() {
            return Err(ConfigError::invalid(key("app_key"), "is empty"));
        }
        between(
            &key("rate_limit_per_s"),
            self.rate_limit_per_s.into(),
            1,
            50,
        )?;
        between(&key("timeout_s"), self.timeout_s, 1, 600)?;
        between(&key("max_retries"), self.max_retries.into(), 0, 20)?;
        between(&key("backoff_base_ms"), self.backoff_base_ms, 1, 600_000)?;
        between(
            &key("backoff_max_ms"),
            self.backoff_max_ms,
            self.backoff_base_ms,
            3_600_000,
        )?;
        between(&key("page_size"), self.page_size.into(), 1, 10_000)?;
        between(
            &key("max_response_bytes"),
            self.max_response_bytes,
            1,
            u64::MAX,
        )
    }
}

/// `[parts]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PartsSection {
    /// Sync the department tree.
    pub(crate) departments: bool,
    /// Sync positions and their members.
    pub(crate) positions: bool,
    /// Sync tag groups, tags and members.
    pub(crate) tags: bool,
    /// Sync user OpenIDs.
    pub(crate) openids: bool,
    /// Sync the identities' attribute definitions and users' attribute values.
    pub(crate) attributes: bool,
    /// Sync process instances and their task history.
    pub(crate) processes: bool,
}

impl Default for PartsSection {
    fn default() -> Self {
        Self {
            departments: true,
            positions: true,
            tags: true,
            openids: true,
            attributes: true,
            processes: true,
        }
    }
}

/// `[departments]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DepartmentsSection {
    /// `[[departments.rules]]`: `name`, `kind` (`map` from/to, `merge` from/into, `move` department/parent,
    /// `revoke` department), applied in order.
    pub(crate) rules: DepartmentRules,
}

/// `[openids]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct OpenIdsSection {
    /// Platforms to sync (a list, or a comma-separated string from the environment); empty: all.
    #[serde(deserialize_with = "list_or_csv")]
    pub(crate) platforms: Vec<String>,
}

/// `[sync]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SyncSection {
    /// Rows per write transaction.
    pub(crate) batch_size: usize,
}

impl Default for SyncSection {
    fn default() -> Self {
        Self { batch_size: 5_000 }
    }
}

/// `[retry]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RetrySection {
    /// Attempts per part run, the first included.
    pub(crate) max_attempts: u32,
    /// Wait after the first failure, in seconds; doubled after each further one.
    pub(crate) backoff_base_s: u64,
    /// Longest wait, in seconds.
    pub(crate) backoff_max_s: u64,
    /// A running part silent for this long (seconds) is declared failed.
    pub(crate) stale_after_s: u64,
    /// How often a running part writes its heartbeat, in seconds.
    pub(crate) heartbeat_s: u64,
}

impl Default for RetrySection {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            backoff_base_s: 60,
            backoff_max_s: 3600,
            stale_after_s: 600,
            heartbeat_s: 15,
        }
    }
}

/// `[sandbox]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct SandboxSection {
    /// Users of the generated organisation.
    pub(crate) users: usize,
    /// Messaging platforms (a list, or a comma-separated string from the environment).
    #[serde(deserialize_with = "list_or_csv")]
    pub(crate) platforms: Vec<String>,
    /// Seed of the organisation.
    pub(crate) seed: u64,
    /// Rounds of changes applied to the organisation before it is served.
    pub(crate) mutations: usize,
    /// Whether the emulator injects transient faults (throttling, busy, 5xx, expired tokens, slow answers).
    pub(crate) faults: bool,
    /// The SQLite file of the sandbox.
    pub(crate) db: String,
    /// Process instances generated per flow category.
    pub(crate) flows: usize,
}

impl Default for SandboxSection {
    fn default() -> Self {
        Self {
            users: 500,
            platforms: vec!["wecom".into(), "dingtalk".into()],
            seed: 4,
            mutations: 0,
            faults: false,
            db: "target/demo/officeflow.sqlite".into(),
            flows: 300,
        }
    }
}

mod defaults {
    pub(super) fn rate_limit_per_s() -> u32 {
        40
    }
    pub(super) fn timeout_s() -> u64 {
        30
    }
    pub(super) fn max_retries() -> u32 {
        5
    }
    pub(super) fn backoff_base_ms() -> u64 {
        500
    }
    pub(super) fn backoff_max_ms() -> u64 {
        30_000
    }
    pub(super) fn page_size() -> u32 {
        5_000
    }
    pub(super) fn max_response_bytes() -> u64 {
        crmsync_officeflow::OfficeflowConfig::DEFAULT_MAX_RESPONSE_BYTES
    }
}

fn list_or_csv<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCsv {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match ListOrCsv::deserialize(deserializer)? {
        ListOrCsv::List(items) => items,
        ListOrCsv::Csv(text) => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

fn between(key: &str, value: u64, low: u64, high: u64) -> Result<(), ConfigError> {
    if (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            key,
            format!("must be between {low} and {high}, got {value}"),
        ))
    }
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(platform) = &self.officeflow {
            platform.validate("officeflow.")?;
        }
        for (name, source) in &self.sources {
            source.validate(&format!("sources.{name}."))?;
        }
        self.processes.validate(self.sources.keys())?;
        self.departments
            .rules
            .check()
            .map_err(|e| ConfigError::invalid("departments.rules", e.to_string()))?;
        between("sandbox.flows", self.sandbox.flows as u64, 0, 1_000_000)?;
        if !self.lock.key.is_empty() && self.lock.key != LOCK_KEY {
            return Err(ConfigError::invalid(
                "lock.key",
                format!("officeflow-sync always locks {LOCK_KEY}"),
            ));
        }
        between("lock.ttl_s", self.lock.ttl_s, 1, 24 * 3600)?;
        between("lock.wait_s", self.lock.wait_s, 0, 7 * 24 * 3600)?;
        between("sync.batch_size", self.sync.batch_size as u64, 1, 100_000)?;
        between("retry.max_attempts", self.retry.max_attempts.into(), 1, 100)?;
        between(
            "retry.backoff_max_s",
            self.retry.backoff_max_s,
            self.retry.backoff_base_s,
            7 * 24 * 3600,
        )?;
        between("retry.heartbeat_s", self.retry.heartbeat_s, 1, 3600)?;
        if self.retry.stale_after_s <= self.retry.heartbeat_s {
            return Err(ConfigError::invalid(
                "retry.stale_after_s",
                "must be longer than retry.heartbeat_s",
            ));
        }
        for platform in self.openids.platforms.iter().chain(&self.sandbox.platforms) {
            check_platform(platform)
                .map_err(|e| ConfigError::invalid("openids.platforms", e.to_string()))?;
        }
        between("sandbox.users", self.sandbox.users as u64, 1, 1_000_000)?;
        if self.sandbox.platforms.is_empty() {
            return Err(ConfigError::invalid(
                "sandbox.platforms",
                "needs at least one platform",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crmsync_cli::config::load_from;
    use secrecy::ExposeSecret;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_and_environment_overrides() {
        let settings: Settings = load_from(
            None,
            ENV_PREFIX,
            env(&[
                (
                    "OFFICEFLOW_SYNC__OFFICEFLOW__BASE_URL",
                    "https://of.example/api/v1",
                ),
                ("OFFICEFLOW_SYNC__OFFICEFLOW__APP_KEY", "app"),
                ("OFFICEFLOW_SYNC__OFFICEFLOW__APP_SECRET", "s3cret-value"),
                ("OFFICEFLOW_SYNC__LOCK__TTL_S", "2"),
                ("OFFICEFLOW_SYNC__PARTS__TAGS", "false"),
                ("OFFICEFLOW_SYNC__OPENIDS__PLATFORMS", "wecom, dingtalk"),
            ]),
        )
        .unwrap();
        assert_eq!(settings.lock.ttl_s, 2);
        assert_eq!(settings.lock.wait_s, 0);
        assert!(!settings.parts.tags && settings.parts.positions);
        assert_eq!(settings.openids.platforms, vec!["wecom", "dingtalk"]);
        let platform = settings.officeflow.as_ref().unwrap();
        assert_eq!(platform.app_secret.expose_secret(), "s3cret-value");
        assert_eq!(platform.rate_limit_per_s, 40);
        assert!(!format!("{settings:?}").contains("s3cret-value"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let error = load_from::<Settings>(
            None,
            ENV_PREFIX,
            env(&[("OFFICEFLOW_SYNC__SYNC__BATCH_SIZE", "0")]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("sync.batch_size"), "{error}");
        let error = load_from::<Settings>(
            None,
            ENV_PREFIX,
            env(&[("OFFICEFLOW_SYNC__OPENIDS__PLATFORMS", "WeCom")]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("openids.platforms"), "{error}");
    }
}
