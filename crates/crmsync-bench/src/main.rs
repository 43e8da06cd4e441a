//! Runs the crmsync benchmarks and reports their figures.
//!
//! Each area is a module with `run(&mut Report)`; `--only PREFIX` limits the run to the areas of that prefix.
//! Every area runs in a child process of its own (`--area NAME`), so memory figures such as `VmHWM` are the
//! area's alone; the parent merges the children's figures, prints them as one table (figure, value, kind —
//! measured, derived from the input, or a `…_model_…` formula —, input, goal, seed baseline) and writes the
//! report as `{ "figure.name": number }`. Some areas re-execute this binary once more as a child of their own
//! (`CRMSYNC_BENCH_CHILD` set), so a figure such as the uploading process's peak memory is that process's alone.

mod amocrm;
mod amonition;
mod casemon;
mod coupons;
mod ident;
mod journal;
mod lock;
mod officeflow;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use crate::report::Report;

/// Command line of the benchmark runner.
#[derive(Debug, Parser)]
#[command(about = "Runs the crmsync benchmarks and writes their figures as JSON")]
struct Args {
    /// Run only the areas whose name starts with this prefix (`lock`, `journal`, `amocrm`, ...).
    #[arg(long)]
    only: Option<String>,
    /// Run exactly this area in this process (used by the parent for each child).
    #[arg(long, hide = true)]
    area: Option<String>,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/report.json")]
    out: PathBuf,
}

/// A benchmark area: its name and its entry point.
type Area = (&'static str, fn(&mut Report) -> anyhow::Result<()>);

/// Every benchmark area, in the order they run.
const AREAS: &[Area] = &[
    ("amocrm", amocrm::run),
    ("casemon", casemon::run),
    ("journal", journal::run),
    ("lock", lock::run),
    ("coupons", coupons::run),
    ("officeflow", officeflow::run),
    ("officeflow_processes", officeflow::processes::run),
    ("ident", ident::run),
    ("amonition", amonition::run),
];

fn main() -> anyhow::Result<ExitCode> {
    if let Some(code) = ident::run_if_child()? {
        return Ok(code);
    }
    if let Some(code) = amonition::run_if_child()? {
        return Ok(code);
    }
    let args = Args::parse();
    let mut report = Report::default();
    if let Some(area) = &args.area {
        let (_, run) = AREAS
            .iter()
            .find(|(name, _)| name == area)
            .ok_or_else(|| anyhow::anyhow!("no benchmark area {area:?}"))?;
        run(&mut report)?;
        report.write_part(&args.out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe()?;
    for (name, _) in AREAS {
        if args
            .only
            .as_deref()
            .is_some_and(|only| !name.starts_with(only))
        {
            continue;
        }
        let part = args.out.with_file_name(format!("{name}.json"));
        let status = std::process::Command::new(&exe)
            .arg("--area")
            .arg(name)
            .arg("--out")
            .arg(&part)
            .status()?;
        anyhow::ensure!(
            status.success(),
            "benchmark area {name} failed with {status}"
        );
        report.merge(report::read_part(&part)?);
        std::fs::remove_file(&part)?;
    }
    print!("{}", report.table());
    report.write(&args.out)?;
    println!("wrote {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
