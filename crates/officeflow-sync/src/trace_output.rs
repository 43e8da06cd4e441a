//! `officeflow-sync trace` as lines: where the flow stands, then every visit of every node, sub-flows indented
//! under the node that started them.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use crmsync_jobs::officeflow::processes::{NodeVisit, Trace, VisitOutcome};

/// A time in milliseconds since the Unix epoch, as RFC 3339 (UTC, seconds).
fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(
        || format!("{ms} ms"),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// A duration in milliseconds as `1d 2h 3m 4s` (or `250 ms` under a second).
fn duration(ms: i64) -> String {
    if ms < 1_000 {
        return format!("{ms} ms");
    }
    let mut seconds = ms / 1_000;
    let mut parts = Vec::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds >= size {
            parts.push(format!("{}{unit}", seconds / size));
            seconds %= size;
        }
    }
    if seconds > 0 || parts.is_empty() {
        parts.push(format!("{seconds}s"));
    }
    parts.join(" ")
}

fn outcome(outcome: VisitOutcome) -> &'static str {
    match outcome {
        VisitOutcome::Open => "open",
        VisitOutcome::Completed => "completed",
        VisitOutcome::Reverted => "reverted",
        VisitOutcome::Aborted => "aborted",
    }
}

/// The trace as lines.
pub(crate) fn trace(trace: &Trace) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "officeflow-sync trace {}: flow {} ({}), {}, started {}{}",
        trace.instance_id,
        trace.flow_key,
        trace.category,
        trace.status,
        time(trace.started_at),
        match (trace.ended_at, trace.duration_ms) {
            (Some(ended), Some(took)) =>
                format!(", ended {} after {}", time(ended), duration(took)),
            _ => String::new(),
        }
    );
    if trace.current.is_empty() {
        let _ = writeln!(out, "  now: nowhere (the flow has ended)");
    }
    for node in &trace.current {
        let path: Vec<String> = node
            .via
            .iter()
            .map(|link| format!("{} › ", link.node_id))
            .collect();
        let waiting = if node.assignees.is_empty() {
            String::new()
        } else {
            format!(", waiting for {}", node.assignees.join(", "))
        };
        let _ = writeln!(
            out,
            "  now at: {}{} \"{}\" (instance {}) since {}{waiting}",
            path.concat(),
            node.node_id,
            node.node_name,
            node.instance_id,
            time(node.since),
        );
    }
    let _ = writeln!(out, "  history:");
    history(&mut out, &trace.history, 2);
    out
}

fn history(out: &mut String, visits: &[NodeVisit], indent: usize) {
    let pad = " ".repeat(indent * 2);
    for visit in visits {
        let left = match (visit.left_at, visit.duration_ms) {
            (Some(left), Some(took)) => format!("left {} after {}", time(left), duration(took)),
            _ => "not left yet".to_owned(),
        };
        let round = if visit.round > 1 {
            format!(" (round {})", visit.round)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{pad}{:<10} {} \"{}\"{round}: entered {}, {left}",
            outcome(visit.outcome),
            visit.node_id,
            visit.node_name,
            time(visit.entered_at),
        );
        let actors: Vec<String> = visit
            .actors
            .iter()
            .map(|a| {
                format!(
                    "{} {}{}",
                    a.assignee.as_deref().unwrap_or("(sub-flow)"),
                    a.status,
                    match a.kind {
                        crmsync_jobs::officeflow::processes::TaskKind::Proxy => " (proxy)",
                        _ => "",
                    }
                )
            })
            .collect();
        if !actors.is_empty() {
            let _ = writeln!(out, "{pad}           by {}", actors.join(", "));
        }
        for sub in &visit.sub_flows {
            let _ = writeln!(
                out,
                "{pad}           sub-flow {} ({}), {}:",
                sub.instance_id, sub.flow_key, sub.status
            );
            history(out, &sub.history, indent + 6);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration(250), "250 ms");
        assert_eq!(duration(61_000), "1m 1s");
        assert_eq!(duration(90_061_000), "1d 1h 1m 1s");
        assert_eq!(duration(3_600_000), "1h");
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
    }
}
