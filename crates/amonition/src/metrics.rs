//! Prometheus metrics of `serve`, through the `metrics` facade and its Prometheus exporter (rendered on
//! `GET /metrics`, no listener of its own).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Deliveries received on the webhook endpoint (any outcome).
pub const RECEIVED: &str = "amonition_webhook_received_total";
/// Deliveries rejected, by `reason` (`secret`, `too_large`, `media_type`, `malformed`, `account`, `storage`).
pub const REJECTED: &str = "amonition_webhook_rejected_total";
/// Events stored in the inbox.
pub const STORED: &str = "amonition_inbox_stored_total";
/// Events that were already stored (redeliveries).
pub const DUPLICATES: &str = "amonition_inbox_duplicates_total";
/// Events handled.
pub const PROCESSED: &str = "amonition_inbox_processed_total";
/// Failed attempts scheduled again.
pub const RETRIED: &str = "amonition_inbox_retried_total";
/// Events dead-lettered.
pub const DEAD: &str = "amonition_inbox_dead_lettered_total";
/// Events pending or running.
pub const DEPTH: &str = "amonition_inbox_depth";
/// Events dead and not yet retried or purged.
pub const DEAD_ROWS: &str = "amonition_inbox_dead";
/// From request to acknowledgement, seconds.
pub const ACK_SECONDS: &str = "amonition_webhook_ack_seconds";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(ACK_SECONDS.to_owned()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "another metrics recorder is installed; /metrics shows nothing of AMONITION"
                );
            }
            handle
        })
        .clone()
}
