//! Writes a generated [`Clinic`] into an [`IdentDb`], and changes it the ways a clinic's day does (feature
//! `sandbox`): the demo, the tests and the benchmarks use it.

use chrono::NaiveDateTime;
use crmsync_ports::MisError;
use crmsync_sandbox::clinic::Clinic;

use crate::IdentDb;
use crate::source::Arg;

/// Rows per multi-row `INSERT`.
const ROWS_PER_INSERT: usize = 100;

/// Creates the schema and inserts every row of `clinic`.
pub async fn load(db: &IdentDb, clinic: &Clinic) -> Result<(), MisError> {
    db.create_schema().await?;
    let persons: Vec<Vec<Arg>> = clinic
        .persons
        .iter()
        .map(|p| {
            vec![
                Arg::Int(Some(p.id)),
                Arg::Text(Some(p.surname.clone())),
                Arg::Text(Some(p.name.clone())),
                Arg::Text(p.patronymic.clone()),
                Arg::Text(p.birthday.clone()),
                Arg::Text(p.phone.clone()),
                Arg::Text(p.mobile_phone.clone()),
                Arg::Time(Some(p.changed_at)),
            ]
        })
        .collect();
    insert(
        db,
        r#""Persons" ("ID", "Surname", "Name", "Patronymic", "Birthday", "Phone", "MobilePhone", "DateTimeChanged")"#,
        persons,
    )
    .await?;
    let staffs = clinic
        .staffs
        .iter()
        .map(|s| vec![Arg::Int(Some(s.person_id)), Arg::Bool(s.archive)])
        .collect();
    insert(db, r#""Staffs" ("ID_Persons", "Archive")"#, staffs).await?;
    let patients = clinic
        .patients
        .iter()
        .map(|p| {
            vec![
                Arg::Int(Some(p.person_id)),
                Arg::Text(Some(p.card_number.clone())),
                Arg::Text(Some(p.patient_number.clone())),
                Arg::Time(Some(p.changed_at)),
            ]
        })
        .collect();
    insert(
        db,
        r#""Patients" ("ID_Persons", "CardNumber", "PatientNumber", "DateTimeChanged")"#,
        patients,
    )
    .await?;
    let receptions = clinic
        .receptions
        .iter()
        .map(|r| {
            vec![
                Arg::Int(Some(r.id)),
                Arg::Int(r.patient_id),
                Arg::Int(r.staff_id),
                Arg::Int(r.facts.cancel_reason_id),
                Arg::Time(Some(r.plan_start)),
                Arg::Time(Some(r.plan_end)),
                Arg::Time(r.facts.patient_appeared),
                Arg::Time(r.facts.reception_started),
                Arg::Time(r.facts.reception_ended),
                Arg::Time(r.facts.check_issued),
                Arg::Time(r.facts.reception_canceled),
                Arg::Text(r.service.clone()),
                Arg::Text(r.cost.clone()),
                Arg::Time(Some(r.changed_at)),
            ]
        })
        .collect();
    insert(
        db,
        r#""Receptions" ("ID", "ID_Patients", "ID_Staffs", "ID_ReceptionCancelReasons", "PlanStart", "PlanEnd",
            "PatientAppeared", "ReceptionStarted", "ReceptionEnded", "CheckIssued", "ReceptionCanceled",
            "ServiceName", "Cost", "DateTimeChanged")"#,
        receptions,
    )
    .await
}

async fn insert(db: &IdentDb, target: &str, rows: Vec<Vec<Arg>>) -> Result<(), MisError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg>> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        let mut values = Vec::with_capacity(chunk.len());
        let mut args = Vec::new();
        for row in chunk {
            let start = args.len();
            let marks: Vec<String> = (1..=row.len()).map(|i| format!("${}", start + i)).collect();
            values.push(format!("({})", marks.join(", ")));
            args.extend(row);
        }
        let sql = format!("INSERT INTO {target} VALUES {}", values.join(", "));
        db.execute(&sql, args).await?;
    }
    Ok(())
}

/// Marks receptions as changed at `at` (a clinic edited them), with a new cost.
pub async fn touch_receptions(
    db: &IdentDb,
    ids: &[i64],
    at: NaiveDateTime,
    cost: &str,
) -> Result<u64, MisError> {
    let mut changed = 0;
    for id in ids {
        changed += db
            .execute(
                r#"UPDATE "Receptions" SET "DateTimeChanged" = $1, "Cost" = $2 WHERE "ID" = $3"#,
                vec![
                    Arg::Time(Some(at)),
                    Arg::Text(Some(cost.to_owned())),
                    Arg::Int(Some(*id)),
                ],
            )
            .await?;
    }
    Ok(changed)
}

/// Completes a reception at `at` (ended, check issued, changed).
pub async fn complete_reception(db: &IdentDb, id: i64, at: NaiveDateTime) -> Result<u64, MisError> {
    db.execute(
        r#"UPDATE "Receptions" SET "ReceptionEnded" = $1, "CheckIssued" = $1, "ReceptionCanceled" = NULL,
            "ID_ReceptionCancelReasons" = NULL, "DateTimeChanged" = $1 WHERE "ID" = $2"#,
        vec![Arg::Time(Some(at)), Arg::Int(Some(id))],
    )
    .await
}

/// Adds a reception of `patient` planned at `start`, changed at `at`.
pub async fn add_reception(
    db: &IdentDb,
    id: i64,
    patient: i64,
    start: NaiveDateTime,
    at: NaiveDateTime,
) -> Result<u64, MisError> {
    db.execute(
        r#"INSERT INTO "Receptions" ("ID", "ID_Patients", "ID_Staffs", "PlanStart", "PlanEnd", "ServiceName",
            "Cost", "DateTimeChanged") VALUES ($1, $2, 1, $3, $3, 'Консультация стоматолога', '1200', $4)"#,
        vec![
            Arg::Int(Some(id)),
            Arg::Int(Some(patient)),
            Arg::Time(Some(start)),
            Arg::Time(Some(at)),
        ],
    )
    .await
}

/// Renames a patient and sets their mobile phone, changed at `at`.
pub async fn edit_patient(
    db: &IdentDb,
    id: i64,
    surname: &str,
    mobile_phone: &str,
    at: NaiveDateTime,
) -> Result<u64, MisError> {
    db.execute(
        r#"UPDATE "Persons" SET "Surname" = $1, "MobilePhone" = $2, "DateTimeChanged" = $3 WHERE "ID" = $4"#,
        vec![
            Arg::Text(Some(surname.to_owned())),
            Arg::Text(Some(mobile_phone.to_owned())),
            Arg::Time(Some(at)),
            Arg::Int(Some(id)),
        ],
    )
    .await
}
