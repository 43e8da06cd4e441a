//! `officeflow-sync`: see the library for what it does.

use std::process::ExitCode;

fn main() -> ExitCode {
    officeflow_sync::main_entry()
}
