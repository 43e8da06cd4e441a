//! [`ProfileTransfer`] over the profile-transfer service ("Snatcher").

use async_trait::async_trait;
use crmsync_ports::{ProfileTransfer, ServiceError, TransferRequest, TransferStarted};
use serde_json::{Value, json};

use crate::client::JsonClient;
use crate::config::{ConfigError, ServiceConfig};

/// The profile-transfer client.
#[derive(Clone)]
pub struct TransferClient {
    client: JsonClient,
}

impl std::fmt::Debug for TransferClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransferClient")
    }
}

impl TransferClient {
    /// A client of the service `config` describes.
    pub fn new(config: &ServiceConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            client: JsonClient::new(config, "profile transfer")?,
        })
    }
}

#[async_trait]
impl ProfileTransfer for TransferClient {
    async fn start(&self, request: &TransferRequest) -> Result<TransferStarted, ServiceError> {
        let body = json!({
            "account_url": request.account_url,
            "phone": request.phone.as_e164(),
            "lead_id": request.lead_id,
        });
        let answer = self
            .client
            .post(
                "/api/v1/transfers",
                &body,
                &[("idempotency-key", request.idempotency_key.clone())],
            )
            .await?;
        let transfer_id = answer
            .body
            .get("transfer_id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| ServiceError::Protocol {
                service: self.client.service(),
                reason: "the answer has no transfer_id".into(),
            })?;
        Ok(TransferStarted {
            transfer_id: transfer_id.chars().take(128).collect(),
        })
    }
}
