//! The journal row shared by the SQL backends, and its conversion to and from `Process`.

use chrono::{DateTime, Utc};
use crmsync_domain::{Process, ProcessId, ProcessKind, ProcessRecord};
use crmsync_ports::StoreError;
use serde_json::Value;
use sqlx::types::Json;

use crate::error::{out_of_range, too_large};

/// One `processes` row as every backend returns it.
#[derive(Debug, sqlx::FromRow)]
pub struct ProcessRow {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) settings: Json<Value>,
    pub(crate) status: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    pub(crate) heartbeat_at: Option<DateTime<Utc>>,
    pub(crate) processed: i64,
    pub(crate) total: Option<i64>,
    pub(crate) attempts: i64,
    pub(crate) last_error: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) checkpoint: Option<Json<Value>>,
    pub(crate) fence: Option<i64>,
}

/// Columns listed in the order `ProcessRow` expects, as a literal for `concat!`.
macro_rules! process_columns {
    () => {
        "id, kind, settings, status, created_at, started_at, finished_at, heartbeat_at, processed, total, \
         attempts, last_error, message, checkpoint, fence"
    };
}
pub(crate) use process_columns;

/// Columns listed in the order `ProcessRow` expects.
pub(crate) const PROCESS_COLUMNS: &str = process_columns!();

impl TryFrom<ProcessRow> for Process {
    type Error = StoreError;

    fn try_from(row: ProcessRow) -> Result<Self, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            what: "process",
            reason,
        };
        Ok(Process::restore(ProcessRecord {
            id: ProcessId(row.id),
            kind: ProcessKind::new(row.kind).map_err(|e| corrupt(e.to_string()))?,
            settings: row.settings.0,
            status: row
                .status
                .parse()
                .map_err(|e: crmsync_domain::process::UnknownStatus| corrupt(e.to_string()))?,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            heartbeat_at: row.heartbeat_at,
            processed: u64::try_from(row.processed)
                .map_err(|_| out_of_range("process.processed", row.processed))?,
            total: row
                .total
                .map(|t| u64::try_from(t).map_err(|_| out_of_range("process.total", t)))
                .transpose()?,
            attempts: u32::try_from(row.attempts)
                .map_err(|_| out_of_range("process.attempts", row.attempts))?,
            last_error: row.last_error,
            message: row.message,
            checkpoint: row.checkpoint.map(|c| c.0),
            fence: row
                .fence
                .map(|f| u64::try_from(f).map_err(|_| out_of_range("process.fence", f)))
                .transpose()?,
        }))
    }
}

/// Counts of a record converted to the signed columns they are stored in.
pub(crate) struct StoredCounts {
    pub(crate) processed: i64,
    pub(crate) total: Option<i64>,
    pub(crate) attempts: i64,
    pub(crate) fence: Option<i64>,
}

impl StoredCounts {
    pub(crate) fn of(record: &ProcessRecord) -> Result<Self, StoreError> {
        Ok(Self {
            processed: i64::try_from(record.processed)
                .map_err(|_| too_large("processed", record.processed))?,
            total: record
                .total
                .map(|t| i64::try_from(t).map_err(|_| too_large("total", t)))
                .transpose()?,
            attempts: i64::from(record.attempts),
            fence: record
                .fence
                .map(|f| i64::try_from(f).map_err(|_| too_large("fence", f)))
                .transpose()?,
        })
    }
}
