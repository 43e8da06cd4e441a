//! Pages of list results and the results of batch creates.

use serde::{Deserialize, Serialize};

/// Where the next page starts, as handed out by the adapter; opaque to jobs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PageCursor(String);

impl PageCursor {
    /// Wraps an adapter's cursor (for amoCRM, the path and query of `_links.next`).
    pub fn new(cursor: impl Into<String>) -> Self {
        Self(cursor.into())
    }

    /// The cursor as the adapter wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in the CRM's order.
    pub items: Vec<T>,
    /// The next page, `None` on the last one.
    pub next: Option<PageCursor>,
}

impl<T> Page<T> {
    /// A last page holding `items`.
    pub fn last(items: Vec<T>) -> Self {
        Self { items, next: None }
    }

    /// An empty last page (what amoCRM's `204 No Content` means).
    pub fn empty() -> Self {
        Self::last(Vec::new())
    }
}

/// One created entity: its id and the `request_id` of the input it answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Created<I> {
    /// The input's request id (the caller's, or the one the client assigned).
    pub request_id: String,
    /// The new entity's id.
    pub id: I,
}
