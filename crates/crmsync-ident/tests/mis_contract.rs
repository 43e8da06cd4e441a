//! One `MisSource` contract, run on PostgreSQL and on SQLite with a generated clinic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use crmsync_domain::{PatientId, ReceptionId, ReceptionStatus};
use crmsync_ident::{IdentDb, fixture};
use crmsync_ports::{MisCursor, MisSource};
use crmsync_sandbox::clinic::{Clinic, ClinicSpec, FIRST_PATIENT_ID};

fn now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-12-07 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
}

async fn contract(db: IdentDb) {
    let clinic = Clinic::generate(ClinicSpec {
        patients: 300,
        receptions: 450,
        ..ClinicSpec::demo(now())
    });
    fixture::load(&db, &clinic).await.unwrap();

    let mut cursor: Option<MisCursor> = None;
    let mut seen = Vec::new();
    loop {
        let page = db.receptions_since(cursor, 37).await.unwrap();
        assert!(page.len() <= 37);
        let Some(last) = page.last() else { break };
        cursor = Some(MisCursor {
            changed_at: last.changed_at,
            id: last.id,
        });
        seen.extend(page.into_iter().map(|r| (r.changed_at, r.id)));
    }
    assert_eq!(seen.len(), clinic.receptions.len());
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ordered, no repeats");

    let tied = [900_001, 900_002, 900_003];
    for id in tied {
        fixture::add_reception(&db, id, FIRST_PATIENT_ID, now(), now() + Duration::days(1))
            .await
            .unwrap();
    }
    let mut after = Some(MisCursor::since(now() + Duration::days(1)));
    let mut ids = Vec::new();
    for _ in 0..5 {
        let page = db.receptions_since(after, 1).await.unwrap();
        let Some(r) = page.first() else { break };
        after = Some(MisCursor {
            changed_at: r.changed_at,
            id: r.id,
        });
        ids.push(r.id);
    }
    assert_eq!(ids, tied, "equal change times are continued by id");

    let expected = &clinic.receptions[3];
    let one = db
        .reception(ReceptionId(expected.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.patient_id, expected.patient_id);
    assert_eq!(one.facts, expected.facts);
    assert_eq!(one.cost, expected.cost);
    assert!(one.doctor.is_some());
    assert!(db.reception(ReceptionId(1)).await.unwrap().is_none());

    let mut cursor = None;
    let mut patients = 0;
    loop {
        let page = db.patients_since(cursor, 64).await.unwrap();
        let Some(last) = page.last() else { break };
        cursor = Some(MisCursor {
            changed_at: last.changed_at,
            id: last.id,
        });
        patients += page.len();
    }
    assert_eq!(patients, clinic.patients.len());
    fixture::edit_patient(&db, FIRST_PATIENT_ID + 5, "Новая", "8 900 000-00-05", now())
        .await
        .unwrap();
    let changed = db
        .patients_since(Some(MisCursor::since(now())), 10)
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].id, FIRST_PATIENT_ID + 5);
    assert_eq!(changed[0].surname.as_deref(), Some("Новая"));
    assert!(changed[0].phones.iter().any(|p| p == "8 900 000-00-05"));

    let wanted = [
        PatientId(FIRST_PATIENT_ID),
        PatientId(FIRST_PATIENT_ID + 7),
        PatientId(5),
    ];
    let found = db.patients(&wanted).await.unwrap();
    assert_eq!(found.len(), 2);

    let mut expected_counts: HashMap<i64, u32> = HashMap::new();
    for r in &clinic.receptions {
        if r.facts.status() == ReceptionStatus::Completed
            && let Some(p) = r.patient_id
        {
            *expected_counts.entry(p).or_default() += 1;
        }
    }
    let ids: Vec<PatientId> = clinic
        .patients
        .iter()
        .map(|p| PatientId(p.person_id))
        .collect();
    let counts: HashMap<i64, u32> = db
        .completed_counts(&ids)
        .await
        .unwrap()
        .into_iter()
        .map(|(p, n)| (p.0, n))
        .collect();
    assert_eq!(counts, expected_counts);
    assert!(!counts.is_empty());

    let info = db.info().await.unwrap();
    assert_eq!(
        info.receptions as usize,
        clinic.receptions.len() + tied.len()
    );
    assert_eq!(info.patients as usize, clinic.patients.len());
    assert!(db.receptions_since(None, 0).await.is_err());
}

#[tokio::test]
async fn sqlite_serves_the_ident_schema() {
    let dir = std::env::temp_dir().join(format!("crmsync-ident-{}", uuid_like()));
    let db = IdentDb::open(&format!("sqlite:{}", dir.join("ident.sqlite").display()))
        .await
        .unwrap();
    contract(db).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn postgres_serves_the_ident_schema() {
    let database = crmsync_testkit::services::fresh_postgres().await;
    let db = IdentDb::open(&database.url).await.unwrap();
    contract(db).await;
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
