//! The command line: `officeflow-sync [--all] [--parts …] [--wait] [--dry-run]`, `retry-failed`, `stats`,
//! `trace INSTANCE_ID`.

use clap::{Parser, Subcommand};
use crmsync_cli::args::CommonArgs;

/// Syncs departments, positions, tags, user OpenIDs and process instances from the Officeflow office platform.
#[derive(Debug, Parser)]
#[command(name = "officeflow-sync", version, about, long_about = None)]
pub(crate) struct Cli {
    /// What to do; without a command, sync.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// Full reconciliation: read and compare everything instead of what changed since the last run.
    #[arg(long)]
    pub(crate) all: bool,
    /// Only these parts (comma-separated: departments, positions, tags, openids, attributes, processes); default: the parts
    /// enabled in the configuration.
    #[arg(long, value_name = "LIST")]
    pub(crate) parts: Option<String>,
    /// Print the plan and write nothing (no lock, no journal entry).
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Wait for a running instance to finish (up to `lock.wait_s`, 8 hours when it is 0) instead of exiting with
    /// code 3.
    #[arg(long, global = true)]
    pub(crate) wait: bool,
    /// With --sandbox: start from an empty sandbox database.
    #[arg(long, global = true)]
    pub(crate) fresh: bool,
    /// Flags every crmsync binary has.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// Commands besides syncing.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub(crate) enum Command {
    /// Re-run parts that failed or stopped heart-beating, up to `retry.max_attempts` with backoff.
    RetryFailed,
    /// Show the journal of the recent runs per part and the size of the local copy.
    Stats,
    /// Show where a process instance stands, from the local copy: current node(s), every node visited with its
    /// times and actors, sub-flows under the node that started them.
    Trace {
        /// The instance id as stored (ids of a category read from another source carry its name: `outing:7`).
        instance_id: String,
    },
}
