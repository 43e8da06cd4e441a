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
