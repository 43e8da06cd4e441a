//! Identity attributes: the fields the platform defines per identity (student, teacher, staff, ...), a registry
//! of those definitions, and the validation of a user's values against it.
//!
//! The values of a user travel as one JSON object (`{"grade": 7, "class": "7B"}`); they are stored as such, in
//! one column, so a field the platform adds is a new registry row, never a new table column.
//!
//! Policy on keys the registry does not define for the user's identity: the user's values are rejected as a
//! whole ([`AttributeIssue::UnknownKey`]), like any other invalid value, so nothing the registry cannot
//! describe is ever stored. A `null` value counts as absent.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{OrgRecordError, UserStatus, check_identifier, check_name};

/// Longest attribute key accepted.
pub const MAX_ATTRIBUTE_KEY_LEN: usize = 64;
/// Longest text value accepted.
pub const MAX_TEXT_VALUE_LEN: usize = 1_000;

/// What values an attribute takes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "values", rename_all = "snake_case")]
pub enum AttributeKind {
    /// A JSON string of at most [`MAX_TEXT_VALUE_LEN`] characters.
    Text,
    /// A JSON number.
    Number,
    /// A JSON boolean.
    Bool,
    /// A calendar date as a JSON string `YYYY-MM-DD`.
    Date,
    /// One of the listed strings.
    Enum(Vec<String>),
}

impl AttributeKind {
    /// `text`, `number`, `bool`, `date` or `enum`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Bool => "bool",
            Self::Date => "date",
            Self::Enum(_) => "enum",
        }
    }

    /// The allowed values of an enum; empty for the other kinds.
    pub fn values(&self) -> &[String] {
        match self {
            Self::Enum(values) => values,
            _ => &[],
        }
    }

    /// The kind named `kind` (with `values` for an enum), or why it is not one.
    pub fn from_parts(kind: &str, values: Vec<String>) -> Result<Self, String> {
        match kind {
            "text" => Ok(Self::Text),
            "number" => Ok(Self::Number),
            "bool" => Ok(Self::Bool),
            "date" => Ok(Self::Date),
            "enum" => Ok(Self::Enum(values)),
            other => Err(format!(
                "is {other:?}, not one of text, number, bool, date, enum"
            )),
        }
    }

    /// Why `value` is not a value of this kind, if it is not.
    fn check(&self, value: &Value) -> Option<AttributeIssue> {
        let wrong = || {
            Some(AttributeIssue::WrongType {
                expected: self.as_str(),
                got: json_type(value),
            })
        };
        match (self, value) {
            (Self::Text, Value::String(text)) => (text.chars().count() > MAX_TEXT_VALUE_LEN)
                .then_some(AttributeIssue::TooLong {
                    max: MAX_TEXT_VALUE_LEN,
                }),
            (Self::Number, Value::Number(_)) | (Self::Bool, Value::Bool(_)) => None,
            (Self::Date, Value::String(text)) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .is_err()
                .then_some(AttributeIssue::NotADate),
            (Self::Enum(values), Value::String(text)) => {
                (!values.contains(text)).then(|| AttributeIssue::NotInEnum {
                    value: text.clone(),
                    allowed: values.clone(),
                })
            }
            _ => wrong(),
        }
    }
}

/// The JSON type of `value`, for messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One field the platform defines for an identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AttributeDef {
    /// The identity it belongs to, as the platform names it (`student`, `teacher`, `staff`).
    pub identity: String,
    /// Its key in a user's attributes object: ASCII letters, digits, `_` and `-`, at most
    /// [`MAX_ATTRIBUTE_KEY_LEN`] characters.
    pub key: String,
    /// Its display label.
    pub label: String,
    /// What values it takes.
    #[serde(flatten)]
    pub kind: AttributeKind,
    /// Whether every user of the identity must have a value.
    pub required: bool,
}

impl AttributeDef {
    /// Checks the identity, key, label and enum values.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        let id = format!("{}.{}", self.identity, self.key);
        check_identifier("attribute", &id, "identity", &self.identity)?;
        check_key(&id, &self.key)?;
        check_name("attribute", &id, "label", &self.label)?;
        if let AttributeKind::Enum(values) = &self.kind {
            if values.is_empty() {
                return Err(OrgRecordError::new(
                    "attribute",
                    &id,
                    "values",
                    "is empty (an enum needs at least one value)",
                ));
            }
            for value in values {
                check_name("attribute", &id, "values", value)?;
            }
        }
        Ok(())
    }
}

fn check_key(id: &str, key: &str) -> Result<(), OrgRecordError> {
    let acceptable = !key.is_empty()
        && key.len() <= MAX_ATTRIBUTE_KEY_LEN
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if acceptable {
        Ok(())
    } else {
        Err(OrgRecordError::new(
            "attribute",
            id,
            "key",
            format!(
                "must be 1 to {MAX_ATTRIBUTE_KEY_LEN} ASCII letters, digits, `_` or `-`, got {key:?}"
            ),
        ))
    }
}

/// `(identity, key)` of a definition.
pub type AttributeKey = (String, String);

/// The attribute definitions of every identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeRegistry {
    by_identity: BTreeMap<String, BTreeMap<String, AttributeDef>>,
}

impl AttributeRegistry {
    /// The registry of `definitions`; of two with the same identity and key the later wins.
    pub fn new(definitions: impl IntoIterator<Item = AttributeDef>) -> Self {
        let mut registry = Self::default();
        for definition in definitions {
            registry
                .by_identity
                .entry(definition.identity.clone())
                .or_default()
                .insert(definition.key.clone(), definition);
        }
        registry
    }

    /// The definition of `key` for `identity`.
    pub fn get(&self, identity: &str, key: &str) -> Option<&AttributeDef> {
        self.by_identity.get(identity)?.get(key)
    }

    /// Whether the registry knows `identity`.
    pub fn has_identity(&self, identity: &str) -> bool {
        self.by_identity.contains_key(identity)
    }

    /// Every definition, by identity then key.
    pub fn definitions(&self) -> impl Iterator<Item = &AttributeDef> {
        self.by_identity.values().flat_map(BTreeMap::values)
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.by_identity.values().map(BTreeMap::len).sum()
    }

    /// Whether there is no definition.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks `values` of a user of `identity`: every key defined for the identity, every value of its kind,
    /// every required field present. All problems are returned, in key order.
    pub fn validate(
        &self,
        identity: &str,
        values: &Map<String, Value>,
    ) -> Result<(), Vec<AttributeError>> {
        let error = |key: &str, issue| AttributeError {
            identity: identity.to_owned(),
            key: key.to_owned(),
            issue,
        };
        let Some(fields) = self.by_identity.get(identity) else {
            return Err(vec![error("", AttributeIssue::UnknownIdentity)]);
        };
        let mut errors = Vec::new();
        let mut keys: Vec<&String> = values.keys().collect();
        keys.sort();
        for key in keys {
            let value = &values[key];
            match fields.get(key) {
                None => errors.push(error(key, AttributeIssue::UnknownKey)),
                Some(_) if value.is_null() => {}
                Some(definition) => {
                    if let Some(issue) = definition.kind.check(value) {
                        errors.push(error(key, issue));
                    }
                }
            }
        }
        for (key, definition) in fields {
            let present = values.get(key).is_some_and(|v| !v.is_null());
            if definition.required && !present {
                errors.push(error(key, AttributeIssue::MissingRequired));
            }
        }
        errors.sort_by(|a, b| a.key.cmp(&b.key));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Why one value of a user is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum AttributeIssue {
    /// The registry defines no field for the user's identity (or the user has values but no identity).
    UnknownIdentity,
    /// The registry does not define this key for the identity.
    UnknownKey,
    /// A required field has no value.
    MissingRequired,
    /// The value is of another JSON type than the kind takes.
    WrongType {
        /// The field's kind.
        expected: &'static str,
        /// The JSON type received.
        got: &'static str,
    },
    /// A text longer than allowed.
    TooLong {
        /// The limit in characters.
        max: usize,
    },
    /// A date field whose string is not `YYYY-MM-DD` (the string is not repeated: a date may be personal).
    NotADate,
    /// An enum field whose value is not listed.
    NotInEnum {
        /// The value received.
        value: String,
        /// The values the field allows.
        allowed: Vec<String>,
    },
}

impl AttributeIssue {
    /// A short name of the reason, for counting: `unknown_key`, `wrong_type`, ...
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownIdentity => "unknown_identity",
            Self::UnknownKey => "unknown_key",
            Self::MissingRequired => "missing_required",
            Self::WrongType { .. } => "wrong_type",
            Self::TooLong { .. } => "too_long",
            Self::NotADate => "not_a_date",
            Self::NotInEnum { .. } => "not_in_enum",
        }
    }
}

impl fmt::Display for AttributeIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownIdentity => f.write_str("the identity defines no attributes"),
            Self::UnknownKey => f.write_str("is not defined for the identity"),
            Self::MissingRequired => f.write_str("is required but has no value"),
            Self::WrongType { expected, got } => write!(f, "must be a {expected}, got a {got}"),
            Self::TooLong { max } => write!(f, "is longer than {max} characters"),
            Self::NotADate => f.write_str("must be a date YYYY-MM-DD"),
            Self::NotInEnum { value, allowed } => {
                write!(f, "{value:?} is not one of {}", allowed.join(", "))
            }
        }
    }
}

/// One unacceptable value of a user: which identity, which key, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("identity {identity:?}, attribute `{key}`: {issue}")]
pub struct AttributeError {
    /// The user's identity.
    pub identity: String,
    /// The attribute key (empty when the identity itself is the problem).
    pub key: String,
    /// Why.
    pub issue: AttributeIssue,
}

/// A user's identity and attribute values as the platform lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAttributes {
    /// The user's login name.
    pub username: String,
    /// The identity (`student`, `teacher`, ...); `None` when the platform gives none.
    pub identity: Option<String>,
    /// The values, by key.
    pub attributes: Map<String, Value>,
    /// Active, disabled or deleted (a tombstone).
    pub status: UserStatus,
    /// When the platform last changed this user (milliseconds since the Unix epoch).
    pub updated_at: i64,
}

impl UserAttributes {
    /// Checks the username and identity.
    pub fn validate(&self) -> Result<(), OrgRecordError> {
        check_identifier("user", &self.username, "username", &self.username)?;
        if let Some(identity) = &self.identity {
            check_identifier("user", &self.username, "identity", identity)?;
        }
        Ok(())
    }
}

/// A user's identity and attribute values as stored (valid against the registry when written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAttributes {
    /// The user's login name.
    pub username: String,
    /// The identity.
    pub identity: String,
    /// The values, by key (no `null`s).
    pub attributes: Map<String, Value>,
}

impl StoredAttributes {
    /// `values` without its `null` entries, as they are stored.
    pub fn without_nulls(values: &Map<String, Value>) -> Map<String, Value> {
        values
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn def(identity: &str, key: &str, kind: AttributeKind, required: bool) -> AttributeDef {
        AttributeDef {
            identity: identity.into(),
            key: key.into(),
            label: key.to_uppercase(),
            kind,
            required,
        }
    }

    fn registry() -> AttributeRegistry {
        AttributeRegistry::new([
            def("student", "grade", AttributeKind::Number, true),
            def("student", "class", AttributeKind::Text, false),
            def("student", "boarder", AttributeKind::Bool, false),
            def("student", "enrolled", AttributeKind::Date, false),
            def(
                "teacher",
                "title",
                AttributeKind::Enum(vec!["lecturer".into(), "professor".into()]),
                true,
            ),
        ])
    }

    fn values(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// Identity, values, expected `(key, reason code)` errors.
    type Case = (&'static str, Value, &'static [(&'static str, &'static str)]);

    #[test]
    fn validation_table() {
        let registry = registry();
        let cases: &[Case] = &[
            ("student", json!({"grade": 7}), &[]),
            (
                "student",
                json!({"grade": 7, "class": "7B", "boarder": true, "enrolled": "2024-09-01"}),
                &[],
            ),
            ("student", json!({"grade": 7, "class": null}), &[]),
            ("student", json!({}), &[("grade", "missing_required")]),
            (
                "student",
                json!({"grade": null}),
                &[("grade", "missing_required")],
            ),
            ("student", json!({"grade": "7"}), &[("grade", "wrong_type")]),
            (
                "student",
                json!({"grade": 7, "boarder": "yes"}),
                &[("boarder", "wrong_type")],
            ),
            (
                "student",
                json!({"grade": 7, "enrolled": "2024-13-01"}),
                &[("enrolled", "not_a_date")],
            ),
            (
                "student",
                json!({"grade": 7, "enrolled": 20240901}),
                &[("enrolled", "wrong_type")],
            ),
            (
                "student",
                json!({"grade": 7, "nickname": "x"}),
                &[("nickname", "unknown_key")],
            ),
            (
                "student",
                json!({"class": ["7B"], "shoe": 40}),
                &[
                    ("class", "wrong_type"),
                    ("grade", "missing_required"),
                    ("shoe", "unknown_key"),
                ],
            ),
            ("teacher", json!({"title": "professor"}), &[]),
            (
                "teacher",
                json!({"title": "dean"}),
                &[("title", "not_in_enum")],
            ),
            ("teacher", json!({"title": 3}), &[("title", "wrong_type")]),
            ("alumnus", json!({}), &[("", "unknown_identity")]),
        ];
        for (identity, given, expected) in cases {
            let got: Vec<(String, &str)> = match registry.validate(identity, &values(given.clone()))
            {
                Ok(()) => Vec::new(),
                Err(errors) => errors
                    .iter()
                    .map(|e| {
                        assert_eq!(&e.identity, identity);
                        (e.key.clone(), e.issue.code())
                    })
                    .collect(),
            };
            let expected: Vec<(String, &str)> = expected
                .iter()
                .map(|(k, c)| ((*k).to_owned(), *c))
                .collect();
            assert_eq!(got, expected, "{identity} {given}");
        }
    }

    #[test]
    fn errors_name_identity_key_and_reason() {
        let errors = registry()
            .validate("teacher", &values(json!({"title": "dean"})))
            .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "identity \"teacher\", attribute `title`: \"dean\" is not one of lecturer, professor"
        );
        let text = "x".repeat(MAX_TEXT_VALUE_LEN + 1);
        let errors = registry()
            .validate("student", &values(json!({"grade": 1, "class": text})))
            .unwrap_err();
        assert_eq!(errors[0].issue, AttributeIssue::TooLong { max: 1_000 });
    }

    #[test]
    fn definitions_are_checked() {
        let good = def("student", "grade-2_b", AttributeKind::Number, false);
        assert!(good.validate().is_ok());
        let cases = [
            (def("student", "", AttributeKind::Text, false), "key"),
            (def("student", "a.b", AttributeKind::Text, false), "key"),
            (def("student", "\"x\"", AttributeKind::Text, false), "key"),
            (def("", "grade", AttributeKind::Text, false), "identity"),
            (
                def("student", "tier", AttributeKind::Enum(vec![]), false),
                "values",
            ),
            (
                def(
                    "student",
                    "tier",
                    AttributeKind::Enum(vec![" ".into()]),
                    false,
                ),
                "values",
            ),
            (
                AttributeDef {
                    label: String::new(),
                    ..good.clone()
                },
                "label",
            ),
        ];
        for (definition, field) in cases {
            let error = definition.validate().unwrap_err();
            assert_eq!(error.field, field, "{definition:?}");
        }
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [
            AttributeKind::Text,
            AttributeKind::Number,
            AttributeKind::Bool,
            AttributeKind::Date,
            AttributeKind::Enum(vec!["a".into()]),
        ] {
            let back = AttributeKind::from_parts(kind.as_str(), kind.values().to_vec()).unwrap();
            assert_eq!(back, kind);
        }
        assert!(AttributeKind::from_parts("colour", Vec::new()).is_err());
    }

    #[test]
    fn the_registry_keeps_the_last_definition_of_a_key() {
        let registry = AttributeRegistry::new([
            def("staff", "room", AttributeKind::Text, false),
            def("staff", "room", AttributeKind::Number, true),
        ]);
        assert_eq!(registry.len(), 1);
        assert_eq!(
            registry.get("staff", "room").map(|d| &d.kind),
            Some(&AttributeKind::Number)
        );
        assert!(registry.has_identity("staff"));
        assert!(!registry.has_identity("student"));
    }
}
