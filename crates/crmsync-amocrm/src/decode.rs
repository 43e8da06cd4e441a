//! Decoding amoCRM responses into domain values, tolerating the shapes the API really sends.
//!
//! Every field goes through a forgiving reader ([`crate::flex`]); only a missing entity id or a body that is
//! not JSON at all fails, and then with a [`CrmError::Decode`] whose snippet has every string value masked.

mod fields;
mod wire;

use crmsync_domain::crm::{
    Company, ComplexCreated, Contact, CustomFieldDefinition, EntityKind, Lead, Note, Pipeline, Task,
};
use crmsync_ports::CrmError;
use serde::de::DeserializeOwned;

pub(crate) use fields::field_value;

use crate::redact;

/// One decoded page: its items and the path and query of `_links.next`.
#[derive(Debug)]
pub(crate) struct DecodedPage<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next: Option<String>,
}

/// The id and request id of one written entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrittenItem {
    pub(crate) id: i64,
    pub(crate) request_ids: Vec<String>,
}

fn parse<T: DeserializeOwned>(context: &str, body: &[u8]) -> Result<T, CrmError> {
    serde_json::from_slice(body).map_err(|e| decode_error(context, body, &e))
}

/// A decode error for `body` with a masked snippet around the failure.
pub(crate) fn decode_error(context: &str, body: &[u8], error: &serde_json::Error) -> CrmError {
    let at = (error.line() > 0).then(|| redact::offset_of(body, error.line(), error.column()));
    let detail = match error.classify() {
        serde_json::error::Category::Io => "the body could not be read".to_owned(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!(
                "not valid JSON at line {} column {}",
                error.line(),
                error.column()
            )
        }
        serde_json::error::Category::Data => {
            let text = error.to_string();
            let cut = text.find(" at line ").map_or(text.as_str(), |i| &text[..i]);
            format!("unexpected shape: {}", redact::mask_strings(cut))
        }
    };
    CrmError::Decode {
        context: context.to_owned(),
        detail,
        snippet: redact::snippet(body, at),
    }
}

fn invalid(context: &str, body: &[u8], what: &str) -> CrmError {
    CrmError::Decode {
        context: context.to_owned(),
        detail: what.to_owned(),
        snippet: redact::snippet(body, None),
    }
}

/// Keeps only the path and query of a `_links` href, so a cursor can never send the token to another host.
pub(crate) fn local_path(href: &str) -> Option<String> {
    let rest = match href.find("://") {
        Some(scheme_end) => {
            let after = &href[scheme_end + 3..];
            &after[after.find('/')?..]
        }
        None => href,
    };
    rest.starts_with("/api/v4/").then(|| rest.to_owned())
}

fn page<E, T>(
    context: &str,
    body: &[u8],
    take: impl FnOnce(E) -> Vec<Result<T, String>>,
) -> Result<DecodedPage<T>, CrmError>
where
    E: DeserializeOwned + Default,
{
    let wire: wire::Page<E> = parse(context, body)?;
    let next = wire
        .links
        .0
        .next
        .and_then(|n| n.href.0)
        .and_then(|h| local_path(&h));
    let items = take(wire.embedded.0)
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|what| invalid(context, body, &what))?;
    Ok(DecodedPage { items, next })
}

/// A page of `GET /api/v4/leads`.
pub(crate) fn leads_page(body: &[u8]) -> Result<DecodedPage<Lead>, CrmError> {
    page("GET /api/v4/leads", body, |e: wire::LeadsEmbedded| {
        e.leads.0.into_iter().map(wire::Lead::into_domain).collect()
    })
}

/// A page of `GET /api/v4/contacts`.
pub(crate) fn contacts_page(body: &[u8]) -> Result<DecodedPage<Contact>, CrmError> {
    page("GET /api/v4/contacts", body, |e: wire::ContactsEmbedded| {
        e.contacts
            .0
            .into_iter()
            .map(wire::Contact::into_domain)
            .collect()
    })
}

/// A page of `GET /api/v4/companies`.
pub(crate) fn companies_page(body: &[u8]) -> Result<DecodedPage<Company>, CrmError> {
    page(
        "GET /api/v4/companies",
        body,
        |e: wire::CompaniesEmbedded| {
            e.companies
                .0
                .into_iter()
                .map(wire::Company::into_domain)
                .collect()
        },
    )
}

/// A page of `GET /api/v4/tasks`.
pub(crate) fn tasks_page(body: &[u8]) -> Result<DecodedPage<Task>, CrmError> {
    page("GET /api/v4/tasks", body, |e: wire::TasksEmbedded| {
        e.tasks.0.into_iter().map(wire::Task::into_domain).collect()
    })
}

/// `GET /api/v4/tasks/{id}`.
pub(crate) fn task(body: &[u8]) -> Result<Task, CrmError> {
    let context = "GET /api/v4/tasks/{id}";
    parse::<wire::Task>(context, body)?
        .into_domain()
        .map_err(|what| invalid(context, body, &what))
}

/// A page of `GET /api/v4/{kind}/notes`.
pub(crate) fn notes_page(kind: EntityKind, body: &[u8]) -> Result<DecodedPage<Note>, CrmError> {
    let context = format!("GET /api/v4/{}/notes", kind.api_name());
    page(&context, body, |e: wire::NotesEmbedded| {
        e.notes
            .0
            .into_iter()
            .map(|note| note.into_domain(kind))
            .collect()
    })
}

/// `GET /api/v4/leads/pipelines`.
pub(crate) fn pipelines(body: &[u8]) -> Result<DecodedPage<Pipeline>, CrmError> {
    page(
        "GET /api/v4/leads/pipelines",
        body,
        |e: wire::PipelinesEmbedded| {
            e.pipelines
                .0
                .into_iter()
                .map(wire::Pipeline::into_domain)
                .collect()
        },
    )
}

/// A page of `GET /api/v4/{entity}/custom_fields`.
pub(crate) fn custom_fields_page(
    kind: EntityKind,
    body: &[u8],
) -> Result<DecodedPage<CustomFieldDefinition>, CrmError> {
    page(
        "GET custom_fields",
        body,
        |e: wire::CustomFieldsEmbedded| {
            e.custom_fields
                .0
                .into_iter()
                .map(|f| f.into_domain(kind))
                .collect()
        },
    )
}

/// One entity of `GET /api/v4/leads/{id}`.
pub(crate) fn lead(body: &[u8]) -> Result<Lead, CrmError> {
    let context = "GET /api/v4/leads/{id}";
    parse::<wire::Lead>(context, body)?
        .into_domain()
        .map_err(|what| invalid(context, body, &what))
}

/// One entity of `GET /api/v4/contacts/{id}`.
pub(crate) fn contact(body: &[u8]) -> Result<Contact, CrmError> {
    let context = "GET /api/v4/contacts/{id}";
    parse::<wire::Contact>(context, body)?
        .into_domain()
        .map_err(|what| invalid(context, body, &what))
}

/// One entity of `GET /api/v4/companies/{id}`.
pub(crate) fn company(body: &[u8]) -> Result<Company, CrmError> {
    let context = "GET /api/v4/companies/{id}";
    parse::<wire::Company>(context, body)?
        .into_domain()
        .map_err(|what| invalid(context, body, &what))
}

/// The ids and request ids of a batch write answer (`_embedded.{key}[]`); a missing request id falls back to
/// the item's position in the chunk, as amoCRM itself does.
pub(crate) fn written(
    context: &str,
    key: &str,
    body: &[u8],
    sent_request_ids: &[String],
) -> Result<Vec<WrittenItem>, CrmError> {
    let wire: wire::Page<serde_json::Map<String, serde_json::Value>> = parse(context, body)?;
    let list = wire
        .embedded
        .0
        .get(key)
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let items: crate::flex::FlexList<wire::Written> =
        serde_json::from_value(list).map_err(|e| decode_error(context, body, &e))?;
    items
        .0
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let id = item
                .id
                .0
                .ok_or_else(|| invalid(context, body, "a written entity has no id"))?;
            let mut request_ids = wire::request_ids(&item.request_id);
            if request_ids.is_empty() {
                request_ids.extend(sent_request_ids.get(index).cloned());
            }
            Ok(WrittenItem { id, request_ids })
        })
        .collect()
}

/// The bare-array answer of `POST /api/v4/leads/complex` (a HAL envelope is accepted too).
pub(crate) fn complex_created(
    body: &[u8],
    sent_request_ids: &[String],
) -> Result<Vec<ComplexCreated>, CrmError> {
    let context = "POST /api/v4/leads/complex";
    let value: serde_json::Value = parse(context, body)?;
    let list = match value {
        serde_json::Value::Array(_) => value,
        serde_json::Value::Object(mut map) => map
            .remove("_embedded")
            .and_then(|mut e| e.get_mut("leads").map(serde_json::Value::take))
            .unwrap_or(serde_json::Value::Null),
        _ => return Err(invalid(context, body, "expected an array of created leads")),
    };
    let items: crate::flex::FlexList<wire::ComplexItem> =
        serde_json::from_value(list).map_err(|e| decode_error(context, body, &e))?;
    items
        .0
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            item.into_domain(sent_request_ids.get(index))
                .map_err(|what| invalid(context, body, &what))
        })
        .collect()
}

#[cfg(test)]
mod tests;
