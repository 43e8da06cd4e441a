//! The crate's error type.

use std::net::SocketAddr;

/// Why an emulator could not be started or configured.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The listening socket could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A fixture (seed data) is invalid; `path` names the offending item, e.g. `leads.3.status_id`.
    #[error("invalid fixture at {path}: {reason}")]
    Fixture {
        /// Where in the fixture the problem is.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A fixture or fault-plan file could not be read.
    #[error("cannot read {what} file {file}: {source}")]
    ReadFile {
        /// What the file was for ("fixture", "faults", "token").
        what: &'static str,
        /// The path of the file.
        file: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A fixture or fault-plan file is not valid JSON of the expected shape.
    #[error("cannot parse {what} file {file}: {source}")]
    ParseFile {
        /// What the file was for ("fixture", "faults").
        what: &'static str,
        /// The path of the file.
        file: String,
        /// The JSON error (line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A configuration value is invalid.
    #[error("invalid configuration {field}: {reason}")]
    Config {
        /// The configuration field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
