//! Patient sync: patients changed in the MIS since the stored cursor get their contact's name and phones
//! refreshed — only patients the sync created or found a contact for, and only when something differs.

use std::collections::{BTreeSet, HashMap};

use crmsync_domain::crm::{Contact, ContactId, ContactUpdate, CustomFieldValue, FieldValue, PHONE};
use crmsync_domain::{Patient, PatientId, Phone};
use crmsync_ports::{ContactFilter, LinkChanges, MisCursor, Progress};

use super::error::ReceptionSyncError;
use super::report::{Report, SyncMode};
use super::run::{Ports, RunOptions, check_account};
use super::settings::{MAX_BATCH, SyncSettings};

/// The contact changes of one page of patients.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatientPlan {
    /// One update per contact whose name or phones differ: the name always, the phones only when they differ;
    /// nothing else of the contact is touched.
    pub updates: Vec<ContactUpdate>,
    /// The phone links the new phones make.
    pub phone_links: LinkChanges,
}

/// Plans the contact refresh of `patients` (pure): only patients with a `linked` contact that still exists in
/// `current`; a patient without a usable phone keeps the contact's phones.
pub fn plan_patients(
    patients: &[Patient],
    linked: &HashMap<PatientId, ContactId>,
    current: &HashMap<ContactId, Contact>,
) -> PatientPlan {
    let mut out = PatientPlan::default();
    for patient in patients {
        let Some(contact_id) = linked.get(&patient.id) else {
            continue;
        };
        let Some(contact) = current.get(contact_id) else {
            continue;
        };
        let name = patient.full_name();
        let wanted: BTreeSet<&str> = patient.phones.iter().map(Phone::as_e164).collect();
        let have: BTreeSet<String> = contact
            .custom_fields
            .phones()
            .iter()
            .filter_map(|p| Phone::parse(p).ok())
            .map(|p| p.as_e164().to_owned())
            .collect();
        let have_refs: BTreeSet<&str> = have.iter().map(String::as_str).collect();
        let phones_differ = !wanted.is_empty() && wanted != have_refs;
        if contact.name == name && !phones_differ {
            continue;
        }
        let mut update = ContactUpdate {
            id: *contact_id,
            name: Some(name),
            first_name: patient.name.clone(),
            last_name: patient.surname.clone(),
            ..ContactUpdate::default()
        };
        if phones_differ {
            update.custom_fields.push(CustomFieldValue::by_code(
                PHONE,
                wanted
                    .iter()
                    .map(|p| FieldValue::coded(*p, "WORK"))
                    .collect(),
            ));
            for phone in &wanted {
                out.phone_links
                    .phone_contacts
                    .push(((*phone).to_owned(), *contact_id));
            }
        }
        out.updates.push(update);
    }
    out
}

/// Runs a patient sync.
pub async fn sync_patients(
    ports: Ports<'_>,
    settings: &SyncSettings,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<Report, ReceptionSyncError> {
    let mut report = Report {
        mode: SyncMode::Patients,
        dry_run: options.dry_run,
        ..Report::default()
    };
    check_account(ports.crm, ports.cursors, settings).await?;
    let key = settings.key("patients");
    let mut cursor: Option<MisCursor> = ports
        .cursors
        .get(&key)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok());
    let batch = settings.batch_size.clamp(1, MAX_BATCH);
    loop {
        let page = ports
            .mis
            .patients_since(cursor, u32::try_from(batch).unwrap_or(250))
            .await?;
        let Some(last) = page.last() else { break };
        let next = MisCursor {
            changed_at: last.changed_at,
            id: last.id,
        };
        report.patients += page.len() as u64;
        report.batches += 1;
        let mut valid: Vec<Patient> = Vec::with_capacity(page.len());
        for raw in &page {
            match Patient::from_mis(raw.clone()) {
                Ok(p) => valid.push(p),
                Err(e) => report.fail(raw.id, format!("patient {}: {e}", raw.id)),
            }
        }
        let ids: Vec<PatientId> = valid.iter().map(|p| p.id).collect();
        let linked: HashMap<PatientId, _> = ports
            .links
            .patient_contacts(&ids)
            .await?
            .into_iter()
            .filter_map(|(p, l)| l.linked().map(|c| (p, c)))
            .collect();
        let contact_ids: Vec<_> = linked.values().copied().collect();
        let mut current = HashMap::new();
        for chunk in contact_ids.chunks(MAX_BATCH) {
            let filter = ContactFilter {
                limit: Some(MAX_BATCH as u32),
                ..ContactFilter::ids(chunk.iter().copied())
            };
            for contact in ports.crm.list_contacts(&filter, None).await?.items {
                current.insert(contact.id, contact);
            }
        }
        let PatientPlan {
            updates,
            phone_links,
        } = plan_patients(&valid, &linked, &current);
        report.contacts_updated += updates.len() as u64;
        if !options.dry_run {
            if !updates.is_empty() {
                ports.crm.update_contacts(&updates).await.map_err(|e| {
                    ReceptionSyncError::Stopped {
                        source: Box::new(e.into()),
                        report: Box::new(report.clone()),
                    }
                })?;
                ports.links.write(&phone_links).await?;
            }
            ports
                .cursors
                .put(
                    &key,
                    &serde_json::to_string(&next).unwrap_or_default(),
                    None,
                )
                .await?;
        }
        progress.advance(page.len() as u64);
        if page.len() < batch || options.shutdown.reason().is_some() {
            break;
        }
        cursor = Some(next);
    }
    Ok(report)
}
