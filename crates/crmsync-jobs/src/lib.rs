//! The crmsync jobs and the machinery every job runs in.
//!
//! - [`tracking`]: `run_tracked` journals a run as a [`Process`](crmsync_domain::Process): start, heartbeat,
//!   progress, checkpoint, finish with the error on failure.
//! - [`case_monitoring`]: keeps CyberJustice watching exactly the valid case numbers on amoCRM leads.
//! - [`coupons`]: coupon generation as a step-driven, resumable process.
//! - [`lock`]: runs a job under a [`LockStore`](crmsync_ports::LockStore) lease that is renewed while held and
//!   released on every exit path.
//! - [`sweeper`]: retries runs that failed or stopped heart-beating, with a maximum number of attempts and
//!   exponential backoff.
//! - [`stats`]: per-kind summary of the journal.
//! - [`shutdown`]: a signal that asks running jobs to stop.
//!
//! Integration jobs:
//!
//! - [`amonition`]: marketplace sellers uploaded as amoCRM companies, and amoCRM webhook events.
//! - [`officeflow`]: departments, positions, tags and OpenIDs from the office platform.
//! - [`reception_sync`]: IDENT clinic receptions into amoCRM contacts and deals.

pub mod amonition;
pub mod case_monitoring;
pub mod coupons;
pub mod lock;
pub mod officeflow;
pub mod reception_sync;
pub mod shutdown;
pub mod stats;
pub mod sweeper;
pub mod tracking;
