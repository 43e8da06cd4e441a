//! Unit tests of list parameter parsing.

use super::*;

#[test]
fn limit_above_250_is_refused() {
    assert_eq!(
        ListParams::parse(Some("limit=251")).unwrap_err(),
        ListError::OverLimit
    );
    assert!(matches!(
        ListParams::parse(Some("limit=abc")),
        Err(ListError::Bad(_))
    ));
    let params = ListParams::parse(Some("limit=250&page=2&with=contacts")).unwrap();
    assert_eq!((params.limit, params.page), (250, 2));
    assert!(params.with.contains("contacts"));
}

#[test]
fn phone_like_queries_match_digits_only() {
    let q = Query::new("+7 912 345");
    assert!(q.matches_text("+7 (912) 345-67-89"));
    assert!(!q.matches_text("+7 (913) 345-67-89"));
    let word = Query::new("Petr");
    assert!(word.matches_text("Ivan Petrov"));
    assert!(
        !word.matches_text("79123"),
        "a word query never matches on digits"
    );
}

#[test]
fn ranges_and_single_values() {
    let node = QueryNode::parse("a[from]=10&a[to]=20&b=5&c[from]=7").unwrap();
    let a = Range::read(node.get("a")).unwrap();
    assert!(
        a.contains(Some(10)) && a.contains(Some(20)) && !a.contains(Some(21)) && !a.contains(None)
    );
    let b = Range::read(node.get("b")).unwrap();
    assert!(b.contains(Some(5)) && !b.contains(Some(6)));
    let c = Range::read(node.get("c")).unwrap();
    assert!(c.contains(Some(i64::MAX)) && !c.contains(Some(6)));
    assert!(Range::read(node.get("missing")).is_none());
}

#[test]
fn self_and_next_links_keep_other_parameters() {
    let params = ListParams::parse(Some("with=contacts&page=2&limit=1&filter[id][]=5")).unwrap();
    let envelope = params.envelope(
        "http://h",
        "/api/v4/leads",
        "leads",
        vec![serde_json::json!({"id": 5})],
    );
    assert_eq!(
        envelope["_links"]["self"]["href"],
        "http://h/api/v4/leads?with=contacts&filter[id][]=5&limit=1&page=2"
    );
    assert_eq!(
        envelope["_links"]["next"]["href"],
        "http://h/api/v4/leads?with=contacts&filter[id][]=5&limit=1&page=3"
    );
    assert_eq!(
        envelope["_links"]["prev"]["href"],
        "http://h/api/v4/leads?with=contacts&filter[id][]=5&limit=1&page=1"
    );
    assert_eq!(envelope["_page"], 2);
}
