//! Request bodies: a JSON object read field by field, each error naming its field in the reader's language.

use axum::body::Bytes;
use crmsync_domain::ProcessId;
use crmsync_domain::coupon::SettingsDraft;
use serde_json::{Map, Value};

use super::ApiError;
use crate::i18n::{Lang, args};

/// A request body: a JSON object whose fields are read one by one, each error naming its field.
pub(super) struct Fields {
    map: Map<String, Value>,
    lang: Lang,
}

impl Fields {
    pub(super) fn parse(lang: Lang, body: &Bytes, allowed: &[&str]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self {
                map: Map::new(),
                lang,
            });
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(lang, "body", "error-body-not-json", args!["reason" => e])
        })?;
        let Value::Object(map) = value else {
            return Err(ApiError::bad_request(
                lang,
                "body",
                "error-body-not-object",
                &[],
            ));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::bad_request(
                lang,
                unknown,
                "error-unknown-field",
                args!["allowed" => allowed.join(", ")],
            ));
        }
        Ok(Self { map, lang })
    }

    pub(super) fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub(super) fn wrong(&self, name: &str, key: &str) -> ApiError {
        ApiError::bad_request(self.lang, name, key, &[])
    }

    pub(super) fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(name, "error-must-be-string")),
        }
    }

    pub(super) fn text_or_number(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            _ => self.string(name),
        }
    }

    pub(super) fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.wrong(name, "error-must-be-number")),
        }
    }

    pub(super) fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(name, "error-must-be-flag")),
        }
    }

    pub(super) fn strings(&self, name: &str) -> Result<Vec<String>, ApiError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.wrong(name, "error-must-be-strings"))
                })
                .collect(),
            Some(_) => Err(self.wrong(name, "error-must-be-strings")),
        }
    }

    pub(super) fn template_draft(&self) -> Result<SettingsDraft, ApiError> {
        Ok(SettingsDraft {
            template: self.string("template")?,
            case: self.string("case")?,
            exclude_lookalikes: self.flag("exclude_lookalikes")?,
            placeholders: self.strings("placeholders")?,
            ..SettingsDraft::default()
        })
    }
}

/// The fields of a preview or a capacity check: the template's and `count`.
pub(super) const PREVIEW_FIELDS: [&str; 5] = [
    "template",
    "case",
    "exclude_lookalikes",
    "placeholders",
    "count",
];
pub(super) const START_FIELDS: [&str; 13] = [
    "template",
    "case",
    "exclude_lookalikes",
    "placeholders",
    "count",
    "discount_id",
    "type",
    "active",
    "active_from",
    "active_to",
    "max_uses",
    "user_id",
    "description",
];

/// The `{id}` of a path.
pub(super) fn process_id(lang: Lang, raw: &str) -> Result<ProcessId, ApiError> {
    raw.parse::<ProcessId>()
        .ok()
        .filter(|id| id.0 > 0)
        .ok_or_else(|| ApiError::bad_request(lang, "id", "error-bad-id", args!["value" => raw]))
}
