//! Parsing and building PHP-style nested form keys (`filter[statuses][0][pipeline_id]=1`, `filter[id][]=2`).
//!
//! amoCRM list filters arrive in this syntax in the query string, with and without indexes, and amoCRM webhooks
//! are sent as form bodies in it. [`QueryNode::parse`] reads both; [`FormBuilder`] writes bodies.

/// Most key/value pairs one query string or body may hold.
pub const MAX_PAIRS: usize = 10_000;
/// Most bracket levels one key may have.
pub const MAX_DEPTH: usize = 8;

/// Why a query string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// More than [`MAX_PAIRS`] pairs.
    #[error("too many parameters (more than {MAX_PAIRS})")]
    TooManyPairs,
    /// A key nested deeper than [`MAX_DEPTH`].
    #[error("parameter {key} is nested deeper than {MAX_DEPTH} levels")]
    TooDeep {
        /// The offending key (a parameter name, never a value).
        key: String,
    },
}

/// One node of a parsed nested query: scalar values given directly to it and named children.
///
/// `filter[id]=1&filter[id]=2` and `filter[id][]=1&filter[id][]=2` both give the node `filter.id` the values
/// `["1", "2"]`; `filter[id][0]=1&filter[id][1]=2` gives it children `"0"` and `"1"`. [`QueryNode::list`]
/// reads all three shapes alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryNode {
    values: Vec<String>,
    children: Vec<(String, QueryNode)>,
}

impl QueryNode {
    /// Parses a raw query string or form body (`+` and percent escapes decoded, brackets encoded or not).
    pub fn parse(raw: &str) -> Result<Self, QueryError> {
        let mut root = QueryNode::default();
        for (count, (key, value)) in form_urlencoded::parse(raw.as_bytes()).enumerate() {
            if count >= MAX_PAIRS {
                return Err(QueryError::TooManyPairs);
            }
            let segments = split_key(&key);
            if segments.len() > MAX_DEPTH + 1 {
                return Err(QueryError::TooDeep {
                    key: key.into_owned(),
                });
            }
            root.insert(&segments, value.into_owned());
        }
        Ok(root)
    }

    fn insert(&mut self, segments: &[String], value: String) {
        let Some((first, rest)) = segments.split_first() else {
            self.values.push(value);
            return;
        };
        if first.is_empty() {
            if rest.is_empty() {
                self.values.push(value);
                return;
            }
            let key = self.children.len().to_string();
            self.children.push((key, QueryNode::default()));
            if let Some((_, child)) = self.children.last_mut() {
                child.insert(rest, value);
            }
            return;
        }
        let position = self.children.iter().position(|(k, _)| k == first);
        let index = match position {
            Some(index) => index,
            None => {
                self.children.push((first.clone(), QueryNode::default()));
                self.children.len() - 1
            }
        };
        if let Some((_, child)) = self.children.get_mut(index) {
            child.insert(rest, value);
        }
    }

    /// The child named `key`.
    pub fn get(&self, key: &str) -> Option<&QueryNode> {
        self.children.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The descendant reached through `keys`.
    pub fn path(&self, keys: &[&str]) -> Option<&QueryNode> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The last scalar value given to this node (PHP keeps the last of repeated keys).
    pub fn value(&self) -> Option<&str> {
        self.values.last().map(String::as_str)
    }

    /// Every scalar value of this node and of its direct children, in order: the list shapes `a=1&a=2`,
    /// `a[]=1&a[]=2` and `a[0]=1&a[1]=2` all give `["1", "2"]`.
    pub fn list(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.values.iter().map(String::as_str).collect();
        for (_, child) in &self.children {
            out.extend(child.values.iter().map(String::as_str));
        }
        out
    }

    /// The direct children, in the order they first appeared.
    pub fn children(&self) -> impl Iterator<Item = (&str, &QueryNode)> {
        self.children.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether the node has neither values nor children.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.children.is_empty()
    }
}

/// `a[b][0][]` → `["a", "b", "0", ""]`; a key with an unbalanced bracket is kept whole.
fn split_key(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_owned()];
    };
    let (base, mut rest) = key.split_at(open);
    let mut segments = vec![base.to_owned()];
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return vec![key.to_owned()];
        };
        let Some(close) = inner.find(']') else {
            return vec![key.to_owned()];
        };
        segments.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
    }
    segments
}

/// Builds an `application/x-www-form-urlencoded` body with PHP-style nested keys.
#[derive(Debug, Default, Clone)]
pub struct FormBuilder {
    body: String,
}

impl FormBuilder {
    /// An empty body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `key=value`; `key` is already in bracket form, e.g. `leads[add][0][id]`.
    pub fn push(&mut self, key: &str, value: &str) -> &mut Self {
        if !self.body.is_empty() {
            self.body.push('&');
        }
        self.body
            .extend(form_urlencoded::byte_serialize(key.as_bytes()));
        self.body.push('=');
        self.body
            .extend(form_urlencoded::byte_serialize(value.as_bytes()));
        self
    }

    /// The encoded body.
    pub fn finish(self) -> String {
        self.body
    }
}

#[cfg(test)]
mod tests;
