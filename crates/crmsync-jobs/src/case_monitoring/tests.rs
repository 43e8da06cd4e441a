//! Table and scenario tests of `plan()`, admission and the update step's decisions.

mod admission;
mod apply;
mod events;
mod plan;
mod support;
