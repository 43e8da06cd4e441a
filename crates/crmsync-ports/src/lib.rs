//! The seams of crmsync: async traits that jobs name and adapters implement.
//!
//! A job never names an adapter. It takes `&dyn ProcessStore`, `&dyn LockStore` and so on, and a binary decides
//! whether those are PostgreSQL, Redis, SQLite or in-memory. With the `mocks` feature every port also has a
//! [mockall](https://docs.rs/mockall) mock (`MockProcessStore`, `MockLockStore`, ...) for unit tests of `apply`.
//! With the `http` feature, `body::read_capped` reads an HTTP response body under a size cap for every HTTP
//! adapter.

mod amonition;
mod attributes;
mod audit;
#[cfg(feature = "http")]
pub mod body;
mod coupon_store;
mod crm;
mod error;
mod flow;
mod key_value;
mod lock;
mod mis;
mod monitor;
mod org;
mod process_store;
mod progress;
mod reception_links;
mod set_store;

pub use amonition::{
    CompanyStore, Enqueued, FeedService, InboxCounts, InboxItem, InboxState, NewInboxEvent,
    PendingIntent, ProfileTransfer, SellerBatches, SellerSource, ServiceError, TransferRequest,
    TransferStarted, WebhookInbox,
};
pub use attributes::{
    AttributeCounts, AttributeSource, AttributeStore, AttributeUsage, RegisteredAttribute,
};
pub use audit::{AuditEntry, AuditFilter, AuditLog, AuditOutcome, AuditRecord};
pub use coupon_store::{ChunkCommit, ChunkOutcome, CouponStore, StoredCoupon};
pub use crm::{
    CompanyFilter, ContactFilter, Created, CrmClient, CrmClientExt, CrmError, LeadFilter,
    MAX_PAGES, NoteFilter, Order, OrderField, Page, PageCursor, SortDirection, TaskFilter,
    TimeRange, Violation, WrittenRef,
};
pub use error::StoreError;
pub use flow::{FlowCounts, FlowSource, FlowStore};
pub use key_value::KeyValueStore;
pub use lock::{LockLease, LockStore};
pub use mis::{MAX_MIS_PAGE, MisCursor, MisError, MisInfo, MisSource};
pub use monitor::{
    CaseCard, CaseEvent, EVENTS_PER_PAGE, EventId, EventPage, EventsSince, MAX_MONITOR_PAGES,
    MonitorApi, MonitorApiExt, MonitorError, MonitorId, MonitoredCase, MonitoredPage, Retrieval,
    SyncOutcome,
};
pub use org::{
    OrgCounts, OrgPage, OrgSource, OrgStore, PositionChanges, PositionRemap, PositionRename,
    PositionsWritten, SourceError,
};
pub use process_store::{Expected, Heartbeat, ProcessFilter, ProcessStore};
pub use progress::{NoProgress, Progress};
pub use reception_links::{Link, LinkChanges, ReceptionLinkStore};
pub use set_store::SetStore;

/// The mockall mocks of every port (feature `mocks`).
#[cfg(any(test, feature = "mocks"))]
pub use self::{
    amonition::{
        MockCompanyStore, MockFeedService, MockProfileTransfer, MockSellerBatches,
        MockSellerSource, MockWebhookInbox,
    },
    attributes::MockAttributeSource,
    attributes::MockAttributeStore,
    audit::MockAuditLog,
    coupon_store::MockCouponStore,
    crm::MockCrmClient,
    flow::MockFlowSource,
    flow::MockFlowStore,
    key_value::MockKeyValueStore,
    lock::MockLockStore,
    mis::MockMisSource,
    monitor::MockMonitorApi,
    org::MockOrgSource,
    org::MockOrgStore,
    process_store::MockProcessStore,
    progress::MockProgress,
    reception_links::MockReceptionLinkStore,
    set_store::MockSetStore,
};
