//! In-memory adapters of the storage ports: the embedded default for demos and the reference for tests.
//!
//! Every type is cheap to clone; clones share state. Nothing survives the process.

mod attribute_store;
mod audit;
mod company_store;
mod coupon_store;
mod flow_store;
mod inbox;
mod key_value;
mod lock;
mod org_store;
mod process_store;
mod seller_source;
mod set_store;

pub use attribute_store::MemoryAttributeStore;
pub use audit::MemoryAuditLog;
pub use company_store::MemoryCompanyStore;
pub use coupon_store::MemoryCouponStore;
pub use flow_store::MemoryFlowStore;
pub use inbox::MemoryWebhookInbox;
pub use key_value::MemoryKeyValueStore;
pub use lock::MemoryLockStore;
pub use org_store::MemoryOrgStore;
pub use process_store::MemoryProcessStore;
pub use seller_source::MemorySellerSource;
pub use set_store::MemorySetStore;

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, recovering the data if a panicking thread poisoned it: every mutation here is a single step.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
