//! The update step: which monitored cases have events not yet turned into notes, and the text of those notes.

use std::collections::BTreeMap;

use crmsync_domain::CaseNumber;
use crmsync_ports::{CaseEvent, EventsSince, MonitorId, MonitoredCase};

/// Events of one monitored case to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFetch {
    /// The monitoring entry.
    pub id: MonitorId,
    /// The case.
    pub case: CaseNumber,
    /// Where the new events start.
    pub since: EventsSince,
}

/// The monitored cases whose newest event is newer than what was turned into notes.
///
/// A case seen for the first time has no cursor: its events dated since monitoring started (`added_at`) are new,
/// older ones are its history and are not copied.
pub fn fetches(monitored: &[MonitoredCase], cursors: &BTreeMap<String, i64>) -> Vec<EventFetch> {
    let mut out = Vec::new();
    for entry in monitored {
        let (Ok(case), Some(last)) = (entry.parsed_number(), entry.last_event_id) else {
            continue;
        };
        let since = match cursors.get(&case.canonical()) {
            Some(cursor) if last.0 > *cursor => EventsSince::After(crmsync_ports::EventId(*cursor)),
            Some(_) => continue,
            None => match entry.last_event_at {
                Some(at) if at >= entry.added_at => EventsSince::Date(entry.added_at),
                _ => continue,
            },
        };
        out.push(EventFetch {
            id: entry.id,
            case,
            since,
        });
    }
    out
}

/// Cursors for monitored cases seen for the first time whose events all predate monitoring: nothing to copy,
/// but the next run must know where history ends.
pub fn baselines(
    monitored: &[MonitoredCase],
    cursors: &BTreeMap<String, i64>,
) -> Vec<(String, i64)> {
    monitored
        .iter()
        .filter_map(|entry| {
            let case = entry.parsed_number().ok()?.canonical();
            if cursors.contains_key(&case) {
                return None;
            }
            match (entry.last_event_id, entry.last_event_at) {
                (Some(last), Some(at)) if at < entry.added_at => Some((case, last.0)),
                (Some(_), _) => None,
                (None, _) => Some((case, 0)),
            }
        })
        .collect()
}

/// The header every note of `case` starts with.
fn header(case: &CaseNumber) -> String {
    format!("CyberJustice: new events in case {case}")
}

/// The newest event id a note already written for `case` covers, read from its `[events A–B]` line; `None` when
/// the note is not one of this job's notes about `case`.
pub fn covered_up_to(text: &str, case: &CaseNumber) -> Option<i64> {
    let rest = text.strip_prefix(&header(case))?;
    if !(rest.is_empty() || rest.starts_with('\n')) {
        return None;
    }
    let last_line = text.lines().last()?;
    let range = last_line.strip_prefix("[events ")?.strip_suffix(']')?;
    let (_, last) = range.split_once('–')?;
    last.trim().parse().ok()
}

/// Most events listed in one note; the rest are summarised by count.
pub const MAX_EVENTS_PER_NOTE: usize = 20;

/// The note text for new `events` of `case`; it names the event ids it covers.
pub fn note_text(case: &CaseNumber, events: &[CaseEvent]) -> String {
    let mut text = header(case);
    for event in events.iter().take(MAX_EVENTS_PER_NOTE) {
        text.push_str(&format!(
            "\n• {} — {}",
            event.date.format("%d.%m.%Y"),
            event.kind
        ));
        if let Some(description) = event.description.as_deref().filter(|d| !d.is_empty()) {
            text.push_str(&format!(": {description}"));
        }
        if let Some(url) = event.document_url.as_deref().filter(|u| !u.is_empty()) {
            text.push_str(&format!(" ({url})"));
        }
    }
    if events.len() > MAX_EVENTS_PER_NOTE {
        text.push_str(&format!(
            "\n… and {} more",
            events.len() - MAX_EVENTS_PER_NOTE
        ));
    }
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        text.push_str(&format!("\n[events {}–{}]", first.id, last.id));
    }
    text
}
