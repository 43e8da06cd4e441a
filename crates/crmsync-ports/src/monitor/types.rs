//! The values the monitoring service deals in: monitored entries, case cards, retrieval outcomes, events.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crmsync_domain::{CaseNumber, CaseNumberError};
use serde::{Deserialize, Serialize};

/// The id of a monitoring entry (not of the case card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MonitorId(pub i64);

impl fmt::Display for MonitorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of a case event; ids grow across the whole account, so a larger id is a newer event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub i64);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One monitored case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoredCase {
    /// The monitoring entry.
    pub id: MonitorId,
    /// The case number as the service wrote it (canonical for cases added through crmsync).
    pub case_number: String,
    /// The case card's id (the kad.arbitr.ru `CaseId`), when the service gave it.
    pub case_id: Option<String>,
    /// When monitoring started.
    pub added_at: DateTime<Utc>,
    /// The newest event of the case, if it has any.
    pub last_event_id: Option<EventId>,
    /// The date of that event.
    pub last_event_at: Option<DateTime<Utc>>,
}

impl MonitoredCase {
    /// The entry's case number, parsed.
    pub fn parsed_number(&self) -> Result<CaseNumber, CaseNumberError> {
        CaseNumber::parse(&self.case_number)
    }
}

/// One page of monitored cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoredPage {
    /// The entries, oldest first.
    pub items: Vec<MonitoredCase>,
    /// The next page number, `None` on the last page.
    pub next_page: Option<u32>,
    /// How many entries there are in all.
    pub total: u64,
    /// The account's monitoring limit, when the service told it.
    pub limit: Option<u32>,
}

/// A case card: what the service knows about a case it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCard {
    /// The card's id (the kad.arbitr.ru `CaseId`).
    pub case_id: String,
    /// The case number, canonical.
    pub case_number: String,
    /// The court's name.
    pub court: Option<String>,
    /// The judge.
    pub judge: Option<String>,
    /// `А` administrative, `Б` bankruptcy, `Г` civil.
    pub case_type: Option<String>,
    /// When the case was registered (a date, as the service wrote it).
    pub started_at: Option<String>,
    /// The newest event of the case, if it has any.
    pub last_event_id: Option<EventId>,
}

/// The answer to a retrieve (`caseRetrieve`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retrieval {
    /// The card is known; the case may be monitored.
    Found(CaseCard),
    /// The service started fetching the card; ask again later.
    Accepted {
        /// When the service suggests asking again.
        retry_after: Option<Duration>,
    },
    /// No such case on the court's site.
    NotFound,
}

impl Retrieval {
    /// `found`, `accepted` or `not_found`.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Found(_) => "found",
            Self::Accepted { .. } => "accepted",
            Self::NotFound => "not_found",
        }
    }
}

/// The answer to a replace of the monitored set (`syncCases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Entries added.
    pub added: u64,
    /// Entries removed.
    pub removed: u64,
    /// Entries kept.
    pub kept: u64,
    /// The whole monitored set after the call, oldest first.
    pub items: Vec<MonitoredCase>,
    /// The account's monitoring limit, when the service told it.
    pub limit: Option<u32>,
}

/// Where a list of events starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventsSince {
    /// Events newer than this one.
    After(EventId),
    /// Events dated at or after this time.
    Date(DateTime<Utc>),
}

/// One event of a case: a hearing, a ruling, a filed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// Its id.
    pub id: EventId,
    /// When it happened.
    pub date: DateTime<Utc>,
    /// What kind of document or event it is (`Определение`, `Решение`, ...).
    pub kind: String,
    /// What it says.
    pub description: Option<String>,
    /// Where its document is.
    pub document_url: Option<String>,
}

/// One page of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    /// The events, ascending by id.
    pub items: Vec<CaseEvent>,
    /// Whether asking again after the last one returns more.
    pub has_more: bool,
}
