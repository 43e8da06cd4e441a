//! The command line: `amonition [--config FILE] [--sandbox] serve | upload | inbox list|retry|purge`.

use clap::{Parser, Subcommand};
use crmsync_cli::args::CommonArgs;
use crmsync_ports::InboxState;

/// The marketplace's amoCRM service: webhooks and the scheduled upload of sellers as companies.
#[derive(Debug, Clone, Parser)]
#[command(name = "amonition", version, about, long_about = None)]
pub struct Args {
    /// Flags every crmsync binary has.
    #[command(flatten)]
    pub common: CommonArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Receive amoCRM webhooks, work the inbox and run the upload on its schedule.
    Serve {
        /// Handle what the inbox holds and exit once it is empty (with `--sandbox`: after posting sample
        /// deliveries to the endpoint).
        #[arg(long)]
        drain: bool,
    },
    /// Upload every seller with listings as an amoCRM company now (locked and journaled).
    Upload,
    /// Look at and repair the webhook inbox.
    Inbox {
        /// What to do with it.
        #[command(subcommand)]
        action: InboxAction,
    },
}

/// Inbox operations.
#[derive(Debug, Clone, Subcommand)]
pub enum InboxAction {
    /// The newest rows (dead letters with `--state dead`) and the counts per state.
    List {
        /// Only rows in this state: pending, running, done or dead.
        #[arg(long, value_parser = parse_state)]
        state: Option<InboxState>,
        /// Most rows shown.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Puts a dead row back in the queue with its attempts reset.
    Retry {
        /// The row's id.
        id: i64,
    },
    /// Deletes handled rows (and dead ones with `--dead`) received more than `--older-than-days` days ago.
    Purge {
        /// Dead rows too.
        #[arg(long)]
        dead: bool,
        /// Keep rows younger than this many days (they still catch redeliveries).
        #[arg(long, default_value_t = 7)]
        older_than_days: u32,
    },
}

fn parse_state(text: &str) -> Result<InboxState, String> {
    InboxState::from_name(text)
        .ok_or_else(|| format!("{text:?} is not one of pending, running, done, dead"))
}
