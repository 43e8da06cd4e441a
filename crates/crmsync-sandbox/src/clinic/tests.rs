//! The generated clinic is reproducible and has the variety the sync must handle.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use crmsync_domain::{MisPatient, Patient, Phone, ReceptionStatus};

use super::*;

fn now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-12-07 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
}

#[test]
fn the_same_seed_makes_the_same_clinic() {
    let a = Clinic::generate(ClinicSpec::demo(now()));
    let b = Clinic::generate(ClinicSpec::demo(now()));
    assert_eq!(a, b);
    let c = Clinic::generate(ClinicSpec {
        seed: 2,
        ..ClinicSpec::demo(now())
    });
    assert_ne!(a.persons, c.persons);
}

#[test]
fn a_big_clinic_has_every_kind_of_row() {
    let clinic = Clinic::generate(ClinicSpec {
        patients: 2_000,
        receptions: 3_500,
        ..ClinicSpec::demo(now())
    });
    let statuses: HashSet<ReceptionStatus> =
        clinic.receptions.iter().map(|r| r.facts.status()).collect();
    assert_eq!(statuses.len(), 4, "{statuses:?}");
    let patients = &clinic.persons[clinic.spec.doctors..];
    let no_phone = patients
        .iter()
        .filter(|p| p.phone.is_none() && p.mobile_phone.is_none())
        .count();
    let two = patients
        .iter()
        .filter(|p| p.phone.is_some() && p.mobile_phone.is_some())
        .count();
    assert!(no_phone > 20 && two > 100, "{no_phone} {two}");
    let parsed = patients
        .iter()
        .flat_map(|p| [&p.phone, &p.mobile_phone])
        .flatten()
        .filter(|p| Phone::parse(p).is_ok())
        .count();
    let written = patients
        .iter()
        .flat_map(|p| [&p.phone, &p.mobile_phone])
        .flatten()
        .count();
    assert_eq!(parsed + 1, written, "only the bad row's phone is unusable");
    let mut completed: HashMap<i64, usize> = HashMap::new();
    let mut upcoming: HashSet<i64> = HashSet::new();
    for r in &clinic.receptions {
        let Some(patient) = r.patient_id else {
            continue;
        };
        match r.facts.status() {
            ReceptionStatus::Completed => *completed.entry(patient).or_default() += 1,
            ReceptionStatus::Scheduled => {
                upcoming.insert(patient);
            }
            _ => {}
        }
        assert!(r.changed_at < now());
    }
    assert!(
        upcoming
            .iter()
            .filter(|p| completed.contains_key(p))
            .count()
            > 50
    );
    let bad_birthdays = patients
        .iter()
        .filter(|p| {
            Patient::from_mis(MisPatient {
                id: p.id,
                card_number: None,
                patient_number: None,
                surname: None,
                name: None,
                patronymic: None,
                phones: Vec::new(),
                birthday: p.birthday.clone(),
                changed_at: p.changed_at,
            })
            .is_err()
        })
        .count();
    assert_eq!(bad_birthdays, 1);
}

#[test]
fn phones_are_written_many_ways() {
    let mut rng = DetRng::new(3);
    let shapes: HashSet<String> = (0..200)
        .map(|_| {
            written_phone(&mut rng)
                .chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect()
        })
        .collect();
    assert!(shapes.len() >= 5, "{shapes:?}");
}
