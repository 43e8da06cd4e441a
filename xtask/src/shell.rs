//! Running commands with their output shown, failing with the command line.

use std::process::Command;

/// Runs `cargo` with `args` from the workspace root.
pub(crate) fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run(Command::new(cargo).args(args).current_dir(workspace_root()))
}

/// Runs `cargo` with `args` from the workspace root and returns its stdout (stderr is shown).
pub(crate) fn cargo_output(args: &[&str]) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(workspace_root());
    let line = format!("{command:?}");
    eprintln!("$ {line}");
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start {line}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{line} failed with {}", output.status));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("{line} printed something not UTF-8: {e}"))
}

/// Runs `command`, inheriting stdio; an error names the command and its status.
pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let line = format!("{command:?}");
    eprintln!("$ {line}");
    let status = command
        .status()
        .map_err(|e| format!("could not start {line}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{line} failed with {status}"))
    }
}

/// The workspace root (the parent of this crate's folder).
pub(crate) fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or(manifest)
}
