//! The CyberJustice court-case monitoring client: [`MonitorApi`](crmsync_ports::MonitorApi) over HTTP.
//!
//! It follows the contract in `docs/cyberjustice-api.md`: the API key goes in the `X-Api-Key` header, requests
//! are paced by a `governor` limiter (1 per second by default, the service's limit), and `429`, `5xx`, timeouts
//! and broken connections are retried with exponential backoff (honouring `Retry-After`). Every call of the API
//! is safe to repeat, so retries never duplicate anything. Answers are read up to `max_response_bytes`. Errors are [`MonitorError`](crmsync_ports::MonitorError)
//! values; none of them carries the API key.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use crmsync_cyberjustice::{CyberJusticeClient, CyberJusticeConfig};
//! use crmsync_ports::MonitorApiExt;
//!
//! let config = CyberJusticeConfig::new("https://api.cyberjustice.example", "key");
//! let client = CyberJusticeClient::new(config)?;
//! let (monitored, limit) = client.all_monitored().await?;
//! println!("{} cases monitored, limit {limit:?}", monitored.len());
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod problem;
mod transport;
mod wire;

pub use client::CyberJusticeClient;
pub use config::{ConfigError, CyberJusticeConfig, DEFAULT_MAX_RESPONSE_BYTES};
