//! `MisSource`: read-only access to a clinic's medical information system (IDENT): receptions and patients
//! changed since a cursor, one reception by id, and completed-reception counts — always in pages.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use crmsync_domain::{MisPatient, MisReception, PatientId, ReceptionId};
use serde::{Deserialize, Serialize};

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where an incremental read stopped: the change time of the last row read, and its id as tie-breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MisCursor {
    /// The last row's change time (MIS local time).
    pub changed_at: NaiveDateTime,
    /// The last row's id.
    pub id: i64,
}

impl MisCursor {
    /// Rows changed at or after `since`: the cursor just before the first of them.
    pub fn since(since: NaiveDateTime) -> Self {
        Self {
            changed_at: since,
            id: i64::MIN,
        }
    }
}

/// Most rows one page may hold.
pub const MAX_MIS_PAGE: u32 = 5_000;

/// What the MIS is, for `test-db`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MisInfo {
    /// The engine (`PostgreSQL`, `SQLite`, `SQL Server`).
    pub engine: String,
    /// How many receptions it holds.
    pub receptions: u64,
    /// How many patients it holds.
    pub patients: u64,
}

/// Reading the MIS failed.
#[derive(Debug, thiserror::Error)]
pub enum MisError {
    /// The database could not be reached.
    #[error("{engine} is unavailable: {source}")]
    Unavailable {
        /// Which engine.
        engine: &'static str,
        /// What the driver said.
        #[source]
        source: Source,
    },
    /// A query failed.
    #[error("{engine} query failed: {source}")]
    Query {
        /// Which engine.
        engine: &'static str,
        /// What the driver said.
        #[source]
        source: Source,
    },
    /// A row has a value of the wrong type in a column.
    #[error("column `{column}` of `{table}` cannot be read: {reason}")]
    Column {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// Why.
        reason: String,
    },
    /// An argument was refused before anything was sent.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The argument.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl MisError {
    /// Wraps a query error of `engine`.
    pub fn query(engine: &'static str, source: impl Into<Source>) -> Self {
        Self::Query {
            engine,
            source: source.into(),
        }
    }

    /// Wraps a connection error of `engine`.
    pub fn unavailable(engine: &'static str, source: impl Into<Source>) -> Self {
        Self::Unavailable {
            engine,
            source: source.into(),
        }
    }
}

/// The MIS as the reception sync sees it. Every list is one page in (change time, id) order; the caller passes
/// the last row's cursor to get the next page, so no call ever reads a whole table.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MisSource: Send + Sync {
    /// Up to `limit` receptions changed after `after` (all receptions when `None`), oldest change first.
    async fn receptions_since(
        &self,
        after: Option<MisCursor>,
        limit: u32,
    ) -> Result<Vec<MisReception>, MisError>;

    /// One reception; `None` when there is none with that id.
    async fn reception(&self, id: ReceptionId) -> Result<Option<MisReception>, MisError>;

    /// Up to `limit` patients changed after `after`, oldest change first.
    async fn patients_since(
        &self,
        after: Option<MisCursor>,
        limit: u32,
    ) -> Result<Vec<MisPatient>, MisError>;

    /// The patients with these ids (at most [`MAX_MIS_PAGE`]); missing ones are left out.
    async fn patients(&self, ids: &[PatientId]) -> Result<Vec<MisPatient>, MisError>;

    /// How many completed receptions each of these patients has (at most [`MAX_MIS_PAGE`] ids); patients with
    /// none are left out.
    async fn completed_counts(&self, ids: &[PatientId]) -> Result<Vec<(PatientId, u32)>, MisError>;

    /// The engine and its row counts (a connection check).
    async fn info(&self) -> Result<MisInfo, MisError>;
}
