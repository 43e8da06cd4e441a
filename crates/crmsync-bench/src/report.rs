//! The figures a benchmark run collects: printed as one table (figure, value, kind, input, goal, seed baseline)
//! and written as `{ "figure.name": number }`.
//!
//! Each area runs in a child process that writes its rows (with their input, goal and baseline) to a part file;
//! the parent merges the parts, prints the table once and writes the report.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One figure with what it is measured against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Figure {
    /// The number.
    pub(crate) value: f64,
    /// The input it was measured on (`600 cases on leads, none monitored, limit 500`).
    pub(crate) input: String,
    /// The goal, where there is one (`≤ 1.1 × minimum`).
    pub(crate) goal: Option<String>,
    /// What the seed (the original program) does on the same input, where known.
    pub(crate) baseline: Option<String>,
    /// Computed from the input alone (a minimum, a ratio against it), not measured.
    pub(crate) derived: bool,
}

impl Figure {
    /// Sets the goal.
    pub(crate) fn goal(&mut self, goal: impl Into<String>) -> &mut Self {
        self.goal = Some(goal.into());
        self
    }

    /// Sets the seed baseline.
    pub(crate) fn baseline(&mut self, baseline: impl Into<String>) -> &mut Self {
        self.baseline = Some(baseline.into());
        self
    }

    /// Replaces the input of this figure alone.
    pub(crate) fn on(&mut self, input: impl Into<String>) -> &mut Self {
        self.input = input.into();
        self
    }

    /// Marks the figure as computed from the input alone.
    pub(crate) fn derived(&mut self) -> &mut Self {
        self.derived = true;
        self
    }
}

/// What a row of the table is.
fn kind(name: &str, figure: &Figure) -> &'static str {
    if name.contains("_model_") {
        "model"
    } else if figure.derived {
        "derived"
    } else {
        "measured"
    }
}

/// Named figures, in name order.
#[derive(Debug, Default)]
pub(crate) struct Report {
    figures: BTreeMap<String, Figure>,
    input: String,
}

impl Report {
    /// The input the figures recorded from now on are measured on.
    pub(crate) fn input(&mut self, input: impl Into<String>) {
        self.input = input.into();
    }

    /// Records a figure on the current input; a line on stderr shows progress during long runs.
    pub(crate) fn record(&mut self, name: &str, value: f64) -> &mut Figure {
        eprintln!("  {name} = {value:.3}");
        let figure = Figure {
            value,
            input: self.input.clone(),
            goal: None,
            baseline: None,
            derived: false,
        };
        match self.figures.entry(name.to_owned()) {
            Entry::Occupied(mut occupied) => {
                occupied.insert(figure);
                occupied.into_mut()
            }
            Entry::Vacant(vacant) => vacant.insert(figure),
        }
    }

    /// Adds the figures of another run (an area run in its own process).
    pub(crate) fn merge(&mut self, figures: BTreeMap<String, Figure>) {
        self.figures.extend(figures);
    }

    /// Writes this run's rows for the parent to merge.
    pub(crate) fn write_part(&self, path: &Path) -> anyhow::Result<()> {
        write(path, &serde_json::to_string_pretty(&self.figures)?)
    }

    /// Writes the report: `{ "figure.name": number }`.
    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        let numbers: BTreeMap<&str, f64> = self
            .figures
            .iter()
            .map(|(name, figure)| (name.as_str(), figure.value))
            .collect();
        write(path, &serde_json::to_string_pretty(&numbers)?)
    }

    /// The table of every figure: measured and derived ones first, then the models.
    pub(crate) fn table(&self) -> String {
        let mut rows: Vec<[String; 6]> = vec![[
            "figure".into(),
            "value".into(),
            "kind".into(),
            "input".into(),
            "goal".into(),
            "seed baseline".into(),
        ]];
        let mut ordered: Vec<(&String, &Figure)> = self.figures.iter().collect();
        ordered.sort_by_key(|(name, figure)| (kind(name, figure) == "model", name.as_str()));
        for (name, figure) in ordered {
            rows.push([
                name.clone(),
                format_value(figure.value),
                kind(name, figure).into(),
                figure.input.clone(),
                figure.goal.clone().unwrap_or_else(|| "—".into()),
                figure.baseline.clone().unwrap_or_else(|| "—".into()),
            ]);
        }
        let mut widths = [0usize; 6];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for (index, row) in rows.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(column, (cell, width))| {
                    let pad = width.saturating_sub(cell.chars().count());
                    if column == 1 {
                        format!("{}{cell}", " ".repeat(pad))
                    } else {
                        format!("{cell}{}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(cells.join(" | ").trim_end());
            out.push('\n');
            if index == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                out.push_str(&rule.join("-|-"));
                out.push('\n');
            }
        }
        out
    }
}

fn format_value(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// Reads the rows written by [`Report::write_part`].
pub(crate) fn read_part(path: &Path) -> anyhow::Result<BTreeMap<String, Figure>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut report = Report::default();
        report.input("600 cases on leads, limit 500");
        report
            .record("casemon.api_calls_600_cases", 502.0)
            .goal("≤ 1.1 × minimum")
            .baseline("1,202 calls (model)");
        report
            .record("casemon.api_calls_minimum_600_cases", 502.0)
            .derived();
        report.record("casemon.original_model_pacing_wall_s_600_cases", 900.0);
        report
    }

    #[test]
    fn the_table_has_every_column_and_puts_models_last() {
        let table = sample().table();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("figure"), "{table}");
        for column in ["value", "kind", "input", "goal", "seed baseline"] {
            assert!(lines[0].contains(column), "{table}");
        }
        assert!(lines[2].contains("casemon.api_calls_600_cases"), "{table}");
        assert!(lines[2].contains("measured") && lines[2].contains("≤ 1.1 × minimum"));
        assert!(lines[2].contains("600 cases on leads, limit 500"));
        assert!(lines[3].contains("derived"), "{table}");
        assert!(
            lines[4].contains("original_model_pacing") && lines[4].contains("model"),
            "{table}"
        );
    }

    #[test]
    fn the_report_keeps_name_and_number_and_the_parts_keep_the_rest() {
        let dir = std::env::temp_dir().join(format!("crmsync-bench-{}", uuid::Uuid::new_v4()));
        let report = sample();
        report.write(&dir.join("report.json")).unwrap();
        let written: BTreeMap<String, f64> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(written["casemon.api_calls_600_cases"], 502.0);
        assert_eq!(written.len(), 3);
        report.write_part(&dir.join("part.json")).unwrap();
        let mut merged = Report::default();
        merged.merge(read_part(&dir.join("part.json")).unwrap());
        assert_eq!(merged.table(), report.table());
        let _ = std::fs::remove_dir_all(dir);
    }
}
