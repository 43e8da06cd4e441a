//! The queries of [`IdentDb`](crate::IdentDb) in SQL that PostgreSQL and SQLite both accept (`$n` parameters,
//! `LIMIT`). Their column names are the ones [`rows`](crate::rows) reads; [`tsql`](crate::tsql) has the same
//! queries for SQL Server.

/// The columns of a reception, with the doctor's name parts (`Staffs.ID_Persons` is a `Persons.ID`).
const RECEPTION_COLUMNS: &str = r#"r."ID", r."ID_Patients", r."PlanStart", r."PlanEnd", r."DateTimeChanged",
    r."PatientAppeared", r."ReceptionStarted", r."ReceptionEnded", r."CheckIssued", r."ReceptionCanceled",
    r."ID_ReceptionCancelReasons", r."ServiceName", CAST(r."Cost" AS TEXT) AS "Cost",
    d."Surname" AS "DoctorSurname", d."Name" AS "DoctorName", d."Patronymic" AS "DoctorPatronymic"
    FROM "Receptions" r LEFT JOIN "Persons" d ON d."ID" = r."ID_Staffs""#;

/// Receptions after the cursor `($1, $2)`, at most `$3`.
pub fn receptions_since() -> String {
    format!(
        r#"SELECT {RECEPTION_COLUMNS}
    WHERE r."DateTimeChanged" > $1 OR (r."DateTimeChanged" = $1 AND r."ID" > $2)
    ORDER BY r."DateTimeChanged", r."ID" LIMIT $3"#
    )
}

/// The first `$1` receptions (no cursor yet).
pub fn receptions_first() -> String {
    format!(r#"SELECT {RECEPTION_COLUMNS} ORDER BY r."DateTimeChanged", r."ID" LIMIT $1"#)
}

/// One reception by id `$1`.
pub fn reception_by_id() -> String {
    format!(r#"SELECT {RECEPTION_COLUMNS} WHERE r."ID" = $1"#)
}

/// A patient's columns; `ChangedAt` is the later of the person's and the patient's change times.
const PATIENT_SELECT: &str = r#"SELECT * FROM (SELECT p."ID", pa."CardNumber", pa."PatientNumber",
    p."Surname", p."Name", p."Patronymic", p."Birthday", p."Phone", p."MobilePhone",
    CASE WHEN pa."DateTimeChanged" > p."DateTimeChanged" THEN pa."DateTimeChanged"
         ELSE p."DateTimeChanged" END AS "ChangedAt"
    FROM "Patients" pa JOIN "Persons" p ON p."ID" = pa."ID_Persons") x"#;

/// Patients after the cursor `($1, $2)`, at most `$3`.
pub fn patients_since() -> String {
    format!(
        r#"{PATIENT_SELECT}
    WHERE x."ChangedAt" > $1 OR (x."ChangedAt" = $1 AND x."ID" > $2)
    ORDER BY x."ChangedAt", x."ID" LIMIT $3"#
    )
}

/// The first `$1` patients.
pub fn patients_first() -> String {
    format!(r#"{PATIENT_SELECT} ORDER BY x."ChangedAt", x."ID" LIMIT $1"#)
}

/// Patients whose id is one of `$1 … $n`.
pub fn patients_by_ids(n: usize) -> String {
    format!(r#"{PATIENT_SELECT} WHERE x."ID" IN ({})"#, placeholders(n))
}

/// The condition of a completed reception: ended or checked out, and not cancelled.
const COMPLETED: &str = r#"r."ReceptionCanceled" IS NULL AND r."ID_ReceptionCancelReasons" IS NULL
    AND (r."ReceptionEnded" IS NOT NULL OR r."CheckIssued" IS NOT NULL)"#;

/// Completed-reception counts of the patients `$1 … $n`.
pub fn completed_counts(n: usize) -> String {
    format!(
        r#"SELECT r."ID_Patients" AS "ID", COUNT(*) AS "Completed" FROM "Receptions" r
    WHERE r."ID_Patients" IN ({}) AND {COMPLETED} GROUP BY r."ID_Patients""#,
        placeholders(n)
    )
}

/// Row counts for `info`.
pub const COUNTS: &str = r#"SELECT (SELECT COUNT(*) FROM "Receptions") AS "Receptions",
    (SELECT COUNT(*) FROM "Patients") AS "Patients""#;

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_condition_breaks_ties_by_id() {
        let sql = receptions_since();
        assert!(
            sql.contains(
                r#"r."DateTimeChanged" > $1 OR (r."DateTimeChanged" = $1 AND r."ID" > $2)"#
            )
        );
        assert!(sql.ends_with("LIMIT $3"));
        assert!(sql.contains(r#"ORDER BY r."DateTimeChanged", r."ID""#));
    }

    #[test]
    fn in_lists_have_one_placeholder_per_id() {
        assert!(completed_counts(3).contains("IN ($1, $2, $3)"));
        assert!(patients_by_ids(1).ends_with("IN ($1)"));
    }
}
