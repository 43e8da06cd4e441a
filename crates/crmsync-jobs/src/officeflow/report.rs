//! What a sync did, per part: what it read, planned and wrote, the conflicts it found and how it ended.

use std::collections::BTreeMap;

use crmsync_domain::ProcessId;
use serde::Serialize;

use super::openids::OpenIdConflict;
use super::part::{Part, SyncMode};
use super::tags::TagConflict;

/// How many conflicts a report lists in detail (all are counted).
pub const CONFLICTS_LISTED: usize = 100;

/// A conflict the sync could not resolve alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Conflict {
    /// A static and a dynamic tag share a name.
    Tag(TagConflict),
    /// Several users claim one OpenID.
    Openid(OpenIdConflict),
}

/// How a part ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    /// Planned only (`--dry-run`): nothing was written.
    Planned,
    /// Written.
    Completed,
    /// Failed; the journal entry can be retried with `retry-failed`.
    Failed,
    /// Stopped by a signal or a lost lock; the journal entry can be retried.
    Interrupted,
    /// Not started because an earlier part was interrupted.
    Skipped,
}

/// One part of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartReport {
    /// The part.
    pub part: Part,
    /// Its journal entry (none for a dry run).
    pub process: Option<ProcessId>,
    /// How it ended.
    pub status: PartStatus,
    /// `full` or `incremental`, as actually run (an incremental run becomes full when it has no watermark).
    pub mode: String,
    /// Records read from the platform.
    pub fetched: u64,
    /// Planned changes by name (`positions.added`, `members.removed`, ...); only non-zero ones.
    pub changes: BTreeMap<String, u64>,
    /// Rows written (0 for a dry run).
    pub writes: u64,
    /// Conflicts found (counted in full, listed up to [`CONFLICTS_LISTED`]).
    pub conflicts_total: u64,
    /// The conflicts, up to [`CONFLICTS_LISTED`].
    pub conflicts: Vec<Conflict>,
    /// Records skipped because a field is unacceptable (`entity "id": field … reason`).
    pub rejected: Vec<String>,
    /// Remarks: duplicates dropped, orphan departments, unknown positions, samples of planned changes.
    pub notes: Vec<String>,
    /// The error of a failed or interrupted part.
    pub error: Option<String>,
    /// How long the part took, in milliseconds.
    pub elapsed_ms: u64,
}

impl PartReport {
    /// An empty report of `part` with `status`.
    pub fn new(part: Part, status: PartStatus) -> Self {
        Self {
            part,
            process: None,
            status,
            mode: String::new(),
            fetched: 0,
            changes: BTreeMap::new(),
            writes: 0,
            conflicts_total: 0,
            conflicts: Vec::new(),
            rejected: Vec::new(),
            notes: Vec::new(),
            error: None,
            elapsed_ms: 0,
        }
    }

    /// Records a planned change count (kept only when non-zero).
    pub fn change(&mut self, name: &str, count: usize) {
        if count > 0 {
            *self.changes.entry(name.to_owned()).or_default() += count as u64;
        }
    }

    /// Records conflicts, listing the first ones.
    pub fn conflicts(&mut self, found: impl IntoIterator<Item = Conflict>) {
        for conflict in found {
            self.conflicts_total += 1;
            if self.conflicts.len() < CONFLICTS_LISTED {
                self.conflicts.push(conflict);
            }
        }
    }

    /// Adds a note when `count` is not zero.
    pub fn note_count(&mut self, count: u64, what: &str) {
        if count > 0 {
            self.notes.push(format!("{count} {what}"));
        }
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// The mode asked for.
    pub mode: SyncMode,
    /// Each part asked for, in run order.
    pub parts: Vec<PartReport>,
    /// Rows written over all parts.
    pub writes: u64,
}

impl SyncReport {
    /// Whether every part completed (or was planned, in a dry run).
    pub fn succeeded(&self) -> bool {
        self.parts
            .iter()
            .all(|p| matches!(p.status, PartStatus::Completed | PartStatus::Planned))
    }
}
