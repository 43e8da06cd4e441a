//! Why a reception-sync run stopped.

use crmsync_ports::{CrmError, MisError, StoreError};

use super::report::Report;

/// A run stopped before the end; the batches before the failing one are applied and their cursor saved.
#[derive(Debug, thiserror::Error)]
pub enum ReceptionSyncError {
    /// The MIS could not be read.
    #[error("IDENT: {0}")]
    Mis(#[from] MisError),
    /// amoCRM failed (after the client's retries).
    #[error("amoCRM: {0}")]
    Crm(#[from] CrmError),
    /// The link tables or the cursors could not be read or written.
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// The configuration does not match the account (a field or stage it does not have).
    #[error("config key `{key}`: {reason}")]
    Config {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A batch failed part-way; the report says what was done before.
    #[error("{source} (after {} write(s); the run can be repeated safely)", report.writes())]
    Stopped {
        /// What failed.
        #[source]
        source: Box<ReceptionSyncError>,
        /// What the run did until then.
        report: Box<Report>,
    },
}

impl ReceptionSyncError {
    /// The report of a run that stopped part-way.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::Stopped { report, .. } => Some(report),
            _ => None,
        }
    }
}
