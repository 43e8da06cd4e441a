//! The link tables of a dry run: reads see the stored links with this run's changes on top; writes stay in
//! memory, so a dry run plans with what amoCRM holds now and leaves storage untouched.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use crmsync_domain::crm::{ContactId, LeadId};
use crmsync_domain::{PatientId, ReceptionId};
use crmsync_ports::{Link, LinkChanges, ReceptionLinkStore, StoreError};

#[derive(Debug, Default)]
struct Changes {
    receptions: HashMap<ReceptionId, Link<LeadId>>,
    patients: HashMap<PatientId, Link<ContactId>>,
    phones: HashMap<String, ContactId>,
    numbers: HashMap<String, Option<LeadId>>,
}

/// Stored links under in-memory changes.
pub struct Overlay<'a> {
    base: &'a dyn ReceptionLinkStore,
    changes: Mutex<Changes>,
}

impl<'a> Overlay<'a> {
    /// An overlay on `base` with no changes yet.
    pub fn new(base: &'a dyn ReceptionLinkStore) -> Self {
        Self {
            base,
            changes: Mutex::new(Changes::default()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Changes) -> T) -> Result<T, StoreError> {
        let mut changes = self.changes.lock().map_err(|_| StoreError::Corrupt {
            what: "dry-run links",
            reason: "a writer panicked".into(),
        })?;
        Ok(f(&mut changes))
    }
}

#[async_trait]
impl ReceptionLinkStore for Overlay<'_> {
    async fn reception_leads(
        &self,
        ids: &[ReceptionId],
    ) -> Result<Vec<(ReceptionId, Link<LeadId>)>, StoreError> {
        let mut out: HashMap<ReceptionId, Link<LeadId>> =
            self.base.reception_leads(ids).await?.into_iter().collect();
        self.with(|c| {
            for id in ids {
                if let Some(link) = c.receptions.get(id) {
                    out.insert(*id, *link);
                }
            }
        })?;
        Ok(out.into_iter().collect())
    }

    async fn patient_contacts(
        &self,
        ids: &[PatientId],
    ) -> Result<Vec<(PatientId, Link<ContactId>)>, StoreError> {
        let mut out: HashMap<PatientId, Link<ContactId>> =
            self.base.patient_contacts(ids).await?.into_iter().collect();
        self.with(|c| {
            for id in ids {
                if let Some(link) = c.patients.get(id) {
                    out.insert(*id, *link);
                }
            }
        })?;
        Ok(out.into_iter().collect())
    }

    async fn phone_contacts(
        &self,
        phones: &[String],
    ) -> Result<Vec<(String, ContactId)>, StoreError> {
        let mut out: HashMap<String, ContactId> = self
            .base
            .phone_contacts(phones)
            .await?
            .into_iter()
            .collect();
        self.with(|c| {
            for phone in phones {
                if let Some(contact) = c.phones.get(phone) {
                    out.insert(phone.clone(), *contact);
                }
            }
        })?;
        Ok(out.into_iter().collect())
    }

    async fn number_leads(&self, numbers: &[String]) -> Result<Vec<(String, LeadId)>, StoreError> {
        let mut out: HashMap<String, LeadId> =
            self.base.number_leads(numbers).await?.into_iter().collect();
        self.with(|c| {
            for number in numbers {
                match c.numbers.get(number) {
                    Some(Some(lead)) => {
                        out.insert(number.clone(), *lead);
                    }
                    Some(None) => {
                        out.remove(number);
                    }
                    None => {}
                }
            }
        })?;
        Ok(out.into_iter().collect())
    }

    async fn write(&self, changes: &LinkChanges) -> Result<(), StoreError> {
        self.with(|c| {
            for (r, at) in &changes.reception_intents {
                c.receptions.entry(*r).or_insert(Link::Intent(*at));
            }
            for (r, l) in &changes.reception_leads {
                c.receptions.insert(*r, Link::Linked(*l));
            }
            for (p, at) in &changes.patient_intents {
                c.patients.entry(*p).or_insert(Link::Intent(*at));
            }
            for (p, contact) in &changes.patient_contacts {
                c.patients.insert(*p, Link::Linked(*contact));
            }
            for (phone, contact) in &changes.phone_contacts {
                c.phones.insert(phone.clone(), *contact);
            }
            for (n, _) in &changes.drop_number_leads {
                c.numbers.insert(n.clone(), None);
            }
            for (n, l) in &changes.number_leads {
                c.numbers.insert(n.clone(), Some(*l));
            }
        })
    }

    async fn open_intents(&self) -> Result<(u64, u64), StoreError> {
        self.base.open_intents().await
    }

    async fn counts(&self) -> Result<(u64, u64, u64, u64), StoreError> {
        self.base.counts().await
    }
}
