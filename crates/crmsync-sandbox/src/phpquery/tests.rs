//! Unit tests of PHP bracket query parsing and form building.

use super::*;

#[test]
fn list_shapes_read_alike() {
    for raw in [
        "filter[id]=1&filter[id]=2",
        "filter[id][]=1&filter[id][]=2",
        "filter[id][0]=1&filter[id][1]=2",
        "filter%5Bid%5D%5B%5D=1&filter%5Bid%5D%5B%5D=2",
    ] {
        let q = QueryNode::parse(raw).unwrap();
        assert_eq!(
            q.path(&["filter", "id"]).unwrap().list(),
            vec!["1", "2"],
            "{raw}"
        );
    }
}

#[test]
fn statuses_and_ranges() {
    let q = QueryNode::parse(
        "filter[statuses][0][pipeline_id]=10&filter[statuses][0][status_id]=142\
         &filter[statuses][1][pipeline_id]=11&filter[statuses][1][status_id]=143\
         &filter[updated_at][from]=100&filter[updated_at][to]=200&query=%2B7+999",
    )
    .unwrap();
    let statuses: Vec<(&str, &str)> = q
        .path(&["filter", "statuses"])
        .unwrap()
        .children()
        .map(|(_, s)| {
            (
                s.get("pipeline_id").unwrap().value().unwrap(),
                s.get("status_id").unwrap().value().unwrap(),
            )
        })
        .collect();
    assert_eq!(statuses, vec![("10", "142"), ("11", "143")]);
    assert_eq!(
        q.path(&["filter", "updated_at", "from"]).unwrap().value(),
        Some("100")
    );
    assert_eq!(q.get("query").unwrap().value(), Some("+7 999"));
}

#[test]
fn empty_index_in_the_middle_makes_new_items() {
    let q = QueryNode::parse("a[][x]=1&a[][x]=2").unwrap();
    let xs: Vec<&str> = q
        .get("a")
        .unwrap()
        .children()
        .map(|(_, c)| c.get("x").unwrap().value().unwrap())
        .collect();
    assert_eq!(xs, vec!["1", "2"]);
}

#[test]
fn unbalanced_keys_stay_literal_and_limits_hold() {
    let q = QueryNode::parse("a[b=1").unwrap();
    assert_eq!(q.get("a[b").unwrap().value(), Some("1"));
    let deep = format!("a{}=1", "[x]".repeat(MAX_DEPTH + 1));
    assert!(matches!(
        QueryNode::parse(&deep),
        Err(QueryError::TooDeep { .. })
    ));
    let many = "a=1&".repeat(MAX_PAIRS + 1);
    assert_eq!(QueryNode::parse(&many), Err(QueryError::TooManyPairs));
}

#[test]
fn form_builder_round_trips() {
    let mut form = FormBuilder::new();
    form.push("leads[status][0][id]", "5")
        .push("leads[status][0][name]", "Сделка & co")
        .push("account[subdomain]", "sandbox");
    let body = form.finish();
    assert!(body.contains("leads%5Bstatus%5D%5B0%5D%5Bid%5D=5"));
    let q = QueryNode::parse(&body).unwrap();
    assert_eq!(
        q.path(&["leads", "status", "0", "name"]).unwrap().value(),
        Some("Сделка & co")
    );
}
