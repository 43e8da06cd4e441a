//! Human-readable reports on stdout (`--json` prints the same data as JSON).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use crmsync_jobs::coupons::{GenerationReport, NextAction, Preview};

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// The report of one run, several lines.
pub(crate) fn report(report: &GenerationReport) -> String {
    let coupon = &report.settings.coupon;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "process {}: {} — {}",
        report.id,
        report.status,
        report.progress_text()
    );
    let _ = writeln!(
        out,
        "  template   {}  (case {}, capacity {}, collisions {})",
        report.template, report.settings.case, report.capacity, report.collisions
    );
    let _ = writeln!(
        out,
        "  coupons    discount {}, {}, {}, from {} to {}, max uses {}, user {}",
        coupon.discount_id,
        coupon.coupon_type,
        if coupon.active { "active" } else { "inactive" },
        time(coupon.active_from),
        time(coupon.active_to),
        or_dash(coupon.max_uses),
        or_dash(coupon.user_id),
    );
    let _ = writeln!(
        out,
        "  started    {}   finished {}",
        time(report.started_at),
        time(report.finished_at)
    );
    let next = match report.next_action {
        NextAction::Step => Some("step (coupons resume continues it)"),
        NextAction::Finish => Some("finish"),
        NextAction::None => None,
    };
    if let Some(next) = next {
        let _ = writeln!(out, "  next       {next}");
    }
    if let Some(error) = &report.last_error {
        let _ = writeln!(out, "  error      {error}");
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "  warning    {warning}");
    }
    out
}

/// One line per run.
pub(crate) fn list(reports: &[GenerationReport]) -> String {
    let mut out = format!(
        "{:>6}  {:<10} {:>24}  TEMPLATE\n",
        "ID", "STATUS", "GENERATED"
    );
    for r in reports {
        let generated = format!("{}/{} ({}%)", r.processed, r.count, r.percent);
        let _ = writeln!(
            out,
            "{:>6}  {:<10} {:>24}  {}",
            r.id.to_string(),
            r.status.to_string(),
            generated,
            r.template
        );
    }
    if reports.is_empty() {
        out.push_str("(no runs yet)\n");
    }
    out
}

/// Sample codes, one per line, after the capacity.
pub(crate) fn preview(preview: &Preview) -> String {
    let mut out = format!(
        "template {} yields {} distinct codes; {} samples (drawn freely, they may repeat):\n",
        preview.template,
        preview.capacity,
        preview.codes.len()
    );
    for code in &preview.codes {
        out.push_str(code);
        out.push('\n');
    }
    out
}
