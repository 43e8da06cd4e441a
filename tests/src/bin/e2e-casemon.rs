//! `casemon` as a real process for the end-to-end suite (`tests/casemon.rs`).

use std::process::ExitCode;

fn main() -> ExitCode {
    casemon::main_entry()
}
