//! The Officeflow office platform, emulated: a generated organisation (seedable, up to 100 000 users and
//! beyond, several messaging platforms) served over loopback HTTP as `docs/officeflow-api.md` describes, with
//! the platform's token, paging and rate limit, injectable faults and changes between runs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), crmsync_sandbox::SandboxError> {
//! use crmsync_sandbox::officeflow::{EmulatorConfig, OfficeflowEmulator, Org, OrgSpec};
//! let emulator = OfficeflowEmulator::start(Org::generate(&OrgSpec::new(1_000)), EmulatorConfig::default()).await?;
//! println!("{}", emulator.base_url());
//! emulator.with_org(|org| org.mutate(7, 1));
//! # Ok(()) }
//! ```

mod faults;
mod flow_routes;
mod flows;
mod identity_routes;
mod org;
mod rng;
mod server;

pub use faults::{ApiFault, ApiFaultInjector, ApiFaultSchedule, NoApiFaults, ScriptedApiFaults};
pub use flows::{FlowSpec, Flows};
pub use org::{Org, OrgSpec};
pub use server::{EmulatorConfig, OfficeflowEmulator};

#[cfg(test)]
mod tests;
