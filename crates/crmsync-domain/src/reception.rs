//! Clinic receptions and patients read from a medical information system (IDENT), and the funnel a patient is in.
//!
//! The MIS side hands over [`MisReception`] and [`MisPatient`] as its rows say; [`Reception::from_mis`] and
//! [`Patient::from_mis`] validate them (a reception without a patient, a negative cost, an unparseable birthday
//! are errors naming the field), so a job can count a bad record and go on with the rest. IDENT has no status
//! column: [`ReceptionFacts::status`] derives it from the fact timestamps.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::crm::Price;
use crate::phone::Phone;

/// A reception's id in the MIS (`Receptions.ID`, the "ID приёма").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceptionId(pub i64);

/// A patient's id in the MIS (`Patients.ID_Persons`, the person id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PatientId(pub i64);

impl fmt::Display for ReceptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for PatientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a reception stands, derived from its fact timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceptionStatus {
    /// Booked, nothing happened yet.
    Scheduled,
    /// The patient came, or the reception started.
    Arrived,
    /// The reception ended or a check was issued.
    Completed,
    /// Cancelled (a cancel time or a cancel reason is set).
    Cancelled,
}

impl ReceptionStatus {
    /// The status's name in reports (`scheduled`, `arrived`, `completed`, `cancelled`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Arrived => "arrived",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The fact columns of an IDENT reception, all nullable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReceptionFacts {
    /// `PatientAppeared`.
    pub patient_appeared: Option<NaiveDateTime>,
    /// `ReceptionStarted`.
    pub reception_started: Option<NaiveDateTime>,
    /// `ReceptionEnded`.
    pub reception_ended: Option<NaiveDateTime>,
    /// `CheckIssued`.
    pub check_issued: Option<NaiveDateTime>,
    /// `ReceptionCanceled`.
    pub reception_canceled: Option<NaiveDateTime>,
    /// `ID_ReceptionCancelReasons`.
    pub cancel_reason_id: Option<i64>,
}

impl ReceptionFacts {
    /// The status, by the rules in order: cancelled, then completed, then arrived, else scheduled.
    pub fn status(&self) -> ReceptionStatus {
        if self.reception_canceled.is_some() || self.cancel_reason_id.is_some() {
            ReceptionStatus::Cancelled
        } else if self.reception_ended.is_some() || self.check_issued.is_some() {
            ReceptionStatus::Completed
        } else if self.reception_started.is_some() || self.patient_appeared.is_some() {
            ReceptionStatus::Arrived
        } else {
            ReceptionStatus::Scheduled
        }
    }
}

/// A reception as the MIS rows give it, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MisReception {
    /// `Receptions.ID`.
    pub id: i64,
    /// `Receptions.ID_Patients` (nullable in IDENT).
    pub patient_id: Option<i64>,
    /// The doctor's name (`Staffs` → `Persons`), when a doctor is set.
    pub doctor: Option<String>,
    /// The service's name, when known.
    pub service: Option<String>,
    /// The cost as the MIS wrote it (decimal text; `,` or `.` as separator).
    pub cost: Option<String>,
    /// `PlanStart`.
    pub plan_start: Option<NaiveDateTime>,
    /// `PlanEnd`.
    pub plan_end: Option<NaiveDateTime>,
    /// `DateTimeChanged`: the incremental cursor's time.
    pub changed_at: NaiveDateTime,
    /// The fact timestamps.
    pub facts: ReceptionFacts,
}

/// A validated reception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reception {
    /// Its id.
    pub id: ReceptionId,
    /// The patient.
    pub patient_id: PatientId,
    /// The doctor's name.
    pub doctor: Option<String>,
    /// The service.
    pub service: Option<String>,
    /// The cost, never negative.
    pub cost: Option<Price>,
    /// Planned start.
    pub plan_start: Option<NaiveDateTime>,
    /// Planned end.
    pub plan_end: Option<NaiveDateTime>,
    /// Last change in the MIS.
    pub changed_at: NaiveDateTime,
    /// Derived status.
    pub status: ReceptionStatus,
}

/// Why a reception read from the MIS cannot be synced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceptionError {
    /// `ID_Patients` is empty or names no patient.
    #[error("patient not found")]
    PatientNotFound,
    /// The cost is not a number, or negative.
    #[error("field `cost` {0}")]
    BadCost(&'static str),
}

impl Reception {
    /// Validates a reception row.
    pub fn from_mis(raw: MisReception) -> Result<Self, ReceptionError> {
        let patient_id = raw.patient_id.ok_or(ReceptionError::PatientNotFound)?;
        let cost = match raw.cost.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(parse_cost(text)?),
        };
        Ok(Self {
            id: ReceptionId(raw.id),
            patient_id: PatientId(patient_id),
            doctor: non_empty(raw.doctor),
            service: non_empty(raw.service),
            cost,
            plan_start: raw.plan_start,
            plan_end: raw.plan_end,
            changed_at: raw.changed_at,
            status: raw.facts.status(),
        })
    }
}

fn parse_cost(text: &str) -> Result<Price, ReceptionError> {
    let normalised: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if !normalised
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'))
    {
        return Err(ReceptionError::BadCost("is not a number"));
    }
    let value: f64 = normalised
        .parse()
        .map_err(|_| ReceptionError::BadCost("is not a number"))?;
    if value < 0.0 {
        return Err(ReceptionError::BadCost("is negative"));
    }
    Price::from_decimal(value).ok_or(ReceptionError::BadCost("is out of range"))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A patient as the MIS rows give it, before validation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MisPatient {
    /// `Patients.ID_Persons`.
    pub id: i64,
    /// `Patients.CardNumber`.
    pub card_number: Option<String>,
    /// `Patients.PatientNumber`: the number the clinic's staff type into amoCRM deals.
    pub patient_number: Option<String>,
    /// `Persons.Surname`.
    pub surname: Option<String>,
    /// `Persons.Name`.
    pub name: Option<String>,
    /// `Persons.Patronymic`.
    pub patronymic: Option<String>,
    /// `Persons.Phone` and `Persons.MobilePhone`, as typed.
    pub phones: Vec<String>,
    /// `Persons.Birthday`: text, `dd.mm.yyyy` or `yyyy-mm-dd`.
    pub birthday: Option<String>,
    /// The later of `Persons.DateTimeChanged` and `Patients.DateTimeChanged`.
    pub changed_at: NaiveDateTime,
}

impl fmt::Debug for MisPatient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MisPatient")
            .field("id", &self.id)
            .field("phones", &self.phones.len())
            .field("changed_at", &self.changed_at)
            .finish_non_exhaustive()
    }
}

/// A validated patient.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    /// The MIS person id.
    pub id: PatientId,
    /// The card number.
    pub card_number: Option<String>,
    /// The patient number.
    pub patient_number: Option<String>,
    /// Surname.
    pub surname: Option<String>,
    /// Given name.
    pub name: Option<String>,
    /// Patronymic.
    pub patronymic: Option<String>,
    /// Every usable phone, normalised, without repeats.
    pub phones: Vec<Phone>,
    /// How many phone entries could not be read as a number.
    pub unusable_phones: usize,
    /// Date of birth.
    pub birthday: Option<NaiveDate>,
    /// Last change in the MIS.
    pub changed_at: NaiveDateTime,
}

impl fmt::Debug for Patient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Patient")
            .field("id", &self.id)
            .field("phones", &self.phones.len())
            .field("changed_at", &self.changed_at)
            .finish_non_exhaustive()
    }
}

/// Why a patient read from the MIS cannot be synced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatientError {
    /// `Birthday` is neither `dd.mm.yyyy` nor `yyyy-mm-dd` (the value is not repeated: it is personal data).
    #[error("field `birthday` is not a date in dd.mm.yyyy or yyyy-mm-dd form")]
    BadBirthday,
}

impl Patient {
    /// Validates a patient row: phones are normalised (unusable ones counted), the birthday parsed.
    pub fn from_mis(raw: MisPatient) -> Result<Self, PatientError> {
        let birthday = parse_birthday(raw.birthday.as_deref())?;
        let mut phones: Vec<Phone> = Vec::new();
        let mut unusable_phones = 0;
        for text in raw.phones.iter().filter(|p| !p.trim().is_empty()) {
            match Phone::parse(text) {
                Ok(phone) if !phones.contains(&phone) => phones.push(phone),
                Ok(_) => {}
                Err(_) => unusable_phones += 1,
            }
        }
        Ok(Self {
            id: PatientId(raw.id),
            card_number: non_empty(raw.card_number),
            patient_number: non_empty(raw.patient_number),
            surname: non_empty(raw.surname),
            name: non_empty(raw.name),
            patronymic: non_empty(raw.patronymic),
            phones,
            unusable_phones,
            birthday,
            changed_at: raw.changed_at,
        })
    }

    /// "Surname Name Patronymic", skipping empty parts; `Patient {id}` when all are empty.
    pub fn full_name(&self) -> String {
        let parts: Vec<&str> = [&self.surname, &self.name, &self.patronymic]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        if parts.is_empty() {
            format!("Patient {}", self.id)
        } else {
            parts.join(" ")
        }
    }
}

/// Parses IDENT's text birthday: `dd.mm.yyyy` (style 104) or `yyyy-mm-dd` (style 23), a time part after a space
/// ignored; empty text is no birthday.
pub fn parse_birthday(text: Option<&str>) -> Result<Option<NaiveDate>, PatientError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let date = text.split([' ', 'T']).next().unwrap_or(text);
    NaiveDate::parse_from_str(date, "%d.%m.%Y")
        .or_else(|_| NaiveDate::parse_from_str(date, "%Y-%m-%d"))
        .map(Some)
        .map_err(|_| PatientError::BadBirthday)
}

/// The amoCRM pipeline a reception's deal goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Funnel {
    /// "Первичные приёмы": the patient has no completed reception.
    Primary,
    /// "Повторные приёмы": the patient has one or more.
    Secondary,
}

impl Funnel {
    /// The funnel of a patient with `completed` completed receptions.
    pub const fn for_completed(completed: u32) -> Self {
        if completed == 0 {
            Self::Primary
        } else {
            Self::Secondary
        }
    }

    /// The funnel's name in reports (`primary`, `secondary`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }
}

#[cfg(test)]
mod tests;
