//! Plain data and rules shared by every crmsync integration.
//!
//! This crate does no I/O and has no async code: it holds the values the jobs reason about and the rules that
//! keep them valid. Adapters translate to and from these types; jobs compute plans from them.

pub mod case_number;
pub mod coupon;
pub mod crm;
pub mod flow;
pub mod message;
pub mod org;
pub mod phone;
pub mod process;
pub mod reception;
pub mod seller;

pub use case_number::{CaseNumber, CaseNumberError};
pub use message::Message;
pub use phone::{Phone, PhoneError};
pub use process::{
    NewProcess, Process, ProcessId, ProcessKind, ProcessKindError, ProcessRecord, ProcessStatus,
    TransitionError,
};
pub use reception::{
    Funnel, MisPatient, MisReception, Patient, PatientError, PatientId, Reception, ReceptionError,
    ReceptionFacts, ReceptionId, ReceptionStatus,
};
