//! What a case-monitoring run did, counted; printed as text or JSON and journaled with the run.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which kind of run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// A normal synchronisation.
    #[default]
    Sync,
    /// `--test` / `--dry-run`: read everything, write nothing.
    DryRun,
    /// `--clear`: remove everything from monitoring and empty both sets.
    Clear,
}

/// Retrievals by answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Retrieved {
    /// Answered `found`.
    pub found: u64,
    /// Answered `accepted`.
    pub accepted: u64,
    /// Answered `not_found`.
    pub not_found: u64,
}

impl Retrieved {
    /// All retrievals.
    pub fn total(&self) -> u64 {
        self.found + self.accepted + self.not_found
    }
}

/// The counts of one run. In a dry run the counts say what the run *would* do (retrievals are not made; cases
/// that would be retrieved are counted as `planned_retrievals`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Report {
    /// Which kind of run.
    pub mode: RunMode,
    /// Leads read in the configured stage.
    pub leads: u64,
    /// Distinct valid cases on those leads.
    pub valid_cases: u64,
    /// Leads with an invalid (or empty) case number.
    pub invalid_numbers: u64,
    /// Leads whose case an earlier lead already carries.
    pub duplicate_leads: u64,
    /// Monitored entries removed (not on a lead, unparsable, duplicate; every entry with `--clear`).
    pub removed: u64,
    /// Monitored cases kept.
    pub kept: u64,
    /// Retrievals by answer.
    pub retrieved: Retrieved,
    /// Retrievals a dry run would make at most.
    pub planned_retrievals: u64,
    /// Cases put into the overflow set.
    pub overflowed: u64,
    /// Cases admitted from the overflow set.
    pub admitted_from_overflow: u64,
    /// Cases waiting in the pending set after the run.
    pub pending: u64,
    /// Cases waiting in the overflow set after the run.
    pub overflow: u64,
    /// Cases monitored after the run.
    pub monitored: u64,
    /// Whether `syncCases` was called (or would be, in a dry run).
    pub synced: bool,
    /// Tasks created (or that would be).
    pub tasks_created: u64,
    /// Notes added (or that would be).
    pub notes_added: u64,
    /// Errors met (the run continues past per-case errors and fails at the end).
    pub errors: u64,
    /// The first errors, for the journal and the terminal; ids and case numbers only.
    pub error_messages: Vec<String>,
    /// Requests sent to the monitoring service (retries included), when the adapter counts them.
    pub monitor_requests: Option<u64>,
}

/// Most error messages kept in a report.
pub const MAX_ERROR_MESSAGES: usize = 20;

impl Report {
    /// Counts an error and keeps its message (up to [`MAX_ERROR_MESSAGES`]).
    pub fn error(&mut self, message: impl Into<String>) {
        self.errors += 1;
        if self.error_messages.len() < MAX_ERROR_MESSAGES {
            self.error_messages.push(message.into());
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            RunMode::Sync => "sync",
            RunMode::DryRun => "dry run (nothing written)",
            RunMode::Clear => "clear",
        };
        writeln!(f, "case monitoring: {mode}")?;
        if self.mode != RunMode::Clear {
            writeln!(
                f,
                "  leads {}  valid cases {}  invalid numbers {}  duplicate leads {}",
                self.leads, self.valid_cases, self.invalid_numbers, self.duplicate_leads
            )?;
        }
        writeln!(f, "  removed {}  kept {}", self.removed, self.kept)?;
        if self.mode == RunMode::DryRun {
            writeln!(
                f,
                "  retrievals planned (at most) {}",
                self.planned_retrievals
            )?;
        } else if self.mode == RunMode::Sync {
            writeln!(
                f,
                "  retrieved {} (found {}, accepted {}, not found {})",
                self.retrieved.total(),
                self.retrieved.found,
                self.retrieved.accepted,
                self.retrieved.not_found
            )?;
        }
        writeln!(
            f,
            "  overflowed {}  admitted from overflow {}",
            self.overflowed, self.admitted_from_overflow
        )?;
        writeln!(
            f,
            "  monitored {}  pending {}  overflow {}  syncCases {}",
            self.monitored,
            self.pending,
            self.overflow,
            if self.synced { "yes" } else { "no" }
        )?;
        writeln!(
            f,
            "  tasks created {}  notes added {}",
            self.tasks_created, self.notes_added
        )?;
        if let Some(requests) = self.monitor_requests {
            writeln!(f, "  monitoring service requests {requests}")?;
        }
        write!(f, "  errors {}", self.errors)?;
        for message in &self.error_messages {
            write!(f, "\n    - {message}")?;
        }
        Ok(())
    }
}
