//! Reading request bodies field by field, collecting amoCRM-style validation errors with their paths.

use serde_json::{Map, Value};

/// One validation error: `{"code": ..., "path": ..., "detail": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) code: &'static str,
    pub(crate) path: String,
    pub(crate) detail: String,
}

/// The errors of one request item.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    pub(crate) list: Vec<FieldError>,
}

impl Errors {
    pub(crate) fn push(
        &mut self,
        code: &'static str,
        path: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.list.push(FieldError {
            code,
            path: path.into(),
            detail: detail.into(),
        });
    }

    pub(crate) fn invalid_type(&mut self, path: impl Into<String>, type_name: &str) {
        self.push(
            "InvalidType",
            path,
            format!("This value should be of type {type_name}."),
        );
    }

    pub(crate) fn choice(&mut self, path: impl Into<String>) {
        self.push(
            "NotSupportedChoice",
            path,
            "The value you selected is not a valid choice.",
        );
    }

    pub(crate) fn missing(&mut self, path: impl Into<String>) {
        self.push("FieldMissing", path, "This field is missing.");
    }

    pub(crate) fn not_found(&mut self, path: impl Into<String>, what: &str) {
        self.push("NotFound", path, format!("{what} not found."));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// `prefix.key`, or `key` when the prefix is empty.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// An object being read, with the path prefix of its fields.
pub(crate) struct Reader<'a> {
    pub(crate) obj: &'a Map<String, Value>,
    pub(crate) prefix: String,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(obj: &'a Map<String, Value>, prefix: impl Into<String>) -> Self {
        Self {
            obj,
            prefix: prefix.into(),
        }
    }

    pub(crate) fn path(&self, key: &str) -> String {
        join(&self.prefix, key)
    }

    pub(crate) fn raw(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn has_null(&self, key: &str) -> bool {
        self.obj.get(key).is_some_and(Value::is_null)
    }

    /// An integer field; strings and fractions are type errors.
    pub(crate) fn int(&self, key: &str, errors: &mut Errors) -> Option<i64> {
        let value = self.raw(key)?;
        match value.as_i64() {
            Some(n) => Some(n),
            None => {
                errors.invalid_type(self.path(key), "int");
                None
            }
        }
    }

    /// An integer field where an explicit `null` means "clear": `Some(None)`.
    pub(crate) fn nullable_int(&self, key: &str, errors: &mut Errors) -> Option<Option<i64>> {
        if self.has_null(key) {
            return Some(None);
        }
        self.int(key, errors).map(Some)
    }

    /// A number field (integer or float).
    pub(crate) fn number(&self, key: &str, errors: &mut Errors) -> Option<f64> {
        let value = self.raw(key)?;
        match value.as_f64() {
            Some(n) if n.is_finite() => Some(n),
            _ => {
                errors.invalid_type(self.path(key), "int");
                None
            }
        }
    }

    pub(crate) fn string(&self, key: &str, errors: &mut Errors) -> Option<String> {
        let value = self.raw(key)?;
        match value.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                errors.invalid_type(self.path(key), "string");
                None
            }
        }
    }

    pub(crate) fn boolean(&self, key: &str, errors: &mut Errors) -> Option<bool> {
        let value = self.raw(key)?;
        match value.as_bool() {
            Some(b) => Some(b),
            None => {
                errors.invalid_type(self.path(key), "bool");
                None
            }
        }
    }

    pub(crate) fn array(&self, key: &str, errors: &mut Errors) -> Option<&'a Vec<Value>> {
        let value = self.raw(key)?;
        match value.as_array() {
            Some(items) => Some(items),
            None => {
                errors.invalid_type(self.path(key), "array");
                None
            }
        }
    }

    pub(crate) fn object(&self, key: &str, errors: &mut Errors) -> Option<&'a Map<String, Value>> {
        let value = self.raw(key)?;
        match value.as_object() {
            Some(obj) => Some(obj),
            None => {
                errors.invalid_type(self.path(key), "array");
                None
            }
        }
    }
}

/// The `request_id` of a batch item: the given string (numbers are stringified), else the item's index.
pub(crate) fn request_id(item: &Value, index: usize) -> String {
    match item.get("request_id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => index.to_string(),
    }
}
