//! Custom field values and definitions, addressed by field id or by field code (`PHONE`, `EMAIL`).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::{EnumId, FieldId};
use super::task::EntityKind;

/// Field code of the predefined contact/company phone field.
pub const PHONE: &str = "PHONE";
/// Field code of the predefined contact/company e-mail field.
pub const EMAIL: &str = "EMAIL";

/// The type of a custom field; types this crate does not know are kept by name in [`FieldType::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum FieldType {
    /// `text`.
    Text,
    /// `numeric`.
    Numeric,
    /// `checkbox`.
    Checkbox,
    /// `select`.
    Select,
    /// `multiselect`.
    Multiselect,
    /// `multitext` (phones, e-mails).
    Multitext,
    /// `date`.
    Date,
    /// `url`.
    Url,
    /// `textarea`.
    Textarea,
    /// `radiobutton`.
    Radiobutton,
    /// `streetaddress`.
    StreetAddress,
    /// `smart_address`.
    SmartAddress,
    /// `birthday`.
    Birthday,
    /// `legal_entity`.
    LegalEntity,
    /// `date_time`.
    DateTime,
    /// `price`.
    Price,
    /// `category`.
    Category,
    /// `file`.
    File,
    /// `chained_list`.
    ChainedList,
    /// `tracking_data`.
    TrackingData,
    /// `linked_entity`.
    LinkedEntity,
    /// `monetary`.
    Monetary,
    /// A type this version does not know, by its API name.
    Other(String),
}

const FIELD_TYPE_NAMES: &[(&str, FieldType)] = &[
    ("text", FieldType::Text),
    ("numeric", FieldType::Numeric),
    ("checkbox", FieldType::Checkbox),
    ("select", FieldType::Select),
    ("multiselect", FieldType::Multiselect),
    ("multitext", FieldType::Multitext),
    ("date", FieldType::Date),
    ("url", FieldType::Url),
    ("textarea", FieldType::Textarea),
    ("radiobutton", FieldType::Radiobutton),
    ("streetaddress", FieldType::StreetAddress),
    ("smart_address", FieldType::SmartAddress),
    ("birthday", FieldType::Birthday),
    ("legal_entity", FieldType::LegalEntity),
    ("date_time", FieldType::DateTime),
    ("price", FieldType::Price),
    ("category", FieldType::Category),
    ("file", FieldType::File),
    ("chained_list", FieldType::ChainedList),
    ("tracking_data", FieldType::TrackingData),
    ("linked_entity", FieldType::LinkedEntity),
    ("monetary", FieldType::Monetary),
];

impl FieldType {
    /// The type named `name` by the API; unknown names become [`FieldType::Other`].
    pub fn from_api_name(name: &str) -> Self {
        FIELD_TYPE_NAMES
            .iter()
            .find(|(known, _)| *known == name)
            .map_or_else(|| Self::Other(name.to_owned()), |(_, t)| t.clone())
    }

    /// The API name of the type.
    pub fn api_name(&self) -> &str {
        match self {
            Self::Other(name) => name,
            known => FIELD_TYPE_NAMES
                .iter()
                .find(|(_, t)| t == known)
                .map_or("", |(name, _)| name),
        }
    }
}

impl From<String> for FieldType {
    fn from(name: String) -> Self {
        Self::from_api_name(&name)
    }
}

impl From<FieldType> for String {
    fn from(field_type: FieldType) -> Self {
        field_type.api_name().to_owned()
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

/// The payload of one field value: text, a number, a flag, or a structured value (addresses, legal entities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldData {
    /// A flag (checkbox).
    Bool(bool),
    /// A whole number (numeric fields, unix dates).
    Integer(i64),
    /// A fractional number.
    Float(f64),
    /// Text, including numbers and dates the API sent as strings.
    Text(String),
    /// Anything else, kept as JSON.
    Structured(serde_json::Value),
}

impl FieldData {
    /// The value as text: text as is, numbers and flags rendered; `None` for structured values.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Self::Text(text) => Some(Cow::Borrowed(text)),
            Self::Integer(n) => Some(Cow::Owned(n.to_string())),
            Self::Float(n) => Some(Cow::Owned(n.to_string())),
            Self::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Self::Structured(_) => None,
        }
    }

    /// The value as a whole number, parsing text such as `"1729717200"`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(n) => Some(*n),
            Self::Text(text) => text.trim().parse().ok(),
            #[allow(clippy::cast_possible_truncation)]
            Self::Float(n) if n.fract() == 0.0 && n.abs() < 9.0e18 => Some(*n as i64),
            _ => None,
        }
    }

    /// The value as a flag: `true`, `1`, `"1"`, `"true"`, `"Y"`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::Integer(n) => Some(*n != 0),
            Self::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "y" | "yes" | "on" => Some(true),
                "0" | "false" | "n" | "no" | "off" | "" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

/// One value of a custom field: a payload and, for enumerated fields, the chosen option.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FieldValue {
    /// The payload; `None` when only an option was chosen by id or code.
    pub value: Option<FieldData>,
    /// The chosen option's id (select, multiselect, radiobutton, multitext).
    pub enum_id: Option<EnumId>,
    /// The chosen option's code, such as `WORK` or `MOB` for phones.
    pub enum_code: Option<String>,
}

impl FieldValue {
    /// A text value.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            value: Some(FieldData::Text(text.into())),
            ..Self::default()
        }
    }

    /// A numeric value.
    pub fn integer(n: i64) -> Self {
        Self {
            value: Some(FieldData::Integer(n)),
            ..Self::default()
        }
    }

    /// A checkbox value.
    pub fn flag(b: bool) -> Self {
        Self {
            value: Some(FieldData::Bool(b)),
            ..Self::default()
        }
    }

    /// An option chosen by id.
    pub fn option(enum_id: EnumId) -> Self {
        Self {
            enum_id: Some(enum_id),
            ..Self::default()
        }
    }

    /// A text value tagged with an option code, such as a phone with `WORK`.
    pub fn coded(text: impl Into<String>, enum_code: impl Into<String>) -> Self {
        Self {
            value: Some(FieldData::Text(text.into())),
            enum_id: None,
            enum_code: Some(enum_code.into()),
        }
    }

    /// The payload as text (see [`FieldData::as_text`]).
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        self.value.as_ref().and_then(FieldData::as_text)
    }
}

/// The values of one custom field on one entity.
///
/// A field is addressed by `field_id` or `field_code` (at least one must be set when writing). In a write, an
/// empty `values` clears the field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CustomFieldValue {
    /// The field's id.
    pub field_id: Option<FieldId>,
    /// The field's code (`PHONE`, `EMAIL`, or a code set by an integration).
    pub field_code: Option<String>,
    /// The field's name, as read (ignored when writing).
    pub field_name: Option<String>,
    /// The field's type, as read (ignored when writing).
    pub field_type: Option<FieldType>,
    /// The values, in order.
    pub values: Vec<FieldValue>,
}

impl CustomFieldValue {
    /// Values of the field with id `field_id`.
    pub fn by_id(field_id: FieldId, values: Vec<FieldValue>) -> Self {
        Self {
            field_id: Some(field_id),
            values,
            ..Self::default()
        }
    }

    /// Values of the field with code `code`.
    pub fn by_code(code: impl Into<String>, values: Vec<FieldValue>) -> Self {
        Self {
            field_code: Some(code.into()),
            values,
            ..Self::default()
        }
    }

    /// One text value of field `field_id`.
    pub fn text(field_id: FieldId, text: impl Into<String>) -> Self {
        Self::by_id(field_id, vec![FieldValue::text(text)])
    }

    /// Clears field `field_id` (a write with no values).
    pub fn clear(field_id: FieldId) -> Self {
        Self::by_id(field_id, Vec::new())
    }

    /// One phone number in the predefined `PHONE` field, tagged `WORK`.
    pub fn phone(number: impl Into<String>) -> Self {
        Self::by_code(PHONE, vec![FieldValue::coded(number, "WORK")])
    }

    /// One address in the predefined `EMAIL` field, tagged `WORK`.
    pub fn email(address: impl Into<String>) -> Self {
        Self::by_code(EMAIL, vec![FieldValue::coded(address, "WORK")])
    }

    /// Whether this is the field `field_id`.
    pub fn is_field(&self, field_id: FieldId) -> bool {
        self.field_id == Some(field_id)
    }

    /// Whether this field has code `code` (case-insensitive).
    pub fn has_code(&self, code: &str) -> bool {
        self.field_code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(code))
    }

    /// The first value as text.
    pub fn first_text(&self) -> Option<Cow<'_, str>> {
        self.values.iter().find_map(FieldValue::as_text)
    }
}

/// All custom field values of an entity, with look-ups by id and code.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomFields(pub Vec<CustomFieldValue>);

impl CustomFields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// The field with id `field_id`.
    pub fn by_id(&self, field_id: FieldId) -> Option<&CustomFieldValue> {
        self.0.iter().find(|f| f.is_field(field_id))
    }

    /// The first field with code `code` (case-insensitive).
    pub fn by_code(&self, code: &str) -> Option<&CustomFieldValue> {
        self.0.iter().find(|f| f.has_code(code))
    }

    /// The first value of field `field_id` as trimmed, non-empty text.
    pub fn text(&self, field_id: FieldId) -> Option<String> {
        self.by_id(field_id)
            .and_then(CustomFieldValue::first_text)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    /// Every value of every field with code `code`, as text.
    pub fn texts_by_code(&self, code: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|f| f.has_code(code))
            .flat_map(|f| f.values.iter())
            .filter_map(|v| v.as_text().map(Cow::into_owned))
            .collect()
    }

    /// The phone numbers (field code `PHONE`) as written in the CRM.
    pub fn phones(&self) -> Vec<String> {
        self.texts_by_code(PHONE)
    }

    /// The e-mail addresses (field code `EMAIL`).
    pub fn emails(&self) -> Vec<String> {
        self.texts_by_code(EMAIL)
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The fields in order.
    pub fn iter(&self) -> std::slice::Iter<'_, CustomFieldValue> {
        self.0.iter()
    }
}

impl From<Vec<CustomFieldValue>> for CustomFields {
    fn from(fields: Vec<CustomFieldValue>) -> Self {
        Self(fields)
    }
}

impl<'a> IntoIterator for &'a CustomFields {
    type Item = &'a CustomFieldValue;
    type IntoIter = std::slice::Iter<'a, CustomFieldValue>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// One option of an enumerated field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldEnum {
    /// The option's id.
    pub id: EnumId,
    /// Its label. For the predefined phone and email fields this is the option's code (`WORK`, `MOB`, `PRIV`...),
    /// the string a value's `enum_code` names.
    pub value: String,
    /// Display order.
    pub sort: i64,
    /// The optional `code` key of an option in the field's `enums`, kept when amoCRM sends one (fields created
    /// with option codes through the API). Real phone and email options never fill it: their `WORK`/`MOB`...
    /// is in [`value`](Self::value), so match a value's `enum_code` against `value` there.
    pub code: Option<String>,
}

/// A custom field as configured in the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldDefinition {
    /// The field's id.
    pub id: FieldId,
    /// Its name.
    pub name: String,
    /// Its code, if any.
    pub code: Option<String>,
    /// Its type.
    pub field_type: FieldType,
    /// Which entity it belongs to.
    pub entity: EntityKind,
    /// Display order.
    pub sort: i64,
    /// Whether only the API may change it.
    pub is_api_only: bool,
    /// The options of an enumerated field.
    pub enums: Vec<FieldEnum>,
}
