//! Client of the Officeflow office platform: [`OfficeflowClient`] implements the
//! [`OrgSource`](crmsync_ports::OrgSource), [`FlowSource`](crmsync_ports::FlowSource) and
//! [`AttributeSource`](crmsync_ports::AttributeSource) ports over reqwest.
//!
//! The wire contract is `docs/officeflow-api.md`. The client
//!
//! - exchanges the app key and secret for a token, caches it, refreshes it before it expires and, when the
//!   platform calls it invalid or expired (`40014`, `42001`), fetches a new one once and repeats the call;
//! - paces its requests with a `governor` rate limiter below the platform's limit;
//! - retries throttling (`45009`, HTTP 429), busy (`-1`), HTTP 5xx, timeouts and connection failures with
//!   exponential backoff and jitter, up to a maximum number of retries;
//! - never retries configuration errors (bad secret `40001`, missing permission `48002`, untrusted IP `60020`);
//! - keeps secrets out of URLs, logs and error messages (the token travels in the `Authorization` header).

mod attributes;
mod client;
mod config;
mod error;
mod flow_wire;
mod flows;
mod wire;

pub use client::OfficeflowClient;
pub use config::OfficeflowConfig;
pub use error::{OfficeflowError, codes};
