//! Applying the plan of one batch through the ports: intents (and the contacts the plan learnt) first, then
//! creates (contacts, then deals — or one complex add when that saves a request), each followed at once by the
//! created ids in the link tables, then the updates. A write that fails leaves its intents behind, so a rerun finds what was created instead of
//! creating it again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crmsync_domain::crm::{ComplexLead, ContactId, LeadId, LinkedContact, NewLead};
use crmsync_domain::{Funnel, PatientId, ReceptionId};
use crmsync_ports::{CrmClient, CrmError, LinkChanges, ReceptionLinkStore, WrittenRef};

use super::error::ReceptionSyncError;
use super::plan::{Action, ContactRef, Decision, MatchLevel, Plan, SkipReason};
use super::report::Report;
use super::settings::MAX_COMPLEX;

/// Counts a plan's decisions in `report` as if applied (what a dry run shows).
pub fn count_planned(plan: &Plan, report: &mut Report) {
    report.contacts_created += plan.contacts.len() as u64;
    for decision in &plan.decisions {
        count_decision(decision, report);
        match &decision.action {
            Action::Create { .. } => report.deals_created += 1,
            Action::Update { .. } => report.deals_updated += 1,
            _ => {}
        }
    }
}

/// Counts everything about a decision but the write itself (levels, funnels, skips, unchanged).
fn count_decision(decision: &Decision, report: &mut Report) {
    let level = match &decision.action {
        Action::Update { level, .. } => Some(*level),
        Action::Create { level, .. } => *level,
        Action::Unchanged { .. } => Some(MatchLevel::ReceptionId),
        Action::Skip(_) => None,
    };
    match level {
        Some(MatchLevel::ReceptionId) => report.by_level.reception_id += 1,
        Some(MatchLevel::PatientNumber) => report.by_level.patient_number += 1,
        Some(MatchLevel::PatientContact) => report.by_level.patient_contact += 1,
        Some(MatchLevel::Phone) => report.by_level.phone += 1,
        None => {}
    }
    match &decision.action {
        Action::Skip(reason) if reason.is_error() => {
            report.fail(decision.reception.0, reason.to_string());
            return;
        }
        Action::Skip(_) => {
            report.skipped += 1;
            return;
        }
        Action::Unchanged { .. } => report.unchanged += 1,
        _ => {}
    }
    match decision.funnel {
        Some(Funnel::Primary) => report.primary += 1,
        Some(Funnel::Secondary) => report.secondary += 1,
        None => {}
    }
}

fn parse_request(id: &str, prefix: char) -> Option<i64> {
    id.strip_prefix(prefix).and_then(|n| n.parse().ok())
}

/// Records the links of entities a failed call wrote anyway.
fn written_links(written: &[WrittenRef], changes: &mut LinkChanges) {
    for w in written {
        if let Some(r) = parse_request(&w.request_id, 'r') {
            changes.reception_leads.push((ReceptionId(r), LeadId(w.id)));
        } else if let Some(p) = parse_request(&w.request_id, 'p') {
            changes
                .patient_contacts
                .push((PatientId(p), ContactId(w.id)));
        }
    }
}

/// Whether an error stops the run (the rest of the batch may fail the same way, or the outcome is unknown) or
/// only fails the items of the call (amoCRM refused their content).
fn stops(error: &CrmError) -> bool {
    !matches!(
        error.root(),
        CrmError::Validation { .. } | CrmError::InvalidInput { .. }
    )
}

/// Applies `plan`; `now` dates the intents.
pub async fn apply(
    plan: &Plan,
    crm: &dyn CrmClient,
    links: &dyn ReceptionLinkStore,
    now: DateTime<Utc>,
    report: &mut Report,
) -> Result<(), ReceptionSyncError> {
    for decision in &plan.decisions {
        count_decision(decision, report);
    }
    let creates: Vec<&Decision> = plan
        .decisions
        .iter()
        .filter(|d| matches!(d.action, Action::Create { .. }))
        .collect();
    let mut deals_per_new: HashMap<PatientId, usize> = HashMap::new();
    for d in &creates {
        if let Action::Create {
            contact: ContactRef::New(p),
            ..
        } = &d.action
        {
            *deals_per_new.entry(*p).or_default() += 1;
        }
    }
    if !creates.is_empty() || !plan.found_contacts.is_empty() {
        links
            .write(&LinkChanges {
                reception_intents: creates.iter().map(|d| (d.reception, now)).collect(),
                patient_intents: plan.contacts.iter().map(|c| (c.patient, now)).collect(),
                patient_contacts: plan.found_contacts.clone(),
                ..LinkChanges::default()
            })
            .await?;
    }
    let phones_of: HashMap<PatientId, &Vec<String>> = plan
        .contacts
        .iter()
        .map(|c| (c.patient, &c.phones))
        .collect();
    let mut contact_ids: HashMap<PatientId, ContactId> = HashMap::new();
    let complex = !plan.contacts.is_empty()
        && plan.contacts.len() <= MAX_COMPLEX
        && deals_per_new.values().all(|n| *n == 1);
    let mut stop: Option<ReceptionSyncError> = None;

    if complex {
        let contacts: HashMap<PatientId, _> = plan
            .contacts
            .iter()
            .map(|c| (c.patient, &c.contact))
            .collect();
        let items: Vec<ComplexLead> = creates
            .iter()
            .filter_map(|d| match &d.action {
                Action::Create {
                    contact: ContactRef::New(p),
                    deal,
                    ..
                } => Some(ComplexLead {
                    lead: deal.clone(),
                    contact: contacts.get(p).map(|c| (*c).clone()),
                    company: None,
                }),
                _ => None,
            })
            .collect();
        match crm.add_complex(&items).await {
            Ok(created) => {
                let mut changes = LinkChanges::default();
                for item in created {
                    for request in &item.request_ids {
                        if let Some(r) = parse_request(request, 'r') {
                            changes.reception_leads.push((ReceptionId(r), item.lead_id));
                            report.deals_created += 1;
                            let patient = creates
                                .iter()
                                .find(|d| d.reception.0 == r)
                                .and_then(|d| d.patient);
                            if let (Some(p), Some(c)) = (patient, item.contact_id) {
                                contact_ids.insert(p, c);
                                changes.patient_contacts.push((p, c));
                                report.contacts_created += 1;
                                for phone in phones_of.get(&p).into_iter().flat_map(|v| v.iter()) {
                                    changes.phone_contacts.push((phone.clone(), c));
                                }
                            }
                        }
                    }
                }
                links.write(&changes).await?;
            }
            Err(error) => {
                let mut changes = LinkChanges::default();
                written_links(error.written(), &mut changes);
                links.write(&changes).await?;
                for d in &creates {
                    if matches!(
                        d.action,
                        Action::Create {
                            contact: ContactRef::New(_),
                            ..
                        }
                    ) {
                        report.fail(
                            d.reception.0,
                            format!("failed to create contact and deal: {error}"),
                        );
                    }
                }
                if stops(&error) {
                    stop = Some(error.into());
                }
            }
        }
    } else if !plan.contacts.is_empty() {
        let contacts: Vec<_> = plan.contacts.iter().map(|c| c.contact.clone()).collect();
        match crm.add_contacts(&contacts).await {
            Ok(created) => {
                let mut changes = LinkChanges::default();
                for c in created {
                    if let Some(p) = parse_request(&c.request_id, 'p') {
                        let p = PatientId(p);
                        contact_ids.insert(p, c.id);
                        changes.patient_contacts.push((p, c.id));
                        report.contacts_created += 1;
                        for phone in phones_of.get(&p).into_iter().flat_map(|v| v.iter()) {
                            changes.phone_contacts.push((phone.clone(), c.id));
                        }
                    }
                }
                links.write(&changes).await?;
            }
            Err(error) => {
                let mut changes = LinkChanges::default();
                written_links(error.written(), &mut changes);
                links.write(&changes).await?;
                if stops(&error) {
                    stop = Some(error.into());
                }
            }
        }
    }

    if stop.is_none() {
        let mut deals: Vec<NewLead> = Vec::new();
        for d in &creates {
            let Action::Create { contact, deal, .. } = &d.action else {
                continue;
            };
            let contact_id = match contact {
                ContactRef::Existing(c) => Some(*c),
                ContactRef::New(_) if complex => continue,
                ContactRef::New(p) => contact_ids.get(p).copied(),
            };
            let Some(contact_id) = contact_id else {
                report.fail(d.reception.0, "failed to create contact");
                continue;
            };
            let mut deal = deal.clone();
            deal.contacts = vec![LinkedContact {
                id: contact_id,
                is_main: true,
            }];
            deals.push(deal);
        }
        if !deals.is_empty() {
            match crm.add_leads(&deals).await {
                Ok(created) => {
                    let mut changes = LinkChanges::default();
                    for c in created {
                        if let Some(r) = parse_request(&c.request_id, 'r') {
                            changes.reception_leads.push((ReceptionId(r), c.id));
                            report.deals_created += 1;
                        }
                    }
                    links.write(&changes).await?;
                }
                Err(error) => {
                    let mut changes = LinkChanges::default();
                    written_links(error.written(), &mut changes);
                    links.write(&changes).await?;
                    for deal in &deals {
                        if let Some(r) = deal
                            .request_id
                            .as_deref()
                            .and_then(|r| parse_request(r, 'r'))
                        {
                            report.fail(r, format!("failed to create deal: {error}"));
                        }
                    }
                    if stops(&error) {
                        stop = Some(error.into());
                    }
                }
            }
        }
    }

    if stop.is_none() {
        let updates: Vec<&Decision> = plan
            .decisions
            .iter()
            .filter(|d| matches!(d.action, Action::Update { .. }))
            .collect();
        let bodies: Vec<_> = updates
            .iter()
            .filter_map(|d| match &d.action {
                Action::Update { update, .. } => Some(update.clone()),
                _ => None,
            })
            .collect();
        if !bodies.is_empty() {
            match crm.update_leads(&bodies).await {
                Ok(_) => {
                    let mut changes = LinkChanges::default();
                    for d in &updates {
                        if let Action::Update { update, .. } = &d.action {
                            changes.reception_leads.push((d.reception, update.id));
                            if let Some(number) = &d.claimed_number {
                                changes.drop_number_leads.push((number.clone(), update.id));
                            }
                            report.deals_updated += 1;
                        }
                    }
                    links.write(&changes).await?;
                }
                Err(error) => {
                    for d in &updates {
                        report.fail(d.reception.0, format!("failed to update deal: {error}"));
                    }
                    if stops(&error) {
                        stop = Some(error.into());
                    }
                }
            }
        }
    }
    match stop {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Skip reasons of a plan, for tests and reports.
pub fn skips(plan: &Plan) -> Vec<(ReceptionId, &SkipReason)> {
    plan.decisions
        .iter()
        .filter_map(|d| match &d.action {
            Action::Skip(reason) => Some((d.reception, reason)),
            _ => None,
        })
        .collect()
}
