//! Exit codes shared by every crmsync binary.

use std::future::Future;
use std::process::ExitCode;

use crate::args::CommonArgs;

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

/// The `main` of a binary: parses its command line `A` (help and version print with code 0, a usage error with
/// code 2), starts logging as `common` of the parsed flags says, runs `run` on a multi-threaded runtime and maps
/// the outcome to the exit code (see [`finish`]).
pub fn main_entry<A, F, Fut>(common: fn(&A) -> &CommonArgs, run: F) -> ExitCode
where
    A: clap::Parser,
    F: FnOnce(A) -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let args = match A::try_parse() {
        Ok(args) => args,
        Err(error) => {
            let code = if error.use_stderr() {
                BAD_USAGE
            } else {
                SUCCESS
            };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    crate::logging::init(common(&args));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return finish(Err(Failure::job(format!("cannot start: {error}")))),
    };
    finish(runtime.block_on(run(args)))
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
