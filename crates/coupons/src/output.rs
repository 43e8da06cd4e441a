//! Human-readable reports on stdout in the reader's language (`--json` prints the same data as JSON).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use crmsync_jobs::coupons::{GenerationReport, NextAction, Preview};
use crmsync_ports::AuditRecord;

use crate::i18n::{self, Lang, args, tr};

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// The module's progress line: `N of M generated (P%)`.
pub(crate) fn progress(lang: Lang, report: &GenerationReport) -> String {
    tr(
        lang,
        "progress",
        args![
            "processed" => report.processed,
            "count" => report.count,
            "percent" => report.percent,
        ],
    )
}

/// The report of one run, several lines.
pub(crate) fn report(lang: Lang, report: &GenerationReport) -> String {
    let coupon = &report.settings.coupon;
    let mut lines = vec![tr(
        lang,
        "report-head",
        args![
            "id" => report.id,
            "status" => i18n::status(lang, report.status),
            "progress" => progress(lang, report),
        ],
    )];
    lines.push(tr(
        lang,
        "report-template",
        args![
            "template" => report.template,
            "case" => tr(lang, &format!("case-{}", report.settings.case), &[]),
            "capacity" => report.capacity,
            "collisions" => report.collisions,
        ],
    ));
    let active = if coupon.active {
        "coupon-active"
    } else {
        "coupon-inactive"
    };
    lines.push(tr(
        lang,
        "report-coupons",
        args![
            "discount" => coupon.discount_id,
            "type" => coupon.coupon_type,
            "active" => tr(lang, active, &[]),
            "from" => time(coupon.active_from),
            "to" => time(coupon.active_to),
            "max" => or_dash(coupon.max_uses),
            "user" => or_dash(coupon.user_id),
        ],
    ));
    lines.push(tr(
        lang,
        "report-times",
        args![
            "started" => time(report.started_at),
            "finished" => time(report.finished_at),
        ],
    ));
    match report.next_action {
        NextAction::Step => lines.push(tr(lang, "report-next-step", &[])),
        NextAction::Finish => lines.push(tr(lang, "report-next-finish", &[])),
        NextAction::None => {}
    }
    if let Some(error) = &report.last_error {
        lines.push(tr(lang, "report-error", args!["error" => error]));
    }
    for warning in &report.warnings {
        lines.push(tr(
            lang,
            "report-warning",
            args!["warning" => i18n::message(lang, warning)],
        ));
    }
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let indent = if i == 0 { "" } else { "  " };
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// One line per run.
pub(crate) fn list(lang: Lang, reports: &[GenerationReport]) -> String {
    let header = tr(lang, "list-header", &[]);
    let columns: Vec<&str> = header.split("  ").collect();
    let column = |i: usize| columns.get(i).copied().unwrap_or_default();
    let mut out = format!(
        "{:>6}  {:<10} {:>24}  {}\n",
        column(0),
        column(1),
        column(2),
        column(3)
    );
    for r in reports {
        let generated = format!("{}/{} ({}%)", r.processed, r.count, r.percent);
        let _ = writeln!(
            out,
            "{:>6}  {:<10} {:>24}  {}",
            r.id.to_string(),
            i18n::status(lang, r.status),
            generated,
            r.template
        );
    }
    if reports.is_empty() {
        out.push_str(&tr(lang, "list-empty", &[]));
        out.push('\n');
    }
    out
}

/// Sample codes, one per line, after the capacity.
pub(crate) fn preview(lang: Lang, preview: &Preview) -> String {
    let mut out = tr(
        lang,
        "preview-head",
        args![
            "template" => preview.template,
            "capacity" => preview.capacity,
            "count" => preview.codes.len(),
        ],
    );
    out.push('\n');
    for code in &preview.codes {
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The audit, one line per entry, newest first.
pub(crate) fn audit(lang: Lang, entries: &[AuditRecord]) -> String {
    let mut out = tr(lang, "audit-header", &[]);
    out.push('\n');
    for record in entries {
        let e = &record.entry;
        let _ = write!(
            out,
            "{}  {}  {}  {}  {}",
            e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.actor,
            e.action,
            or_dash(e.process),
            tr(lang, &format!("outcome-{}", e.outcome.as_str()), &[]),
        );
        if let Some(detail) = &e.detail {
            let _ = write!(out, "  ({detail})");
        }
        out.push('\n');
    }
    if entries.is_empty() {
        out.push_str(&tr(lang, "audit-empty", &[]));
        out.push('\n');
    }
    out
}
