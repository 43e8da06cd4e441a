//! The row mapping every adapter shares: a [`Columns`] view of one result row, and the functions that turn it
//! into [`MisReception`], [`MisPatient`] and completed counts. Each driver only says how to read an integer, a
//! text and a timestamp by column name.

use chrono::NaiveDateTime;
use crmsync_domain::{MisPatient, MisReception, PatientId, ReceptionFacts};
use crmsync_ports::MisError;

/// One result row, read by column name.
pub trait Columns {
    /// The table the row comes from, for error messages.
    fn table(&self) -> &'static str;
    /// An integer column (any width); `None` for NULL.
    fn int(&self, column: &'static str) -> Result<Option<i64>, MisError>;
    /// A text column; `None` for NULL.
    fn text(&self, column: &'static str) -> Result<Option<String>, MisError>;
    /// A timestamp column without time zone; `None` for NULL.
    fn time(&self, column: &'static str) -> Result<Option<NaiveDateTime>, MisError>;
}

fn required<T>(row: &dyn Columns, column: &'static str, value: Option<T>) -> Result<T, MisError> {
    value.ok_or_else(|| MisError::Column {
        table: row.table(),
        column,
        reason: "is NULL".into(),
    })
}

/// A reception from a row of [`sql::receptions_since`](crate::sql::receptions_since) or its T-SQL twin.
pub fn reception(row: &dyn Columns) -> Result<MisReception, MisError> {
    let doctor = [
        row.text("DoctorSurname")?,
        row.text("DoctorName")?,
        row.text("DoctorPatronymic")?,
    ]
    .into_iter()
    .flatten()
    .map(|part| part.trim().to_owned())
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    Ok(MisReception {
        id: required(row, "ID", row.int("ID")?)?,
        patient_id: row.int("ID_Patients")?,
        doctor: (!doctor.is_empty()).then_some(doctor),
        service: row.text("ServiceName")?,
        cost: row.text("Cost")?,
        plan_start: row.time("PlanStart")?,
        plan_end: row.time("PlanEnd")?,
        changed_at: required(row, "DateTimeChanged", row.time("DateTimeChanged")?)?,
        facts: ReceptionFacts {
            patient_appeared: row.time("PatientAppeared")?,
            reception_started: row.time("ReceptionStarted")?,
            reception_ended: row.time("ReceptionEnded")?,
            check_issued: row.time("CheckIssued")?,
            reception_canceled: row.time("ReceptionCanceled")?,
            cancel_reason_id: row.int("ID_ReceptionCancelReasons")?,
        },
    })
}

/// A patient from a row of [`sql::patients_since`](crate::sql::patients_since) or its T-SQL twin.
pub fn patient(row: &dyn Columns) -> Result<MisPatient, MisError> {
    let phones = [row.text("Phone")?, row.text("MobilePhone")?]
        .into_iter()
        .flatten()
        .filter(|p| !p.trim().is_empty())
        .collect();
    Ok(MisPatient {
        id: required(row, "ID", row.int("ID")?)?,
        card_number: row.text("CardNumber")?,
        patient_number: row.text("PatientNumber")?,
        surname: row.text("Surname")?,
        name: row.text("Name")?,
        patronymic: row.text("Patronymic")?,
        phones,
        birthday: row.text("Birthday")?,
        changed_at: required(row, "ChangedAt", row.time("ChangedAt")?)?,
    })
}

/// A (patient, completed receptions) pair from a row of
/// [`sql::completed_counts`](crate::sql::completed_counts).
pub fn completed(row: &dyn Columns) -> Result<(PatientId, u32), MisError> {
    let id = required(row, "ID", row.int("ID")?)?;
    let count = required(row, "Completed", row.int("Completed")?)?;
    let count = u32::try_from(count).map_err(|_| MisError::Column {
        table: row.table(),
        column: "Completed",
        reason: format!("{count} is out of range"),
    })?;
    Ok((PatientId(id), count))
}

/// A row count column, never negative.
pub fn count(row: &dyn Columns, column: &'static str) -> Result<u64, MisError> {
    let value = required(row, column, row.int(column)?)?;
    u64::try_from(value).map_err(|_| MisError::Column {
        table: row.table(),
        column,
        reason: "is negative".into(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crmsync_domain::ReceptionStatus;

    use super::*;

    enum Value {
        Int(i64),
        Text(&'static str),
        Time(&'static str),
    }

    struct FakeRow(HashMap<&'static str, Value>);

    impl Columns for FakeRow {
        fn table(&self) -> &'static str {
            "Receptions"
        }
        fn int(&self, column: &'static str) -> Result<Option<i64>, MisError> {
            match self.0.get(column) {
                None => Ok(None),
                Some(Value::Int(v)) => Ok(Some(*v)),
                Some(_) => Err(MisError::Column {
                    table: "Receptions",
                    column,
                    reason: "not an integer".into(),
                }),
            }
        }
        fn text(&self, column: &'static str) -> Result<Option<String>, MisError> {
            Ok(match self.0.get(column) {
                Some(Value::Text(v)) => Some((*v).to_owned()),
                _ => None,
            })
        }
        fn time(&self, column: &'static str) -> Result<Option<NaiveDateTime>, MisError> {
            Ok(match self.0.get(column) {
                Some(Value::Time(v)) => {
                    Some(NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").unwrap())
                }
                _ => None,
            })
        }
    }

    #[test]
    fn a_reception_row_maps_with_the_doctor_name_and_status() {
        let row = FakeRow(HashMap::from([
            ("ID", Value::Int(7)),
            ("ID_Patients", Value::Int(1001)),
            ("DateTimeChanged", Value::Time("2026-12-01 10:00:00")),
            ("ReceptionEnded", Value::Time("2026-12-01 10:30:00")),
            ("DoctorSurname", Value::Text("Иванов")),
            ("DoctorName", Value::Text("Пётр ")),
            ("Cost", Value::Text("1500.00")),
        ]));
        let reception = reception(&row).unwrap();
        assert_eq!(reception.id, 7);
        assert_eq!(reception.patient_id, Some(1001));
        assert_eq!(reception.doctor.as_deref(), Some("Иванов Пётр"));
        assert_eq!(reception.cost.as_deref(), Some("1500.00"));
        assert_eq!(reception.facts.status(), ReceptionStatus::Completed);
    }

    #[test]
    fn missing_required_columns_and_wrong_types_are_named() {
        let row = FakeRow(HashMap::from([("ID", Value::Int(7))]));
        let error = reception(&row).unwrap_err().to_string();
        assert!(error.contains("DateTimeChanged"), "{error}");
        let row = FakeRow(HashMap::from([("ID", Value::Text("x"))]));
        let error = reception(&row).unwrap_err().to_string();
        assert!(error.contains("`ID`"), "{error}");
        let row = FakeRow(HashMap::from([
            ("ID", Value::Int(1)),
            ("Completed", Value::Int(-1)),
        ]));
        assert!(completed(&row).is_err());
    }

    #[test]
    fn a_patient_row_collects_both_phones() {
        let row = FakeRow(HashMap::from([
            ("ID", Value::Int(1001)),
            ("Phone", Value::Text("8 916 123-45-67")),
            ("MobilePhone", Value::Text(" ")),
            ("Birthday", Value::Text("01.02.1990")),
            ("ChangedAt", Value::Time("2026-12-01 10:00:00")),
        ]));
        let patient = patient(&row).unwrap();
        assert_eq!(patient.phones, ["8 916 123-45-67"]);
        assert_eq!(patient.birthday.as_deref(), Some("01.02.1990"));
    }
}
