//! The incremental read of amoCRM that keeps the link tables true: deals of both pipelines and contacts changed
//! since the last read (everything on the first run: the bootstrap), 250 per page, each page written to the
//! link tables before the next is read. Nothing is held in memory beyond one page.

use chrono::{DateTime, Utc};
use crmsync_domain::crm::{Contact, Lead};
use crmsync_domain::{Phone, ReceptionId};
use crmsync_ports::{
    ContactFilter, CrmClient, KeyValueStore, LeadFilter, LinkChanges, MAX_PAGES, ReceptionLinkStore,
};

use super::error::ReceptionSyncError;
use super::report::ReadCounts;
use super::settings::{MAX_BATCH, SyncSettings};

/// The link changes one page of deals implies.
pub fn lead_links(leads: &[Lead], settings: &SyncSettings) -> LinkChanges {
    let mut changes = LinkChanges::default();
    for lead in leads {
        let reception = lead
            .custom_fields
            .text(settings.fields.reception_id)
            .and_then(|v| v.trim().parse::<i64>().ok());
        let number = settings
            .fields
            .patient_number
            .and_then(|f| lead.custom_fields.text(f))
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        match (reception, number) {
            (Some(r), number) => {
                changes.reception_leads.push((ReceptionId(r), lead.id));
                if let Some(number) = number {
                    changes.drop_number_leads.push((number, lead.id));
                }
            }
            (None, Some(number)) if !lead.is_deleted => {
                changes.number_leads.push((number, lead.id))
            }
            (None, _) => {}
        }
    }
    changes
}

/// The link changes one page of contacts implies: each normalised phone → the contact.
pub fn contact_links(contacts: &[Contact]) -> LinkChanges {
    let mut changes = LinkChanges::default();
    for contact in contacts.iter().filter(|c| !c.is_deleted) {
        for phone in contact.custom_fields.phones() {
            if let Ok(phone) = Phone::parse(&phone) {
                changes
                    .phone_contacts
                    .push((phone.as_e164().to_owned(), contact.id));
            }
        }
    }
    changes
}

fn read_cursor(value: Option<String>) -> Option<DateTime<Utc>> {
    value
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
}

/// How far before "now" an empty read's cursor is put, against clock skew between this host and amoCRM.
const EMPTY_READ_MARGIN_S: i64 = 600;

/// Stores the newest change time seen; after a read that saw nothing, a time shortly before now, so the next
/// read does not start from the beginning again.
async fn save_cursor(
    cursors: &dyn KeyValueStore,
    key: &str,
    newest: Option<DateTime<Utc>>,
) -> Result<(), ReceptionSyncError> {
    let at = newest.unwrap_or_else(|| Utc::now() - chrono::Duration::seconds(EMPTY_READ_MARGIN_S));
    cursors.put(key, &at.timestamp().to_string(), None).await?;
    Ok(())
}

/// Reads what changed in amoCRM since the stored cursors into the link tables; with `persist` false (a dry
/// run) the cursors are not moved.
pub async fn refresh(
    crm: &dyn CrmClient,
    links: &dyn ReceptionLinkStore,
    cursors: &dyn KeyValueStore,
    settings: &SyncSettings,
    persist: bool,
) -> Result<ReadCounts, ReceptionSyncError> {
    let mut counts = ReadCounts::default();
    let (intents_before, _) = links.open_intents().await?;
    let leads_key = settings.key("amocrm.leads");
    let contacts_key = settings.key("amocrm.contacts");
    let leads_from = read_cursor(cursors.get(&leads_key).await?);
    let contacts_from = read_cursor(cursors.get(&contacts_key).await?);
    counts.bootstrap = leads_from.is_none() && contacts_from.is_none();

    let mut filter = LeadFilter {
        pipeline_ids: settings.pipelines(),
        limit: Some(MAX_BATCH as u32),
        ..LeadFilter::default()
    };
    if let Some(from) = leads_from {
        filter = filter.updated_since(from);
    }
    let mut newest = leads_from;
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = crm.list_leads(&filter, cursor).await?;
        counts.lead_pages += 1;
        counts.leads += page.items.len() as u64;
        newest = newest.max(page.items.iter().filter_map(|l| l.updated_at).max());
        links.write(&lead_links(&page.items, settings)).await?;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if persist {
        save_cursor(cursors, &leads_key, newest).await?;
    }

    let mut filter = ContactFilter {
        limit: Some(MAX_BATCH as u32),
        ..ContactFilter::default()
    };
    if let Some(from) = contacts_from {
        filter = filter.updated_since(from);
    }
    let mut newest = contacts_from;
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = crm.list_contacts(&filter, cursor).await?;
        counts.contact_pages += 1;
        counts.contacts += page.items.len() as u64;
        newest = newest.max(page.items.iter().filter_map(|c| c.updated_at).max());
        links.write(&contact_links(&page.items)).await?;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if persist {
        save_cursor(cursors, &contacts_key, newest).await?;
    }
    let (intents_after, _) = links.open_intents().await?;
    counts.intents_resolved = intents_before.saturating_sub(intents_after);
    Ok(counts)
}
