//! `cargo xtask demo`: every integration end to end on embedded defaults — emulators in-process, SQLite under
//! `target/demo/`, in-process locks. Needs no server.

use std::process::Command;

use crate::shell;

/// One demo step: a binary (or example) of a package and its arguments.
struct Step {
    /// What the step shows.
    title: &'static str,
    /// `cargo run` arguments selecting the program.
    program: &'static [&'static str],
    /// The program's own arguments.
    args: &'static [&'static str],
}

/// The demo, in order. Each integration adds its binary here with `--sandbox`.
const STEPS: &[Step] = &[
    Step {
        title: "Run journal: a tracked job that fails once, is retried by the sweeper, and the journal it leaves",
        program: &["--package", "crmsync-jobs", "--example", "tracked_sample"],
        args: &["--db", "target/demo/journal.sqlite"],
    },
    Step {
        title: "amoCRM client embedded in a service, against the in-process amoCRM emulator",
        program: &["--package", "crmsync-amocrm", "--example", "embed"],
        args: &[],
    },
    Step {
        title: "Coupons: preview a template (free draws, nothing stored)",
        program: COUPONS,
        args: &["--sandbox", "preview", "SALE-$$$-###", "-n", "5"],
    },
    Step {
        title: "Coupons: generate 300 unique codes as a journaled run on SQLite (target/demo/coupons.sqlite)",
        program: COUPONS,
        args: &[
            "--sandbox",
            "generate",
            "--template",
            "SALE-$$$-###",
            "--count",
            "300",
            "--discount",
            "1",
        ],
    },
    Step {
        title: "Coupons: the runs in the journal",
        program: COUPONS,
        args: &["--sandbox", "list", "--limit", "5"],
    },
    Step {
        title: "Coupons: export the latest run as CSV",
        program: COUPONS,
        args: &[
            "--sandbox",
            "export",
            "latest",
            "--format",
            "csv",
            "--output",
            "target/demo/coupons.csv",
        ],
    },
    Step {
        title: "Coupons: the same run in Russian, and the audit of who generated it (--lang ru)",
        program: COUPONS,
        args: &["--sandbox", "--lang", "ru", "audit", "--limit", "3"],
    },
    Step {
        title: "Coupons: the generator's web page — `coupons --sandbox serve` prints the page's URL and a sandbox token to type into it; here `--check` fetches the page once and stops",
        program: COUPONS,
        args: &["--sandbox", "serve", "--check", "--address", "127.0.0.1:0"],
    },
    Step {
        title: "Case monitoring (casemon): the plan of a dry run against the amoCRM and CyberJustice emulators",
        program: &["--package", "casemon", "--bin", "casemon"],
        args: &["--sandbox", "--test"],
    },
    Step {
        title: "Case monitoring (casemon): a journaled sync run against the amoCRM and CyberJustice emulators",
        program: &["--package", "casemon", "--bin", "casemon"],
        args: &["--sandbox"],
    },
    Step {
        title: "Officeflow sync: a generated organisation (500 users with identity attributes, 2 platforms) and 300 office and 300 out-of-school flows (the latter from a source of their own) into an empty SQLite copy",
        program: &["--package", "officeflow-sync", "--bin", "officeflow-sync"],
        args: &["--sandbox", "--fresh", "-q"],
    },
    Step {
        title: "Officeflow sync again: nothing changed on the platform, so nothing is written",
        program: &["--package", "officeflow-sync", "--bin", "officeflow-sync"],
        args: &["--sandbox", "-q"],
    },
    Step {
        title: "Officeflow trace: where a purchase flow with a sub-flow and a revert stands, from the local copy",
        program: &["--package", "officeflow-sync", "--bin", "officeflow-sync"],
        args: &["--sandbox", "-q", "trace", "pi-0000112"],
    },
    Step {
        title: "AMONITION: 1,200 generated sellers uploaded as amoCRM companies (250 per request) into the emulator",
        program: AMONITION,
        args: &["--sandbox", "-q", "upload"],
    },
    Step {
        title: "AMONITION: webhooks posted to `serve` (a transfer, a redelivery, feed uploads, bad secret, foreign account) and handled from the inbox",
        program: AMONITION,
        args: &["--sandbox", "-q", "serve", "--drain"],
    },
    Step {
        title: "Reception sync (ident-sync): a generated clinic (IDENT on SQLite) into the emulated amoCRM — the first run creates contacts and deals",
        program: IDENT_SYNC,
        args: &["--sandbox", "-q", "reception-sync"],
    },
    Step {
        title: "Reception sync again: nothing changed in IDENT, so every deal is up to date and nothing is written",
        program: IDENT_SYNC,
        args: &["--sandbox", "-q", "reception-sync"],
    },
];

/// The `amonition` binary.
const AMONITION: &[&str] = &["--package", "amonition", "--bin", "amonition"];

/// The `ident-sync` binary.
const IDENT_SYNC: &[&str] = &["--package", "ident-sync", "--bin", "ident-sync"];

/// The `coupons` binary.
const COUPONS: &[&str] = &["--package", "coupons", "--bin", "coupons"];

pub(crate) fn run() -> Result<(), String> {
    let root = shell::workspace_root();
    // Every demo starts from empty embedded stores, as the emulators do, so repeated runs show the same thing.
    let demo_dir = root.join("target/demo");
    if demo_dir.exists() {
        std::fs::remove_dir_all(&demo_dir).map_err(|e| format!("cannot clear target/demo: {e}"))?;
    }
    std::fs::create_dir_all(&demo_dir).map_err(|e| format!("cannot create target/demo: {e}"))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for (number, step) in STEPS.iter().enumerate() {
        println!(
            "\n=== demo {}/{}: {} ===",
            number + 1,
            STEPS.len(),
            step.title
        );
        shell::run(
            Command::new(&cargo)
                .args(["run", "--quiet"])
                .args(step.program)
                .arg("--")
                .args(step.args)
                .current_dir(&root),
        )?;
    }
    println!("\ndemo finished: {} step(s) ran end to end", STEPS.len());
    Ok(())
}
