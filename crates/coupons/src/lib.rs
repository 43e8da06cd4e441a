//! `coupons`: template-driven unique discount coupons as a resumable, journaled Process.
//!
//! Commands: `preview`, `generate`, `resume`, `abort`, `delete-unused`, `list`, `show`, `export`, `audit` and
//! `serve` (the module's HTTP step API behind named tokens with roles).
//! The generation itself is `crmsync_jobs::coupons`; this crate parses arguments and configuration, opens the
//! storage, calls the job and prints or serves its reports. [`main_entry`] is the whole program.

mod cli;
mod commands;
mod config;
mod export;
pub mod i18n;
mod output;
pub mod rights;
pub mod serve;

use std::process::ExitCode;

use clap::Parser;
use crmsync_cli::exit::{self, BAD_USAGE, SUCCESS};

pub use cli::Cli;
pub use config::CouponsConfig;

/// Parses the command line, runs the command and returns its exit code (0 success, 1 the job failed, 2 bad
/// usage or configuration).
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_exit(&error),
    };
    crmsync_cli::logging::init(&cli.common);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let lang = i18n::Lang::choose(cli.lang, |name| std::env::var(name).ok());
            return exit::finish(Err(exit::Failure::job(i18n::tr(
                lang,
                "error-runtime",
                &[("reason", error.to_string())],
            ))));
        }
    };
    exit::finish(runtime.block_on(commands::run(cli)))
}

/// Help and version go to stdout with code 0; a usage error is one line on stderr with code 2.
fn usage_exit(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::from(SUCCESS)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            ExitCode::from(BAD_USAGE)
        }
        _ => {
            let rendered = error.to_string();
            let line = rendered.lines().next().unwrap_or("error: bad usage");
            eprintln!("{line}");
            ExitCode::from(BAD_USAGE)
        }
    }
}
