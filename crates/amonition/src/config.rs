//! `amonition`'s configuration: TOML sections, each key overridable by `AMONITION__SECTION__KEY`.

use std::net::SocketAddr;
use std::time::Duration;

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

/// How to reach amoCRM.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmoCrmSection {
    /// The account's address, `https://example.amocrm.ru`.
    pub base_url: String,
    /// The long-lived token of a private integration.
    pub long_lived_token: SecretString,
    /// The account id; webhooks of any other account are refused with 403.
    pub account_id: i64,
    /// Most requests per second of this process when no shared budget is configured (amoCRM allows 7).
    pub rate_limit_per_s: u32,
    /// How long one request may take, in milliseconds.
    pub request_timeout_ms: u64,
    /// Attempts per read or update on 5xx and transport failures.
    pub max_attempts: u32,
}

impl Default for AmoCrmSection {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            long_lived_token: SecretString::default(),
            account_id: 0,
            rate_limit_per_s: 7,
            request_timeout_ms: 20_000,
            max_attempts: 4,
        }
    }
}

impl std::fmt::Debug for AmoCrmSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmoCrmSection")
            .field("base_url", &self.base_url)
            .field("long_lived_token", &"***")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// Settings of AMONITION itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmonitionSection {
    /// The combined amoCRM rate of every process of the integration, shared through Redis (`[redis] url`
    /// required); 0 keeps the in-process limit of `amocrm.rate_limit_per_s`.
    pub shared_limit_rps: f64,
}

impl Default for AmonitionSection {
    fn default() -> Self {
        Self {
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
    pub url: String,
    /// A file with another aggregation query (same parameter and columns as the default one).
    pub query_file: String,
}

/// Storage of links, intents, inbox and journal.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// `postgres://…` (production), `sqlite:PATH` (no inbox) or `memory:`.
    pub url: String,
}

impl Default for StorageSection {
    fn default() -> Self {
        Self {
            url: "memory:".to_owned(),
        }
    }
}

/// Redis for the lock and the shared amoCRM budget.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSection {
    /// `redis://host:6379`; empty: an in-process lock and no shared budget.
    pub url: String,
    /// Prefix of every key.
    pub key_prefix: String,
}

impl Default for RedisSection {
    fn default() -> Self {
        Self {
            url: String::new(),
            key_prefix: crmsync_redis::RedisConfig::DEFAULT_KEY_PREFIX.to_owned(),
        }
    }
}

impl std::fmt::Debug for RedisSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = crmsync_redis::RedisConfig::new(self.url.clone()).redacted_url();
        f.debug_struct("RedisSection")
            .field("url", &redacted)
            .finish_non_exhaustive()
    }
}

/// The upload's lock.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockSection {
    /// The lock's key.
    pub key: String,
    /// Lease length in seconds.
    pub ttl_s: u64,
}

impl Default for LockSection {
    fn default() -> Self {
        Self {
            key: "amonition:upload".to_owned(),
            ttl_s: 120,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// amoCRM.
    pub amocrm: AmoCrmSection,
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
    /// Storage.
    pub storage: StorageSection,
    /// Redis.
    pub redis: RedisSection,
    /// The upload lock.
    pub lock: LockSection,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            amocrm: AmoCrmSection::default(),
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
            lock: LockSection::default(),
        }
    }
}

fn optional(id: i64) -> Option<FieldId> {
    (id > 0).then_some(FieldId(id))
}

impl Validate for Config {
    fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=7).contains(&self.amocrm.rate_limit_per_s) {
            return Err(ConfigError::invalid(
                "amocrm.rate_limit_per_s",
                "must be between 1 and 7",
            ));
        }
        let shared = self.amonition.shared_limit_rps;
        if !(0.0..=7.0).contains(&shared) {
            return Err(ConfigError::invalid(
                "amonition.shared_limit_rps",
                "must be between 0 and 7",
            ));
        }
        if shared > 0.0 && self.redis.url.trim().is_empty() {
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
        if self.lock.ttl_s < 3 {
            return Err(ConfigError::invalid("lock.ttl_s", "must be at least 3"));
        }
        Ok(())
    }
}

impl Config {
    /// Checks what a live run needs: amoCRM, the field ids, the services.
    pub fn require_live(&self) -> Result<(), ConfigError> {
        if self.amocrm.base_url.trim().is_empty() {
            return Err(ConfigError::invalid("amocrm.base_url", "must be set"));
        }
        if self
            .amocrm
            .long_lived_token
            .expose_secret()
            .trim()
            .is_empty()
        {
            return Err(ConfigError::invalid(
                "amocrm.long_lived_token",
                "must be set",
            ));
        }
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
        if self.amocrm.account_id <= 0 {
            return Err(ConfigError::invalid(
                "amocrm.account_id",
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
