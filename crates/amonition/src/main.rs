//! `amonition`: the marketplace's amoCRM service (see the library).

use std::process::ExitCode;

fn main() -> ExitCode {
    amonition::main_entry()
}
