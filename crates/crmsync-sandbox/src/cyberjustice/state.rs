//! The emulated account: the catalogue of cases on the court's site, cached cards, monitored entries, events.

use std::collections::{BTreeMap, BTreeSet};

use crmsync_domain::CaseNumber;
use serde::Serialize;
use serde_json::{Value, json};

use super::fixture::CyberJusticeFixture;
use crate::SandboxError;
use crate::rng::stable_hash;

/// One event of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Event {
    pub(crate) id: i64,
    pub(crate) at_ms: i64,
    pub(crate) kind: String,
    pub(crate) description: Option<String>,
}

#[derive(Debug, Clone)]
struct CatalogueCase {
    case_id: String,
    court: String,
    judge: Option<String>,
    case_type: Option<String>,
    accepted_polls: u32,
    events: Vec<Event>,
}

#[derive(Debug, Clone)]
struct Entry {
    number: CaseNumber,
    added_at_ms: i64,
}

/// What a retrieve answers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RetrieveAnswer {
    Found(Value),
    Accepted,
    NotFound,
}

/// Why a replace of the monitored set was refused (nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SyncRefusal {
    Invalid(Vec<String>),
    LimitExceeded { limit: usize, requested: usize },
    Unknown(Vec<String>),
}

/// What a replace did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyncDone {
    pub(crate) added: usize,
    pub(crate) removed: usize,
    pub(crate) kept: usize,
}

/// Retrieval answers given so far, by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RetrievalCounts {
    /// `found`.
    pub found: u64,
    /// `accepted`.
    pub accepted: u64,
    /// `not_found`.
    pub not_found: u64,
}

/// The account.
#[derive(Debug)]
pub(crate) struct CjState {
    catalogue: BTreeMap<CaseNumber, CatalogueCase>,
    cards: BTreeSet<CaseNumber>,
    polls: BTreeMap<CaseNumber, u32>,
    monitored: BTreeMap<i64, Entry>,
    next_monitor_id: i64,
    next_event_id: i64,
    pub(crate) limit: usize,
    pub(crate) retrievals: RetrievalCounts,
}

fn parse(number: &str, path: String) -> Result<CaseNumber, SandboxError> {
    CaseNumber::parse(number).map_err(|e| SandboxError::Fixture {
        path,
        reason: e.to_string(),
    })
}

impl CjState {
    pub(crate) fn from_fixture(
        fixture: CyberJusticeFixture,
        limit: usize,
    ) -> Result<Self, SandboxError> {
        let mut state = Self {
            catalogue: BTreeMap::new(),
            cards: BTreeSet::new(),
            polls: BTreeMap::new(),
            monitored: BTreeMap::new(),
            next_monitor_id: 1,
            next_event_id: 1,
            limit,
            retrievals: RetrievalCounts::default(),
        };
        for (i, case) in fixture.cases.into_iter().enumerate() {
            let number = parse(&case.case_number, format!("cases.{i}.case_number"))?;
            if state.catalogue.contains_key(&number) {
                return Err(SandboxError::Fixture {
                    path: format!("cases.{i}.case_number"),
                    reason: format!("{number} is listed twice"),
                });
            }
            let mut events = Vec::with_capacity(case.events.len());
            for event in case.events {
                events.push(Event {
                    id: state.take_event_id(),
                    at_ms: event.at.saturating_mul(1000),
                    kind: event.kind,
                    description: event.description,
                });
            }
            let hash = stable_hash(&number.canonical());
            state.catalogue.insert(
                number.clone(),
                CatalogueCase {
                    case_id: uuid_like(hash),
                    court: case.court.unwrap_or_else(|| court_name(number.court())),
                    judge: case.judge,
                    case_type: case.case_type,
                    accepted_polls: case.accepted_polls,
                    events,
                },
            );
        }
        for (i, entry) in fixture.monitored.into_iter().enumerate() {
            let path = format!("monitored.{i}.case_number");
            let number = parse(&entry.case_number, path.clone())?;
            if !state.catalogue.contains_key(&number) {
                return Err(SandboxError::Fixture {
                    path,
                    reason: format!("{number} is not in the catalogue (`cases`)"),
                });
            }
            if state.monitored.values().any(|e| e.number == number) {
                return Err(SandboxError::Fixture {
                    path,
                    reason: format!("{number} is monitored twice"),
                });
            }
            state.cards.insert(number.clone());
            let id = state.take_monitor_id();
            state.monitored.insert(
                id,
                Entry {
                    number,
                    added_at_ms: entry.added_at.saturating_mul(1000),
                },
            );
        }
        if state.monitored.len() > limit {
            return Err(SandboxError::Fixture {
                path: "monitored".into(),
                reason: format!(
                    "{} cases are monitored but the limit is {limit}",
                    state.monitored.len()
                ),
            });
        }
        Ok(state)
    }

    fn take_event_id(&mut self) -> i64 {
        let id = self.next_event_id;
        self.next_event_id += 1;
        id
    }

    fn take_monitor_id(&mut self) -> i64 {
        let id = self.next_monitor_id;
        self.next_monitor_id += 1;
        id
    }

    /// Monitored entries, oldest first.
    fn ordered(&self) -> Vec<(i64, &Entry)> {
        let mut entries: Vec<(i64, &Entry)> =
            self.monitored.iter().map(|(id, e)| (*id, e)).collect();
        entries.sort_by_key(|(id, e)| (e.added_at_ms, *id));
        entries
    }

    pub(crate) fn monitored_count(&self) -> usize {
        self.monitored.len()
    }

    /// The monitored cases in list order, canonical.
    pub(crate) fn monitored_numbers(&self) -> Vec<String> {
        self.ordered()
            .into_iter()
            .map(|(_, e)| e.number.canonical())
            .collect()
    }

    fn render_entry(&self, id: i64, entry: &Entry) -> Value {
        let case = self.catalogue.get(&entry.number);
        let last = case.and_then(|c| c.events.last());
        json!({
            "id": id,
            "case_number": entry.number.canonical(),
            "case_id": case.map(|c| c.case_id.clone()),
            "added_at": rfc3339(entry.added_at_ms),
            "last_event_id": last.map(|e| e.id),
            "last_event_at": last.map(|e| rfc3339(e.at_ms)),
        })
    }

    /// One page of the monitored list (pages from 1).
    pub(crate) fn page(&self, page: usize, per_page: usize) -> (Vec<Value>, usize) {
        let ordered = self.ordered();
        let total = ordered.len();
        let items = ordered
            .into_iter()
            .skip(page.saturating_sub(1).saturating_mul(per_page))
            .take(per_page)
            .map(|(id, e)| self.render_entry(id, e))
            .collect();
        (items, total)
    }

    pub(crate) fn all_entries(&self) -> Vec<Value> {
        self.ordered()
            .into_iter()
            .map(|(id, e)| self.render_entry(id, e))
            .collect()
    }

    pub(crate) fn delete(&mut self, id: i64) -> bool {
        self.monitored.remove(&id).is_some()
    }

    fn card(&self, number: &CaseNumber, case: &CatalogueCase) -> Value {
        json!({
            "case_id": case.case_id,
            "case_number": number.canonical(),
            "court": case.court,
            "judge": case.judge,
            "case_type": case.case_type,
            "started_at": format!("{}-01-15", number.year()),
            "last_event_id": case.events.last().map(|e| e.id),
        })
    }

    pub(crate) fn retrieve(&mut self, number: &CaseNumber, force: bool) -> RetrieveAnswer {
        let answer = self.answer_retrieve(number, force);
        match answer {
            RetrieveAnswer::Found(_) => self.retrievals.found += 1,
            RetrieveAnswer::Accepted => self.retrievals.accepted += 1,
            RetrieveAnswer::NotFound => self.retrievals.not_found += 1,
        }
        answer
    }

    fn answer_retrieve(&mut self, number: &CaseNumber, force: bool) -> RetrieveAnswer {
        let Some(case) = self.catalogue.get(number) else {
            return RetrieveAnswer::NotFound;
        };
        if force {
            self.cards.remove(number);
            self.polls.remove(number);
        }
        if !self.cards.contains(number) {
            let polls = self.polls.entry(number.clone()).or_insert(0);
            if *polls < case.accepted_polls {
                *polls += 1;
                return RetrieveAnswer::Accepted;
            }
            self.cards.insert(number.clone());
        }
        RetrieveAnswer::Found(self.card(number, case))
    }

    /// Replaces the monitored set; `now_ms` dates the new entries.
    pub(crate) fn sync(
        &mut self,
        numbers: &[String],
        now_ms: i64,
    ) -> Result<SyncDone, SyncRefusal> {
        let mut invalid = Vec::new();
        let mut wanted: Vec<CaseNumber> = Vec::new();
        for text in numbers {
            match CaseNumber::parse(text) {
                Ok(number) if !wanted.contains(&number) => wanted.push(number),
                Ok(_) => {}
                Err(_) => invalid.push(text.clone()),
            }
        }
        if !invalid.is_empty() {
            return Err(SyncRefusal::Invalid(invalid));
        }
        if wanted.len() > self.limit {
            return Err(SyncRefusal::LimitExceeded {
                limit: self.limit,
                requested: wanted.len(),
            });
        }
        let unknown: Vec<String> = wanted
            .iter()
            .filter(|n| !self.cards.contains(*n))
            .map(CaseNumber::canonical)
            .collect();
        if !unknown.is_empty() {
            return Err(SyncRefusal::Unknown(unknown));
        }
        let wanted_set: BTreeSet<&CaseNumber> = wanted.iter().collect();
        let before = self.monitored.len();
        self.monitored.retain(|_, e| wanted_set.contains(&e.number));
        let kept = self.monitored.len();
        let present: BTreeSet<CaseNumber> =
            self.monitored.values().map(|e| e.number.clone()).collect();
        let mut added = 0;
        for number in wanted {
            if !present.contains(&number) {
                let id = self.take_monitor_id();
                self.monitored.insert(
                    id,
                    Entry {
                        number,
                        added_at_ms: now_ms,
                    },
                );
                added += 1;
            }
        }
        Ok(SyncDone {
            added,
            removed: before - kept,
            kept,
        })
    }

    /// Events of entry `id`: newer than `after`, else dated at or after `since_ms`; `None` if no such entry.
    pub(crate) fn events(
        &self,
        id: i64,
        after: Option<i64>,
        since_ms: Option<i64>,
        limit: usize,
    ) -> Option<(Vec<Value>, bool)> {
        let entry = self.monitored.get(&id)?;
        let events = self
            .catalogue
            .get(&entry.number)
            .map(|c| c.events.as_slice())
            .unwrap_or_default();
        let matching: Vec<&Event> = events
            .iter()
            .filter(|e| match (after, since_ms) {
                (Some(after), _) => e.id > after,
                (None, Some(since)) => e.at_ms >= since,
                (None, None) => true,
            })
            .collect();
        let has_more = matching.len() > limit;
        let items = matching
            .into_iter()
            .take(limit)
            .map(|e| {
                json!({
                    "id": e.id,
                    "date": rfc3339(e.at_ms),
                    "type": e.kind,
                    "description": e.description,
                    "document_url": format!("https://kad.example.invalid/Document/{}.pdf", e.id),
                })
            })
            .collect();
        Some((items, has_more))
    }

    /// Adds an event to a catalogue case; `None` when the case is not in the catalogue.
    pub(crate) fn add_event(
        &mut self,
        number: &CaseNumber,
        at_ms: i64,
        kind: &str,
        description: Option<&str>,
    ) -> Option<i64> {
        if !self.catalogue.contains_key(number) {
            return None;
        }
        let id = self.take_event_id();
        let case = self.catalogue.get_mut(number)?;
        case.events.push(Event {
            id,
            at_ms,
            kind: kind.to_owned(),
            description: description.map(str::to_owned),
        });
        Some(id)
    }

    /// Adds a case to the catalogue (it "appears on the court's site"); `false` if it was there.
    pub(crate) fn add_case(&mut self, number: CaseNumber, accepted_polls: u32) -> bool {
        if self.catalogue.contains_key(&number) {
            return false;
        }
        let hash = stable_hash(&number.canonical());
        self.catalogue.insert(
            number.clone(),
            CatalogueCase {
                case_id: uuid_like(hash),
                court: court_name(number.court()),
                judge: None,
                case_type: None,
                accepted_polls,
                events: Vec::new(),
            },
        );
        true
    }
}

/// Unix milliseconds as RFC 3339 UTC with whole seconds.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A stable GUID-shaped id from a hash (the kad.arbitr.ru `CaseId` look).
fn uuid_like(hash: u64) -> String {
    let other = crate::rng::mix(hash);
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        hash >> 32,
        (hash >> 16) & 0xffff,
        hash & 0xfff,
        other & 0xfff,
        other >> 16 & 0xffff_ffff_ffff
    )
}

fn court_name(code: u8) -> String {
    match code {
        40 => "АС города Москвы".to_owned(),
        41 => "АС Московской области".to_owned(),
        56 => "АС города Санкт-Петербурга и Ленинградской области".to_owned(),
        code => format!("Арбитражный суд (код {code:02})"),
    }
}
