//! The figures a benchmark run collects, printed as a table and written as `{ "figure.name": number }`.

use std::collections::BTreeMap;
use std::path::Path;

/// Named figures, in name order.
#[derive(Debug, Default)]
pub(crate) struct Report {
    figures: BTreeMap<String, f64>,
}

impl Report {
    /// Records a figure and prints it at once, so long runs show progress.
    pub(crate) fn record(&mut self, name: &str, value: f64) {
        println!("{name:<48} {value:>16.3}");
        self.figures.insert(name.to_owned(), value);
    }

    /// Adds figures recorded by another run (an area run in its own process), without printing them again.
    pub(crate) fn merge(&mut self, figures: BTreeMap<String, f64>) {
        self.figures.extend(figures);
    }

    /// Writes the JSON report, creating its directory.
    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&self.figures)?)?;
        Ok(())
    }
}

/// Reads a JSON report written by [`Report::write`].
pub(crate) fn read(path: &Path) -> anyhow::Result<BTreeMap<String, f64>> {
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

/// This process's peak resident memory (`VmHWM`), in MiB. Each area runs in its own process, so the peak is
/// the area's own.
pub(crate) fn peak_rss_mb() -> anyhow::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmHWM line in /proc/self/status"))?;
    Ok(kib / 1024.0)
}
