//! The publishable crates: `crmsync-domain`, `crmsync-ports` and `crmsync-amocrm` carry complete package
//! metadata, and `cargo package` of the three (built from the packaged sources) passes.

use crate::shell;

/// The crates published for others to use.
pub(crate) const CRATES: &[&str] = &["crmsync-domain", "crmsync-ports", "crmsync-amocrm"];

/// The `[package]` keys crates.io shows and each publishable crate must set (directly or from the workspace).
const REQUIRED: &[&str] = &[
    "description",
    "license",
    "repository",
    "readme",
    "keywords",
    "categories",
    "rust-version",
];

/// Checks the metadata of every crate of [`CRATES`], then packages them together.
pub(crate) fn check() -> Result<(), String> {
    let root = shell::workspace_root();
    for name in CRATES {
        let path = root.join("crates").join(name).join("Cargo.toml");
        let manifest = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let missing = missing_keys(&manifest);
        if !missing.is_empty() {
            return Err(format!(
                "{name}: [package] lacks {} (a published crate shows them on crates.io)",
                missing.join(", ")
            ));
        }
    }
    let mut args = vec!["package", "--allow-dirty"];
    for name in CRATES {
        args.extend(["--package", name]);
    }
    shell::cargo(&args)?;
    println!(
        "{}: metadata complete, cargo package passed",
        CRATES.join(", ")
    );
    Ok(())
}

/// The keys of [`REQUIRED`] the `[package]` table of `manifest` does not set.
fn missing_keys(manifest: &str) -> Vec<&'static str> {
    let package: Vec<&str> = manifest
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != "[package]")
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .collect();
    REQUIRED
        .iter()
        .copied()
        .filter(|key| {
            !package.iter().any(|line| {
                line.split(['=', '.'])
                    .next()
                    .is_some_and(|k| k.trim() == *key)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_set_directly_or_from_the_workspace_count_and_other_tables_do_not() {
        let manifest = "[package]\nname = \"x\"\ndescription = \"d\"\nlicense.workspace = true\n\
                        repository.workspace = true\nreadme = \"README.md\"\nkeywords = [\"a\"]\n\
                        rust-version.workspace = true\n\n[dependencies]\ncategories = \"not here\"\n";
        assert_eq!(missing_keys(manifest), vec!["categories"]);
    }
}
