//! What a CyberJustice emulator starts with: the cases "on the court's site" and the cases already monitored.

use serde::{Deserialize, Serialize};

/// One event of a catalogue case, as seed data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureEvent {
    /// When it happened, in unix seconds.
    pub at: i64,
    /// The document or event kind (`Определение`, `Решение`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// What it says.
    #[serde(default)]
    pub description: Option<String>,
}

/// A case that exists on the court's site: a retrieve finds it (after `accepted_polls` answers of `accepted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureCase {
    /// Its number (any spelling `CaseNumber` accepts; stored canonical).
    pub case_number: String,
    /// How many retrieves answer `accepted` before one answers `found`.
    #[serde(default)]
    pub accepted_polls: u32,
    /// The court's name; made up from the court code when absent.
    #[serde(default)]
    pub court: Option<String>,
    /// The judge.
    #[serde(default)]
    pub judge: Option<String>,
    /// `А`, `Б` or `Г`.
    #[serde(default)]
    pub case_type: Option<String>,
    /// Its history, oldest first.
    #[serde(default)]
    pub events: Vec<FixtureEvent>,
}

impl FixtureCase {
    /// A case found at the first retrieve, with no events.
    pub fn new(case_number: impl Into<String>) -> Self {
        Self {
            case_number: case_number.into(),
            accepted_polls: 0,
            court: None,
            judge: None,
            case_type: None,
            events: Vec::new(),
        }
    }

    /// The same case answering `accepted` to the first `polls` retrieves.
    #[must_use]
    pub fn accepted_for(mut self, polls: u32) -> Self {
        self.accepted_polls = polls;
        self
    }

    /// The same case with an event at `at` (unix seconds).
    #[must_use]
    pub fn with_event(mut self, at: i64, kind: &str, description: Option<&str>) -> Self {
        self.events.push(FixtureEvent {
            at,
            kind: kind.to_owned(),
            description: description.map(str::to_owned),
        });
        self
    }
}

/// A case monitored from the start (its card is known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureMonitored {
    /// Its number; it must be in the catalogue.
    pub case_number: String,
    /// When monitoring started, in unix seconds.
    pub added_at: i64,
}

/// The emulator's seed data (serde JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CyberJusticeFixture {
    /// Cases that exist on the court's site; every other number is `not_found`.
    #[serde(default)]
    pub cases: Vec<FixtureCase>,
    /// Cases monitored from the start, in the order they were added.
    #[serde(default)]
    pub monitored: Vec<FixtureMonitored>,
}
