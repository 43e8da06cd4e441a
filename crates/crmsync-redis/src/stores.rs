//! Opens the shared Redis connection and builds the three adapters on it.

use std::time::Duration;

use crmsync_ports::StoreError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::redis_error;
use crate::{RedisConfig, RedisKeyValueStore, RedisLockStore, RedisSetStore};

/// Longest pause between two reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// The Redis adapters of one deployment, sharing one multiplexed, reconnecting connection.
#[derive(Debug, Clone)]
pub struct RedisStores {
    /// Leased locks with fencing numbers.
    pub locks: RedisLockStore,
    /// Named ordered sets.
    pub sets: RedisSetStore,
    /// Expiring key-value pairs.
    pub key_values: RedisKeyValueStore,
}

impl RedisStores {
    /// Connects to `config.url` and checks the server answers.
    ///
    /// An unreachable server is [`StoreError::Unavailable`] once the connection attempts and their retries are
    /// used up; a URL that cannot be parsed is [`StoreError::Invalid`] naming `url`.
    pub async fn connect(config: &RedisConfig) -> Result<Self, StoreError> {
        let connection = connect(config).await?;
        Ok(Self {
            locks: RedisLockStore::new(connection.clone(), config.key_prefix.clone()),
            sets: RedisSetStore::new(connection.clone(), config.key_prefix.clone()),
            key_values: RedisKeyValueStore::new(connection, config.key_prefix.clone()),
        })
    }
}

pub(crate) async fn connect(config: &RedisConfig) -> Result<ConnectionManager, StoreError> {
    for (field, timeout) in [
        ("connect_timeout", config.connect_timeout),
        ("response_timeout", config.response_timeout),
    ] {
        if timeout.is_zero() {
            return Err(StoreError::Invalid {
                field,
                reason: "must be longer than zero".into(),
            });
        }
    }
    let client = redis::Client::open(config.url.as_str()).map_err(|error| StoreError::Invalid {
        field: "url",
        reason: format!(
            "{} is not a usable Redis URL: {error}",
            config.redacted_url()
        ),
    })?;
    let manager_config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.connect_timeout))
        .set_response_timeout(Some(config.response_timeout))
        .set_number_of_retries(config.reconnect_attempts)
        .set_max_delay(MAX_RECONNECT_DELAY);
    let mut connection = ConnectionManager::new_with_config(client, manager_config)
        .await
        .map_err(redis_error)?;
    redis::cmd("PING")
        .query_async::<()>(&mut connection)
        .await
        .map_err(redis_error)?;
    Ok(connection)
}
