//! Emulators of the external systems crmsync integrates with, served over loopback HTTP.
//!
//! Each emulator speaks the real wire format, enforces the real limits and can inject faults, so adapters are
//! tested over real HTTP and users can point their own code at a fake account.

pub mod officeflow;
