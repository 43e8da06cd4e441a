//! A generated dental clinic in IDENT's shape, for the reception sync's demo, tests and benchmarks.
//!
//! [`ClinicSpec`] says how many patients, doctors and receptions; [`Clinic::generate`] makes them reproducibly
//! from a seed: Russian names, phones written the ways people write them (some patients without a phone, some
//! with two), birthdays in both of IDENT's text styles, receptions in every status spread over past and future
//! days, and patients with both completed and upcoming receptions (so they appear in both funnels). Optional bad
//! rows exercise the sync's error handling. The rows mirror IDENT's tables (`Persons`, `Patients`, `Staffs`,
//! `Receptions`); `crmsync-ident` writes them into a database.

use std::fmt;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use crmsync_domain::ReceptionFacts;

use crate::rng::DetRng;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicSpec {
    /// Patients.
    pub patients: usize,
    /// Receptions (every patient gets at least one while there are enough).
    pub receptions: usize,
    /// Doctors.
    pub doctors: usize,
    /// Add bad rows: a reception without a patient, a negative and a non-numeric cost, a patient whose only
    /// phone is unusable, an unparseable birthday.
    pub bad_rows: bool,
    /// The generator's seed.
    pub seed: u64,
    /// "Now" in the clinic's local time: past receptions end before it, every change time is before it.
    pub now: NaiveDateTime,
}

impl ClinicSpec {
    /// A small clinic for `--sandbox` and the demo: 120 patients, 180 receptions, bad rows included.
    pub fn demo(now: NaiveDateTime) -> Self {
        Self {
            patients: 120,
            receptions: 180,
            doctors: 6,
            bad_rows: true,
            seed: 1,
            now,
        }
    }

    /// `receptions` receptions of as many new patients (one each), no bad rows: the benchmark input.
    pub fn plain(receptions: usize, now: NaiveDateTime) -> Self {
        Self {
            patients: receptions,
            receptions,
            doctors: 8,
            bad_rows: false,
            seed: 7,
            now,
        }
    }
}

/// A `Persons` row.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonRow {
    /// `ID`.
    pub id: i64,
    /// `Surname`.
    pub surname: String,
    /// `Name`.
    pub name: String,
    /// `Patronymic`.
    pub patronymic: Option<String>,
    /// `Birthday` (nvarchar).
    pub birthday: Option<String>,
    /// `Phone`.
    pub phone: Option<String>,
    /// `MobilePhone`.
    pub mobile_phone: Option<String>,
    /// `DateTimeChanged`.
    pub changed_at: NaiveDateTime,
}

impl fmt::Debug for PersonRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonRow")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A `Patients` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRow {
    /// `ID_Persons`.
    pub person_id: i64,
    /// `CardNumber`.
    pub card_number: String,
    /// `PatientNumber`.
    pub patient_number: String,
    /// `DateTimeChanged`.
    pub changed_at: NaiveDateTime,
}

/// A `Staffs` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    /// `ID_Persons`.
    pub person_id: i64,
    /// `Archive`.
    pub archive: bool,
}

/// A `Receptions` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceptionRow {
    /// `ID`.
    pub id: i64,
    /// `ID_Patients`.
    pub patient_id: Option<i64>,
    /// `ID_Staffs`.
    pub staff_id: Option<i64>,
    /// `PlanStart`.
    pub plan_start: NaiveDateTime,
    /// `PlanEnd`.
    pub plan_end: NaiveDateTime,
    /// The fact columns and `ID_ReceptionCancelReasons`.
    pub facts: ReceptionFacts,
    /// The service's name.
    pub service: Option<String>,
    /// The cost as text.
    pub cost: Option<String>,
    /// `DateTimeChanged`.
    pub changed_at: NaiveDateTime,
}

/// A generated clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clinic {
    /// The spec it was made from.
    pub spec: ClinicSpec,
    /// Doctors and patients.
    pub persons: Vec<PersonRow>,
    /// Patients.
    pub patients: Vec<PatientRow>,
    /// Doctors.
    pub staffs: Vec<StaffRow>,
    /// Receptions.
    pub receptions: Vec<ReceptionRow>,
}

/// The first patient's person id (doctors come before it).
pub const FIRST_PATIENT_ID: i64 = 1_000;
/// The first reception's id.
pub const FIRST_RECEPTION_ID: i64 = 50_000;

const SURNAMES: &[(&str, &str)] = &[
    ("Иванов", "Иванова"),
    ("Смирнов", "Смирнова"),
    ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"),
    ("Васильев", "Васильева"),
    ("Петров", "Петрова"),
    ("Соколов", "Соколова"),
    ("Михайлов", "Михайлова"),
    ("Новиков", "Новикова"),
    ("Фёдоров", "Фёдорова"),
    ("Морозов", "Морозова"),
    ("Волков", "Волкова"),
    ("Алексеев", "Алексеева"),
    ("Лебедев", "Лебедева"),
    ("Семёнов", "Семёнова"),
    ("Егоров", "Егорова"),
];
const MALE: &[&str] = &[
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
];
const FEMALE: &[&str] = &[
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Юлия",
    "Дарья",
];
const FATHERS: &[(&str, &str)] = &[
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Иванович", "Ивановна"),
    ("Петрович", "Петровна"),
    ("Николаевич", "Николаевна"),
    ("Владимирович", "Владимировна"),
];
const SERVICES: &[(&str, u32)] = &[
    ("Консультация стоматолога", 1_200),
    ("Профессиональная гигиена полости рта", 5_500),
    ("Лечение кариеса", 6_800),
    ("Лечение пульпита", 12_400),
    ("Удаление зуба", 4_300),
    ("Рентгенография (прицельный снимок)", 600),
    ("Установка имплантата", 42_000),
    ("Коронка металлокерамическая", 18_900),
];

impl Clinic {
    /// Generates the clinic `spec` describes.
    pub fn generate(spec: ClinicSpec) -> Self {
        let mut rng = DetRng::new(spec.seed);
        let now = spec.now;
        let mut persons = Vec::with_capacity(spec.patients + spec.doctors);
        let mut staffs = Vec::with_capacity(spec.doctors);
        for d in 0..spec.doctors {
            let id = i64::try_from(d).unwrap_or(0) + 1;
            let (surname, name, patronymic) = russian_name(&mut rng);
            persons.push(PersonRow {
                id,
                surname,
                name,
                patronymic: Some(patronymic),
                birthday: None,
                phone: None,
                mobile_phone: None,
                changed_at: now - Duration::days(400),
            });
            staffs.push(StaffRow {
                person_id: id,
                archive: false,
            });
        }
        let mut patients = Vec::with_capacity(spec.patients);
        for p in 0..spec.patients {
            let id = FIRST_PATIENT_ID + i64::try_from(p).unwrap_or(0);
            let (surname, name, patronymic) = russian_name(&mut rng);
            let roll = rng.below(100);
            let (phone, mobile_phone) = match roll {
                0..=4 => (None, None),
                5..=19 => (Some(written_phone(&mut rng)), Some(written_phone(&mut rng))),
                20..=59 => (None, Some(written_phone(&mut rng))),
                _ => (Some(written_phone(&mut rng)), None),
            };
            let born = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default()
                + Duration::days(i64::try_from(rng.below(365 * 55)).unwrap_or(0));
            let birthday = match rng.below(10) {
                0..=6 => Some(born.format("%d.%m.%Y").to_string()),
                7 | 8 => Some(born.format("%Y-%m-%d").to_string()),
                _ => None,
            };
            let changed_at = now - Duration::days(i64::try_from(rng.below(300)).unwrap_or(0) + 1);
            persons.push(PersonRow {
                id,
                surname,
                name,
                patronymic: (rng.below(10) > 0).then_some(patronymic),
                birthday,
                phone,
                mobile_phone,
                changed_at,
            });
            patients.push(PatientRow {
                person_id: id,
                card_number: format!("К-{:05}", p + 1),
                patient_number: format!("{}", 10_000 + p),
                changed_at,
            });
        }
        let mut receptions = Vec::with_capacity(spec.receptions);
        for r in 0..spec.receptions {
            let patient = if r < spec.patients {
                r
            } else {
                usize::try_from(rng.below(u64::try_from(spec.patients.max(1)).unwrap_or(1)))
                    .unwrap_or(0)
            };
            let id = FIRST_RECEPTION_ID + i64::try_from(r).unwrap_or(0);
            receptions.push(reception(
                &mut rng,
                &spec,
                id,
                FIRST_PATIENT_ID + i64::try_from(patient).unwrap_or(0),
            ));
        }
        let mut clinic = Self {
            spec,
            persons,
            patients,
            staffs,
            receptions,
        };
        if clinic.spec.bad_rows {
            clinic.add_bad_rows();
        }
        clinic
    }

    fn add_bad_rows(&mut self) {
        let now = self.spec.now;
        let next = FIRST_RECEPTION_ID + i64::try_from(self.receptions.len()).unwrap_or(0);
        let template = ReceptionRow {
            id: next,
            patient_id: None,
            staff_id: Some(1),
            plan_start: now - Duration::hours(3),
            plan_end: now - Duration::hours(2),
            facts: ReceptionFacts::default(),
            service: Some(SERVICES[0].0.to_owned()),
            cost: Some("1200".to_owned()),
            changed_at: now - Duration::hours(4),
        };
        let first = FIRST_PATIENT_ID;
        self.receptions.push(template.clone());
        self.receptions.push(ReceptionRow {
            id: next + 1,
            patient_id: Some(first),
            cost: Some("-500".to_owned()),
            ..template.clone()
        });
        self.receptions.push(ReceptionRow {
            id: next + 2,
            patient_id: Some(first),
            cost: Some("бесплатно".to_owned()),
            ..template.clone()
        });
        if let Some(person) = self.persons.iter_mut().find(|p| p.id == first + 1) {
            person.phone = Some("нет".to_owned());
            person.mobile_phone = None;
        }
        if let Some(person) = self.persons.iter_mut().find(|p| p.id == first + 2) {
            person.birthday = Some("31.02.1990".to_owned());
        }
        for (offset, patient) in [(3, first + 1), (4, first + 2)] {
            self.receptions.push(ReceptionRow {
                id: next + offset,
                patient_id: Some(patient),
                ..template.clone()
            });
        }
    }

    /// The ids of the bad receptions [`ClinicSpec::bad_rows`] added (empty without them).
    pub fn bad_reception_ids(&self) -> Vec<i64> {
        if !self.spec.bad_rows {
            return Vec::new();
        }
        let next = FIRST_RECEPTION_ID + i64::try_from(self.spec.receptions).unwrap_or(0);
        (next..next + 5).collect()
    }
}

fn russian_name(rng: &mut DetRng) -> (String, String, String) {
    let female = rng.below(2) == 0;
    let pick = |rng: &mut DetRng, n: usize| usize::try_from(rng.below(n as u64)).unwrap_or(0);
    let (male_surname, female_surname) = SURNAMES[pick(rng, SURNAMES.len())];
    let (male_patronymic, female_patronymic) = FATHERS[pick(rng, FATHERS.len())];
    if female {
        (
            female_surname.to_owned(),
            FEMALE[pick(rng, FEMALE.len())].to_owned(),
            female_patronymic.to_owned(),
        )
    } else {
        (
            male_surname.to_owned(),
            MALE[pick(rng, MALE.len())].to_owned(),
            male_patronymic.to_owned(),
        )
    }
}

/// A Russian mobile number in one of the ways people write it.
pub fn written_phone(rng: &mut DetRng) -> String {
    let code = 900 + rng.below(100);
    let a = rng.below(1000);
    let b = rng.below(100);
    let c = rng.below(100);
    match rng.below(6) {
        0 => format!("8 ({code}) {a:03}-{b:02}-{c:02}"),
        1 => format!("+7 {code} {a:03} {b:02} {c:02}"),
        2 => format!("7{code}{a:03}{b:02}{c:02}"),
        3 => format!("{code}{a:03}{b:02}{c:02}"),
        4 => format!("8-{code}-{a:03}-{b:02}-{c:02}"),
        _ => format!("+7({code}){a:03}-{b:02}{c:02}"),
    }
}

fn reception(rng: &mut DetRng, spec: &ClinicSpec, id: i64, patient: i64) -> ReceptionRow {
    let now = spec.now;
    let offset_hours = i64::try_from(rng.below(24 * 74)).unwrap_or(0) - 24 * 60;
    let plan_start = now + Duration::hours(offset_hours);
    let plan_end =
        plan_start + Duration::minutes(30 + 30 * i64::try_from(rng.below(3)).unwrap_or(0));
    let (service, price) = SERVICES[usize::try_from(rng.below(SERVICES.len() as u64)).unwrap_or(0)];
    let mut facts = ReceptionFacts::default();
    let past = plan_end < now;
    let roll = rng.below(100);
    let mut changed_at = plan_start - Duration::days(3);
    if past {
        match roll {
            0..=74 => {
                facts.patient_appeared = Some(plan_start - Duration::minutes(5));
                facts.reception_started = Some(plan_start);
                facts.reception_ended = Some(plan_end);
                facts.check_issued = Some(plan_end + Duration::minutes(5));
                changed_at = plan_end + Duration::minutes(5);
            }
            75..=84 => {
                facts.reception_canceled = Some(plan_start - Duration::days(1));
                facts.cancel_reason_id = Some(1 + i64::try_from(rng.below(4)).unwrap_or(0));
                changed_at = plan_start - Duration::days(1);
            }
            85..=92 => {
                facts.patient_appeared = Some(plan_start);
                facts.reception_started = Some(plan_start);
                changed_at = plan_start;
            }
            _ => {}
        }
    } else if roll < 8 {
        facts.reception_canceled = Some(now - Duration::hours(2));
        changed_at = now - Duration::hours(2);
    }
    if changed_at >= now {
        changed_at = now - Duration::minutes(1);
    }
    let cost = match rng.below(4) {
        0 => None,
        1 => Some(format!("{} {:03},00", price / 1000, price % 1000)),
        _ => Some(format!("{price}.00")),
    };
    ReceptionRow {
        id,
        patient_id: Some(patient),
        staff_id: Some(1 + i64::try_from(rng.below(spec.doctors.max(1) as u64)).unwrap_or(0)),
        plan_start,
        plan_end,
        facts,
        service: Some(service.to_owned()),
        cost,
        changed_at,
    }
}

#[cfg(test)]
mod tests;
