//! Mapping of driver errors to the ports' `StoreError`.

use crmsync_ports::StoreError;

/// Classifies a sqlx error of `backend`: connection-level problems are `Unavailable`, the rest `Backend`.
pub(crate) fn sql_error(backend: &'static str, error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::unavailable(backend, error),
        other => StoreError::backend(backend, other),
    }
}

/// A stored count that no longer fits its Rust type.
pub(crate) fn out_of_range(what: &'static str, value: i64) -> StoreError {
    StoreError::Corrupt {
        what,
        reason: format!("value {value} is out of range"),
    }
}

/// A count that does not fit a signed 64-bit column.
pub(crate) fn too_large(field: &'static str, value: u64) -> StoreError {
    StoreError::Invalid {
        field,
        reason: format!("{value} exceeds the largest storable value"),
    }
}
