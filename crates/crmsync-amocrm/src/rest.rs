//! Typed calls shared by the entity families: HAL pages decoded into serde types, single objects, batch writes
//! with request ids and single-object writes, all through the client's call and batch machinery (limiter,
//! refresh, `429` waits, retries of what may be repeated, `Ambiguous` for creates whose outcome is unknown).

use crmsync_ports::{CrmError, Page, PageCursor};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::batch::{self, Batch, Item};
use crate::call::{Call, Effect, Failure, execute, path_only};
use crate::client::AmoCrmClient;
use crate::decode::{self, DecodedPage};
use crate::query::Query;

/// The items of `_embedded.{key}` (an array, or an object keyed by index); none when absent.
fn embedded_items(context: &str, key: &str, body: &[u8]) -> Result<Vec<Value>, CrmError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| decode::decode_error(context, body, &e))?;
    let list = match &value {
        Value::Array(_) => Some(value),
        Value::Object(map) => map.get("_embedded").and_then(|e| e.get(key)).cloned(),
        _ => None,
    };
    Ok(match list {
        Some(Value::Array(items)) => items,
        Some(Value::Object(map)) => map.into_iter().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    })
}

fn typed<T: DeserializeOwned>(context: &str, body: &[u8], item: &Value) -> Result<T, CrmError> {
    T::deserialize(item).map_err(|e| decode::decode_error(context, body, &e))
}

/// A HAL list page: `_embedded.{key}` as `T`s and the path of `_links.next`.
pub(crate) fn hal_page<T: DeserializeOwned>(
    context: &str,
    key: &str,
    body: &[u8],
) -> Result<DecodedPage<T>, CrmError> {
    let next = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/_links/next/href")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .and_then(|href| decode::local_path(&href));
    let items = embedded_items(context, key, body)?
        .iter()
        .map(|item| typed(context, body, item))
        .collect::<Result<Vec<T>, _>>()?;
    Ok(DecodedPage { items, next })
}

fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn request_ids(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(list)) => list.iter().filter_map(|v| id_text(Some(v))).collect(),
        other => id_text(other).into_iter().collect(),
    }
}

/// JSON objects of `items`, each named `{what}[{index}]` in errors.
pub(crate) fn bodies<T: Serialize>(
    what: &str,
    items: &[T],
) -> Result<Vec<Map<String, Value>>, CrmError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| match serde_json::to_value(item) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(CrmError::InvalidInput {
                field: format!("{what}[{index}]"),
                reason: "is not a JSON object".into(),
            }),
            Err(e) => Err(CrmError::InvalidInput {
                field: format!("{what}[{index}]"),
                reason: e.to_string(),
            }),
        })
        .collect()
}

/// Batch items matched to their answers by position (request id = index).
pub(crate) fn by_position(bodies: Vec<Value>) -> Vec<Item> {
    bodies
        .into_iter()
        .enumerate()
        .map(|(index, body)| Item {
            request_id: index.to_string(),
            body,
        })
        .collect()
}

/// Batch items keyed by their id (updates): the answer is matched by `id`.
pub(crate) fn by_id(
    what: &str,
    items: Vec<(String, Map<String, Value>)>,
) -> Result<Vec<Item>, CrmError> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .enumerate()
        .map(|(index, (id, body))| {
            if !seen.insert(id.clone()) {
                return Err(CrmError::InvalidInput {
                    field: format!("{what}[{index}].id"),
                    reason: format!("{id} appears twice in one batch"),
                });
            }
            Ok(Item {
                request_id: id,
                body: Value::Object(body),
            })
        })
        .collect()
}

/// A batch write.
pub(crate) struct Write<'a> {
    pub(crate) method: Method,
    pub(crate) path: &'a str,
    /// `_embedded` key of the answer.
    pub(crate) key: &'a str,
    pub(crate) effect: Effect,
    /// Whether answers are matched by `id` (updates) rather than `request_id` (creates).
    pub(crate) by_id: bool,
}

impl AmoCrmClient {
    /// One page of a list: `query` plus `limit` (at most `max`), or the page a cursor points at.
    pub(crate) async fn list_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Query,
        key: &str,
        limit: Option<u32>,
        max: u32,
        cursor: Option<PageCursor>,
    ) -> Result<Page<T>, CrmError> {
        let context = format!("GET {path}");
        let decode = move |body: &[u8]| hal_page::<T>(&context, key, body);
        let first = |limit: u32| {
            let mut query = query.clone();
            query.push("limit", limit.min(max));
            query.to_path(path)
        };
        self.page(first, limit, cursor, &decode).await
    }

    /// Every page of a list.
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &Query,
        key: &str,
        max: u32,
    ) -> Result<Vec<T>, CrmError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..crmsync_ports::MAX_PAGES {
            let page = self
                .list_page::<T>(path, query, key, None, max, cursor)
                .await?;
            all.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(CrmError::InvalidInput {
            field: "list".into(),
            reason: "too many pages".into(),
        })
    }

    /// One object (`None` on `204`).
    pub(crate) async fn get_typed<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, CrmError> {
        let context = format!("GET {}", path_only(path));
        let decode = move |body: &[u8]| -> Result<T, CrmError> {
            serde_json::from_slice(body).map_err(|e| decode::decode_error(&context, body, &e))
        };
        self.one(path, &decode).await
    }

    /// A single-object request; `None` when the answer is `204`. A create whose outcome is unknown is
    /// `Ambiguous` with the request path as its request id, and is never resent.
    pub(crate) async fn send_typed<R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        effect: Effect,
    ) -> Result<Option<R>, CrmError> {
        let bytes =
            body.map(serde_json::to_vec)
                .transpose()
                .map_err(|e| CrmError::InvalidInput {
                    field: "body".into(),
                    reason: e.to_string(),
                })?;
        let headers = self.request_headers(false);
        let call = Call {
            method: method.clone(),
            path,
            body: bytes.as_deref(),
            effect,
            splittable: false,
            headers: &headers,
        };
        let response = match execute(&self.inner, &call).await {
            Ok(response) => response,
            Err(Failure::Undecided(detail)) => {
                tracing::warn!(
                    target: "crmsync_amocrm",
                    path = path_only(path),
                    detail = detail.as_str(),
                    "a write's outcome is unknown; it is not resent"
                );
                return Err(CrmError::Ambiguous {
                    request_ids: vec![path_only(path).to_owned()],
                    written: Vec::new(),
                });
            }
            Err(failure) => return Err(crate::client::read_failure(failure)),
        };
        if response.status == 204 || response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let context = format!("{method} {}", path_only(path));
        serde_json::from_slice(&response.body)
            .map(Some)
            .map_err(|e| decode::decode_error(&context, &response.body, &e))
    }

    /// A batch write in chunks; answers in input order. Creates report unknown outcomes as `Ambiguous`.
    pub(crate) async fn write_batch<R: DeserializeOwned + Send>(
        &self,
        write: Write<'_>,
        items: Vec<Item>,
    ) -> Result<Vec<R>, CrmError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let context = format!("{} {}", write.method, write.path);
        let (key, by_id) = (write.key, write.by_id);
        let decode = move |body: &[u8], sent: &[String]| {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Vec::new());
            }
            embedded_items(&context, key, body)?
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    let mut rids = if by_id {
                        id_text(item.get("id")).into_iter().collect()
                    } else {
                        request_ids(item.get("request_id"))
                    };
                    if rids.is_empty() {
                        rids.extend(sent.get(index).cloned());
                    }
                    let id = item
                        .get("id")
                        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                        .unwrap_or(0);
                    Ok((rids, (id, typed::<R>(&context, body, item)?)))
                })
                .collect::<Result<Vec<_>, CrmError>>()
        };
        let headers = self.request_headers(false);
        let batch = Batch {
            method: write.method,
            path: write.path,
            effect: write.effect,
            chunk: self.inner.batch.write_chunk(),
            decode: &decode,
            headers: &headers,
        };
        let done = batch::run(&self.inner, &batch, items)
            .await
            .finish(|(id, _)| *id)?;
        Ok(done.into_iter().map(|(_, (_, r))| r).collect())
    }

    /// Creates `items` (each with the caller's request id or its index) at `path`, answers under `key`.
    pub(crate) async fn create_typed<T: Serialize, R: DeserializeOwned + Send>(
        &self,
        path: &str,
        key: &str,
        items: &[T],
        request_ids: impl Iterator<Item = Option<String>>,
    ) -> Result<Vec<R>, CrmError> {
        self.create_bodies(path, key, bodies(key, items)?, request_ids)
            .await
    }

    /// Creates prepared JSON objects at `path` (each with the caller's request id or its index).
    pub(crate) async fn create_bodies<R: DeserializeOwned + Send>(
        &self,
        path: &str,
        key: &str,
        bodies: Vec<Map<String, Value>>,
        request_ids: impl Iterator<Item = Option<String>>,
    ) -> Result<Vec<R>, CrmError> {
        let prepared = batch::with_request_ids(bodies, request_ids, true)?;
        self.write_batch(
            Write {
                method: Method::POST,
                path,
                key,
                effect: Effect::Create,
                by_id: false,
            },
            prepared,
        )
        .await
    }

    /// Updates `items` (each with its `id`) at `path`, answers under `key`.
    pub(crate) async fn update_typed<T: Serialize, R: DeserializeOwned + Send>(
        &self,
        path: &str,
        key: &str,
        items: &[T],
        id_of: impl Fn(&T) -> String,
    ) -> Result<Vec<R>, CrmError> {
        let keyed = bodies(key, items)?
            .into_iter()
            .zip(items)
            .map(|(body, item)| (id_of(item), body))
            .collect();
        self.write_batch(
            Write {
                method: Method::PATCH,
                path,
                key,
                effect: Effect::Update,
                by_id: true,
            },
            by_id(key, keyed)?,
        )
        .await
    }
}

/// The id of an answer item, for calls that report only which entities they changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct IdOnly {
    #[serde(deserialize_with = "crate::lenient::id")]
    pub(crate) id: i64,
}

/// An answer the caller does not read.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ignored;

impl<'de> serde::Deserialize<'de> for Ignored {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Ignored)
    }
}
