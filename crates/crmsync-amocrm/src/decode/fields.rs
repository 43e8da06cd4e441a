//! Custom field values in every shape amoCRM sends: `{value}`, `{value, enum_id, enum_code}`, `{value, enum}`,
//! bare scalars (webhook dates), `values` as an object instead of an array, and `null`.

use crmsync_domain::crm::{CustomFieldValue, EnumId, FieldData, FieldId, FieldType, FieldValue};
use serde::Deserialize;
use serde_json::Value;

use crate::flex::{FlexI64, FlexList, FlexString};

/// A JSON value as field data; `null` (and an empty object) is no data.
pub(crate) fn field_data(value: &Value) -> Option<FieldData> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(FieldData::Bool(*b)),
        Value::Number(n) => Some(n.as_i64().map_or_else(
            || {
                n.as_f64()
                    .map_or_else(|| FieldData::Text(n.to_string()), FieldData::Float)
            },
            FieldData::Integer,
        )),
        Value::String(s) => Some(FieldData::Text(s.clone())),
        Value::Object(map) if map.is_empty() => None,
        other => Some(FieldData::Structured(other.clone())),
    }
}

fn enum_id(value: Option<&Value>) -> Option<EnumId> {
    match value? {
        Value::Number(n) => n.as_i64().map(EnumId),
        Value::String(s) => s.trim().parse().ok().map(EnumId),
        _ => None,
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One entry of `values`: an object with `value`/`enum_id`/`enum_code`/`enum`, or a bare scalar.
pub(crate) fn field_value(entry: &Value) -> FieldValue {
    let Value::Object(map) = entry else {
        return FieldValue {
            value: field_data(entry),
            ..FieldValue::default()
        };
    };
    let mut out = FieldValue {
        value: map.get("value").and_then(field_data),
        enum_id: enum_id(map.get("enum_id")),
        enum_code: text(map.get("enum_code")),
    };
    match map.get("enum") {
        Some(Value::Number(n)) if out.enum_id.is_none() => out.enum_id = n.as_i64().map(EnumId),
        Some(Value::String(s)) => {
            if let (None, Ok(id)) = (out.enum_id, s.trim().parse::<i64>()) {
                out.enum_id = Some(EnumId(id));
            } else if out.enum_code.is_none() && !s.is_empty() {
                out.enum_code = Some(s.clone());
            }
        }
        _ => {}
    }
    if out.value.is_none() && !map.contains_key("value") && !map.is_empty() {
        let rest: serde_json::Map<String, Value> = map
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "enum_id" | "enum_code" | "enum"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !rest.is_empty() {
            out.value = Some(FieldData::Structured(Value::Object(rest)));
        }
    }
    out
}

/// One element of `custom_fields_values` (API) or `custom_fields` (webhooks, legacy key names).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WireCustomField {
    field_id: FlexI64,
    id: FlexI64,
    field_code: FlexString,
    code: FlexString,
    field_name: FlexString,
    name: FlexString,
    field_type: FlexString,
    values: FlexList<Value>,
}

impl WireCustomField {
    pub(super) fn into_domain(self) -> CustomFieldValue {
        CustomFieldValue {
            field_id: self.field_id.0.or(self.id.0).map(FieldId),
            field_code: self.field_code.0.or(self.code.0).filter(|c| !c.is_empty()),
            field_name: self.field_name.0.or(self.name.0),
            field_type: self.field_type.0.map(|t| FieldType::from_api_name(&t)),
            values: self.values.0.iter().map(field_value).collect(),
        }
    }
}
