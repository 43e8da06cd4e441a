//! The command line: `casemon [--config FILE] [--sandbox] [--test|--dry-run] [--clear] [--json]`.

use clap::Parser;
use crmsync_cli::args::CommonArgs;

/// Keeps CyberJustice watching exactly the valid case numbers on amoCRM leads.
#[derive(Debug, Clone, Parser)]
#[command(name = "casemon", version, about, long_about = None)]
pub struct Args {
    /// Flags every crmsync binary has.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Read everything and print the plan; write nothing anywhere (no API change, no set change, no task, no
    /// note, no journal entry).
    #[arg(long = "test", visible_alias = "dry-run")]
    pub dry_run: bool,
    /// Remove every case from monitoring and empty the pending and overflow sets.
    #[arg(long)]
    pub clear: bool,
}
