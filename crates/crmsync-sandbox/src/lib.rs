//! Emulators of the external systems crmsync integrates with, served over loopback HTTP.
//!
//! Each emulator speaks the real wire format, enforces the real limits and can inject faults, so adapters are
//! tested over real HTTP and users can point their own code at a fake account.
//!
//! The building blocks shared by every emulator live at the crate root: a controllable [`clock`], deterministic
//! [`faults`], a sliding-window [`ratelimit`] with escalation to blocking, request [`stats`], a PHP-style
//! [`phpquery`] parser and the loopback [`server`]. The emulators themselves are modules: [`amocrm`],
//! [`cyberjustice`], [`officeflow`], [`marketplace`] (AMONITION's profile-transfer and feed services). Sample
//! worlds that span two emulators live beside them: [`case_monitoring`] (amoCRM leads and CyberJustice cases that
//! agree with each other).

pub mod amocrm;
pub mod case_monitoring;
pub mod clinic;
pub mod clock;
pub mod cyberjustice;
mod error;
pub mod faults;
pub mod marketplace;
pub mod officeflow;
pub mod phpquery;
pub mod ratelimit;
pub mod rng;
pub mod server;
pub mod stats;

pub use clock::SandboxClock;
pub use error::SandboxError;
pub use faults::{FaultCounts, FaultPlan, FaultRates};
pub use server::ServerHandle;
