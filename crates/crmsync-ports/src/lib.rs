//! The seams of crmsync: async traits that jobs name and adapters implement.
//!
//! A job never names an adapter. It takes `&dyn ProcessStore`, `&dyn LockStore` and so on, and a binary decides
//! whether those are PostgreSQL, Redis, SQLite or in-memory. With the `mocks` feature every port also has a
//! [mockall](https://docs.rs/mockall) mock (`MockProcessStore`, `MockLockStore`, ...) for unit tests of `apply`.

mod coupon_store;
mod crm;
mod error;
mod key_value;
mod lock;
mod org;
mod process_store;
mod progress;
mod set_store;

pub use coupon_store::{ChunkCommit, ChunkOutcome, CouponStore, StoredCoupon};
pub use crm::{
    CompanyFilter, ContactFilter, Created, CrmClient, CrmClientExt, CrmError, LeadFilter,
    MAX_PAGES, Order, OrderField, Page, PageCursor, SortDirection, TaskFilter, TimeRange,
    Violation, WrittenRef,
};
pub use error::StoreError;
pub use key_value::KeyValueStore;
pub use lock::{LockLease, LockStore};
pub use org::{
    OrgCounts, OrgPage, OrgSource, OrgStore, PositionChanges, PositionRemap, PositionRename,
    PositionsWritten, SourceError,
};
pub use process_store::{Expected, Heartbeat, ProcessFilter, ProcessStore};
pub use progress::{NoProgress, Progress};
pub use set_store::SetStore;

#[cfg(any(test, feature = "mocks"))]
pub use coupon_store::MockCouponStore;
#[cfg(any(test, feature = "mocks"))]
pub use crm::MockCrmClient;
#[cfg(any(test, feature = "mocks"))]
pub use key_value::MockKeyValueStore;
#[cfg(any(test, feature = "mocks"))]
pub use lock::MockLockStore;
#[cfg(any(test, feature = "mocks"))]
pub use org::{MockOrgSource, MockOrgStore};
#[cfg(any(test, feature = "mocks"))]
pub use process_store::MockProcessStore;
#[cfg(any(test, feature = "mocks"))]
pub use progress::MockProgress;
#[cfg(any(test, feature = "mocks"))]
pub use set_store::MockSetStore;
