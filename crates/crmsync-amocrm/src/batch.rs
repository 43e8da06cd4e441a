//! Batch writes: request ids, chunking, splitting a chunk in halves on `504`, and an honest account of what
//! was written, what failed and what is undecided.

use std::collections::{HashMap, HashSet, VecDeque};

use crmsync_ports::{CrmError, WrittenRef};
use reqwest::Method;
use serde_json::{Map, Value};

use crate::call::{Call, Effect, Failure, execute};
use crate::client::Inner;

/// One input of a batch: its request id and its JSON object.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub(crate) request_id: String,
    pub(crate) body: Value,
}

/// Gives every input a request id (the caller's, else its index) and checks they are unique.
pub(crate) fn with_request_ids(
    bodies: Vec<Map<String, Value>>,
    given: impl Iterator<Item = Option<String>>,
    include_in_body: bool,
) -> Result<Vec<Item>, CrmError> {
    let mut seen = HashSet::with_capacity(bodies.len());
    bodies
        .into_iter()
        .zip(given)
        .enumerate()
        .map(|(index, (mut body, given))| {
            let request_id = given.unwrap_or_else(|| index.to_string());
            if request_id.is_empty() || !seen.insert(request_id.clone()) {
                return Err(CrmError::InvalidInput {
                    field: format!("[{index}].request_id"),
                    reason: format!(
                        "request id {request_id:?} is empty or used twice in one batch"
                    ),
                });
            }
            if include_in_body {
                body.insert("request_id".into(), Value::String(request_id.clone()));
            }
            Ok(Item {
                request_id,
                body: Value::Object(body),
            })
        })
        .collect()
}

/// Decodes one chunk's answer into (request ids answered, value) pairs.
pub(crate) type Decoder<'a, T> =
    &'a (dyn Fn(&[u8], &[String]) -> Result<Vec<(Vec<String>, T)>, CrmError> + Sync);

/// A batch write request.
pub(crate) struct Batch<'a, T> {
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    pub(crate) effect: Effect,
    pub(crate) chunk: usize,
    pub(crate) decode: Decoder<'a, T>,
    /// Extra headers of every chunk.
    pub(crate) headers: &'a [(&'static str, String)],
}

/// What a batch achieved.
#[derive(Debug)]
pub(crate) struct Outcome<T> {
    /// Answers in input order, with the request ids they answer.
    pub(crate) done: Vec<(Vec<String>, T)>,
    /// Request ids whose outcome is unknown.
    pub(crate) undecided: Vec<String>,
    /// The error that stopped the batch.
    pub(crate) error: Option<CrmError>,
}

impl<T> Outcome<T> {
    /// The result for the caller: all answers, or an error that says what was written and what is undecided.
    pub(crate) fn finish(
        self,
        id_of: impl Fn(&T) -> i64,
    ) -> Result<Vec<(Vec<String>, T)>, CrmError> {
        let written = || -> Vec<WrittenRef> {
            self.done
                .iter()
                .flat_map(|(rids, value)| {
                    rids.iter().map(|rid| WrittenRef {
                        request_id: rid.clone(),
                        id: id_of(value),
                    })
                })
                .collect()
        };
        match self.error {
            Some(error) if self.done.is_empty() && self.undecided.is_empty() => Err(error),
            Some(error) => Err(CrmError::Partial {
                written: written(),
                undecided: self.undecided,
                source: Box::new(error),
            }),
            None if !self.undecided.is_empty() => Err(CrmError::Ambiguous {
                written: written(),
                request_ids: self.undecided,
            }),
            None => Ok(self.done),
        }
    }
}

struct Pending {
    items: Vec<Item>,
}

/// Sends `items` in chunks, one chunk at a time.
pub(crate) async fn run<T>(inner: &Inner, batch: &Batch<'_, T>, items: Vec<Item>) -> Outcome<T> {
    let order: HashMap<String, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.request_id.clone(), i))
        .collect();
    let mut queue: VecDeque<Pending> = VecDeque::new();
    let mut rest = items;
    while !rest.is_empty() {
        let tail = rest.split_off(batch.chunk.min(rest.len()));
        queue.push_back(Pending { items: rest });
        rest = tail;
    }
    let mut outcome = Outcome {
        done: Vec::new(),
        undecided: Vec::new(),
        error: None,
    };
    while let Some(mut pending) = queue.pop_front() {
        let request_ids: Vec<String> = pending.items.iter().map(|i| i.request_id.clone()).collect();
        let body = Value::Array(pending.items.iter().map(|i| i.body.clone()).collect());
        let bytes = match serde_json::to_vec(&body) {
            Ok(bytes) => bytes,
            Err(e) => {
                outcome.error = Some(CrmError::InvalidInput {
                    field: "batch".into(),
                    reason: e.to_string(),
                });
                break;
            }
        };
        let call = Call {
            method: batch.method.clone(),
            path: batch.path,
            body: Some(&bytes),
            effect: batch.effect,
            splittable: pending.items.len() > 1,
            headers: batch.headers,
        };
        match execute(inner, &call).await {
            Ok(response) => match (batch.decode)(&response.body, &request_ids) {
                Ok(answers) => {
                    if batch.effect == Effect::Create {
                        let answered: HashSet<&String> =
                            answers.iter().flat_map(|(rids, _)| rids.iter()).collect();
                        outcome.undecided.extend(
                            request_ids
                                .iter()
                                .filter(|rid| !answered.contains(rid))
                                .cloned(),
                        );
                    }
                    outcome.done.extend(answers);
                }
                Err(error) if batch.effect == Effect::Create => {
                    tracing::warn!(
                        target: "crmsync_amocrm",
                        error = %error,
                        "a create succeeded but its answer could not be read; its request ids are undecided"
                    );
                    outcome.undecided.extend(request_ids);
                }
                Err(error) => {
                    outcome.error = Some(error);
                    break;
                }
            },
            Err(Failure::GatewayTimeout) => {
                let half = pending.items.len().div_ceil(2);
                let second = pending.items.split_off(half);
                tracing::debug!(
                    target: "crmsync_amocrm",
                    size = request_ids.len(),
                    "504 on a batch: retrying it in two halves"
                );
                queue.push_front(Pending { items: second });
                queue.push_front(Pending {
                    items: pending.items,
                });
            }
            Err(Failure::Undecided(detail)) => {
                tracing::warn!(
                    target: "crmsync_amocrm",
                    size = request_ids.len(),
                    detail = detail.as_str(),
                    "a create's outcome is unknown; it is not resent"
                );
                outcome.undecided.extend(request_ids);
            }
            Err(Failure::Crm(error)) => {
                outcome.error = Some(error);
                break;
            }
        }
    }
    let position = |rids: &[String]| {
        rids.iter()
            .filter_map(|rid| order.get(rid))
            .min()
            .copied()
            .unwrap_or(usize::MAX)
    };
    outcome.done.sort_by_key(|(rids, _)| position(rids));
    outcome
        .undecided
        .sort_by_key(|rid| order.get(rid).copied().unwrap_or(usize::MAX));
    outcome
}
