//! The command line: `casemon [--config FILE] [--sandbox] [--test|--dry-run] [--clear] [--json]` and
//! `casemon authorize --code CODE`.

use clap::{Parser, Subcommand};
use crmsync_cli::args::{AuthorizeArgs, CommonArgs};

/// Keeps CyberJustice watching exactly the valid case numbers on amoCRM leads.
#[derive(Debug, Clone, Parser)]
#[command(name = "casemon", version, about, long_about = None, args_conflicts_with_subcommands = true)]
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
    /// Something other than a monitoring run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `casemon`'s commands besides the monitoring run.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Exchange the code amoCRM shows when the OAuth integration is installed for the first token pair, and
    /// store it under `[amocrm.oauth] token_key` (once per installation).
    Authorize(AuthorizeArgs),
}
