//! Output made for people: no ANSI escape codes when stderr is not a terminal, and help texts that name the
//! integration rather than the seed it came from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const BINARIES: [&str; 3] = [
    env!("CARGO_BIN_EXE_e2e-casemon"),
    env!("CARGO_BIN_EXE_e2e-officeflow-sync"),
    env!("CARGO_BIN_EXE_e2e-coupons"),
];

#[test]
fn logs_to_a_pipe_carry_no_ansi_escape_codes() {
    let output = Command::new(env!("CARGO_BIN_EXE_e2e-casemon"))
        .args(["--sandbox", "-v"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INFO"), "logs were written: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
}

#[test]
fn help_texts_name_no_seed() {
    for binary in BINARIES {
        let output = Command::new(binary).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&output.stdout).to_lowercase();
        assert!(!help.is_empty(), "{binary}");
        assert!(!help.contains("seed 0"), "{binary}: {help}");
    }
}
