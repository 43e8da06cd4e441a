//! `casemon`: keeps CyberJustice watching exactly the valid case numbers on amoCRM leads (see the library).

use std::process::ExitCode;

fn main() -> ExitCode {
    casemon::main_entry()
}
