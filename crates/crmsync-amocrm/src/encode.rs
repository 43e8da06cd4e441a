//! Request bodies: domain inputs as amoCRM v4 JSON, checked before anything is sent.

use crmsync_domain::crm::{
    CompanyUpdate, ComplexLead, ContactUpdate, CustomFieldValue, FieldData, FieldValue, LeadUpdate,
    NewCompany, NewContact, NewLead, NewNote, NewTask, NoteContent, Price, Tag,
};
use crmsync_ports::CrmError;
use serde_json::{Map, Value, json};

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> CrmError {
    CrmError::InvalidInput {
        field: field.into(),
        reason: reason.into(),
    }
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), value);
    }
}

fn data(value: &FieldData) -> Value {
    match value {
        FieldData::Bool(b) => Value::Bool(*b),
        FieldData::Integer(n) => json!(n),
        FieldData::Float(n) => json!(n),
        FieldData::Text(t) => Value::String(t.clone()),
        FieldData::Structured(v) => v.clone(),
    }
}

fn field_value(value: &FieldValue) -> Value {
    let mut map = Map::new();
    put(&mut map, "value", value.value.as_ref().map(data));
    put(&mut map, "enum_id", value.enum_id.map(|id| json!(id.0)));
    put(
        &mut map,
        "enum_code",
        value.enum_code.clone().map(Value::String),
    );
    Value::Object(map)
}

/// `custom_fields_values`; a field with no values is sent as `"values": null`, which clears it.
pub(crate) fn custom_fields(
    fields: &[CustomFieldValue],
    at: &str,
) -> Result<Option<Value>, CrmError> {
    if fields.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(fields.len());
    for (i, field) in fields.iter().enumerate() {
        let mut map = Map::new();
        match (field.field_id, field.field_code.as_deref()) {
            (Some(id), _) => {
                map.insert("field_id".into(), json!(id.0));
            }
            (None, Some(code)) if !code.trim().is_empty() => {
                map.insert("field_code".into(), Value::String(code.to_owned()));
            }
            _ => {
                return Err(invalid(
                    format!("{at}.custom_fields[{i}]"),
                    "a custom field needs a field_id or a field_code",
                ));
            }
        }
        let values = if field.values.is_empty() {
            Value::Null
        } else {
            Value::Array(field.values.iter().map(field_value).collect())
        };
        map.insert("values".into(), values);
        out.push(Value::Object(map));
    }
    Ok(Some(Value::Array(out)))
}

fn price(price: Price) -> Value {
    if price.is_whole() {
        json!(price.units())
    } else {
        json!(price.as_decimal())
    }
}

fn tags(tags: &[Tag], at: &str) -> Result<Option<Value>, CrmError> {
    if tags.is_empty() {
        return Ok(None);
    }
    tags.iter()
        .enumerate()
        .map(|(i, tag)| match (tag.id, tag.name.as_deref()) {
            (Some(id), _) => Ok(json!({ "id": id.0 })),
            (None, Some(name)) if !name.trim().is_empty() => Ok(json!({ "name": name })),
            _ => Err(invalid(
                format!("{at}.tags[{i}]"),
                "a tag needs an id or a name",
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|list| Some(Value::Array(list)))
}

fn text(value: Option<&String>) -> Option<Value> {
    value.map(|t| Value::String(t.clone()))
}

/// A new lead, without its request id (the batch layer adds it).
pub(crate) fn new_lead(lead: &NewLead, at: &str) -> Result<Map<String, Value>, CrmError> {
    let mut map = Map::new();
    put(&mut map, "name", text(lead.name.as_ref()));
    put(&mut map, "price", lead.price.map(price));
    put(
        &mut map,
        "pipeline_id",
        lead.pipeline_id.map(|id| json!(id.0)),
    );
    put(&mut map, "status_id", lead.status_id.map(|id| json!(id.0)));
    put(
        &mut map,
        "responsible_user_id",
        lead.responsible_user_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "custom_fields_values",
        custom_fields(&lead.custom_fields, at)?,
    );
    let mut embedded = Map::new();
    put(&mut embedded, "tags", tags(&lead.tags, at)?);
    if !lead.contacts.is_empty() {
        embedded.insert(
            "contacts".into(),
            Value::Array(
                lead.contacts
                    .iter()
                    .map(|c| json!({ "id": c.id.0, "is_main": c.is_main }))
                    .collect(),
            ),
        );
    }
    if !lead.companies.is_empty() {
        embedded.insert(
            "companies".into(),
            Value::Array(
                lead.companies
                    .iter()
                    .map(|c| json!({ "id": c.0 }))
                    .collect(),
            ),
        );
    }
    if !embedded.is_empty() {
        map.insert("_embedded".into(), Value::Object(embedded));
    }
    Ok(map)
}

/// Changes to a lead.
pub(crate) fn lead_update(update: &LeadUpdate, at: &str) -> Result<Value, CrmError> {
    let mut map = Map::new();
    map.insert("id".into(), json!(update.id.0));
    put(&mut map, "name", text(update.name.as_ref()));
    put(&mut map, "price", update.price.map(price));
    put(
        &mut map,
        "pipeline_id",
        update.pipeline_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "status_id",
        update.status_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "responsible_user_id",
        update.responsible_user_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "custom_fields_values",
        custom_fields(&update.custom_fields, at)?,
    );
    put(&mut map, "tags_to_add", tags(&update.tags_to_add, at)?);
    put(
        &mut map,
        "tags_to_delete",
        tags(&update.tags_to_delete, at)?,
    );
    Ok(Value::Object(map))
}

/// A new contact, without its request id.
pub(crate) fn new_contact(contact: &NewContact, at: &str) -> Result<Map<String, Value>, CrmError> {
    let mut map = Map::new();
    put(&mut map, "name", text(contact.name.as_ref()));
    put(&mut map, "first_name", text(contact.first_name.as_ref()));
    put(&mut map, "last_name", text(contact.last_name.as_ref()));
    put(
        &mut map,
        "responsible_user_id",
        contact.responsible_user_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "custom_fields_values",
        custom_fields(&contact.custom_fields, at)?,
    );
    if let Some(tags) = tags(&contact.tags, at)? {
        map.insert("_embedded".into(), json!({ "tags": tags }));
    }
    Ok(map)
}

/// Changes to a contact.
pub(crate) fn contact_update(update: &ContactUpdate, at: &str) -> Result<Value, CrmError> {
    let mut map = Map::new();
    map.insert("id".into(), json!(update.id.0));
    put(&mut map, "name", text(update.name.as_ref()));
    put(&mut map, "first_name", text(update.first_name.as_ref()));
    put(&mut map, "last_name", text(update.last_name.as_ref()));
    put(
        &mut map,
        "responsible_user_id",
        update.responsible_user_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "custom_fields_values",
        custom_fields(&update.custom_fields, at)?,
    );
    put(&mut map, "tags_to_add", tags(&update.tags_to_add, at)?);
    put(
        &mut map,
        "tags_to_delete",
        tags(&update.tags_to_delete, at)?,
    );
    Ok(Value::Object(map))
}

/// A new company, without its request id.
pub(crate) fn new_company(company: &NewCompany, at: &str) -> Result<Map<String, Value>, CrmError> {
    let mut map = Map::new();
    put(&mut map, "name", text(company.name.as_ref()));
    put(
        &mut map,
        "responsible_user_id",
        company.responsible_user_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "custom_fields_values",
        custom_fields(&company.custom_fields, at)?,
    );
    if let Some(tags) = tags(&company.tags, at)? {
        map.insert("_embedded".into(), json!({ "tags": tags }));
    }
    Ok(map)
}

/// Changes to a company.
pub(crate) fn company_update(update: &CompanyUpdate, at: &str) -> Result<Value, CrmError> {
    let mut map = Map::new();
    map.insert("id".into(), json!(update.id.0));
    put(&mut map, "name", text(update.name.as_ref()));
    put(
        &mut map,
        "responsible_user_id",
        update.responsible_user_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "custom_fields_values",
        custom_fields(&update.custom_fields, at)?,
    );
    put(&mut map, "tags_to_add", tags(&update.tags_to_add, at)?);
    put(
        &mut map,
        "tags_to_delete",
        tags(&update.tags_to_delete, at)?,
    );
    Ok(Value::Object(map))
}

/// A lead with its new contact and company, for `POST /api/v4/leads/complex`.
pub(crate) fn complex_lead(item: &ComplexLead, at: &str) -> Result<Map<String, Value>, CrmError> {
    let mut lead = new_lead(&item.lead, at)?;
    let mut embedded = match lead.remove("_embedded") {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    if let Some(contact) = &item.contact {
        if !item.lead.contacts.is_empty() {
            return Err(invalid(
                format!("{at}.contact"),
                "a complex lead takes either a new contact or linked contacts, not both",
            ));
        }
        embedded.insert(
            "contacts".into(),
            Value::Array(vec![Value::Object(new_contact(
                contact,
                &format!("{at}.contact"),
            )?)]),
        );
    }
    if let Some(company) = &item.company {
        if !item.lead.companies.is_empty() {
            return Err(invalid(
                format!("{at}.company"),
                "a complex lead takes either a new company or linked companies, not both",
            ));
        }
        embedded.insert(
            "companies".into(),
            Value::Array(vec![Value::Object(new_company(
                company,
                &format!("{at}.company"),
            )?)]),
        );
    }
    if item.lead.contacts.len() > 1 || item.lead.companies.len() > 1 {
        return Err(invalid(
            at,
            "a complex lead links at most one contact and one company",
        ));
    }
    if !embedded.is_empty() {
        lead.insert("_embedded".into(), Value::Object(embedded));
    }
    Ok(lead)
}

/// A new task, without its request id.
pub(crate) fn new_task(task: &NewTask, at: &str) -> Result<Map<String, Value>, CrmError> {
    if task.text.trim().is_empty() {
        return Err(invalid(format!("{at}.text"), "a task needs a text"));
    }
    let mut map = Map::new();
    map.insert("text".into(), Value::String(task.text.clone()));
    map.insert(
        "complete_till".into(),
        json!(task.complete_till.timestamp()),
    );
    if let Some(entity) = task.entity {
        map.insert("entity_id".into(), json!(entity.id));
        map.insert(
            "entity_type".into(),
            Value::String(entity.kind.api_name().to_owned()),
        );
    }
    put(
        &mut map,
        "responsible_user_id",
        task.responsible_user_id.map(|id| json!(id.0)),
    );
    put(
        &mut map,
        "task_type_id",
        task.task_type_id.map(|id| json!(id.0)),
    );
    put(&mut map, "duration", task.duration_s.map(|d| json!(d)));
    Ok(map)
}

/// A new note, without its request id.
pub(crate) fn new_note(note: &NewNote, at: &str) -> Result<Map<String, Value>, CrmError> {
    let params = match &note.content {
        NoteContent::Common { text } => {
            if text.trim().is_empty() {
                return Err(invalid(format!("{at}.text"), "a text note needs a text"));
            }
            json!({ "text": text })
        }
        NoteContent::ServiceMessage { service, text } => {
            json!({ "service": service, "text": text })
        }
        NoteContent::Other { params, .. } => params.clone(),
    };
    let mut map = Map::new();
    map.insert("entity_id".into(), json!(note.entity.id));
    map.insert(
        "note_type".into(),
        Value::String(note.content.note_type().to_owned()),
    );
    map.insert("params".into(), params);
    Ok(map)
}

#[cfg(test)]
mod tests;
