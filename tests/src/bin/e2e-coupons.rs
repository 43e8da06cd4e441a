//! The `coupons` binary, built inside the end-to-end package so `tests/tests/coupons.rs` can run it as a process.

use std::process::ExitCode;

fn main() -> ExitCode {
    coupons::main_entry()
}
