//! Conventions shared by every crmsync binary.
//!
//! - [`config`]: a TOML file plus environment overrides, deserialised into the binary's typed settings; a
//!   validation error names the key and the reason. Secrets are `secrecy` types and never printed.
//! - [`args`]: the flags every binary has (`--config`, `--log-format`, `--sandbox`, `--json`, `-v`/`-q`).
//! - [`logging`]: `tracing` to stderr, human-readable or JSON.
//! - [`exit`]: exit codes — 0 success, 1 job failed, 2 bad usage or config, 3 lock held.
//! - [`progress`]: a progress bar on a terminal, plain periodic lines otherwise.
//! - [`secret_url`]: [`SecretUrl`], a configured URL whose password and tokens are never shown.
//! - [`backends`]: the shared `[storage]`, `[redis]` and `[lock]` sections and [`backends::open`], which picks
//!   the lock service (Redis, else the storage database; in-process only under `--sandbox`).
//! - [`http`]: bearer-token and path-secret guards for the HTTP servers binaries run, compared in constant time.

pub mod args;
pub mod backends;
pub mod config;
pub mod exit;
pub mod http;
pub mod logging;
pub mod progress;
pub mod secret_url;

pub use secret_url::SecretUrl;
