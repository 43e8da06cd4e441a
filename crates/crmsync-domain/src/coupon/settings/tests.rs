//! Tests of settings validation: the module's rules, one row per rule.

use super::*;

fn draft() -> SettingsDraft {
    SettingsDraft {
        template: Some("SALE-$$$-###".into()),
        count: Some(100),
        discount_id: Some(7),
        coupon_type: Some("one_order".into()),
        ..SettingsDraft::default()
    }
}

fn rejected(draft: SettingsDraft) -> SettingsErrors {
    match draft.validate() {
        Ok(valid) => panic!("accepted: {:?}", valid.settings),
        Err(errors) => errors,
    }
}

#[test]
fn a_complete_draft_is_accepted_with_defaults() {
    let valid = draft().validate().unwrap();
    let s = &valid.settings;
    assert_eq!(s.count, 100);
    assert_eq!(s.case, CaseMode::Upper);
    assert!(s.coupon.active);
    assert_eq!(s.coupon.coupon_type, CouponType::OneOrder);
    assert_eq!(valid.capacity.value(), 26 * 26 * 26 * 1000);
    assert!(valid.warnings.is_empty());
}

#[test]
fn the_validation_table() {
    type Edit = fn(&mut SettingsDraft);
    let table: &[(&str, Edit, &str, &str)] = &[
        (
            "template missing",
            |d| d.template = None,
            "template",
            "required",
        ),
        (
            "template empty",
            |d| d.template = Some(String::new()),
            "template",
            "required",
        ),
        (
            "template bad escape",
            |d| d.template = Some(r"A\x".into()),
            "template",
            "position 3",
        ),
        ("count missing", |d| d.count = None, "count", "required"),
        (
            "count zero",
            |d| d.count = Some(0),
            "count",
            "greater than 0",
        ),
        (
            "count above capacity",
            |d| {
                d.template = Some("###".into());
                d.count = Some(1001);
            },
            "count",
            "at most 1000 distinct codes; 1001 requested",
        ),
        (
            "count above storage",
            |d| {
                d.template = Some("#".repeat(30));
                d.count = Some(u64::MAX);
            },
            "count",
            "at most 9223372036854775807",
        ),
        (
            "discount missing",
            |d| d.discount_id = None,
            "discount_id",
            "required",
        ),
        (
            "discount zero",
            |d| d.discount_id = Some(0),
            "discount_id",
            "required",
        ),
        ("type missing", |d| d.coupon_type = None, "type", "required"),
        (
            "type unknown",
            |d| d.coupon_type = Some("forever".into()),
            "type",
            "`forever` is not a coupon type",
        ),
        (
            "multi-order without max uses",
            |d| d.coupon_type = Some("multi_order".into()),
            "max_uses",
            "required for multi_order",
        ),
        (
            "multi-order with zero uses",
            |d| {
                d.coupon_type = Some("4".into());
                d.max_uses = Some(0);
            },
            "max_uses",
            "greater than 0",
        ),
        (
            "max uses on a one-order coupon",
            |d| d.max_uses = Some(3),
            "max_uses",
            "only multi_order",
        ),
        (
            "max uses too large",
            |d| {
                d.coupon_type = Some("multi_order".into());
                d.max_uses = Some(u64::from(u32::MAX) + 1);
            },
            "max_uses",
            "at most",
        ),
        (
            "window reversed",
            |d| {
                d.active_from = Some("2026-12-31".into());
                d.active_to = Some("2026-12-01".into());
            },
            "active_to",
            "later than active_from",
        ),
        (
            "window empty",
            |d| {
                d.active_from = Some("2026-12-01T00:00:00Z".into());
                d.active_to = Some("2026-12-01".into());
            },
            "active_to",
            "later than active_from",
        ),
        (
            "bad date",
            |d| d.active_from = Some("tomorrow".into()),
            "active_from",
            "not a time",
        ),
        (
            "user zero",
            |d| d.user_id = Some(0),
            "user_id",
            "positive id",
        ),
        (
            "description too long",
            |d| d.description = Some("я".repeat(2001)),
            "description",
            "at most 2000",
        ),
        (
            "bad case",
            |d| d.case = Some("title".into()),
            "case",
            "not a case mode",
        ),
        (
            "placeholder redefines #",
            |d| d.placeholders = vec!["#=latin".into()],
            "placeholders",
            "built-in",
        ),
        (
            "placeholder unknown collection",
            |d| d.placeholders = vec!["*=greek".into()],
            "placeholders",
            "not a collection",
        ),
        (
            "placeholder malformed",
            |d| d.placeholders = vec!["**".into()],
            "placeholders",
            "SYMBOL=COLLECTION",
        ),
        (
            "placeholder twice",
            |d| d.placeholders = vec!["*=digits".into(), "*=latin".into()],
            "placeholders",
            "twice",
        ),
    ];
    for (name, edit, field, reason) in table {
        let mut d = draft();
        edit(&mut d);
        let errors = rejected(d);
        assert_eq!(
            errors.0.len(),
            1,
            "{name}: exactly one error expected, got {errors}"
        );
        assert_eq!(errors.0[0].field, *field, "{name}: {errors}");
        assert!(errors.0[0].reason.contains(reason), "{name}: {errors}");
    }
}

#[test]
fn every_problem_is_reported_at_once_in_field_order() {
    let errors = rejected(SettingsDraft {
        coupon_type: Some("multi_order".into()),
        ..SettingsDraft::default()
    });
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field).collect();
    assert_eq!(fields, vec!["template", "count", "discount_id", "max_uses"]);
    assert!(
        errors
            .to_string()
            .starts_with("template: required; count: required")
    );
}

#[test]
fn the_three_bitrix_types_parse_by_name_and_code() {
    for (text, expected) in [
        ("basket_row", CouponType::BasketRow),
        ("basket-row", CouponType::BasketRow),
        ("1", CouponType::BasketRow),
        ("ONE_ORDER", CouponType::OneOrder),
        ("2", CouponType::OneOrder),
        ("multi-order", CouponType::MultiOrder),
        ("4", CouponType::MultiOrder),
    ] {
        assert_eq!(text.parse::<CouponType>(), Ok(expected), "{text}");
    }
    assert!("3".parse::<CouponType>().is_err());
    assert_eq!(CouponType::MultiOrder.bitrix_code(), 4);
}

#[test]
fn a_multi_order_coupon_with_uses_and_a_window_is_accepted() {
    let mut d = draft();
    d.coupon_type = Some("multi_order".into());
    d.max_uses = Some(5);
    d.active_from = Some("2026-12-01".into());
    d.active_to = Some("2026-12-31T23:59:59+03:00".into());
    d.user_id = Some(42);
    d.description = Some("Новогодняя акция".into());
    let s = d.validate().unwrap().settings;
    assert_eq!(s.coupon.max_uses, Some(5));
    assert_eq!(
        s.coupon.active_from.unwrap().to_rfc3339(),
        "2026-12-01T00:00:00+00:00"
    );
    assert_eq!(
        s.coupon.active_to.unwrap().to_rfc3339(),
        "2026-12-31T20:59:59+00:00"
    );
}

#[test]
fn filling_more_than_a_quarter_warns_about_guessable_codes() {
    let mut d = draft();
    d.template = Some("###".into());
    d.count = Some(251);
    let valid = d.validate().unwrap();
    assert_eq!(valid.warnings.len(), 1);
    assert!(valid.warnings[0].contains("25.1%"), "{:?}", valid.warnings);
    let mut exactly_a_quarter = draft();
    exactly_a_quarter.template = Some("###".into());
    exactly_a_quarter.count = Some(250);
    assert!(exactly_a_quarter.validate().unwrap().warnings.is_empty());
    let mut all = draft();
    all.template = Some("###".into());
    all.count = Some(1000);
    assert!(all.validate().is_ok(), "count == capacity is allowed");
}

#[test]
fn extra_placeholders_unite_collections_and_twins_are_warned_about() {
    let mut d = draft();
    d.template = Some("**-#".into());
    d.placeholders = vec!["*=latin,cyrillic".into()];
    let valid = d.validate().unwrap();
    assert_eq!(valid.capacity.value(), 59 * 59 * 10);
    assert_eq!(valid.warnings.len(), 2, "{:?}", valid.warnings);
    assert!(valid.warnings[0].contains("position 1"));
    let mut clean = draft();
    clean.template = Some("**-#".into());
    clean.placeholders = vec!["*=latin,cyrillic".into()];
    clean.exclude_lookalikes = Some(true);
    let valid = clean.validate().unwrap();
    assert!(valid.warnings.is_empty(), "{:?}", valid.warnings);
    assert_eq!(valid.capacity.value(), 45 * 45 * 8);
}

#[test]
fn stored_settings_round_trip_through_json_and_reject_unknown_keys() {
    let settings = draft().validate().unwrap().settings;
    let json = serde_json::to_value(&settings).unwrap();
    assert_eq!(json["coupon"]["type"], "one_order");
    let back: CouponSettings = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, settings);
    let mut extra = json;
    extra["surprise"] = serde_json::json!(1);
    assert!(serde_json::from_value::<CouponSettings>(extra).is_err());
}

#[test]
fn a_preview_parses_only_the_template_options() {
    let preview = SettingsDraft {
        template: Some("$$-@".into()),
        case: Some("mixed".into()),
        ..SettingsDraft::default()
    };
    assert_eq!(
        preview.parse_template().unwrap().capacity().value(),
        52 * 52 * 66
    );
    let empty = SettingsDraft::default().parse_template().unwrap_err();
    assert!(empty.has("template"));
    let bad = SettingsDraft {
        template: Some("#".into()),
        placeholders: vec!["#=latin".into()],
        ..SettingsDraft::default()
    };
    assert!(bad.parse_template().unwrap_err().has("placeholders"));
}
