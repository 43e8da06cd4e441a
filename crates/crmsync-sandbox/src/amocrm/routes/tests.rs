//! Unit tests of the route table: lookups, and the table in `docs/sandbox.md` being the one in the code.

use super::*;

#[test]
fn placeholders_match_one_segment_and_entity_names_only_entities() {
    assert!(matches("/api/v4/{entity}/{id}", "/api/v4/leads/12"));
    assert!(!matches("/api/v4/{entity}/{id}", "/api/v4/widgets/12"));
    assert!(!matches("/api/v4/{entity}", "/api/v4/leads/12"));
    assert!(matches("/api/v4/events", "/api/v4/events/"));
    let found = lookup("/api/v4/leads/pipelines");
    assert_eq!(found[0].path, "/api/v4/leads/pipelines");
    assert!(lookup("/api/v4/nothing-here").is_empty());
}

#[test]
fn the_docs_show_the_route_table_of_the_code() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/sandbox.md"
    ))
    .unwrap_or_default();
    let table = markdown_table();
    assert!(
        docs.contains(&table),
        "docs/sandbox.md must contain the route table of routes.rs:\n{table}"
    );
}
