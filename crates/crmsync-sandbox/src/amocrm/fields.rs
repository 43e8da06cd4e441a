//! Custom field values: validating and normalising `custom_fields_values` input, rendering and searching it.

use serde_json::{Map, Value, json};

use super::fixture::{CustomFieldDef, EnumDef};
use super::input::{Errors, Reader};
use super::model::FieldValues;

/// A change to one field: new values, or `None` to clear it.
#[derive(Debug, Clone)]
pub(crate) struct FieldPatch {
    pub(crate) field_id: i64,
    pub(crate) values: Option<Vec<Value>>,
}

/// Reads `custom_fields_values` (already known to be an array) against the entity type's definitions.
pub(crate) fn parse_field_values(
    items: &[Value],
    defs: &[CustomFieldDef],
    prefix: &str,
    errors: &mut Errors,
) -> Vec<FieldPatch> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{prefix}.{i}");
        let Some(obj) = item.as_object() else {
            errors.invalid_type(path, "array");
            continue;
        };
        let reader = Reader::new(obj, path.clone());
        let def = if let Some(id) = reader.int("field_id", errors) {
            let found = defs.iter().find(|d| d.id == id);
            if found.is_none() {
                errors.choice(reader.path("field_id"));
            }
            found
        } else if let Some(code) = reader.string("field_code", errors) {
            let found = defs.iter().find(|d| {
                d.code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(&code))
            });
            if found.is_none() {
                errors.choice(reader.path("field_code"));
            }
            found
        } else {
            if !obj.contains_key("field_id") && !obj.contains_key("field_code") {
                errors.missing(reader.path("field_id"));
            }
            None
        };
        let Some(def) = def else { continue };
        if reader.has_null("values") || !obj.contains_key("values") {
            out.push(FieldPatch {
                field_id: def.id,
                values: None,
            });
            continue;
        }
        let Some(values) = reader.array("values", errors) else {
            continue;
        };
        let mut normalised = Vec::with_capacity(values.len());
        for (j, value) in values.iter().enumerate() {
            let vpath = format!("{path}.values.{j}");
            if let Some(v) = normalise_value(def, value, &vpath, errors) {
                normalised.push(v);
            }
        }
        out.push(FieldPatch {
            field_id: def.id,
            values: if normalised.is_empty() {
                None
            } else {
                Some(normalised)
            },
        });
    }
    out
}

fn normalise_value(
    def: &CustomFieldDef,
    value: &Value,
    path: &str,
    errors: &mut Errors,
) -> Option<Value> {
    let bare;
    let obj: &Map<String, Value> = match value {
        Value::Object(obj) => obj,
        Value::String(_) | Value::Number(_) | Value::Bool(_)
            if matches!(def.field_type.as_str(), "date" | "date_time" | "birthday") =>
        {
            bare = Map::from_iter([("value".to_owned(), value.clone())]);
            &bare
        }
        _ => {
            errors.invalid_type(path, "array");
            return None;
        }
    };
    let reader = Reader::new(obj, path);
    let raw = reader.raw("value");
    match def.field_type.as_str() {
        "text" | "textarea" | "url" | "streetaddress" | "tracking_data" => match raw {
            Some(Value::String(s)) => Some(json!({ "value": s })),
            Some(Value::Number(n)) => Some(json!({ "value": n.to_string() })),
            Some(_) => {
                errors.invalid_type(reader.path("value"), "string");
                None
            }
            None => {
                errors.missing(reader.path("value"));
                None
            }
        },
        "numeric" | "price" | "monetary" => {
            let number = match raw {
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(Value::String(s)) if s.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
                    Some(s.trim().to_owned())
                }
                None => {
                    errors.missing(reader.path("value"));
                    return None;
                }
                Some(_) => None,
            };
            if number.is_none() {
                errors.invalid_type(reader.path("value"), "numeric");
            }
            number.map(|n| json!({ "value": n }))
        }
        "checkbox" => match raw {
            Some(Value::Bool(b)) => Some(json!({ "value": b })),
            Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n == 0 || n == 1) => {
                Some(json!({ "value": n.as_i64() == Some(1) }))
            }
            _ => {
                errors.invalid_type(reader.path("value"), "bool");
                None
            }
        },
        "date" | "date_time" | "birthday" => match raw.and_then(parse_date) {
            Some(ts) => Some(json!({ "value": ts })),
            None => {
                errors.invalid_type(reader.path("value"), "date");
                None
            }
        },
        "select" | "radiobutton" | "multiselect" | "category" => {
            let found = find_enum(def, &reader, errors, false)?;
            Some(json!({ "value": found.value, "enum_id": found.id }))
        }
        "multitext" => {
            let text = match raw {
                Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(_) => {
                    errors.invalid_type(reader.path("value"), "string");
                    return None;
                }
                None => {
                    errors.missing(reader.path("value"));
                    return None;
                }
            };
            let found = find_enum(def, &reader, errors, true)?;
            Some(json!({ "value": text, "enum_id": found.id, "enum_code": found.value }))
        }
        _ => Some(Value::Object(obj.clone())),
    }
}

/// The enum a value names through `enum_id`, `enum_code`/`enum`, or (for choice fields) `value`.
/// Multitext values without any enum get the field's first enum (WORK).
fn find_enum<'d>(
    def: &'d CustomFieldDef,
    reader: &Reader<'_>,
    errors: &mut Errors,
    multitext: bool,
) -> Option<&'d EnumDef> {
    let enums: &[EnumDef] = def.enums.as_deref().unwrap_or(&[]);
    if let Some(id) = reader.int("enum_id", errors) {
        let found = enums.iter().find(|e| e.id == id);
        if found.is_none() {
            errors.choice(reader.path("enum_id"));
        }
        return found;
    }
    for key in ["enum_code", "enum"] {
        if let Some(code) = reader.raw(key).and_then(Value::as_str) {
            let found = enums.iter().find(|e| e.value.eq_ignore_ascii_case(code));
            if found.is_none() {
                errors.choice(reader.path(key));
            }
            return found;
        }
    }
    if multitext {
        let found = enums.first();
        if found.is_none() {
            errors.choice(reader.path("enum_code"));
        }
        return found;
    }
    let text = match reader.raw("value") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            errors.missing(reader.path("value"));
            return None;
        }
    };
    let found = enums.iter().find(|e| e.value == text);
    if found.is_none() {
        errors.choice(reader.path("value"));
    }
    found
}

/// Unix seconds from an integer, a digit string, `YYYY-MM-DD` or RFC 3339.
fn parse_date(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<i64>() {
                return Some(n);
            }
            if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
                return Some(dt.timestamp());
            }
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp())
        }
        _ => None,
    }
}

/// Applies patches: each named field is replaced or removed; other fields stay.
pub(crate) fn apply_field_patches(current: &mut Vec<FieldValues>, patches: &[FieldPatch]) {
    for patch in patches {
        current.retain(|f| f.field_id != patch.field_id);
        if let Some(values) = &patch.values {
            current.push(FieldValues {
                field_id: patch.field_id,
                values: values.clone(),
            });
        }
    }
}

/// `custom_fields_values` as amoCRM renders it: `null` when empty.
pub(crate) fn render_fields(fields: &[FieldValues], defs: &[CustomFieldDef]) -> Value {
    if fields.is_empty() {
        return Value::Null;
    }
    let mut ordered: Vec<&FieldValues> = fields.iter().collect();
    ordered.sort_by_key(|f| {
        defs.iter()
            .position(|d| d.id == f.field_id)
            .unwrap_or(usize::MAX)
    });
    Value::Array(
        ordered
            .into_iter()
            .map(|f| {
                let def = defs.iter().find(|d| d.id == f.field_id);
                json!({
                    "field_id": f.field_id,
                    "field_name": def.map(|d| d.name.as_str()),
                    "field_code": def.and_then(|d| d.code.as_deref()),
                    "field_type": def.map(|d| d.field_type.as_str()),
                    "values": f.values,
                })
            })
            .collect(),
    )
}

/// The text of every value (for `query` search and webhooks).
pub(crate) fn value_texts(fields: &[FieldValues]) -> impl Iterator<Item = String> + '_ {
    fields
        .iter()
        .flat_map(|f| f.values.iter())
        .filter_map(|v| match v.get("value") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(if *b { "1" } else { "0" }.to_owned()),
            _ => None,
        })
}
