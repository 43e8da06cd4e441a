//! The ports of AMONITION, the marketplace's amoCRM service: where sellers come from ([`SellerSource`]), the
//! profile-transfer service ([`ProfileTransfer`]), the feed service ([`FeedService`]), the seller ↔ company links
//! ([`CompanyStore`]) and the durable queue of accepted webhook events ([`WebhookInbox`]).

mod inbox;
mod services;

use async_trait::async_trait;
use crmsync_domain::crm::CompanyId;
use crmsync_domain::seller::{CompanyLink, Seller, SellerId};

use crate::StoreError;

pub use inbox::{Enqueued, InboxCounts, InboxItem, InboxState, NewInboxEvent, WebhookInbox};
pub use services::{FeedService, ProfileTransfer, ServiceError, TransferRequest, TransferStarted};

#[cfg(any(test, feature = "mocks"))]
pub use inbox::MockWebhookInbox;
#[cfg(any(test, feature = "mocks"))]
pub use services::{MockFeedService, MockProfileTransfer};

/// An open stream of sellers, read batch by batch; memory stays flat whatever the seller count.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SellerBatches: Send {
    /// Up to `max` next sellers; an empty batch means the stream is over.
    async fn next_batch(&mut self, max: usize) -> Result<Vec<Seller>, StoreError>;
}

/// The marketplace's sellers as aggregates: profile plus listing counts, flags and categories.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SellerSource: Send + Sync {
    /// Streams every seller that has at least one listing, in seller-id order. The feed is left empty.
    async fn open(&self) -> Result<Box<dyn SellerBatches>, StoreError>;

    /// One seller's aggregate (`None` when the user does not exist or has no listings).
    async fn seller(&self, id: &SellerId) -> Result<Option<Seller>, StoreError>;

    /// Whether the marketplace has a user with this id, with or without listings.
    async fn user_exists(&self, id: &SellerId) -> Result<bool, StoreError>;
}

/// A create batch the uploader journaled before sending it: the sellers whose companies may exist in amoCRM
/// although no link records them yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingIntent {
    /// The seller.
    pub seller_id: SellerId,
    /// The upload run that journaled it.
    pub process: i64,
}

/// `seller_id → company_id` links (table `companies`) and the create intents of the uploader.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CompanyStore: Send + Sync {
    /// The links of those of `sellers` that have a company, in one query.
    async fn by_sellers(&self, sellers: &[SellerId]) -> Result<Vec<CompanyLink>, StoreError>;

    /// The links of those of `companies` that belong to a seller, in one query.
    async fn by_companies(&self, companies: &[CompanyId]) -> Result<Vec<CompanyLink>, StoreError>;

    /// Writes `links` (a seller's existing link is replaced) and drops the create intents of their sellers, in
    /// one transaction.
    async fn save(&self, links: &[CompanyLink]) -> Result<(), StoreError>;

    /// Journals that companies are about to be created for `sellers` by run `process` (kept until [`save`]
    /// records their links or [`drop_intents`] gives up on them).
    ///
    /// [`save`]: CompanyStore::save
    /// [`drop_intents`]: CompanyStore::drop_intents
    async fn journal_intents(&self, process: i64, sellers: &[SellerId]) -> Result<(), StoreError>;

    /// Up to `limit` intents still pending, oldest first.
    async fn pending_intents(&self, limit: u32) -> Result<Vec<PendingIntent>, StoreError>;

    /// Forgets the intents of `sellers` (their companies were looked up and not found).
    async fn drop_intents(&self, sellers: &[SellerId]) -> Result<(), StoreError>;

    /// How many links there are.
    async fn count(&self) -> Result<u64, StoreError>;
}
