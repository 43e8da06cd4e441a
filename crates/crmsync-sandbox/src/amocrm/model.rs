//! The emulator's stored records: JSON-level entities, tasks, notes, links and webhook subscriptions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The three main entity types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    Leads,
    Contacts,
    Companies,
}

impl Kind {
    pub(crate) const ALL: [Kind; 3] = [Kind::Leads, Kind::Contacts, Kind::Companies];

    pub(crate) fn plural(self) -> &'static str {
        match self {
            Kind::Leads => "leads",
            Kind::Contacts => "contacts",
            Kind::Companies => "companies",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Kind> {
        match text {
            "leads" => Some(Kind::Leads),
            "contacts" => Some(Kind::Contacts),
            "companies" => Some(Kind::Companies),
            _ => None,
        }
    }
}

/// Values of one custom field on one entity, already normalised (`{"value": ...}`, plus `enum_id`/`enum_code`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldValues {
    pub(crate) field_id: i64,
    pub(crate) values: Vec<Value>,
}

/// A lead, contact or company.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) price: f64,
    pub(crate) status_id: i64,
    pub(crate) pipeline_id: i64,
    pub(crate) loss_reason_id: Option<i64>,
    pub(crate) responsible_user_id: i64,
    pub(crate) created_by: i64,
    pub(crate) updated_by: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) closed_at: Option<i64>,
    pub(crate) closest_task_at: Option<i64>,
    pub(crate) fields: Vec<FieldValues>,
    pub(crate) tags: Vec<i64>,
}

impl Entity {
    pub(crate) fn blank(id: i64) -> Self {
        Self {
            id,
            name: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            price: 0.0,
            status_id: 0,
            pipeline_id: 0,
            loss_reason_id: None,
            responsible_user_id: 0,
            created_by: 0,
            updated_by: 0,
            created_at: 0,
            updated_at: 0,
            closed_at: None,
            closest_task_at: None,
            fields: Vec::new(),
            tags: Vec::new(),
        }
    }
}

/// A task.
#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub(crate) id: i64,
    pub(crate) created_by: i64,
    pub(crate) updated_by: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) responsible_user_id: i64,
    pub(crate) entity_id: Option<i64>,
    pub(crate) entity_type: Option<String>,
    pub(crate) duration: i64,
    pub(crate) is_completed: bool,
    pub(crate) task_type_id: i64,
    pub(crate) text: String,
    pub(crate) result: Option<String>,
    pub(crate) complete_till: i64,
}

/// A note on a lead, contact or company.
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub(crate) id: i64,
    pub(crate) kind: Kind,
    pub(crate) entity_id: i64,
    pub(crate) created_by: i64,
    pub(crate) updated_by: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) responsible_user_id: i64,
    pub(crate) note_type: String,
    pub(crate) params: Value,
}

/// A webhook subscription.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub(crate) id: i64,
    pub(crate) destination: String,
    pub(crate) settings: Vec<String>,
    pub(crate) sort: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// Links between leads, contacts and companies, indexed both ways.
#[derive(Debug, Default)]
pub(crate) struct Links {
    lead_contacts: BTreeMap<i64, Vec<(i64, bool)>>,
    contact_leads: BTreeMap<i64, BTreeSet<i64>>,
    lead_company: BTreeMap<i64, i64>,
    company_leads: BTreeMap<i64, BTreeSet<i64>>,
    contact_company: BTreeMap<i64, i64>,
    company_contacts: BTreeMap<i64, BTreeSet<i64>>,
}

impl Links {
    pub(crate) fn link_lead_contact(&mut self, lead: i64, contact: i64, is_main: bool) {
        let list = self.lead_contacts.entry(lead).or_default();
        if is_main {
            for item in list.iter_mut() {
                item.1 = false;
            }
        }
        match list.iter_mut().find(|(c, _)| *c == contact) {
            Some(item) => item.1 = is_main || item.1,
            None => list.push((contact, is_main || list.is_empty())),
        }
        self.contact_leads.entry(contact).or_default().insert(lead);
    }

    pub(crate) fn link_lead_company(&mut self, lead: i64, company: i64) {
        if let Some(old) = self.lead_company.insert(lead, company)
            && let Some(set) = self.company_leads.get_mut(&old)
        {
            set.remove(&lead);
        }
        self.company_leads.entry(company).or_default().insert(lead);
    }

    pub(crate) fn link_contact_company(&mut self, contact: i64, company: i64) {
        if let Some(old) = self.contact_company.insert(contact, company)
            && let Some(set) = self.company_contacts.get_mut(&old)
        {
            set.remove(&contact);
        }
        self.company_contacts
            .entry(company)
            .or_default()
            .insert(contact);
    }

    pub(crate) fn unlink_lead_contact(&mut self, lead: i64, contact: i64) {
        if let Some(list) = self.lead_contacts.get_mut(&lead) {
            let was_main = list.iter().any(|(c, main)| *c == contact && *main);
            list.retain(|(c, _)| *c != contact);
            if was_main && let Some(first) = list.first_mut() {
                first.1 = true;
            }
        }
        if let Some(set) = self.contact_leads.get_mut(&contact) {
            set.remove(&lead);
        }
    }

    pub(crate) fn unlink_lead_company(&mut self, lead: i64, company: i64) {
        if self.lead_company.get(&lead) == Some(&company) {
            self.lead_company.remove(&lead);
        }
        if let Some(set) = self.company_leads.get_mut(&company) {
            set.remove(&lead);
        }
    }

    pub(crate) fn unlink_contact_company(&mut self, contact: i64, company: i64) {
        if self.contact_company.get(&contact) == Some(&company) {
            self.contact_company.remove(&contact);
        }
        if let Some(set) = self.company_contacts.get_mut(&company) {
            set.remove(&contact);
        }
    }

    pub(crate) fn contacts_of_lead(&self, lead: i64) -> &[(i64, bool)] {
        self.lead_contacts.get(&lead).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn company_of_lead(&self, lead: i64) -> Option<i64> {
        self.lead_company.get(&lead).copied()
    }

    pub(crate) fn company_of_contact(&self, contact: i64) -> Option<i64> {
        self.contact_company.get(&contact).copied()
    }

    pub(crate) fn leads_of_contact(&self, contact: i64) -> impl Iterator<Item = i64> + '_ {
        self.contact_leads
            .get(&contact)
            .into_iter()
            .flatten()
            .copied()
    }

    pub(crate) fn leads_of_company(&self, company: i64) -> impl Iterator<Item = i64> + '_ {
        self.company_leads
            .get(&company)
            .into_iter()
            .flatten()
            .copied()
    }

    pub(crate) fn contacts_of_company(&self, company: i64) -> impl Iterator<Item = i64> + '_ {
        self.company_contacts
            .get(&company)
            .into_iter()
            .flatten()
            .copied()
    }

    /// Every link as `(from_type, from_id, to_type, to_id, is_main)`.
    pub(crate) fn all(&self) -> Vec<(&'static str, i64, &'static str, i64, Option<bool>)> {
        let mut out = Vec::new();
        for (lead, contacts) in &self.lead_contacts {
            for (contact, is_main) in contacts {
                out.push(("leads", *lead, "contacts", *contact, Some(*is_main)));
            }
        }
        for (lead, company) in &self.lead_company {
            out.push(("leads", *lead, "companies", *company, None));
        }
        for (contact, company) in &self.contact_company {
            out.push(("contacts", *contact, "companies", *company, None));
        }
        out
    }
}
