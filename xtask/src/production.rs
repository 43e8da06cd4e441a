//! Production builds: every binary built with `--no-default-features` links no emulator (`crmsync-sandbox`),
//! compiles, and is clippy-clean.

use crate::shell;

/// The binaries whose `sandbox` cargo feature keeps the emulators out of a production build.
pub(crate) const BINARIES: &[&str] = &[
    "casemon",
    "officeflow-sync",
    "coupons",
    "ident-sync",
    "amonition",
];

/// The crate a production build must not link.
const SANDBOX: &str = "crmsync-sandbox";

/// Checks every binary of [`BINARIES`].
pub(crate) fn check() -> Result<(), String> {
    for binary in BINARIES {
        let tree = shell::cargo_output(&[
            "tree",
            "--edges",
            "normal",
            "--no-default-features",
            "--package",
            binary,
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])?;
        if let Some(line) = linked_sandbox(&tree) {
            return Err(format!(
                "`cargo tree -e normal --no-default-features -p {binary}` lists {line}: a production build of \
                 {binary} must not link the emulators (put them behind its `sandbox` feature)"
            ));
        }
        println!("{binary}: a --no-default-features build links no {SANDBOX}");
    }
    let mut packages = Vec::new();
    for binary in BINARIES {
        packages.extend(["--package", binary]);
    }
    let mut build = vec!["build", "--no-default-features"];
    build.extend(&packages);
    shell::cargo(&build)?;
    let mut clippy = vec!["clippy", "--no-default-features"];
    clippy.extend(&packages);
    clippy.extend(["--", "-D", "warnings"]);
    shell::cargo(&clippy)
}

/// The line of `cargo tree --format {p}` output naming the sandbox crate, if any.
fn linked_sandbox(tree: &str) -> Option<&str> {
    tree.lines()
        .map(str::trim)
        .find(|line| line.split_whitespace().next() == Some(SANDBOX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_crate_is_found_by_its_name_only() {
        let linked = "casemon v0.1.0 (/w/crates/casemon)\ncrmsync-sandbox v0.1.0 (/w/crates/crmsync-sandbox)\n";
        assert_eq!(
            linked_sandbox(linked),
            Some("crmsync-sandbox v0.1.0 (/w/crates/crmsync-sandbox)")
        );
        let lean = "casemon v0.1.0 (/w/crates/casemon)\ncrmsync-sandbox-extras v1.0.0\n";
        assert_eq!(linked_sandbox(lean), None);
    }
}
