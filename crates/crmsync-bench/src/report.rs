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

    /// Writes the JSON report, creating its directory.
    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&self.figures)?)?;
        Ok(())
    }
}
