//! Flags shared by every crmsync binary, flattened into each one's clap parser.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per event.
    Json,
}

/// `--config`, `--sandbox`, `--json`, `--log-format`, `-v`, `-q`.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// TOML configuration file; every key can be overridden by environment variables (see the docs).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Use the built-in emulators and embedded storage instead of real systems.
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Print the report as JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    /// More log detail (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

impl CommonArgs {
    /// The log level these flags ask for.
    pub fn log_level(&self) -> tracing::Level {
        match (self.quiet, self.verbose) {
            (true, _) => tracing::Level::WARN,
            (false, 0) => tracing::Level::INFO,
            (false, 1) => tracing::Level::DEBUG,
            (false, _) => tracing::Level::TRACE,
        }
    }
}

/// `authorize --code CODE`: the one-time OAuth code exchange when the amoCRM integration is installed.
#[derive(Clone, Args)]
pub struct AuthorizeArgs {
    /// The authorization code amoCRM shows (or sends to the redirect URI) when the integration is installed;
    /// valid for 20 minutes and usable once.
    #[arg(long, value_name = "CODE")]
    pub code: String,
}

impl std::fmt::Debug for AuthorizeArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthorizeArgs { code: *** }")
    }
}
