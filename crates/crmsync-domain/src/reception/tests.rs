//! Status derivation, validation of MIS rows, birthdays and funnels.

use chrono::{NaiveDate, NaiveDateTime};

use super::*;

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn raw_reception() -> MisReception {
    MisReception {
        id: 12_345,
        patient_id: Some(100),
        doctor: Some("Иванов Иван".into()),
        service: Some(" Осмотр ".into()),
        cost: Some("1 500,50".into()),
        plan_start: Some(at("2026-12-01 10:00:00")),
        plan_end: Some(at("2026-12-01 10:30:00")),
        changed_at: at("2026-11-30 09:00:00"),
        facts: ReceptionFacts::default(),
    }
}

fn raw_patient() -> MisPatient {
    MisPatient {
        id: 100,
        card_number: Some("A-1".into()),
        patient_number: Some("PAT001".into()),
        surname: Some("Петрова".into()),
        name: Some("Анна".into()),
        patronymic: None,
        phones: vec![
            "8 (916) 123-45-67".into(),
            "+7 916 123 45 67".into(),
            "n/a".into(),
            String::new(),
        ],
        birthday: Some("01.02.1990".into()),
        changed_at: at("2026-11-30 09:00:00"),
    }
}

#[test]
fn status_follows_the_rules_in_order() {
    let t = Some(at("2026-12-01 10:00:00"));
    let cases = [
        (ReceptionFacts::default(), ReceptionStatus::Scheduled),
        (
            ReceptionFacts {
                patient_appeared: t,
                ..ReceptionFacts::default()
            },
            ReceptionStatus::Arrived,
        ),
        (
            ReceptionFacts {
                reception_started: t,
                ..ReceptionFacts::default()
            },
            ReceptionStatus::Arrived,
        ),
        (
            ReceptionFacts {
                reception_started: t,
                reception_ended: t,
                ..ReceptionFacts::default()
            },
            ReceptionStatus::Completed,
        ),
        (
            ReceptionFacts {
                check_issued: t,
                ..ReceptionFacts::default()
            },
            ReceptionStatus::Completed,
        ),
        (
            ReceptionFacts {
                reception_ended: t,
                reception_canceled: t,
                ..ReceptionFacts::default()
            },
            ReceptionStatus::Cancelled,
        ),
        (
            ReceptionFacts {
                patient_appeared: t,
                cancel_reason_id: Some(3),
                ..ReceptionFacts::default()
            },
            ReceptionStatus::Cancelled,
        ),
    ];
    for (facts, expected) in cases {
        assert_eq!(facts.status(), expected, "{facts:?}");
    }
}

#[test]
fn a_reception_row_is_validated() {
    let reception = Reception::from_mis(raw_reception()).unwrap();
    assert_eq!(reception.id, ReceptionId(12_345));
    assert_eq!(reception.patient_id, PatientId(100));
    assert_eq!(reception.service.as_deref(), Some("Осмотр"));
    assert_eq!(reception.cost, Some(Price::from_hundredths(150_050)));
    assert_eq!(reception.status, ReceptionStatus::Scheduled);
}

#[test]
fn bad_receptions_name_the_problem() {
    let no_patient = MisReception {
        patient_id: None,
        ..raw_reception()
    };
    assert_eq!(
        Reception::from_mis(no_patient),
        Err(ReceptionError::PatientNotFound)
    );
    for (cost, reason) in [
        ("-10", "is negative"),
        ("abc", "is not a number"),
        ("1.2.3", "is not a number"),
    ] {
        let raw = MisReception {
            cost: Some(cost.into()),
            ..raw_reception()
        };
        assert_eq!(
            Reception::from_mis(raw),
            Err(ReceptionError::BadCost(reason)),
            "{cost}"
        );
    }
    let blank = MisReception {
        cost: Some("  ".into()),
        ..raw_reception()
    };
    assert_eq!(Reception::from_mis(blank).unwrap().cost, None);
}

#[test]
fn a_patient_row_is_validated_and_phones_deduplicated() {
    let patient = Patient::from_mis(raw_patient()).unwrap();
    assert_eq!(patient.phones.len(), 1);
    assert_eq!(patient.phones[0].as_e164(), "+79161234567");
    assert_eq!(patient.unusable_phones, 1);
    assert_eq!(patient.birthday, NaiveDate::from_ymd_opt(1990, 2, 1));
    assert_eq!(patient.full_name(), "Петрова Анна");
}

#[test]
fn birthdays_in_both_styles_and_bad_ones() {
    let expected = NaiveDate::from_ymd_opt(1985, 7, 23);
    assert_eq!(parse_birthday(Some("23.07.1985")).unwrap(), expected);
    assert_eq!(parse_birthday(Some("1985-07-23")).unwrap(), expected);
    assert_eq!(
        parse_birthday(Some("1985-07-23 00:00:00")).unwrap(),
        expected
    );
    assert_eq!(parse_birthday(Some("")).unwrap(), None);
    assert_eq!(parse_birthday(None).unwrap(), None);
    for bad in ["31.02.1990", "23/07/1985", "вчера"] {
        assert_eq!(
            parse_birthday(Some(bad)),
            Err(PatientError::BadBirthday),
            "{bad}"
        );
    }
}

#[test]
fn debug_output_carries_no_personal_data() {
    let shown = format!(
        "{:?} {:?}",
        raw_patient(),
        Patient::from_mis(raw_patient()).unwrap()
    );
    for secret in ["Петрова", "Анна", "916", "1990"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn funnel_boundaries() {
    assert_eq!(Funnel::for_completed(0), Funnel::Primary);
    assert_eq!(Funnel::for_completed(1), Funnel::Secondary);
    assert_eq!(Funnel::for_completed(7), Funnel::Secondary);
}
