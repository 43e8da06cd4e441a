//! The pure plan of one batch: for each reception, update a deal, create a deal for a known contact, create a
//! contact and a deal, leave an up-to-date deal alone, or skip with a reason.
//!
//! Search order (the seed's hierarchy, answered from the link tables and the verified deals, never the API):
//! 1. the reception's own deal (reception-id field) if it is in an active stage of either pipeline — a deal
//!    that is won, lost, in an excluded stage or moved out of both pipelines is never matched, and the reception
//!    is skipped rather than given a second deal;
//! 2. a deal carrying the patient's number whose reception id is empty, in an active stage (each such deal is
//!    claimed by one reception only);
//! 3. the patient's contact: remembered from an earlier create, else found by a normalised phone; a new contact
//!    otherwise (one per patient per batch; a patient without a usable phone gets none).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, TimeZone};
use crmsync_domain::crm::{
    ContactId, CustomFieldValue, FieldValue, Lead, LeadId, LeadUpdate, NewContact, NewLead, Price,
};
use crmsync_domain::{
    Funnel, MisPatient, MisReception, Patient, PatientError, PatientId, Reception, ReceptionError,
    ReceptionId, ReceptionStatus,
};
use crmsync_ports::Link;
use serde::{Deserialize, Serialize};

use super::settings::SyncSettings;

/// Which search level found the deal or contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchLevel {
    /// The reception-id field.
    ReceptionId,
    /// The patient number on a deal with an empty reception id.
    PatientNumber,
    /// The contact created for this patient earlier.
    PatientContact,
    /// A contact with one of the patient's phones.
    Phone,
}

/// Why a reception is not synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The reception names no patient, or one the MIS does not have.
    #[error("patient not found")]
    PatientNotFound,
    /// The reception row is not acceptable.
    #[error("{0}")]
    BadReception(String),
    /// The patient row is not acceptable.
    #[error("patient {patient}: {reason}")]
    BadPatient {
        /// The patient.
        patient: i64,
        /// Why.
        reason: String,
    },
    /// A contact is needed but the patient has no phone that is a number.
    #[error("patient {0} has no usable phone")]
    NoUsablePhone(i64),
    /// The reception's deal is won, lost, in an excluded stage or outside both pipelines.
    #[error("its deal {0} is closed or excluded")]
    DealClosed(i64),
}

impl SkipReason {
    /// Whether this skip is an error of the input (counted as an error), not a rule.
    pub fn is_error(&self) -> bool {
        !matches!(self, Self::DealClosed(_))
    }
}

/// Where a new deal's contact comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContactRef {
    /// An existing contact.
    Existing(ContactId),
    /// The contact this batch creates for the patient.
    New(PatientId),
}

/// What to do with one reception.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Change an existing deal.
    Update {
        /// Found by.
        level: MatchLevel,
        /// The change.
        update: LeadUpdate,
    },
    /// The deal already says everything.
    Unchanged {
        /// The deal.
        lead: LeadId,
    },
    /// Create a deal for a contact.
    Create {
        /// Contact found by (`None`: a new contact).
        level: Option<MatchLevel>,
        /// The contact.
        contact: ContactRef,
        /// The deal (its contact is linked at apply time).
        deal: NewLead,
    },
    /// Leave the reception alone.
    Skip(SkipReason),
}

/// The decision for one reception.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The reception.
    pub reception: ReceptionId,
    /// Its patient, when known.
    pub patient: Option<PatientId>,
    /// Its funnel, when known.
    pub funnel: Option<Funnel>,
    /// The patient number a level-2 match consumed.
    pub claimed_number: Option<String>,
    /// What to do.
    pub action: Action,
}

/// A contact to create for a patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPlan {
    /// The patient.
    pub patient: PatientId,
    /// The patient's normalised phones (they become phone links).
    pub phones: Vec<String>,
    /// The contact.
    pub contact: NewContact,
}

/// The plan of one batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// One decision per reception, in input order.
    pub decisions: Vec<Decision>,
    /// Contacts to create, one per patient.
    pub contacts: Vec<ContactPlan>,
    /// Existing contacts this batch learnt for patients that have none remembered — found by phone, or the
    /// main contact of the patient's own deal (which also settles a contact intent a crashed run left open).
    pub found_contacts: Vec<(PatientId, ContactId)>,
}

/// Everything the plan of one batch reads.
#[derive(Debug, Default)]
pub struct BatchInput<'a> {
    /// The receptions, as read.
    pub receptions: &'a [MisReception],
    /// Their patients, as read.
    pub patients: HashMap<PatientId, &'a MisPatient>,
    /// Completed receptions per patient (absent: none).
    pub completed: HashMap<PatientId, u32>,
    /// Remembered reception → deal links.
    pub reception_links: HashMap<ReceptionId, Link<LeadId>>,
    /// Remembered patient → contact links.
    pub patient_links: HashMap<PatientId, Link<ContactId>>,
    /// Remembered phone → contact links.
    pub phone_links: HashMap<String, ContactId>,
    /// Remembered patient number → deal links.
    pub number_links: HashMap<String, LeadId>,
    /// The current state of every candidate deal (a missing deal was deleted).
    pub leads: HashMap<LeadId, &'a Lead>,
}

/// Plans one batch.
pub fn plan(input: &BatchInput<'_>, settings: &SyncSettings) -> Plan {
    let mut out = Plan::default();
    let mut state = State::default();
    for raw in input.receptions {
        let decision = decide(input, settings, raw, &mut state, &mut out);
        out.decisions.push(decision);
    }
    out
}

/// What the decisions of one batch share.
#[derive(Default)]
struct State {
    /// Deals a reception took (each is taken once).
    claimed: HashSet<LeadId>,
    /// Patients this batch creates a contact for.
    new_contacts: HashSet<PatientId>,
    /// Patients whose contact this batch learnt.
    found: HashSet<PatientId>,
}

impl State {
    /// Remembers `contact` for `patient` unless the links already hold one or it is learnt already.
    fn learn(
        &mut self,
        input: &BatchInput<'_>,
        patient: PatientId,
        contact: ContactId,
        out: &mut Plan,
    ) {
        if !matches!(input.patient_links.get(&patient), Some(Link::Linked(_)))
            && self.found.insert(patient)
        {
            out.found_contacts.push((patient, contact));
        }
    }
}

fn decide(
    input: &BatchInput<'_>,
    settings: &SyncSettings,
    raw: &MisReception,
    state: &mut State,
    out: &mut Plan,
) -> Decision {
    let id = ReceptionId(raw.id);
    let skip = |patient, funnel, reason| Decision {
        reception: id,
        patient,
        funnel,
        claimed_number: None,
        action: Action::Skip(reason),
    };
    let reception = match Reception::from_mis(raw.clone()) {
        Ok(r) => r,
        Err(ReceptionError::PatientNotFound) => {
            return skip(None, None, SkipReason::PatientNotFound);
        }
        Err(e) => return skip(None, None, SkipReason::BadReception(e.to_string())),
    };
    let pid = reception.patient_id;
    let Some(raw_patient) = input.patients.get(&pid) else {
        return skip(Some(pid), None, SkipReason::PatientNotFound);
    };
    let patient = match Patient::from_mis((*raw_patient).clone()) {
        Ok(p) => p,
        Err(e @ PatientError::BadBirthday) => {
            return skip(
                Some(pid),
                None,
                SkipReason::BadPatient {
                    patient: pid.0,
                    reason: e.to_string(),
                },
            );
        }
    };
    let completed = input.completed.get(&pid).copied().unwrap_or(0);
    let own = u32::from(reception.status == ReceptionStatus::Completed);
    let funnel = Funnel::for_completed(completed.saturating_sub(own));
    let fields = deal_fields(&reception, &patient, settings);
    let price = reception.cost;
    let decision = |claimed_number, action| Decision {
        reception: id,
        patient: Some(pid),
        funnel: Some(funnel),
        claimed_number,
        action,
    };

    if let Some(Link::Linked(lead_id)) = input.reception_links.get(&id)
        && let Some(lead) = input.leads.get(lead_id)
    {
        let active = lead.stage().is_some_and(|s| settings.is_active(s)) && !lead.is_deleted;
        if !active {
            return skip(Some(pid), Some(funnel), SkipReason::DealClosed(lead_id.0));
        }
        state.claimed.insert(*lead_id);
        if let Some(main) = lead
            .contacts
            .iter()
            .find(|c| c.is_main)
            .or(lead.contacts.first())
        {
            state.learn(input, pid, main.id, out);
        }
        return decision(
            None,
            update_or_unchanged(lead, fields, price, MatchLevel::ReceptionId),
        );
    }

    if let (Some(number), Some(number_field)) = (
        patient.patient_number.as_ref(),
        settings.fields.patient_number,
    ) && let Some(lead_id) = input.number_links.get(number)
        && !state.claimed.contains(lead_id)
        && let Some(lead) = input.leads.get(lead_id)
        && lead.stage().is_some_and(|s| settings.is_active(s))
        && !lead.is_deleted
        && lead
            .custom_fields
            .text(settings.fields.reception_id)
            .is_none_or(|v| v.trim().is_empty())
        && lead
            .custom_fields
            .text(number_field)
            .is_some_and(|v| v.trim() == number)
    {
        state.claimed.insert(*lead_id);
        return decision(
            Some(number.clone()),
            update_or_unchanged(lead, fields, price, MatchLevel::PatientNumber),
        );
    }

    let stage = settings.stage_of(funnel);
    let deal = NewLead {
        name: Some(format!("Приём №{}", id.0)),
        price,
        pipeline_id: Some(stage.pipeline_id),
        status_id: Some(stage.status_id),
        responsible_user_id: settings.responsible_user,
        custom_fields: fields,
        request_id: Some(format!("r{}", id.0)),
        ..NewLead::default()
    };
    let phones: Vec<String> = patient
        .phones
        .iter()
        .map(|p| p.as_e164().to_owned())
        .collect();
    let found = match input.patient_links.get(&pid) {
        Some(Link::Linked(contact)) => Some((MatchLevel::PatientContact, *contact)),
        _ => phones
            .iter()
            .find_map(|p| input.phone_links.get(p))
            .map(|c| (MatchLevel::Phone, *c)),
    };
    let (level, contact) = match found {
        Some((MatchLevel::Phone, contact)) => {
            state.learn(input, pid, contact, out);
            (Some(MatchLevel::Phone), ContactRef::Existing(contact))
        }
        Some((level, contact)) => (Some(level), ContactRef::Existing(contact)),
        None if state.new_contacts.contains(&pid) => (None, ContactRef::New(pid)),
        None if phones.is_empty() => {
            return skip(Some(pid), Some(funnel), SkipReason::NoUsablePhone(pid.0));
        }
        None => {
            state.new_contacts.insert(pid);
            out.contacts.push(ContactPlan {
                patient: pid,
                phones: phones.clone(),
                contact: contact_of(&patient, settings),
            });
            (None, ContactRef::New(pid))
        }
    };
    decision(
        None,
        Action::Create {
            level,
            contact,
            deal,
        },
    )
}

fn update_or_unchanged(
    lead: &Lead,
    fields: Vec<CustomFieldValue>,
    price: Option<Price>,
    level: MatchLevel,
) -> Action {
    let fields_equal = fields.iter().all(|wanted| {
        let Some(field) = wanted.field_id else {
            return true;
        };
        let current = lead.custom_fields.text(field).unwrap_or_default();
        let desired = wanted
            .first_text()
            .map(|t| t.into_owned())
            .unwrap_or_default();
        same_value(&current, &desired)
    });
    let price_equal = price.is_none_or(|p| lead.price.is_some_and(|q| q.units() == p.units()));
    if fields_equal && price_equal {
        return Action::Unchanged { lead: lead.id };
    }
    Action::Update {
        level,
        update: LeadUpdate {
            id: lead.id,
            price,
            custom_fields: fields,
            ..LeadUpdate::default()
        },
    }
}

fn same_value(current: &str, desired: &str) -> bool {
    let (a, b) = (current.trim(), desired.trim());
    a == b
        || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if (x - y).abs() < 0.005)
}

/// The deal fields of a reception, per the mapping; fields without a value are cleared.
pub fn deal_fields(
    reception: &Reception,
    patient: &Patient,
    settings: &SyncSettings,
) -> Vec<CustomFieldValue> {
    let f = &settings.fields;
    let mut out = vec![CustomFieldValue::text(
        f.reception_id,
        reception.id.0.to_string(),
    )];
    let text = |field: Option<crmsync_domain::crm::FieldId>, value: Option<String>| {
        field.map(|field| match value {
            Some(v) => CustomFieldValue::text(field, v),
            None => CustomFieldValue::clear(field),
        })
    };
    if let Some(field) = f.reception_date {
        out.push(match reception.plan_start {
            Some(start) => {
                CustomFieldValue::by_id(field, vec![FieldValue::integer(unix(start, settings))])
            }
            None => CustomFieldValue::clear(field),
        });
    }
    out.extend(text(f.doctor, reception.doctor.clone()));
    out.extend(text(f.service, reception.service.clone()));
    if let Some(field) = f.cost {
        out.push(match reception.cost {
            Some(cost) => CustomFieldValue::by_id(field, vec![FieldValue::integer(cost.units())]),
            None => CustomFieldValue::clear(field),
        });
    }
    out.extend(text(f.patient_number, patient.patient_number.clone()));
    out
}

fn unix(local: NaiveDateTime, settings: &SyncSettings) -> i64 {
    settings
        .offset()
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| local.and_utc().timestamp(), |t| t.timestamp())
}

/// The contact of a patient: name, phones (work type) and, when mapped, the birthday.
pub fn contact_of(patient: &Patient, settings: &SyncSettings) -> NewContact {
    let mut custom_fields: Vec<CustomFieldValue> = Vec::new();
    if !patient.phones.is_empty() {
        custom_fields.push(CustomFieldValue::by_code(
            crmsync_domain::crm::PHONE,
            patient
                .phones
                .iter()
                .map(|p| FieldValue::coded(p.as_e164(), "WORK"))
                .collect(),
        ));
    }
    if let (Some(field), Some(birthday)) = (settings.fields.contact_birthday, patient.birthday)
        && let Some(midnight) = birthday.and_hms_opt(0, 0, 0)
    {
        custom_fields.push(CustomFieldValue::by_id(
            field,
            vec![FieldValue::integer(midnight.and_utc().timestamp())],
        ));
    }
    NewContact {
        name: Some(patient.full_name()),
        first_name: patient.name.clone(),
        last_name: patient.surname.clone(),
        responsible_user_id: settings.responsible_user,
        custom_fields,
        request_id: Some(format!("p{}", patient.id.0)),
        ..NewContact::default()
    }
}
