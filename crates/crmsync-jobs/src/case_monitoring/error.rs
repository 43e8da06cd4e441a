//! Why a case-monitoring run failed.

use crmsync_ports::{CrmError, MonitorError, StoreError};

use super::report::Report;

/// A run could not read what it needs, or finished with errors.
#[derive(Debug, thiserror::Error)]
pub enum CaseMonitoringError {
    /// Leads or tasks could not be read from the CRM.
    #[error("reading the CRM failed: {0}")]
    Crm(#[from] CrmError),
    /// The monitored list could not be read.
    #[error("reading the monitoring service failed: {0}")]
    Monitor(#[from] MonitorError),
    /// A set or the remembered state could not be read or written.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// The remembered state under `key` is not valid JSON of the expected shape.
    #[error("the remembered state under {key} is corrupt: {reason}")]
    CorruptState {
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// Another run changed the remembered state while this one ran.
    #[error("the remembered state under {key} was changed by another run")]
    StateConflict {
        /// The key.
        key: String,
    },
    /// The run went through but some steps failed; the report says which.
    #[error("the run finished with {} error(s); first: {}", .report.errors, .report.error_messages.first().map_or("-", String::as_str))]
    Incomplete {
        /// What the run did.
        report: Box<Report>,
    },
}

impl CaseMonitoringError {
    /// The report of a run that went through with errors.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::Incomplete { report } => Some(report),
            _ => None,
        }
    }
}
