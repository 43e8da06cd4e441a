//! Wire tests of catalogs and elements (with elements linked to a lead) and of customers: `402` while the account
//! has them disabled, then the mode switch, statuses, add, list, update.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use crmsync_amocrm::catalogs::{CatalogUpdate, ElementFilter, ElementInput, NewCatalog};
use crmsync_amocrm::customers::{CustomerFilter, CustomerInput};
use crmsync_amocrm::links::{LinkFilter, LinkTo, LinkedType};
use crmsync_amocrm::{CrmClient, CrmError};
use crmsync_domain::crm::{CustomFieldValue, EntityRef, FieldId, NewLead};
use crmsync_sandbox::amocrm::AmoCrmConfig;

use common::*;

#[tokio::test]
async fn catalogs_and_elements_are_added_listed_updated_and_linked() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let catalogs = client
        .add_catalogs(&[
            NewCatalog::named("Products"),
            NewCatalog {
                catalog_type: Some("invoices".into()),
                ..NewCatalog::named("Invoices")
            },
        ])
        .await
        .unwrap();
    assert_eq!(catalogs[1].catalog_type, "invoices");
    let products = catalogs[0].id;
    let renamed = client
        .update_catalog(&CatalogUpdate {
            id: products,
            name: Some("Goods".into()),
            ..CatalogUpdate::default()
        })
        .await
        .unwrap();
    assert_eq!(renamed.name, "Goods");
    let batch = client
        .update_catalogs(&[CatalogUpdate {
            id: catalogs[1].id,
            sort: Some(99),
            ..CatalogUpdate::default()
        }])
        .await
        .unwrap();
    assert_eq!(batch[0].sort, 99);
    assert_eq!(client.catalogs().await.unwrap().len(), 2);
    assert!(client.catalog(123).await.unwrap().is_none());

    let sku = CustomFieldValue::text(FieldId(777), "SKU-1");
    let elements = client
        .add_elements(
            products,
            &[
                ElementInput {
                    custom_fields: vec![sku],
                    ..ElementInput::named("Chair")
                },
                ElementInput::named("Table"),
                ElementInput::named("Lamp"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(elements.len(), 3);
    assert_eq!(
        elements[0].custom_fields_values[0]["values"][0]["value"],
        "SKU-1"
    );
    let page = client
        .list_elements(
            products,
            &ElementFilter {
                limit: Some(2),
                ..ElementFilter::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert!(page.next.is_some());
    let found = client
        .all_elements(
            products,
            &ElementFilter {
                query: Some("tab".into()),
                ..ElementFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    client
        .update_elements(
            products,
            &[ElementInput {
                id: Some(elements[1].id),
                name: Some("Desk".into()),
                ..ElementInput::default()
            }],
        )
        .await
        .unwrap();
    let desk = client
        .update_element(
            products,
            &ElementInput {
                id: Some(elements[2].id),
                name: Some("Floor lamp".into()),
                ..ElementInput::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(desk.name, "Floor lamp");
    assert_eq!(
        client
            .element(products, elements[1].id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Desk"
    );

    let lead = client.add_leads(&[NewLead::default()]).await.unwrap()[0].id;
    client
        .link_one(
            EntityRef::lead(lead.0),
            &[LinkTo::element(elements[0].id, products, 3.0)],
        )
        .await
        .unwrap();
    let links = client
        .links_of(
            EntityRef::lead(lead.0),
            &LinkFilter {
                to_entity_type: Some(LinkedType::CatalogElements),
                ..LinkFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].metadata.quantity, Some(3.0));
    assert_eq!(links[0].metadata.catalog_id, Some(products));
    let unknown = client
        .add_elements(123_456, &[ElementInput::named("x")])
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), "validation");
}

#[tokio::test]
async fn customers_are_402_until_switched_on_then_work() {
    let emulator = emulator(AmoCrmConfig::default()).await;
    let client = client(&emulator);
    let refused = client
        .all_customers(&CustomerFilter::default())
        .await
        .unwrap_err();
    assert!(matches!(refused, CrmError::PaymentRequired), "{refused:?}");
    let mode = client.set_customers_mode("segments", true).await.unwrap();
    assert!(mode.is_enabled);
    assert_eq!(
        client.account(&[]).await.unwrap().customers_mode.as_deref(),
        Some("segments")
    );
    let statuses = client.customer_statuses().await.unwrap();
    assert!(statuses.iter().any(|s| s.is_default));
    let ids = client
        .add_customers(&[
            CustomerInput {
                next_price: Some(1500),
                ..CustomerInput::named("Regular buyer")
            },
            CustomerInput::named("New buyer"),
        ])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let listed = client
        .all_customers(&CustomerFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].next_price, 1500);
    let updated = client
        .update_customers(&[CustomerInput {
            id: Some(ids[1]),
            status_id: Some(statuses[2].id),
            ..CustomerInput::default()
        }])
        .await
        .unwrap();
    assert_eq!(updated, vec![ids[1]]);
    let one = client
        .update_customer(&CustomerInput {
            id: Some(ids[0]),
            name: Some("Loyal buyer".into()),
            ..CustomerInput::default()
        })
        .await
        .unwrap();
    assert_eq!(one.name, "Loyal buyer");
    assert_eq!(
        client.customer(ids[1]).await.unwrap().unwrap().status_id,
        Some(statuses[2].id)
    );
    client.set_customers_mode("segments", false).await.unwrap();
    assert!(matches!(
        client.customer(ids[0]).await.unwrap_err(),
        CrmError::PaymentRequired
    ));
    assert_eq!(
        client
            .set_customers_mode("weekly", true)
            .await
            .unwrap_err()
            .kind(),
        "invalid_input"
    );
}
