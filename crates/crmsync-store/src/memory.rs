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

/// State written under the organisation's lock fence: it remembers the newest fence that has written.
trait FencedState {
    /// The newest fence that has written, to check and advance.
    fn newest_fence(&mut self) -> &mut u64;
}

/// `state` locked for a write carrying `fence`: refused with [`StoreError::Fenced`] when a newer fence has
/// written, otherwise the fence is recorded first.
fn fenced_write<S: FencedState>(
    state: &Mutex<S>,
    fence: Option<u64>,
) -> Result<MutexGuard<'_, S>, crmsync_ports::StoreError> {
    let mut guard = lock(state);
    if let Some(fence) = fence {
        let newest = guard.newest_fence();
        if fence < *newest {
            return Err(crmsync_ports::StoreError::Fenced {
                scope: crate::org::FENCE_SCOPE.to_owned(),
                fence,
                newest: *newest,
            });
        }
        *newest = fence;
    }
    Ok(guard)
}
