//! Builders of plan inputs.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use crmsync_domain::CaseNumber;
use crmsync_ports::{EventId, MonitorId, MonitoredCase};

use super::super::*;

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
}

pub(super) fn case(n: u32) -> String {
    format!("А40-{n}/2024")
}

pub(super) fn number(text: &str) -> CaseNumber {
    CaseNumber::parse(text).unwrap()
}

pub(super) fn lead(id: i64, value: &str) -> LeadCase {
    LeadCase::new(id, Some(1000 + id), Some(value))
}

pub(super) fn entry(id: i64, number: &str) -> MonitoredCase {
    MonitoredCase {
        id: MonitorId(id),
        case_number: number.to_owned(),
        case_id: None,
        added_at: now() - chrono::Duration::days(10),
        last_event_id: None,
        last_event_at: None,
    }
}

pub(super) fn entry_with_events(
    id: i64,
    number: &str,
    last_event: i64,
    days_after_added: i64,
) -> MonitoredCase {
    let mut e = entry(id, number);
    e.last_event_id = Some(EventId(last_event));
    e.last_event_at = Some(e.added_at + chrono::Duration::days(days_after_added));
    e
}

/// An input with `leads` carrying cases 1..=n and nothing monitored.
pub(super) fn leads_with_cases(range: std::ops::RangeInclusive<u32>) -> Vec<LeadCase> {
    range.map(|n| lead(i64::from(n), &case(n))).collect()
}

pub(super) struct Input(pub(super) PlanInput);

impl Input {
    pub(super) fn new(leads: Vec<LeadCase>) -> Self {
        Self(PlanInput {
            leads,
            monitored: Vec::new(),
            pending: Vec::new(),
            overflow: Vec::new(),
            limit: DEFAULT_LIMIT,
            state: JobState::default(),
            open_tasks: BTreeSet::new(),
            now: now(),
            options: PlanOptions::default(),
        })
    }

    pub(super) fn monitored(mut self, entries: Vec<MonitoredCase>) -> Self {
        self.0.monitored = entries;
        self
    }

    pub(super) fn pending(mut self, members: &[String]) -> Self {
        self.0.pending = members.to_vec();
        self
    }

    pub(super) fn overflow(mut self, members: &[String]) -> Self {
        self.0.overflow = members.to_vec();
        self
    }

    pub(super) fn limit(mut self, limit: usize) -> Self {
        self.0.limit = limit;
        self
    }

    pub(super) fn state(mut self, state: JobState) -> Self {
        self.0.state = state;
        self
    }

    pub(super) fn open_tasks(mut self, ids: &[i64]) -> Self {
        self.0.open_tasks = ids.iter().copied().collect();
        self
    }

    pub(super) fn plan(self) -> Plan {
        plan(self.0)
    }
}

pub(super) fn canon(numbers: &[CaseNumber]) -> Vec<String> {
    numbers.iter().map(CaseNumber::canonical).collect()
}

pub(super) fn all_found(_: &CaseNumber) -> RetrieveOutcome {
    RetrieveOutcome::Found
}
