//! `ident-sync`: IDENT clinic receptions into amoCRM contacts and deals (see the library).

use std::process::ExitCode;

fn main() -> ExitCode {
    ident_sync::main_entry()
}
