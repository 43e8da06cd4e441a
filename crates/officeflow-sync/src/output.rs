//! The reports on stdout: readable lines, or JSON with `--json`.

use std::fmt::Write as _;

use crmsync_jobs::officeflow::{Conflict, OfficeflowStats, RetryReport, SyncReport};
use serde::Serialize;

use crate::settings::SourceUse;

/// `stats` as JSON: the journal and table counts, and where each data source's settings came from.
#[derive(Debug, Serialize)]
pub(crate) struct StatsView<'a> {
    /// The journal and the local copy.
    #[serde(flatten)]
    pub(crate) stats: &'a OfficeflowStats,
    /// Each data source and the origin of its settings.
    pub(crate) data_sources: &'a [SourceUse],
}

/// Prints `value` as pretty JSON.
pub(crate) fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The sync report as lines.
pub(crate) fn sync_report(report: &SyncReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "officeflow-sync: {} run{}, {} part(s), {} row(s) written",
        report.mode.as_str(),
        if report.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        },
        report.parts.len(),
        report.writes
    );
    for part in &report.parts {
        let process = part
            .process
            .map_or_else(|| "-".to_owned(), |id| format!("#{id}"));
        let _ = writeln!(
            out,
            "  {:<12} {:<6} {:<11} read {:>7}  written {:>7}  {:>6.1} s  mode: {}",
            part.part.as_str(),
            process,
            format!("{:?}", part.status).to_lowercase(),
            part.fetched,
            part.writes,
            part.elapsed_ms as f64 / 1000.0,
            if part.mode.is_empty() {
                "-"
            } else {
                &part.mode
            }
        );
        let changes = if part.changes.is_empty() {
            "none".to_owned()
        } else {
            part.changes
                .iter()
                .map(|(name, count)| format!("{name}={count}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "      changes: {changes}");
        if part.conflicts_total > 0 {
            let _ = writeln!(out, "      conflicts: {}", part.conflicts_total);
            for conflict in &part.conflicts {
                let _ = writeln!(out, "        {}", describe(conflict));
            }
        }
        for rejected in &part.rejected {
            let _ = writeln!(out, "      rejected: {rejected}");
        }
        for note in &part.notes {
            let _ = writeln!(out, "      {note}");
        }
        if let Some(error) = &part.error {
            let _ = writeln!(out, "      error: {error}");
        }
    }
    out
}

fn describe(conflict: &Conflict) -> String {
    match conflict {
        Conflict::Tag(tag) => format!(
            "tag name {:?}: static {} and dynamic {} (the dynamic tag is not synced)",
            tag.name,
            tag.static_tags.join(","),
            tag.dynamic_tags.join(",")
        ),
        Conflict::Openid(openid) => format!(
            "{} OpenID {} claimed by {}: {}",
            openid.platform,
            openid.openid,
            openid.usernames.join(", "),
            match &openid.kept {
                Some(user) => format!("kept for {user}, who already had it"),
                None => "bound to nobody until resolved".to_owned(),
            }
        ),
    }
}

/// The retry report as lines.
pub(crate) fn retry_report(report: &RetryReport) -> String {
    let mut out = String::new();
    let sweep = &report.sweep;
    let _ = writeln!(
        out,
        "officeflow-sync retry-failed: {} retried, {} never-started started, {} marked stale, {} waiting, {} exhausted",
        sweep.retried.len(),
        report.started_pending.len(),
        sweep.marked_stale.len(),
        sweep.waiting.len(),
        sweep.exhausted.len()
    );
    for outcome in report.started_pending.iter().chain(&sweep.retried) {
        let _ = writeln!(
            out,
            "  #{} {} attempt {}: {}",
            outcome.id,
            outcome.kind,
            outcome.attempt,
            outcome.error.as_deref().unwrap_or("completed")
        );
    }
    for (id, due) in &sweep.waiting {
        let _ = writeln!(
            out,
            "  #{id} waits for its backoff until {}",
            due.to_rfc3339()
        );
    }
    for id in &sweep.exhausted {
        let _ = writeln!(
            out,
            "  #{id} used all its attempts; run `officeflow-sync --all` after fixing the cause"
        );
    }
    out
}

/// The statistics as lines.
pub(crate) fn stats(view: &StatsView<'_>) -> String {
    let stats = view.stats;
    let mut out = String::new();
    let _ = writeln!(out, "officeflow-sync stats");
    for used in view.data_sources {
        let _ = writeln!(
            out,
            "  data source {}: {} ({}{})",
            used.name,
            used.base_url,
            used.origin,
            used.row
                .as_deref()
                .map_or_else(String::new, |row| format!(" {row}"))
        );
    }
    for kind in &stats.parts {
        let by_status = kind
            .by_status
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(status, count)| format!("{status}={count}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "  {:<24} runs {:>4}  {by_status}",
            kind.kind.as_str(),
            kind.runs
        );
        if let Some(last) = &kind.last_run {
            let _ = writeln!(
                out,
                "      last run #{} {} (attempt {}), started {}",
                last.id,
                last.status,
                last.attempts,
                last.started_at
                    .map_or_else(|| "-".into(), |t| t.to_rfc3339())
            );
        }
        let _ = writeln!(
            out,
            "      last success: {}",
            kind.last_success_at
                .map_or_else(|| "never".into(), |t| t.to_rfc3339())
        );
        for error in &kind.recent_errors {
            let _ = writeln!(out, "      error #{}: {}", error.id, error.error);
        }
    }
    let c = &stats.counts;
    let _ = writeln!(
        out,
        "  local copy: {} departments, {} positions ({} enabled), {} position members, {} tag groups, {} tags, {} tag members, {} OpenIDs, {} losing OpenID claims",
        c.departments,
        c.positions,
        c.positions_enabled,
        c.position_members,
        c.tag_groups,
        c.tags,
        c.tag_members,
        c.user_openids,
        c.openid_conflict_claims
    );
    if let Some(f) = &stats.flows {
        let _ = writeln!(
            out,
            "  flows: {} instances ({} running), {} tasks ({} open), {} notices of closed tasks ignored",
            f.instances, f.instances_running, f.tasks, f.tasks_pending, f.notices_ignored
        );
    }
    if let Some(identities) = &stats.attributes {
        let _ = writeln!(out, "  attributes of {} identities:", identities.len());
        for identity in identities {
            let fields = identity
                .attributes
                .iter()
                .map(|a| {
                    format!(
                        "{} ({}{}{}) {}",
                        a.key,
                        a.kind,
                        if a.required { ", required" } else { "" },
                        if a.listed { "" } else { ", no longer listed" },
                        a.users
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                out,
                "    {}: {} users — {fields}",
                identity.identity, identity.users
            );
        }
    }
    out
}
