//! `MonitorApi`: the court-case monitoring service (CyberJustice) as case monitoring sees it.
//!
//! The contract is `docs/cyberjustice-api.md`. Lists and events are paged; [`MonitorApiExt`] follows the pages.
//! Every call is safe to retry, so adapters retry transient failures themselves and a job never has to reconcile
//! an unknown outcome.

mod error;
mod types;

use async_trait::async_trait;
use crmsync_domain::CaseNumber;

pub use error::MonitorError;
pub use types::{
    CaseCard, CaseEvent, EventId, EventPage, EventsSince, MonitorId, MonitoredCase, MonitoredPage,
    Retrieval, SyncOutcome,
};

/// The monitoring service.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MonitorApi: Send + Sync {
    /// One page (from 1) of the monitored cases, oldest first.
    async fn list_monitored(&self, page: u32) -> Result<MonitoredPage, MonitorError>;

    /// Stops monitoring entry `id`; `false` when it did not exist (already removed).
    async fn delete_monitored(&self, id: MonitorId) -> Result<bool, MonitorError>;

    /// Asks the service to find case `number` (`caseRetrieve`); `force` fetches a known card again.
    async fn retrieve(&self, number: &CaseNumber, force: bool) -> Result<Retrieval, MonitorError>;

    /// Replaces the monitored set with exactly `numbers` (`syncCases`).
    async fn sync_cases(&self, numbers: &[CaseNumber]) -> Result<SyncOutcome, MonitorError>;

    /// One page of the events of monitoring entry `id`, in ascending id order.
    async fn case_events(
        &self,
        id: MonitorId,
        since: EventsSince,
        limit: u32,
    ) -> Result<EventPage, MonitorError>;
}

/// Most pages a collecting helper follows before it gives up.
pub const MAX_MONITOR_PAGES: u32 = 1_000;

/// Events asked for per page by [`MonitorApiExt::events_since`].
pub const EVENTS_PER_PAGE: u32 = 100;

/// Helpers that follow every page of a [`MonitorApi`] list.
#[async_trait]
pub trait MonitorApiExt: MonitorApi {
    /// Every monitored case, oldest first, and the account's monitoring limit when the service told it.
    async fn all_monitored(&self) -> Result<(Vec<MonitoredCase>, Option<u32>), MonitorError> {
        let mut all = Vec::new();
        let mut limit = None;
        let mut page = 1;
        for _ in 0..MAX_MONITOR_PAGES {
            let current = self.list_monitored(page).await?;
            limit = current.limit.or(limit);
            all.extend(current.items);
            match current.next_page {
                Some(next) if next > page => page = next,
                _ => return Ok((all, limit)),
            }
        }
        Err(MonitorError::too_many_pages("monitored cases"))
    }

    /// Every event of entry `id` after `since`, in ascending id order.
    async fn events_since(
        &self,
        id: MonitorId,
        since: EventsSince,
    ) -> Result<Vec<CaseEvent>, MonitorError> {
        let mut all: Vec<CaseEvent> = Vec::new();
        let mut cursor = since;
        for _ in 0..MAX_MONITOR_PAGES {
            let page = self.case_events(id, cursor, EVENTS_PER_PAGE).await?;
            let last = page.items.last().map(|event| event.id);
            all.extend(page.items);
            match (page.has_more, last) {
                (true, Some(last)) => cursor = EventsSince::After(last),
                _ => return Ok(all),
            }
        }
        Err(MonitorError::too_many_pages("case events"))
    }
}

impl<M: MonitorApi + ?Sized> MonitorApiExt for M {}

#[cfg(test)]
mod tests;
