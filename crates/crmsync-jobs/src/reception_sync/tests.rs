//! Plan tables for every search level and rule, and `apply` against mocks (request counts, intent order).

mod inputs;
mod learnt;
mod patients;

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeZone, Utc};
use crmsync_domain::crm::{
    ContactId, CustomFieldValue, CustomFields, FieldId, Lead, LeadId, PipelineId, StatusId,
    StatusRef,
};
use crmsync_domain::{Funnel, MisPatient, MisReception, PatientId, ReceptionFacts, ReceptionId};
use crmsync_ports::{Created, Link, MockCrmClient, MockReceptionLinkStore};
use mockall::Sequence;

use super::*;

const PRIMARY: StatusRef = StatusRef::new(PipelineId(10), StatusId(11));
const SECONDARY: StatusRef = StatusRef::new(PipelineId(20), StatusId(21));
const RECEPTION_FIELD: FieldId = FieldId(26);
const NUMBER_FIELD: FieldId = FieldId(17);

fn settings() -> SyncSettings {
    let mut s = SyncSettings::new(PRIMARY, SECONDARY, RECEPTION_FIELD);
    s.fields.patient_number = Some(NUMBER_FIELD);
    s.fields.cost = Some(FieldId(30));
    s.excluded_statuses = vec![StatusId(99)];
    s
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn reception(id: i64, patient: i64) -> MisReception {
    MisReception {
        id,
        patient_id: Some(patient),
        doctor: Some("Иванов Иван".into()),
        service: Some("Осмотр".into()),
        cost: Some("1200".into()),
        plan_start: Some(at("2026-12-08 10:00:00")),
        plan_end: Some(at("2026-12-08 10:30:00")),
        changed_at: at("2026-12-07 09:00:00"),
        facts: ReceptionFacts::default(),
    }
}

fn patient(id: i64, phones: &[&str]) -> MisPatient {
    MisPatient {
        id,
        card_number: None,
        patient_number: Some(format!("N{id}")),
        surname: Some("Петрова".into()),
        name: Some("Анна".into()),
        patronymic: None,
        phones: phones.iter().map(|p| (*p).to_owned()).collect(),
        birthday: Some("01.02.1990".into()),
        changed_at: at("2026-12-01 09:00:00"),
    }
}

fn lead(id: i64, stage: StatusRef, fields: Vec<CustomFieldValue>) -> Lead {
    Lead {
        id: LeadId(id),
        name: "deal".into(),
        price: None,
        pipeline_id: Some(stage.pipeline_id),
        status_id: Some(stage.status_id),
        responsible_user_id: None,
        created_by: None,
        updated_by: None,
        created_at: None,
        updated_at: None,
        closed_at: None,
        loss_reason_id: None,
        is_deleted: false,
        custom_fields: CustomFields(fields),
        tags: Vec::new(),
        contacts: Vec::new(),
        companies: Vec::new(),
        account_id: None,
    }
}

struct World {
    receptions: Vec<MisReception>,
    patients: Vec<MisPatient>,
    completed: HashMap<PatientId, u32>,
    reception_links: HashMap<ReceptionId, Link<LeadId>>,
    patient_links: HashMap<PatientId, Link<ContactId>>,
    phone_links: HashMap<String, ContactId>,
    number_links: HashMap<String, LeadId>,
    leads: Vec<Lead>,
}

impl World {
    fn new(receptions: Vec<MisReception>, patients: Vec<MisPatient>) -> Self {
        Self {
            receptions,
            patients,
            completed: HashMap::new(),
            reception_links: HashMap::new(),
            patient_links: HashMap::new(),
            phone_links: HashMap::new(),
            number_links: HashMap::new(),
            leads: Vec::new(),
        }
    }

    fn plan(&self) -> Plan {
        let input = BatchInput {
            receptions: &self.receptions,
            patients: self.patients.iter().map(|p| (PatientId(p.id), p)).collect(),
            completed: self.completed.clone(),
            reception_links: self.reception_links.clone(),
            patient_links: self.patient_links.clone(),
            phone_links: self.phone_links.clone(),
            number_links: self.number_links.clone(),
            leads: self.leads.iter().map(|l| (l.id, l)).collect(),
        };
        plan(&input, &settings())
    }
}

fn kind(action: &Action) -> String {
    match action {
        Action::Update { level, update } => format!("update {} by {level:?}", update.id.0),
        Action::Unchanged { lead } => format!("unchanged {}", lead.0),
        Action::Create {
            level,
            contact: ContactRef::Existing(c),
            ..
        } => format!("create for contact {} by {level:?}", c.0),
        Action::Create {
            contact: ContactRef::New(p),
            ..
        } => format!("create with new contact of {}", p.0),
        Action::Skip(reason) => format!("skip: {reason}"),
    }
}

#[test]
fn level_one_the_reception_id_in_an_active_stage_of_either_pipeline() {
    for stage in [PRIMARY, SECONDARY] {
        let mut w = World::new(
            vec![reception(1, 100)],
            vec![patient(100, &["89161234567"])],
        );
        w.reception_links
            .insert(ReceptionId(1), Link::Linked(LeadId(500)));
        w.leads.push(lead(
            500,
            stage,
            vec![CustomFieldValue::text(RECEPTION_FIELD, "1")],
        ));
        let plan = w.plan();
        assert_eq!(kind(&plan.decisions[0].action), "update 500 by ReceptionId");
        assert!(plan.contacts.is_empty());
    }
}

#[test]
fn an_up_to_date_deal_is_left_alone() {
    let mut w = World::new(
        vec![reception(1, 100)],
        vec![patient(100, &["89161234567"])],
    );
    w.reception_links
        .insert(ReceptionId(1), Link::Linked(LeadId(500)));
    let fields = deal_fields(
        &crmsync_domain::Reception::from_mis(reception(1, 100)).unwrap(),
        &crmsync_domain::Patient::from_mis(patient(100, &[])).unwrap(),
        &settings(),
    );
    let mut current = lead(500, PRIMARY, fields);
    current.price = Some(crmsync_domain::crm::Price::from_units(1200));
    w.leads.push(current);
    assert_eq!(kind(&w.plan().decisions[0].action), "unchanged 500");
}

#[test]
fn won_lost_excluded_and_foreign_stages_are_never_matched() {
    for stage in [
        StatusRef::new(PipelineId(10), StatusId(142)),
        StatusRef::new(PipelineId(20), StatusId(143)),
        StatusRef::new(PipelineId(10), StatusId(99)),
        StatusRef::new(PipelineId(77), StatusId(71)),
    ] {
        let mut w = World::new(
            vec![reception(1, 100)],
            vec![patient(100, &["89161234567"])],
        );
        w.reception_links
            .insert(ReceptionId(1), Link::Linked(LeadId(500)));
        w.leads.push(lead(500, stage, Vec::new()));
        assert_eq!(
            kind(&w.plan().decisions[0].action),
            "skip: its deal 500 is closed or excluded",
            "{stage:?}"
        );
        let mut w = World::new(
            vec![reception(1, 100)],
            vec![patient(100, &["89161234567"])],
        );
        w.number_links.insert("N100".into(), LeadId(600));
        w.leads.push(lead(
            600,
            stage,
            vec![CustomFieldValue::text(NUMBER_FIELD, "N100")],
        ));
        assert_eq!(
            kind(&w.plan().decisions[0].action),
            "create with new contact of 100",
            "a patient-number deal in {stage:?} is passed over"
        );
    }
}

#[test]
fn a_deleted_deal_is_replaced() {
    let mut w = World::new(
        vec![reception(1, 100)],
        vec![patient(100, &["89161234567"])],
    );
    w.reception_links
        .insert(ReceptionId(1), Link::Linked(LeadId(500)));
    w.patient_links
        .insert(PatientId(100), Link::Linked(ContactId(7)));
    assert_eq!(
        kind(&w.plan().decisions[0].action),
        "create for contact 7 by Some(PatientContact)"
    );
}

#[test]
fn level_two_the_patient_number_only_on_deals_with_an_empty_reception_id() {
    let mut w = World::new(
        vec![reception(1, 100)],
        vec![patient(100, &["89161234567"])],
    );
    w.number_links.insert("N100".into(), LeadId(600));
    w.leads.push(lead(
        600,
        PRIMARY,
        vec![CustomFieldValue::text(NUMBER_FIELD, "N100")],
    ));
    let plan = w.plan();
    assert_eq!(
        kind(&plan.decisions[0].action),
        "update 600 by PatientNumber"
    );
    assert_eq!(plan.decisions[0].claimed_number.as_deref(), Some("N100"));

    let mut w = World::new(
        vec![reception(1, 100)],
        vec![patient(100, &["89161234567"])],
    );
    w.number_links.insert("N100".into(), LeadId(600));
    w.leads.push(lead(
        600,
        PRIMARY,
        vec![
            CustomFieldValue::text(NUMBER_FIELD, "N100"),
            CustomFieldValue::text(RECEPTION_FIELD, "777"),
        ],
    ));
    assert_eq!(
        kind(&w.plan().decisions[0].action),
        "create with new contact of 100",
        "a deal that already carries a reception id is not taken"
    );
}

#[test]
fn level_three_the_phone_written_five_ways_finds_the_contact() {
    for written in [
        "8 (916) 123-45-67",
        "+7 916 123 45 67",
        "79161234567",
        "9161234567",
        "8-916-123-45-67",
    ] {
        let mut w = World::new(vec![reception(1, 100)], vec![patient(100, &[written])]);
        w.phone_links.insert("+79161234567".into(), ContactId(9));
        assert_eq!(
            kind(&w.plan().decisions[0].action),
            "create for contact 9 by Some(Phone)",
            "{written}"
        );
    }
}

#[test]
fn the_remembered_contact_comes_before_the_phone() {
    let mut w = World::new(
        vec![reception(1, 100)],
        vec![patient(100, &["89161234567"])],
    );
    w.phone_links.insert("+79161234567".into(), ContactId(9));
    w.patient_links
        .insert(PatientId(100), Link::Linked(ContactId(8)));
    assert_eq!(
        kind(&w.plan().decisions[0].action),
        "create for contact 8 by Some(PatientContact)"
    );
}

#[test]
fn funnel_boundaries_zero_and_one_completed() {
    let mut w = World::new(
        vec![reception(1, 100), reception(2, 200), reception(3, 300)],
        vec![
            patient(100, &["89161234567"]),
            patient(200, &["89161234568"]),
            patient(300, &["89161234569"]),
        ],
    );
    w.completed.insert(PatientId(200), 1);
    w.completed.insert(PatientId(300), 1);
    w.receptions[2].facts.reception_ended = Some(at("2026-12-06 10:00:00"));
    let plan = w.plan();
    let funnels: Vec<Option<Funnel>> = plan.decisions.iter().map(|d| d.funnel).collect();
    assert_eq!(
        funnels,
        [
            Some(Funnel::Primary),
            Some(Funnel::Secondary),
            Some(Funnel::Primary)
        ],
        "a patient's own first completed reception stays primary"
    );
    let stages: Vec<Option<StatusId>> = plan
        .decisions
        .iter()
        .map(|d| match &d.action {
            Action::Create { deal, .. } => deal.status_id,
            _ => None,
        })
        .collect();
    assert_eq!(
        stages,
        [Some(StatusId(11)), Some(StatusId(21)), Some(StatusId(11))]
    );
}

#[test]
fn two_receptions_of_one_patient_make_one_contact() {
    let w = World::new(
        vec![reception(1, 100), reception(2, 100)],
        vec![patient(100, &["89161234567", "+7 916 123-45-67"])],
    );
    let plan = w.plan();
    assert_eq!(plan.contacts.len(), 1);
    assert_eq!(plan.contacts[0].phones, ["+79161234567"]);
    for d in &plan.decisions {
        assert_eq!(kind(&d.action), "create with new contact of 100");
    }
}

#[test]
fn one_patient_number_deal_is_claimed_once() {
    let mut w = World::new(
        vec![reception(1, 100), reception(2, 100)],
        vec![patient(100, &["89161234567"])],
    );
    w.number_links.insert("N100".into(), LeadId(600));
    w.leads.push(lead(
        600,
        PRIMARY,
        vec![CustomFieldValue::text(NUMBER_FIELD, "N100")],
    ));
    let plan = w.plan();
    assert_eq!(
        kind(&plan.decisions[0].action),
        "update 600 by PatientNumber"
    );
    assert_eq!(
        kind(&plan.decisions[1].action),
        "create with new contact of 100"
    );
}

#[test]
fn bad_input_is_a_counted_skip_naming_the_reason() {
    let mut no_patient = reception(1, 0);
    no_patient.patient_id = None;
    let mut negative = reception(2, 100);
    negative.cost = Some("-5".into());
    let mut bad_birthday = patient(300, &["89161234569"]);
    bad_birthday.birthday = Some("31.02.1990".into());
    let w = World::new(
        vec![
            no_patient,
            negative,
            reception(3, 999),
            reception(4, 200),
            reception(5, 300),
            reception(6, 100),
        ],
        vec![
            patient(100, &["89161234567"]),
            patient(200, &["нет"]),
            bad_birthday,
        ],
    );
    let plan = w.plan();
    let kinds: Vec<String> = plan.decisions.iter().map(|d| kind(&d.action)).collect();
    assert_eq!(
        kinds,
        [
            "skip: patient not found",
            "skip: field `cost` is negative",
            "skip: patient not found",
            "skip: patient 200 has no usable phone",
            "skip: patient 300: field `birthday` is not a date in dd.mm.yyyy or yyyy-mm-dd form",
            "create with new contact of 100",
        ]
    );
    let mut report = Report::default();
    count_planned(&plan, &mut report);
    assert_eq!(report.errors, 5);
    assert!(report.failures.iter().all(|f| !f.error.contains("Петрова")));
}

fn empty_links() -> MockReceptionLinkStore {
    let mut links = MockReceptionLinkStore::new();
    links.expect_write().returning(|_| Ok(()));
    links
}

#[tokio::test]
async fn apply_writes_intents_before_creates_and_ids_right_after() {
    let w = World::new(
        (0..60).map(|i| reception(i, 1000 + i)).collect(),
        (0..60)
            .map(|i| patient(1000 + i, &["89161234567"]))
            .collect(),
    );
    let plan = w.plan();
    assert_eq!(
        plan.contacts.len(),
        60,
        "over 50 new pairs: separate batches"
    );
    let mut seq = Sequence::new();
    let mut links = MockReceptionLinkStore::new();
    let mut crm = MockCrmClient::new();
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.reception_intents.len() == 60 && c.patient_intents.len() == 60)
        .returning(|_| Ok(()));
    crm.expect_add_contacts()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|contacts| {
            Ok(contacts
                .iter()
                .enumerate()
                .map(|(i, c)| Created {
                    request_id: c.request_id.clone().unwrap(),
                    id: ContactId(9000 + i as i64),
                })
                .collect())
        });
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.patient_contacts.len() == 60 && c.phone_contacts.len() == 60)
        .returning(|_| Ok(()));
    crm.expect_add_leads()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|leads| leads.len() == 60 && leads.iter().all(|l| l.contacts.len() == 1))
        .returning(|leads| {
            Ok(leads
                .iter()
                .enumerate()
                .map(|(i, l)| Created {
                    request_id: l.request_id.clone().unwrap(),
                    id: LeadId(7000 + i as i64),
                })
                .collect())
        });
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.reception_leads.len() == 60)
        .returning(|_| Ok(()));
    let mut report = Report::default();
    let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    apply(&plan, &crm, &links, now, &mut report).await.unwrap();
    assert_eq!((report.contacts_created, report.deals_created), (60, 60));
    assert_eq!(report.primary, 60);
}

#[tokio::test]
async fn a_few_new_pairs_go_in_one_complex_add() {
    let w = World::new(
        (0..5).map(|i| reception(i, 1000 + i)).collect(),
        (0..5)
            .map(|i| patient(1000 + i, &["89161234567"]))
            .collect(),
    );
    let plan = w.plan();
    let links = empty_links();
    let mut crm = MockCrmClient::new();
    crm.expect_add_complex().times(1).returning(|items| {
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| crmsync_domain::crm::ComplexCreated {
                lead_id: LeadId(100 + i as i64),
                contact_id: Some(ContactId(200 + i as i64)),
                company_id: None,
                request_ids: vec![item.lead.request_id.clone().unwrap()],
                merged: false,
            })
            .collect())
    });
    let mut report = Report::default();
    apply(&plan, &crm, &links, Utc::now(), &mut report)
        .await
        .unwrap();
    assert_eq!((report.contacts_created, report.deals_created), (5, 5));
}

#[tokio::test]
async fn a_failed_create_stops_the_run_and_keeps_the_intents() {
    let w = World::new(
        (0..60).map(|i| reception(i, 1000 + i)).collect(),
        (0..60)
            .map(|i| patient(1000 + i, &["89161234567"]))
            .collect(),
    );
    let plan = w.plan();
    let mut links = MockReceptionLinkStore::new();
    links
        .expect_write()
        .times(1)
        .withf(|c| c.reception_intents.len() == 60)
        .returning(|_| Ok(()));
    links
        .expect_write()
        .times(1)
        .withf(|c| c.is_empty())
        .returning(|_| Ok(()));
    let mut crm = MockCrmClient::new();
    crm.expect_add_contacts().times(1).returning(|_| {
        Err(crmsync_ports::CrmError::Ambiguous {
            request_ids: vec!["p1000".into()],
            written: Vec::new(),
        })
    });
    crm.expect_add_leads().never();
    let mut report = Report::default();
    let error = apply(&plan, &crm, &links, Utc::now(), &mut report)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("unknown"), "{error}");
    assert_eq!(report.deals_created, 0);
}

#[test]
fn amocrm_reads_become_links() {
    let s = settings();
    let leads = vec![
        lead(
            1,
            PRIMARY,
            vec![CustomFieldValue::text(RECEPTION_FIELD, "55")],
        ),
        lead(2, PRIMARY, vec![CustomFieldValue::text(NUMBER_FIELD, "N7")]),
        lead(
            3,
            PRIMARY,
            vec![
                CustomFieldValue::text(RECEPTION_FIELD, "56"),
                CustomFieldValue::text(NUMBER_FIELD, "N8"),
            ],
        ),
    ];
    let changes = lead_links(&leads, &s);
    assert_eq!(
        changes.reception_leads,
        [(ReceptionId(55), LeadId(1)), (ReceptionId(56), LeadId(3))]
    );
    assert_eq!(changes.number_leads, [("N7".to_owned(), LeadId(2))]);
    assert_eq!(changes.drop_number_leads, [("N8".to_owned(), LeadId(3))]);
}
