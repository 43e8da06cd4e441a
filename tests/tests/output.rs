//! Output made for people: no ANSI escape codes when stderr is not a terminal, help texts that name the
//! integration rather than the seed it came from, and no Rust `Debug` dumps in what the demo steps print.
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

/// Whether `text` holds a Rust `Debug` dump of a struct (`Name { field: …`).
fn debug_dump(text: &str) -> Option<&str> {
    text.lines().find(|line| {
        line.match_indices(" { ").any(|(at, _)| {
            let name = line[..at]
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("");
            let field = line[at + 3..].split(':').next().unwrap_or("");
            name.starts_with(|c: char| c.is_ascii_uppercase())
                && !field.is_empty()
                && field.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
    })
}

#[test]
fn the_detector_finds_struct_dumps_only() {
    assert!(debug_dump("stats: ClientStats { requests: 3, retries: 0 }").is_some());
    assert!(debug_dump("RetryOutcome { attempts: 2 }").is_some());
    assert!(debug_dump("3 lead(s) created { in 2 requests }").is_none());
    assert!(debug_dump("{\"requests\": 3}").is_none());
}

#[test]
fn what_the_demo_steps_print_holds_no_debug_dumps() {
    let runs: [(&str, &[&str]); 2] = [
        (env!("CARGO_BIN_EXE_e2e-casemon"), &["--sandbox"]),
        (
            env!("CARGO_BIN_EXE_e2e-coupons"),
            &["--sandbox", "preview", "SALE-$$$-###", "-n", "5"],
        ),
    ];
    for (binary, args) in runs {
        let output = Command::new(binary)
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{binary} {args:?}");
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(debug_dump(&text).is_none(), "{binary} {args:?}: {text}");
        }
        assert!(!output.stdout.is_empty(), "{binary} printed a report");
    }
}
