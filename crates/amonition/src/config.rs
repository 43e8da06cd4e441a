//! `amonition`'s configuration: TOML sections, each key overridable by `AMONITION__SECTION__KEY`.

use std::net::SocketAddr;
use std::time::Duration;

use crmsync_amocrm::settings::{AmoCrmSettings, SettingsError};
use crmsync_cli::SecretUrl;
use crmsync_cli::backends::{LockSection, RedisSection, StorageSection};
use crmsync_cli::config::{ConfigError, Validate};
use crmsync_domain::crm::{FieldId, StatusId};
use crmsync_domain::seller::SellerFields;
use crmsync_jobs::amonition::events::Routing;
use crmsync_jobs::amonition::inbox::RetryPolicy;
use crmsync_jobs::amonition::upload::{DEFAULT_BATCH_SIZE, UploadSettings};
use crmsync_marketplace::ServiceConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The environment prefix of overrides.
pub const ENV_PREFIX: &str = "AMONITION";

/// The largest webhook body accepted.
pub const MAX_WEBHOOK_BODY: usize = 1024 * 1024;

/// Settings of AMONITION itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmonitionSection {
    /// The amoCRM account id; webhooks of any other account are refused with 403 (required by `serve`).
    pub account_id: i64,
    /// The combined amoCRM rate of every process of the integration, shared through Redis (`[redis] url`
    /// required); 0 keeps the in-process limit of `amocrm.rate_limit_per_s`.
    pub shared_limit_rps: f64,
}

impl Default for AmonitionSection {
    fn default() -> Self {
        Self {
            account_id: 0,
            shared_limit_rps: 0.0,
        }
    }
}

/// The HTTP server of `serve`.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// Where to listen (loopback by default; put a reverse proxy with TLS in front).
    pub bind: SocketAddr,
    /// The secret path segment of `POST /webhooks/amocrm/{secret}`.
    pub webhook_secret: SecretString,
    /// The bearer token `GET /metrics` requires (empty: metrics need no token).
    pub metrics_token: SecretString,
    /// Inbox workers in this process.
    pub workers: u32,
    /// How often an idle worker looks for due rows, in milliseconds.
    pub poll_ms: u64,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8088)),
            webhook_secret: SecretString::default(),
            metrics_token: SecretString::default(),
            workers: 2,
            poll_ms: 500,
        }
    }
}

impl std::fmt::Debug for ServerSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSection")
            .field("bind", &self.bind)
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

/// Retries of inbox rows.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboxSection {
    /// Attempts before a row is dead-lettered.
    pub max_attempts: u32,
    /// The wait after the first failure, in seconds (doubled each time).
    pub base_delay_s: u64,
    /// The longest wait, in seconds.
    pub max_delay_s: u64,
    /// How long a claim lasts before another worker may take the row, in seconds.
    pub lease_s: u64,
}

impl Default for InboxSection {
    fn default() -> Self {
        let policy = RetryPolicy::default();
        Self {
            max_attempts: policy.max_attempts,
            base_delay_s: policy.base_delay.as_secs(),
            max_delay_s: policy.max_delay.as_secs(),
            lease_s: policy.lease.as_secs(),
        }
    }
}

/// The scheduled upload.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadSection {
    /// Sellers per batch.
    pub batch_size: usize,
    /// When `serve` runs it: a cron expression in UTC (`0 3 * * *`); empty: never.
    pub schedule: String,
    /// Whether feeds are looked up in the feed service.
    pub enrich_feeds: bool,
}

impl Default for UploadSection {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            schedule: String::new(),
            enrich_feeds: true,
        }
    }
}

/// Which webhook events mean what.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSection {
    /// Lead statuses that ask for a profile transfer ("ready to upload manually").
    pub transfer_status_ids: Vec<i64>,
    /// The lead field with the account URL on the other classifieds site.
    pub lead_url_field: i64,
    /// The lead field with the seller's phone.
    pub lead_phone_field: i64,
    /// The company checkbox asking for a refresh (0: refresh off).
    pub refresh_field: i64,
    /// The company checkbox asking for a feed upload (0: feed upload off).
    pub feed_field: i64,
}

/// Where the sellers come from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SellersSection {
    /// PostgreSQL with the marketplace snapshot (empty: the `[storage]` database).
    pub url: SecretUrl,
    /// A file with another aggregation query (same parameter and columns as the default one).
    pub query_file: String,
}

/// The lock's key when `[lock]` names none.
pub const DEFAULT_LOCK_KEY: &str = "amonition:upload";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// amoCRM (the section every binary shares: a long-lived token or `[amocrm.oauth]`).
    pub amocrm: AmoCrmSettings,
    /// AMONITION's own settings.
    pub amonition: AmonitionSection,
    /// The HTTP server.
    pub server: ServerSection,
    /// Inbox retries.
    pub inbox: InboxSection,
    /// The upload.
    pub upload: UploadSection,
    /// Company fields of a seller.
    pub fields: SellerFields,
    /// Event routing.
    pub routing: RoutingSection,
    /// The marketplace snapshot.
    pub sellers: SellersSection,
    /// The profile-transfer service.
    pub snatcher: ServiceConfig,
    /// The feed service.
    pub feeds: ServiceConfig,
    /// Links, intents, inbox and journal (shared section; `serve` needs PostgreSQL).
    pub storage: StorageSection,
    /// Redis: the lock, OAuth tokens and the shared amoCRM budget (shared section).
    pub redis: RedisSection,
    /// The upload lock (shared section).
    pub lock: LockSection,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            amocrm: AmoCrmSettings::default(),
            amonition: AmonitionSection::default(),
            server: ServerSection::default(),
            inbox: InboxSection::default(),
            upload: UploadSection::default(),
            fields: SellerFields::minimal(FieldId(0)),
            routing: RoutingSection::default(),
            sellers: SellersSection::default(),
            snatcher: ServiceConfig::default(),
            feeds: ServiceConfig::default(),
            storage: StorageSection::default(),
            redis: RedisSection::default(),
            lock: LockSection::new(DEFAULT_LOCK_KEY),
        }
    }
}

fn optional(id: i64) -> Option<FieldId> {
    (id > 0).then_some(FieldId(id))
}

impl Validate for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        let shared = self.amonition.shared_limit_rps;
        if !(0.0..=7.0).contains(&shared) {
            return Err(ConfigError::invalid(
                "amonition.shared_limit_rps",
                "must be between 0 and 7",
            ));
        }
        if shared > 0.0 && self.redis.url.is_none() {
            return Err(ConfigError::invalid(
                "amonition.shared_limit_rps",
                "needs `redis.url`",
            ));
        }
        if self.upload.batch_size == 0 || self.upload.batch_size > 10_000 {
            return Err(ConfigError::invalid(
                "upload.batch_size",
                "must be between 1 and 10000",
            ));
        }
        if !self.upload.schedule.trim().is_empty() {
            self.upload
                .schedule
                .trim()
                .parse::<croner::Cron>()
                .map_err(|e| {
                    ConfigError::invalid("upload.schedule", format!("is no cron expression: {e}"))
                })?;
        }
        if self.inbox.max_attempts == 0 || self.inbox.lease_s == 0 {
            return Err(ConfigError::invalid(
                "inbox.max_attempts",
                "attempts and lease must be at least 1",
            ));
        }
        if self.server.workers == 0 || self.server.workers > 64 {
            return Err(ConfigError::invalid(
                "server.workers",
                "must be between 1 and 64",
            ));
        }
        let mut lock = self.lock.clone();
        lock.or_key(DEFAULT_LOCK_KEY);
        lock.validate()?;
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
    /// Gives a `[lock]` table without `key` AMONITION's default.
    pub fn fill_defaults(&mut self) {
        self.lock.or_key(DEFAULT_LOCK_KEY);
    }

    /// Checks what a live run needs: amoCRM, the field ids, the services.
    pub fn require_live(&self) -> Result<(), ConfigError> {
        self.amocrm.validate().map_err(settings_error)?;
        if self.fields.seller_id.0 <= 0 {
            return Err(ConfigError::invalid(
                "fields.seller_id",
                "must be the company field holding the seller id",
            ));
        }
        self.snatcher
            .validate()
            .map_err(|e| ConfigError::invalid(format!("snatcher.{}", e.field), e.reason))?;
        self.feeds
            .validate()
            .map_err(|e| ConfigError::invalid(format!("feeds.{}", e.field), e.reason))?;
        Ok(())
    }

    /// What `serve` needs on top: the secret, the account and the lead fields.
    pub fn require_server(&self) -> Result<(), ConfigError> {
        if self.server.webhook_secret.expose_secret().trim().len() < 16 {
            return Err(ConfigError::invalid(
                "server.webhook_secret",
                "must be at least 16 characters",
            ));
        }
        if self.amonition.account_id <= 0 {
            return Err(ConfigError::invalid(
                "amonition.account_id",
                "must be the amoCRM account id",
            ));
        }
        if !self.routing.transfer_status_ids.is_empty()
            && (self.routing.lead_url_field <= 0 || self.routing.lead_phone_field <= 0)
        {
            return Err(ConfigError::invalid(
                "routing.lead_url_field",
                "lead_url_field and lead_phone_field must be set when transfer_status_ids are",
            ));
        }
        Ok(())
    }

    /// The event routing.
    pub fn routing(&self) -> Routing {
        Routing {
            transfer_status_ids: self
                .routing
                .transfer_status_ids
                .iter()
                .map(|s| StatusId(*s))
                .collect(),
            lead_url_field: FieldId(self.routing.lead_url_field),
            lead_phone_field: FieldId(self.routing.lead_phone_field),
            refresh_field: optional(self.routing.refresh_field),
            feed_field: optional(self.routing.feed_field),
            fields: self.fields.clone(),
        }
    }

    /// The upload settings.
    pub fn upload(&self) -> UploadSettings {
        UploadSettings {
            batch_size: self.upload.batch_size,
            fields: self.fields.clone(),
            enrich_feeds: self.upload.enrich_feeds,
        }
    }

    /// The inbox retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.inbox.max_attempts,
            base_delay: Duration::from_secs(self.inbox.base_delay_s),
            max_delay: Duration::from_secs(self.inbox.max_delay_s.max(self.inbox.base_delay_s)),
            lease: Duration::from_secs(self.inbox.lease_s),
            ..RetryPolicy::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml: &str) -> Result<Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("amonition-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{}.toml", toml.len()));
        std::fs::write(&file, toml).unwrap();
        let mut config: Config =
            crmsync_cli::config::load_from(Some(&file), ENV_PREFIX, std::iter::empty())?;
        config.fill_defaults();
        Ok(config)
    }

    const LIVE: &str = r#"
[amocrm]
base_url = "https://example.amocrm.ru"
long_lived_token = "s3cret-token"
[amonition]
account_id = 31000001
[server]
webhook_secret = "s3cret-webhook-000000"
[fields]
seller_id = 9000105
[sellers]
url = "postgres://reader:s3cret-sellers@db/market"
[snatcher]
base_url = "https://snatcher.internal"
token = "s3cret-snatcher"
[feeds]
base_url = "https://feeds.internal"
token = "s3cret-feeds"
[storage]
url = "postgres://amonition:s3cret-storage@db/amonition"
[redis]
url = "redis://:s3cret-redis@cache:6379/2"
"#;

    #[test]
    fn the_shared_sections_load_and_debug_shows_no_secret() {
        let config = load(LIVE).unwrap();
        config.validate().unwrap();
        config.require_live().unwrap();
        config.require_server().unwrap();
        assert_eq!(config.amonition.account_id, 31_000_001);
        assert_eq!(config.lock.key, DEFAULT_LOCK_KEY);
        assert_eq!(
            config.storage.url.expose_secret(),
            "postgres://amonition:s3cret-storage@db/amonition"
        );
        assert!(config.redis.url.is_some());
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("example.amocrm.ru"), "{shown}");
    }

    #[test]
    fn oauth_is_accepted_and_mixing_it_with_a_token_is_refused() {
        let oauth = LIVE.replace(
            "long_lived_token = \"s3cret-token\"",
            "[amocrm.oauth]\nclient_id = \"id\"\nclient_secret = \"s3cret-client\"\n\
             redirect_uri = \"https://example.org/cb\"\ntoken_key = \"amonition:tokens\"",
        );
        let config = load(&oauth).unwrap();
        config.require_live().unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
        let both = LIVE.replace(
            "long_lived_token = \"s3cret-token\"",
            "long_lived_token = \"t\"\n[amocrm.oauth]\nclient_id = \"id\"\nclient_secret = \"c\"\n\
             redirect_uri = \"https://example.org/cb\"\ntoken_key = \"k\"",
        );
        let error = load(&both).unwrap().require_live().unwrap_err();
        assert!(
            error.to_string().contains("amocrm.long_lived_token"),
            "{error}"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let error = load(&LIVE.replace("[amonition]\naccount_id = 31000001", ""))
            .unwrap()
            .require_server()
            .unwrap_err();
        assert!(
            error.to_string().contains("amonition.account_id"),
            "{error}"
        );
        let old = LIVE.replace(
            "long_lived_token = \"s3cret-token\"",
            "long_lived_token = \"t\"\naccount_id = 1",
        );
        let error = load(&old).unwrap_err();
        assert!(error.to_string().contains("account_id"), "{error}");
        let shared = LIVE
            .replace("[redis]\nurl = \"redis://:s3cret-redis@cache:6379/2\"", "")
            .replace(
                "account_id = 31000001",
                "account_id = 1\nshared_limit_rps = 5.0",
            );
        let error = load(&shared).unwrap_err();
        assert!(
            error.to_string().contains("amonition.shared_limit_rps"),
            "{error}"
        );
        let error = load(&format!("{LIVE}[upload]\nschedule = \"at three\"\n")).unwrap_err();
        assert!(error.to_string().contains("upload.schedule"), "{error}");
        let error = load(&format!("{LIVE}[upload]\nschedule = \"0 61 * * *\"\n")).unwrap_err();
        assert!(error.to_string().contains("upload.schedule"), "{error}");
        let every_5_s = load(&format!("{LIVE}[upload]\nschedule = \"*/5 * * * * *\"\n")).unwrap();
        assert_eq!(every_5_s.upload.schedule, "*/5 * * * * *");
        let error = load(&format!("{LIVE}[lock]\nttl_s = 1\n")).unwrap_err();
        assert!(error.to_string().contains("lock.ttl_s"), "{error}");
        let error = load(&LIVE.replace("https://example.amocrm.ru", "example.amocrm.ru"))
            .unwrap()
            .require_live()
            .unwrap_err();
        assert!(error.to_string().contains("amocrm.base_url"), "{error}");
    }
}
