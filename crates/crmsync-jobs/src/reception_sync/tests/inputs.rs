//! Bad rows among good ones, and `apply` of mixed batches through mocks: what is called, how often, in which
//! order.

use chrono::Utc;
use crmsync_domain::crm::{ContactId, CustomFieldValue, LeadId};
use crmsync_domain::{PatientId, ReceptionId};
use crmsync_ports::{Created, Link, MockCrmClient, MockReceptionLinkStore};
use mockall::Sequence;

use super::*;

fn created<I>(
    request_ids: impl Iterator<Item = Option<String>>,
    first: i64,
    id: fn(i64) -> I,
) -> Vec<Created<I>> {
    request_ids
        .enumerate()
        .map(|(i, r)| Created {
            request_id: r.unwrap(),
            id: id(first + i as i64),
        })
        .collect()
}

#[test]
fn a_cost_that_is_not_a_number_is_a_counted_error_and_the_rest_goes_on() {
    let costs = ["1 200,50", "бесплатно", "12abc", "", "-0.01", "3500"];
    let receptions: Vec<_> = costs
        .iter()
        .enumerate()
        .map(|(i, cost)| {
            let mut r = reception(i as i64 + 1, 100 + i as i64);
            r.cost = Some((*cost).to_owned());
            r
        })
        .collect();
    let patients = (0..costs.len())
        .map(|i| patient(100 + i as i64, &["89161234567"]))
        .collect();
    let plan = World::new(receptions, patients).plan();
    let kinds: Vec<String> = plan.decisions.iter().map(|d| kind(&d.action)).collect();
    assert_eq!(
        kinds,
        [
            "create with new contact of 100",
            "skip: field `cost` is not a number",
            "skip: field `cost` is not a number",
            "create with new contact of 103",
            "skip: field `cost` is negative",
            "create with new contact of 105",
        ]
    );
    let prices: Vec<Option<i64>> = plan
        .decisions
        .iter()
        .filter_map(|d| match &d.action {
            Action::Create { deal, .. } => Some(deal.price.map(|p| p.units())),
            _ => None,
        })
        .collect();
    assert_eq!(prices, [Some(1200), None, Some(3500)]);
    assert_eq!(plan.contacts.len(), 3, "no contact for a skipped reception");
    let mut report = Report::default();
    count_planned(&plan, &mut report);
    assert_eq!(report.errors, 3);
    let failed: Vec<i64> = report.failures.iter().map(|f| f.id).collect();
    assert_eq!(failed, [2, 3, 5]);
}

#[tokio::test]
async fn two_receptions_of_one_new_patient_make_one_contact_and_two_deals_on_it() {
    let w = World::new(
        vec![reception(1, 100), reception(2, 100)],
        vec![patient(100, &["89161234567"])],
    );
    let plan = w.plan();
    let mut seq = Sequence::new();
    let mut links = MockReceptionLinkStore::new();
    let mut crm = MockCrmClient::new();
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.reception_intents.len() == 2 && c.patient_intents.len() == 1)
        .returning(|_| Ok(()));
    crm.expect_add_complex().never();
    crm.expect_add_contacts()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.len() == 1)
        .returning(|c| {
            Ok(created(
                c.iter().map(|c| c.request_id.clone()),
                9,
                ContactId,
            ))
        });
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.patient_contacts == [(PatientId(100), ContactId(9))])
        .returning(|_| Ok(()));
    crm.expect_add_leads()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|leads| {
            leads.len() == 2
                && leads
                    .iter()
                    .all(|l| l.contacts.len() == 1 && l.contacts[0].id == ContactId(9))
        })
        .returning(|l| Ok(created(l.iter().map(|l| l.request_id.clone()), 70, LeadId)));
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| {
            c.reception_leads == [(ReceptionId(1), LeadId(70)), (ReceptionId(2), LeadId(71))]
        })
        .returning(|_| Ok(()));
    let mut report = Report::default();
    apply(&plan, &crm, &links, Utc::now(), &mut report)
        .await
        .unwrap();
    assert_eq!((report.contacts_created, report.deals_created), (1, 2));
}

#[tokio::test]
async fn a_mixed_batch_costs_one_request_per_kind_in_order() {
    let mut w = World::new(
        (1..=70).map(|i| reception(i, 100 + i)).collect(),
        (1..=70)
            .map(|i| patient(100 + i, &[&format!("8916{:07}", i)]))
            .collect(),
    );
    for i in 1..=10 {
        w.reception_links
            .insert(ReceptionId(i), Link::Linked(LeadId(500 + i)));
        w.leads.push(lead(
            500 + i,
            PRIMARY,
            vec![CustomFieldValue::text(RECEPTION_FIELD, i.to_string())],
        ));
    }
    for i in 11..=20 {
        w.patient_links
            .insert(PatientId(100 + i), Link::Linked(ContactId(800 + i)));
    }
    let plan = w.plan();
    assert_eq!(plan.contacts.len(), 50);
    let mut seq = Sequence::new();
    let mut links = MockReceptionLinkStore::new();
    let mut crm = MockCrmClient::new();
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.reception_intents.len() == 60 && c.patient_intents.len() == 50)
        .returning(|_| Ok(()));
    crm.expect_add_complex()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|items| items.len() == 50 && items.iter().all(|i| i.contact.is_some()))
        .returning(|items| {
            Ok(items
                .iter()
                .enumerate()
                .map(|(i, item)| crmsync_domain::crm::ComplexCreated {
                    lead_id: LeadId(1000 + i as i64),
                    contact_id: Some(ContactId(2000 + i as i64)),
                    company_id: None,
                    request_ids: vec![item.lead.request_id.clone().unwrap()],
                    merged: false,
                })
                .collect())
        });
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.reception_leads.len() == 50 && c.patient_contacts.len() == 50)
        .returning(|_| Ok(()));
    crm.expect_add_contacts().never();
    crm.expect_add_leads()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|leads| {
            leads.len() == 10
                && leads
                    .iter()
                    .all(|l| l.contacts.len() == 1 && l.contacts[0].id.0 > 800)
        })
        .returning(|l| {
            Ok(created(
                l.iter().map(|l| l.request_id.clone()),
                3000,
                LeadId,
            ))
        });
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.reception_leads.len() == 10)
        .returning(|_| Ok(()));
    crm.expect_update_leads()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|updates| updates.len() == 10)
        .returning(|u| Ok(u.iter().map(|u| u.id).collect()));
    links
        .expect_write()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|c| c.reception_leads.len() == 10 && c.reception_intents.is_empty())
        .returning(|_| Ok(()));
    let mut report = Report::default();
    apply(&plan, &crm, &links, Utc::now(), &mut report)
        .await
        .unwrap();
    assert_eq!(
        (
            report.contacts_created,
            report.deals_created,
            report.deals_updated
        ),
        (50, 60, 10)
    );
    assert_eq!(
        (
            report.by_level.reception_id,
            report.by_level.patient_contact
        ),
        (10, 10)
    );
}
