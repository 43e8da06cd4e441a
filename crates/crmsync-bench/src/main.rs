//! Runs the crmsync benchmarks and reports their figures.
//!
//! Each area is a module with `run(&mut Report)`; `--only PREFIX` limits the run to figures of one area.

mod amocrm;
mod casemon;
mod coupons;
mod journal;
mod lock;
mod officeflow;
mod report;

use std::path::PathBuf;

use clap::Parser;

use crate::report::Report;

/// Command line of the benchmark runner.
#[derive(Debug, Parser)]
#[command(about = "Runs the crmsync benchmarks and writes their figures as JSON")]
struct Args {
    /// Run only the areas whose name starts with this prefix (`lock`, `journal`, `amocrm`, ...).
    #[arg(long)]
    only: Option<String>,
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
];

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut report = Report::default();
    for (name, run) in AREAS {
        if args
            .only
            .as_deref()
            .is_some_and(|only| !name.starts_with(only))
        {
            continue;
        }
        run(&mut report)?;
    }
    report.write(&args.out)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
