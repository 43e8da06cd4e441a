//! Exit codes shared by every crmsync binary.

use std::process::ExitCode;

/// The run did what it was asked.
pub const SUCCESS: u8 = 0;
/// The job ran and failed (see the report and the journal).
pub const JOB_FAILED: u8 = 1;
/// Bad command line or configuration; nothing was run.
pub const BAD_USAGE: u8 = 2;
/// Another instance holds the job's lock.
pub const LOCKED: u8 = 3;

/// An error a binary's `main` ends with: its exit code and one clear line.
#[derive(Debug)]
pub struct Failure {
    /// One of the codes above.
    pub code: u8,
    /// What to print on stderr.
    pub message: String,
}

impl Failure {
    /// A failure with `code` and `message`.
    pub fn new(code: u8, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            message: message.to_string(),
        }
    }

    /// Bad usage or configuration.
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Self::new(BAD_USAGE, message)
    }

    /// The job failed.
    pub fn job(message: impl std::fmt::Display) -> Self {
        Self::new(JOB_FAILED, message)
    }

    /// The lock is held by someone else.
    pub fn locked(message: impl std::fmt::Display) -> Self {
        Self::new(LOCKED, message)
    }
}

/// Turns a `main` result into the process exit code, printing the failure line to stderr.
pub fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(SUCCESS),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
