//! Table and scenario tests of `plan()`, admission and the update step's decisions.

mod admission;
mod events;
mod plan;
mod support;
