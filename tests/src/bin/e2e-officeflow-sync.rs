//! `officeflow-sync` as a binary of the end-to-end suite, so tests can run it as a real process.

use std::process::ExitCode;

fn main() -> ExitCode {
    officeflow_sync::main_entry()
}
