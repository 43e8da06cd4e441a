//! `tracing` to stderr, human-readable or JSON, at the level the flags ask for (`RUST_LOG` refines it).
//! Colours only when stderr is a terminal, so files and pipes get plain text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::args::{CommonArgs, LogFormat};

/// Installs the global subscriber; a second call is a no-op.
pub fn init(args: &CommonArgs) {
    let default = args.log_level().to_string().to_lowercase();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = match args.log_format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
