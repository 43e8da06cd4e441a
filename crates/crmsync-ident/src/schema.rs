//! The part of IDENT's schema the sync reads, as DDL that PostgreSQL and SQLite both accept.
//!
//! Identifiers are quoted to keep IDENT's mixed case. Ids are `BIGINT` (IDENT's are `int`; the row mapping reads
//! either). `Birthday` is text, as in IDENT. `Receptions.DateTimeChanged`, `ServiceName` and `Cost` are not in the
//! verified part of the reference (see `docs/reception-sync.md`).

/// `CREATE TABLE IF NOT EXISTS` statements, one per element, in dependency order.
pub const DDL: &[&str] = &[
    r#"CREATE TABLE IF NOT EXISTS "Persons" (
        "ID" BIGINT PRIMARY KEY,
        "Surname" TEXT,
        "Name" TEXT,
        "Patronymic" TEXT,
        "Birthday" TEXT,
        "Phone" TEXT,
        "MobilePhone" TEXT,
        "Email" TEXT,
        "DateTimeChanged" TIMESTAMP NOT NULL
    )"#,
    r#"CREATE TABLE IF NOT EXISTS "Patients" (
        "ID_Persons" BIGINT PRIMARY KEY REFERENCES "Persons" ("ID"),
        "CardNumber" TEXT,
        "PatientNumber" TEXT,
        "DateTimeChanged" TIMESTAMP NOT NULL
    )"#,
    r#"CREATE TABLE IF NOT EXISTS "Staffs" (
        "ID_Persons" BIGINT PRIMARY KEY REFERENCES "Persons" ("ID"),
        "Archive" BOOLEAN NOT NULL DEFAULT FALSE
    )"#,
    r#"CREATE TABLE IF NOT EXISTS "Receptions" (
        "ID" BIGINT PRIMARY KEY,
        "ID_Patients" BIGINT REFERENCES "Patients" ("ID_Persons"),
        "ID_Staffs" BIGINT REFERENCES "Staffs" ("ID_Persons"),
        "ID_Armchairs" BIGINT,
        "ID_ReceptionCancelReasons" BIGINT,
        "PlanStart" TIMESTAMP,
        "PlanEnd" TIMESTAMP,
        "PatientAppeared" TIMESTAMP,
        "ReceptionStarted" TIMESTAMP,
        "ReceptionEnded" TIMESTAMP,
        "CheckIssued" TIMESTAMP,
        "ReceptionCanceled" TIMESTAMP,
        "ServiceName" TEXT,
        "Cost" TEXT,
        "DateTimeChanged" TIMESTAMP NOT NULL
    )"#,
    r#"CREATE INDEX IF NOT EXISTS "IX_Receptions_Changed" ON "Receptions" ("DateTimeChanged", "ID")"#,
    r#"CREATE INDEX IF NOT EXISTS "IX_Receptions_Patients" ON "Receptions" ("ID_Patients")"#,
];
