//! Keeps the endpoint table of `docs/amocrm.md` equal to [`crate::endpoints::ENDPOINTS`].
#![allow(clippy::unwrap_used)]

use crate::endpoints::{ENDPOINTS, markdown_table, table_lines};

#[test]
fn the_docs_show_the_endpoint_table_of_the_code() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/amocrm.md"))
            .unwrap_or_default();
    let table = markdown_table();
    assert!(
        docs.contains(&table),
        "docs/amocrm.md must contain the endpoint table of endpoints.rs:\n{table}"
    );
}

#[test]
fn every_endpoint_is_listed_once() {
    let mut pairs: Vec<(&str, &str)> = ENDPOINTS.iter().map(|e| (e.method, e.path)).collect();
    pairs.sort_unstable();
    let count = pairs.len();
    pairs.dedup();
    assert_eq!(pairs.len(), count);
    assert!(ENDPOINTS.iter().all(|e| e.path.starts_with('/')));
    assert_eq!(
        ENDPOINTS.len(),
        table_lines(),
        "every line of the table parses"
    );
    assert!(
        ENDPOINTS
            .iter()
            .all(|e| ["GET", "POST", "PATCH", "DELETE", "PUT"].contains(&e.method))
    );
}
