//! Webhook subscriptions of the account: `GET /api/v4/webhooks` (by destination), subscribe (`POST`, saving a
//! destination again replaces its settings) and unsubscribe (`DELETE` by destination).

use crmsync_ports::CrmError;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::call::Effect;
use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;

/// One webhook subscription.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Webhook {
    /// Subscription id.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub id: i64,
    /// Where amoCRM posts (it usually carries a secret, so `Debug` shows only its host).
    #[serde(default, deserialize_with = "lenient::string")]
    pub destination: String,
    /// The events (`add_lead`, `status_lead`, `update_contact`...).
    #[serde(default, deserialize_with = "lenient::list")]
    pub settings: Vec<String>,
    /// Order among the account's webhooks.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub sort: i64,
    /// Whether amoCRM disabled it after failed deliveries (subscribing again re-enables it).
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub disabled: bool,
    /// Who created it.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub created_by: Option<i64>,
    /// When, in unix seconds.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub created_at: i64,
    /// Last change, in unix seconds.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub updated_at: i64,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = self
            .destination
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', '?']).next())
            .unwrap_or_default();
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("destination_host", &host)
            .field("settings", &self.settings)
            .field("sort", &self.sort)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl AmoCrmClient {
    /// The account's webhook subscriptions, all of them or only `destination`'s.
    pub async fn webhooks(&self, destination: Option<&str>) -> Result<Vec<Webhook>, CrmError> {
        let mut q = Query::default();
        if let Some(destination) = destination {
            q.push("filter[destination]", destination);
        }
        self.list_all("/api/v4/webhooks", &q, "webhooks", 250).await
    }

    /// Subscribes `destination` to webhook `settings` (`add_lead`, `status_lead`, `update_contact`...); saving
    /// the same destination again replaces its settings (and re-enables a disabled webhook). Returns the
    /// subscription as amoCRM saved it.
    pub async fn subscribe_webhook(
        &self,
        destination: &str,
        settings: &[&str],
    ) -> Result<Webhook, CrmError> {
        if settings.is_empty() {
            return Err(CrmError::InvalidInput {
                field: "settings".into(),
                reason: "name at least one event".into(),
            });
        }
        if !destination.starts_with("https://") && !destination.starts_with("http://") {
            return Err(CrmError::InvalidInput {
                field: "destination".into(),
                reason: "an http(s) URL".into(),
            });
        }
        let body = json!({ "destination": destination, "settings": settings, "sort": 10 });
        self.send_typed(
            Method::POST,
            "/api/v4/webhooks",
            Some(&body),
            Effect::Update,
        )
        .await?
        .ok_or_else(|| CrmError::Decode {
            context: "POST /api/v4/webhooks".into(),
            detail: "the subscription answer was empty".into(),
            snippet: String::new(),
        })
    }

    /// Removes the webhook subscription of `destination`.
    pub async fn unsubscribe_webhook(&self, destination: &str) -> Result<(), CrmError> {
        let body = json!({ "destination": destination });
        self.send_typed::<crate::rest::Ignored>(
            Method::DELETE,
            "/api/v4/webhooks",
            Some(&body),
            Effect::Update,
        )
        .await
        .map(drop)
    }
}
