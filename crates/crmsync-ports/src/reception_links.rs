//! `ReceptionLinkStore`: what the reception sync remembers about amoCRM so it never searches the API per
//! reception — reception → deal, patient → contact, phone → contact, patient number → deal — and the intents it
//! records before each create, so a crashed run never creates a second deal or contact.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::crm::{ContactId, LeadId};
use crmsync_domain::{PatientId, ReceptionId};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What is remembered about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link<T> {
    /// A create was started at this time and its result is not known: the entity may exist.
    Intent(DateTime<Utc>),
    /// The entity.
    Linked(T),
}

impl<T: Copy> Link<T> {
    /// The linked entity, when there is one.
    pub fn linked(&self) -> Option<T> {
        match self {
            Self::Linked(id) => Some(*id),
            Self::Intent(_) => None,
        }
    }
}

/// Changes to the link tables, written in one transaction by [`ReceptionLinkStore::write`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkChanges {
    /// Intents to create deals for these receptions (kept when a link exists).
    pub reception_intents: Vec<(ReceptionId, DateTime<Utc>)>,
    /// Receptions and their deals (replacing intents and older links).
    pub reception_leads: Vec<(ReceptionId, LeadId)>,
    /// Intents to create contacts for these patients (kept when a link exists).
    pub patient_intents: Vec<(PatientId, DateTime<Utc>)>,
    /// Patients and their contacts.
    pub patient_contacts: Vec<(PatientId, ContactId)>,
    /// Normalised phones (E.164) and the contact that has them.
    pub phone_contacts: Vec<(String, ContactId)>,
    /// Patient numbers and the deal (with an empty reception id) that carries them.
    pub number_leads: Vec<(String, LeadId)>,
    /// Patient-number links to forget, each only if it still points at that deal.
    pub drop_number_leads: Vec<(String, LeadId)>,
}

impl LinkChanges {
    /// Whether nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.reception_intents.is_empty()
            && self.reception_leads.is_empty()
            && self.patient_intents.is_empty()
            && self.patient_contacts.is_empty()
            && self.phone_contacts.is_empty()
            && self.number_leads.is_empty()
            && self.drop_number_leads.is_empty()
    }

    /// How many rows would be written or deleted.
    pub fn len(&self) -> usize {
        self.reception_intents.len()
            + self.reception_leads.len()
            + self.patient_intents.len()
            + self.patient_contacts.len()
            + self.phone_contacts.len()
            + self.number_leads.len()
            + self.drop_number_leads.len()
    }
}

/// Link tables of the reception sync.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ReceptionLinkStore: Send + Sync {
    /// The links of these receptions (missing ones are left out).
    async fn reception_leads(
        &self,
        ids: &[ReceptionId],
    ) -> Result<Vec<(ReceptionId, Link<LeadId>)>, StoreError>;

    /// The links of these patients.
    async fn patient_contacts(
        &self,
        ids: &[PatientId],
    ) -> Result<Vec<(PatientId, Link<ContactId>)>, StoreError>;

    /// The contacts of these normalised phones.
    async fn phone_contacts(
        &self,
        phones: &[String],
    ) -> Result<Vec<(String, ContactId)>, StoreError>;

    /// The deals carrying these patient numbers with an empty reception id.
    async fn number_leads(&self, numbers: &[String]) -> Result<Vec<(String, LeadId)>, StoreError>;

    /// Applies `changes` in one transaction.
    async fn write(&self, changes: &LinkChanges) -> Result<(), StoreError>;

    /// How many creates were started and never confirmed (receptions, patients).
    async fn open_intents(&self) -> Result<(u64, u64), StoreError>;

    /// Row counts: (receptions linked, patients linked, phones, patient numbers).
    async fn counts(&self) -> Result<(u64, u64, u64, u64), StoreError>;
}
