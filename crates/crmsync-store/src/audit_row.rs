//! The audit row and statements shared by the SQL backends.

use chrono::{DateTime, Utc};
use crmsync_domain::ProcessId;
use crmsync_ports::{AuditEntry, AuditFilter, AuditOutcome, AuditRecord, StoreError};

/// Appends one entry: `$1` at, `$2` actor, `$3` action, `$4` process, `$5` outcome, `$6` detail.
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, actor, action, process_id, outcome, detail) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Lists entries newest first: `$1` the run or NULL for every run, `$2` the limit.
pub(crate) const LIST_AUDIT: &str = "SELECT id, at, actor, action, process_id, outcome, detail FROM audit_log \
     WHERE ($1 IS NULL OR process_id = $1) ORDER BY id DESC LIMIT $2";

/// One `audit_log` row as every backend returns it.
#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    process_id: Option<i64>,
    outcome: String,
    detail: Option<String>,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        let outcome = AuditOutcome::parse(&row.outcome).ok_or_else(|| StoreError::Corrupt {
            what: "audit entry",
            reason: format!("unknown outcome {:?}", row.outcome),
        })?;
        Ok(Self {
            id: row.id,
            entry: AuditEntry {
                at: row.at,
                actor: row.actor,
                action: row.action,
                process: row.process_id.map(ProcessId),
                outcome,
                detail: row.detail,
            },
        })
    }
}

/// The `$1` and `$2` of [`LIST_AUDIT`].
pub(crate) fn list_params(filter: &AuditFilter) -> (Option<i64>, i64) {
    (
        filter.process.map(|p| p.0),
        filter.limit.map_or(i64::MAX, i64::from),
    )
}
