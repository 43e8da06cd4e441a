//! [`FeedService`] over the feed service.

use std::collections::BTreeMap;

use async_trait::async_trait;
use crmsync_domain::seller::{FeedInfo, SellerId};
use crmsync_ports::{FeedService, ServiceError};
use serde::Deserialize;
use serde_json::json;

use crate::client::JsonClient;
use crate::config::{ConfigError, ServiceConfig};

/// Most users asked about in one lookup request; longer lists are split.
pub const MAX_LOOKUP: usize = 1000;

/// The feed-service client.
#[derive(Clone)]
pub struct FeedClient {
    client: JsonClient,
}

impl std::fmt::Debug for FeedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FeedClient")
    }
}

impl FeedClient {
    /// A client of the service `config` describes.
    pub fn new(config: &ServiceConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            client: JsonClient::new(config, "feed service")?,
        })
    }
}

#[derive(Deserialize)]
struct Lookup {
    feeds: Vec<Feed>,
}

#[derive(Deserialize)]
struct Feed {
    user_id: String,
    url: Option<String>,
    errors_url: Option<String>,
}

fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[async_trait]
impl FeedService for FeedClient {
    async fn feeds(
        &self,
        users: &[SellerId],
    ) -> Result<BTreeMap<SellerId, FeedInfo>, ServiceError> {
        let mut out = BTreeMap::new();
        for chunk in users.chunks(MAX_LOOKUP) {
            let ids: Vec<&str> = chunk.iter().map(SellerId::as_str).collect();
            let answer = self
                .client
                .post("/api/v1/feeds/lookup", &json!({ "user_ids": ids }), &[])
                .await?;
            let lookup: Lookup =
                serde_json::from_value(answer.body).map_err(|e| ServiceError::Protocol {
                    service: self.client.service(),
                    reason: format!("lookup answer: {e}"),
                })?;
            for feed in lookup.feeds {
                let Ok(id) = SellerId::parse(&feed.user_id) else {
                    continue;
                };
                if !chunk.contains(&id) {
                    continue;
                }
                out.insert(
                    id,
                    FeedInfo {
                        url: clean(feed.url),
                        errors_url: clean(feed.errors_url),
                    },
                );
            }
        }
        Ok(out)
    }

    async fn request_periodic_load(&self, user: &SellerId, url: &str) -> Result<(), ServiceError> {
        self.client
            .post(
                "/api/v1/feeds/periodic",
                &json!({ "user_id": user.as_str(), "url": url, "mode": "periodic" }),
                &[],
            )
            .await
            .map(|_| ())
    }
}
