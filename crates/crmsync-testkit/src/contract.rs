//! Contract suites: the behaviour every adapter of a storage port must show, run unchanged against each one.

mod attribute_store;
mod audit_log;
mod coupon_store;
mod flow_store;
mod key_value;
mod lock_store;
mod org_store;
mod process_store;
mod set_store;

pub use attribute_store::attribute_store;
pub use audit_log::audit_log;
pub use coupon_store::{coupon_store, refused_chunk_writes_nothing};
pub use flow_store::flow_store;
pub use key_value::key_value_store;
pub use lock_store::lock_store;
pub use org_store::org_store;
pub use process_store::process_store;
pub use set_store::set_store;
