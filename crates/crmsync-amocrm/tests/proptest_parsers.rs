//! Property tests: the webhook parser and the response decoder never panic, whatever they are fed, and accept
//! every well-formed body they are given.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crmsync_amocrm::__private::{decode_contacts_page, decode_leads_page};
use crmsync_amocrm::webhook::{self, WebhookError};
use proptest::prelude::*;

fn key_part() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("leads".to_owned()),
        Just("contacts".to_owned()),
        Just("task".to_owned()),
        Just("account".to_owned()),
        Just("update".to_owned()),
        Just("status".to_owned()),
        Just("0".to_owned()),
        Just("1".to_owned()),
        Just("id".to_owned()),
        Just("custom_fields".to_owned()),
        Just("values".to_owned()),
        Just("".to_owned()),
        "[a-z_]{1,8}",
        "[0-9]{1,3}",
    ]
}

fn php_key() -> impl Strategy<Value = String> {
    (key_part(), prop::collection::vec(key_part(), 0..7)).prop_map(|(head, rest)| {
        let mut key = head;
        for part in rest {
            key.push('[');
            key.push_str(&part);
            key.push(']');
        }
        key
    })
}

fn php_body() -> impl Strategy<Value = String> {
    prop::collection::vec((php_key(), "[ -~]{0,12}|%[0-9A-F]{2}|[а-я]{0,4}"), 0..24).prop_map(
        |pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        },
    )
}

fn lead_json() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        Just("null".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        "[a-z0-9 ]{0,6}".prop_map(|s| format!("\"{s}\"")),
        Just("true".to_owned()),
    ];
    let field = prop_oneof![
        Just("id"),
        Just("name"),
        Just("price"),
        Just("price_with_minor_units"),
        Just("status_id"),
        Just("custom_fields_values"),
        Just("_embedded"),
        Just("is_deleted"),
        Just("created_at"),
    ];
    prop::collection::vec((field, scalar), 0..8).prop_map(|fields| {
        let body = fields
            .into_iter()
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("{{\"_embedded\": {{\"leads\": [{{{body}}}]}}}}")
    })
}

proptest! {
    #[test]
    fn webhook_parse_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = webhook::parse(&body);
    }

    #[test]
    fn webhook_parse_never_panics_on_php_shaped_bodies(body in php_body()) {
        let _ = webhook::parse(body.as_bytes());
    }

    #[test]
    fn well_formed_lead_events_always_parse(
        ids in prop::collection::vec(0_i64..i64::MAX, 1..20),
        status in 1_i64..1_000_000,
    ) {
        let body = ids
            .iter()
            .enumerate()
            .map(|(i, id)| format!("leads[status][{i}][id]={id}&leads[status][{i}][status_id]={status}"))
            .collect::<Vec<_>>()
            .join("&");
        let events = webhook::parse(body.as_bytes()).unwrap();
        let parsed: Vec<i64> = events.iter().map(|e| e.id.unwrap()).collect();
        prop_assert_eq!(parsed, ids);
        prop_assert!(events.iter().all(|e| e.status_id.map(|s| s.0) == Some(status)));
    }

    #[test]
    fn bodies_over_the_limit_are_always_refused(extra in 1_usize..4096) {
        let body = vec![b'a'; 1024 + extra];
        prop_assert_eq!(
            webhook::parse_with_limit(&body, 1024),
            Err(WebhookError::TooLarge { size: 1024 + extra, limit: 1024 })
        );
    }

    #[test]
    fn the_decoder_never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_leads_page(&body);
        let _ = decode_contacts_page(&body);
    }

    #[test]
    fn the_decoder_never_panics_on_lead_shaped_json(body in lead_json()) {
        match decode_leads_page(body.as_bytes()) {
            Ok(leads) => prop_assert!(leads.len() <= 1),
            Err(error) => prop_assert_eq!(error.kind(), "decode"),
        }
    }
}
