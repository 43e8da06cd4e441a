//! `ProfileTransfer` (the "Snatcher" service that moves a seller's profile over from another classifieds site)
//! and `FeedService` (sellers' listing feeds).

use std::collections::BTreeMap;

use async_trait::async_trait;
use crmsync_domain::Phone;
use crmsync_domain::seller::{FeedInfo, SellerId};

/// A marketplace service failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// Unreachable, timing out or answering 5xx/429 through every retry; a later attempt may succeed.
    #[error("{service} is unavailable after {attempts} attempt(s): {reason}")]
    Unavailable {
        /// `profile transfer` or `feed service`.
        service: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// The service refused the request (4xx); retrying the same request cannot succeed.
    #[error("{service} refused the request ({status}): {reason}")]
    Rejected {
        /// Which service.
        service: &'static str,
        /// The HTTP status.
        status: u16,
        /// What it said (clipped).
        reason: String,
    },
    /// The service answered something outside its contract.
    #[error("{service} answered unexpectedly: {reason}")]
    Protocol {
        /// Which service.
        service: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl ServiceError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// A profile transfer to start.
#[derive(Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// The seller's account on the other classifieds site.
    pub account_url: String,
    /// The seller's phone.
    pub phone: Phone,
    /// The amoCRM lead that asked for it.
    pub lead_id: i64,
    /// The same key for the same request: a repeated request starts no second transfer.
    pub idempotency_key: String,
}

impl std::fmt::Debug for TransferRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferRequest")
            .field("lead_id", &self.lead_id)
            .finish_non_exhaustive()
    }
}

/// The transfer the service started (or had already started for the same key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferStarted {
    /// The service's id of the transfer.
    pub transfer_id: String,
}

/// The profile-transfer service.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ProfileTransfer: Send + Sync {
    /// Starts moving the profile at `request.account_url` onto the marketplace.
    async fn start(&self, request: &TransferRequest) -> Result<TransferStarted, ServiceError>;
}

/// The feed service.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FeedService: Send + Sync {
    /// The current feed and error report of those of `users` that have a feed, in one request.
    async fn feeds(&self, users: &[SellerId])
    -> Result<BTreeMap<SellerId, FeedInfo>, ServiceError>;

    /// Asks for `url` to be loaded for `user` as a periodic feed; repeating the same request is harmless.
    async fn request_periodic_load(&self, user: &SellerId, url: &str) -> Result<(), ServiceError>;
}
