//! The command line: `ident-sync [--config FILE] [--sandbox] [--dry-run] [--json] <command>`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use crmsync_cli::args::{AuthorizeArgs, CommonArgs};

/// Syncs IDENT clinic receptions into amoCRM contacts and deals.
#[derive(Debug, Clone, Parser)]
#[command(name = "ident-sync", version, about, long_about = None)]
pub struct Args {
    /// Flags every crmsync binary has.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Read and plan; write nothing (no amoCRM change, no link, no cursor, no journal entry).
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Where `--sandbox` keeps its generated clinic and emulated account between runs.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "target/demo/ident"
    )]
    pub sandbox_dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Sync receptions changed since the last run (or since `--since`).
    ReceptionSync {
        /// Start from this MIS-local time (`2026-12-01 00:00:00`) instead of the stored cursor.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
    },
    /// Refresh the contacts of patients changed since the last run (name, phones).
    PatientSync,
    /// Re-read the receptions of the deep-sync window and repair their deals.
    DeepSync,
    /// Show the plan for one reception; write nothing.
    TestReception {
        /// The reception id (`Receptions.ID`).
        id: i64,
    },
    /// Run on the configured schedule until SIGTERM or Ctrl-C.
    Service,
    /// Last sync times, totals, funnel distribution and recent errors, from the run journal.
    Stats,
    /// Check the IDENT database connection.
    TestDb,
    /// Check the amoCRM connection and the configured pipelines and fields.
    TestAmocrm,
    /// Exchange the code amoCRM shows at installation for the first OAuth token pair.
    Authorize(AuthorizeArgs),
}
