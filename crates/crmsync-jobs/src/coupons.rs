//! Coupon generation: unique codes from a template, persisted in chunks as a journaled Process.
//!
//! The module's AJAX flow, step by step: [`CouponGenerator::start`] records the settings, a secret permutation
//! key and next index 0; [`CouponGenerator::step`] generates up to N codes or for T seconds, each chunk inserted
//! in the same transaction as the journal's progress and checkpoint; [`CouponGenerator::finish`] closes a run
//! that reached its count. A run killed at any point resumes from its last committed chunk and never produces
//! more or fewer than its count, nor a duplicate. [`CouponGenerator::run_to_end`] drives the steps for a CLI.
//!
//! Codes that collide with coupons already in the table are replaced by further indices; when the template's
//! indices run out first, the run is aborted with a report of how many codes were possible.

mod checkpoint;
mod error;
mod generator;
mod plan;
mod report;

pub use checkpoint::Checkpoint;
pub use error::CouponError;
pub use generator::{CouponGenerator, GenerationOptions, StepBudget};
pub use plan::{GenerationPlan, KIND, MAX_PREVIEW, Preview, kind, plan, preview};
pub use report::{GenerationReport, NextAction};

#[cfg(test)]
mod tests;
