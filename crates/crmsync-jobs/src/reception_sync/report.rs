//! What a reception-sync run did, counted per action, per search level and per funnel, with errors by
//! reception id (no names, no phones).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which kind of run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Receptions changed since the stored cursor.
    #[default]
    Incremental,
    /// Receptions changed since a given time (the cursor is not moved back).
    Since,
    /// Receptions changed in the last days of the deep-sync window.
    Deep,
    /// One reception (`test-reception`).
    Single,
    /// Patients changed since the stored cursor: contact names and phones.
    Patients,
}

/// One reception (or patient) that could not be synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The reception id (or, for patient sync, the patient id).
    pub id: i64,
    /// What went wrong.
    pub error: String,
}

/// Most failures listed in a report.
pub const MAX_FAILURES: usize = 50;

/// The counts of one run. In a dry run they say what the run would do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Report {
    /// Which kind of run.
    pub mode: SyncMode,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Receptions read from the MIS.
    pub receptions: u64,
    /// Batches planned.
    pub batches: u64,
    /// Deals created.
    pub deals_created: u64,
    /// Contacts created.
    pub contacts_created: u64,
    /// Deals updated.
    pub deals_updated: u64,
    /// Deals already up to date.
    pub unchanged: u64,
    /// Receptions skipped by rule (their deal is closed).
    pub skipped: u64,
    /// Matches per search level: reception id, patient number, patient's contact, phone.
    pub by_level: LevelCounts,
    /// Receptions per funnel (skipped ones excluded).
    pub primary: u64,
    /// Receptions in the secondary funnel.
    pub secondary: u64,
    /// Patients read (patient sync).
    pub patients: u64,
    /// Contacts whose name or phones were refreshed (patient sync).
    pub contacts_updated: u64,
    /// The read of amoCRM that refreshed the link tables.
    pub amocrm_read: ReadCounts,
    /// Candidate deals whose stage was verified.
    pub verified_leads: u64,
    /// Errors (each also in `failures`, up to [`MAX_FAILURES`]).
    pub errors: u64,
    /// The first failures.
    pub failures: Vec<Failure>,
    /// Requests sent to amoCRM, when the client counts them.
    pub amocrm_requests: Option<u64>,
}

/// Matches per search level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LevelCounts {
    /// Level 1: the reception-id field.
    pub reception_id: u64,
    /// Level 2: the patient number on a deal without a reception id.
    pub patient_number: u64,
    /// Level 3a: the contact created for the patient earlier.
    pub patient_contact: u64,
    /// Level 3b: a contact with the patient's phone.
    pub phone: u64,
}

/// The incremental (or first, bootstrap) read of amoCRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReadCounts {
    /// Whether it was the first read of the account (everything).
    pub bootstrap: bool,
    /// Pages of deals read.
    pub lead_pages: u64,
    /// Pages of contacts read.
    pub contact_pages: u64,
    /// Deals read.
    pub leads: u64,
    /// Contacts read.
    pub contacts: u64,
    /// Creates of an earlier run whose result was unknown, found to exist.
    pub intents_resolved: u64,
}

impl Report {
    /// Counts an error for `id`.
    pub fn fail(&mut self, id: i64, error: impl Into<String>) {
        self.errors += 1;
        if self.failures.len() < MAX_FAILURES {
            self.failures.push(Failure {
                id,
                error: error.into(),
            });
        }
    }

    /// Writes (or would write, in a dry run) to amoCRM.
    pub fn writes(&self) -> u64 {
        self.deals_created + self.contacts_created + self.deals_updated + self.contacts_updated
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            SyncMode::Incremental => "reception sync",
            SyncMode::Since => "reception sync (since)",
            SyncMode::Deep => "deep sync",
            SyncMode::Single => "test reception",
            SyncMode::Patients => "patient sync",
        };
        let dry = if self.dry_run {
            " — dry run, nothing written"
        } else {
            ""
        };
        writeln!(f, "{mode}{dry}")?;
        let read = &self.amocrm_read;
        writeln!(
            f,
            "  amoCRM read{}: {} deal(s) in {} page(s), {} contact(s) in {} page(s)",
            if read.bootstrap {
                " (first, whole account)"
            } else {
                ""
            },
            read.leads,
            read.lead_pages,
            read.contacts,
            read.contact_pages
        )?;
        if self.mode == SyncMode::Patients {
            writeln!(
                f,
                "  patients {}  contacts updated {}",
                self.patients, self.contacts_updated
            )?;
        } else {
            writeln!(
                f,
                "  receptions {}  deals created {}  contacts created {}  deals updated {}  unchanged {}  skipped {}",
                self.receptions,
                self.deals_created,
                self.contacts_created,
                self.deals_updated,
                self.unchanged,
                self.skipped
            )?;
            let l = &self.by_level;
            writeln!(
                f,
                "  found by reception id {}  by patient number {}  by patient's contact {}  by phone {}",
                l.reception_id, l.patient_number, l.patient_contact, l.phone
            )?;
            writeln!(
                f,
                "  funnel distribution: {} primary, {} secondary",
                self.primary, self.secondary
            )?;
        }
        if let Some(requests) = self.amocrm_requests {
            writeln!(f, "  amoCRM requests {requests}")?;
        }
        writeln!(f, "  errors {}", self.errors)?;
        for failure in &self.failures {
            writeln!(f, "    {}: {}", failure.id, failure.error)?;
        }
        Ok(())
    }
}
