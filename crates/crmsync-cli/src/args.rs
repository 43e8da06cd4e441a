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
    /// Use the built-in emulators and embedded storage instead of real systems (builds with the `sandbox`
    /// feature, the default; a production build refuses it).
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

/// The usage error of `--sandbox` in a build without the emulators (cargo feature `sandbox` off).
pub fn no_sandbox() -> crate::exit::Failure {
    crate::exit::Failure::usage(
        "--sandbox is not available: this build was made without the `sandbox` cargo feature \
         (a production build); use a build with default features for the emulators",
    )
}

/// Refuses `--sandbox` in a build without the emulators (see [`no_sandbox`]).
pub fn refuse_sandbox(sandbox: bool) -> Result<(), crate::exit::Failure> {
    if sandbox {
        return Err(no_sandbox());
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_the_emulators_refuses_sandbox_as_bad_usage_naming_the_feature() {
        assert!(refuse_sandbox(false).is_ok());
        let refused = refuse_sandbox(true).unwrap_err();
        assert_eq!(refused.code, crate::exit::BAD_USAGE);
        assert!(
            refused.message.contains("`sandbox` cargo feature"),
            "{}",
            refused.message
        );
    }
}
