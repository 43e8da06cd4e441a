//! One worker pass over the webhook inbox: claim due rows, handle each, then complete it, schedule a retry with
//! exponential backoff, or dead-letter it (a permanent error, or the last allowed attempt failed).

use std::time::Duration;

use chrono::{DateTime, Utc};
use crmsync_domain::crm::WebhookEvent;
use crmsync_ports::{StoreError, WebhookInbox};
use serde::Serialize;

use super::events::{EventError, EventPorts, Handled, Routing, handle};

/// How workers treat failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a row is dead-lettered.
    pub max_attempts: u32,
    /// The wait after the first failure; doubled after each further one.
    pub base_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// How long a claim lasts; a row whose worker died is taken again after it.
    pub lease: Duration,
    /// Rows claimed per pass.
    pub claim: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(3600),
            lease: Duration::from_secs(300),
            claim: 16,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(30)))
            .min(self.max_delay)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PassReport {
    /// Rows claimed.
    pub claimed: u64,
    /// Rows handled (acted on or ignored).
    pub processed: u64,
    /// Of them, ignored.
    pub ignored: u64,
    /// Rows scheduled for another attempt.
    pub retried: u64,
    /// Rows dead-lettered.
    pub dead: u64,
}

/// Claims up to `policy.claim` rows at `now` and settles each.
pub async fn pass(
    inbox: &dyn WebhookInbox,
    routing: &Routing,
    ports: EventPorts<'_>,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<PassReport, StoreError> {
    let items = inbox.claim(policy.claim, policy.lease, now).await?;
    let mut report = PassReport {
        claimed: items.len() as u64,
        ..PassReport::default()
    };
    for item in items {
        let outcome = match serde_json::from_value::<WebhookEvent>(item.payload.clone()) {
            Ok(event) => handle(&event, routing, ports, &item.dedupe_key).await,
            Err(error) => Err(EventError::Permanent(format!(
                "the stored event cannot be read: {error}"
            ))),
        };
        match outcome {
            Ok(handled) => {
                inbox.complete(item.id, Utc::now()).await?;
                report.processed += 1;
                if matches!(handled, Handled::Ignored { .. }) {
                    report.ignored += 1;
                }
                tracing::info!(id = item.id, kind = %item.kind, outcome = ?handled_kind(&handled), "webhook event handled");
            }
            Err(error) if error.is_retryable() && item.attempts < policy.max_attempts => {
                let wait = policy.backoff(item.attempts);
                let at = Utc::now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                inbox.fail(item.id, &error.to_string(), Some(at)).await?;
                report.retried += 1;
                tracing::warn!(id = item.id, kind = %item.kind, attempt = item.attempts, wait_s = wait.as_secs(), %error, "webhook event failed; retrying");
            }
            Err(error) => {
                inbox.fail(item.id, &error.to_string(), None).await?;
                report.dead += 1;
                tracing::warn!(id = item.id, kind = %item.kind, attempt = item.attempts, %error, "webhook event dead-lettered");
            }
        }
    }
    Ok(report)
}

fn handled_kind(handled: &Handled) -> &'static str {
    match handled {
        Handled::TransferStarted { .. } => "transfer_started",
        Handled::Refreshed { .. } => "refreshed",
        Handled::FeedRequested { .. } => "feed_requested",
        Handled::Ignored { .. } => "ignored",
    }
}
