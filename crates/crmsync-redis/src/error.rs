//! Mapping of redis errors to the ports' `StoreError`, and TTL conversion.

use std::time::Duration;

use crmsync_ports::StoreError;
use redis::{ErrorKind, RedisError, ServerErrorKind};

/// The backend name in every error of this crate.
pub(crate) const BACKEND: &str = "Redis";

/// Classifies a redis error: connection, timeout and I/O problems are `Unavailable`, the rest `Backend`.
pub(crate) fn redis_error(error: RedisError) -> StoreError {
    let unreachable = error.is_io_error()
        || error.is_timeout()
        || error.is_connection_refusal()
        || error.is_connection_dropped()
        || matches!(
            error.kind(),
            ErrorKind::Server(ServerErrorKind::BusyLoading | ServerErrorKind::MasterDown)
        );
    if unreachable {
        StoreError::unavailable(BACKEND, error)
    } else {
        StoreError::backend(BACKEND, error)
    }
}

/// A TTL as the whole milliseconds `PX`/`PEXPIRE` take; it must be at least 1 ms.
pub(crate) fn ttl_millis(ttl: Duration) -> Result<u64, StoreError> {
    let millis = ttl.as_millis();
    if millis == 0 {
        return Err(StoreError::Invalid {
            field: "ttl",
            reason: format!("{ttl:?} is shorter than the 1 ms Redis can express"),
        });
    }
    u64::try_from(millis)
        .ok()
        .filter(|&ms| i64::try_from(ms).is_ok())
        .ok_or_else(|| StoreError::Invalid {
            field: "ttl",
            reason: format!("{ttl:?} is too long"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_become_whole_milliseconds() {
        assert_eq!(ttl_millis(Duration::from_millis(1500)).unwrap(), 1500);
        assert_eq!(ttl_millis(Duration::from_micros(2999)).unwrap(), 2);
        assert!(matches!(
            ttl_millis(Duration::from_micros(999)),
            Err(StoreError::Invalid { field: "ttl", .. })
        ));
        assert!(matches!(
            ttl_millis(Duration::MAX),
            Err(StoreError::Invalid { field: "ttl", .. })
        ));
    }

    #[test]
    fn io_failures_are_unavailable_and_server_replies_are_backend_errors() {
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(
            redis_error(refused),
            StoreError::Unavailable {
                backend: "Redis",
                ..
            }
        ));
        let timed_out = RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert!(matches!(
            redis_error(timed_out),
            StoreError::Unavailable { .. }
        ));
        let wrong_type = RedisError::from((ErrorKind::UnexpectedReturnType, "not a string"));
        assert!(matches!(
            redis_error(wrong_type),
            StoreError::Backend {
                backend: "Redis",
                ..
            }
        ));
    }
}
