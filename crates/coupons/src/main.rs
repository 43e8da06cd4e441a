//! The `coupons` binary: everything lives in the library (see `coupons::main_entry`).

use std::process::ExitCode;

fn main() -> ExitCode {
    coupons::main_entry()
}
