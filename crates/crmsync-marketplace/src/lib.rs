//! HTTP clients of the marketplace services AMONITION calls, implementing the ports of `crmsync-ports`:
//!
//! - [`TransferClient`]: [`ProfileTransfer`](crmsync_ports::ProfileTransfer) over the profile-transfer service
//!   ("Snatcher"): `POST /api/v1/transfers` with an `Idempotency-Key`.
//! - [`FeedClient`]: [`FeedService`](crmsync_ports::FeedService) over the feed service:
//!   `POST /api/v1/feeds/lookup` (up to 1000 users per request) and `POST /api/v1/feeds/periodic`.
//!
//! Both send JSON with a bearer token, time out every request, retry 5xx, 429 and transport failures with
//! jittered exponential backoff, and read answers up to [`MAX_RESPONSE_BYTES`]. The wire format is in
//! `docs/amonition.md`.

mod client;
mod config;
mod feeds;
mod transfer;

pub use client::MAX_RESPONSE_BYTES;
pub use config::{ConfigError, ServiceConfig};
pub use feeds::{FeedClient, MAX_LOOKUP};
pub use transfer::TransferClient;
