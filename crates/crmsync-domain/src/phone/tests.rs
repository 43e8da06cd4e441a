//! Table tests for phone normalisation.

use super::*;

#[test]
fn russian_spellings_normalise_to_one_e164_form() {
    let cases = [
        "8 (916) 123-45-67",
        "+7 916 123 45 67",
        "+7(916)123-45-67",
        "79161234567",
        "89161234567",
        "9161234567",
        " 8-916-123-45-67 ",
        "8.916.123.45.67",
    ];
    for input in cases {
        assert_eq!(
            Phone::parse(input).map(|p| p.to_string()),
            Ok("+79161234567".to_owned()),
            "input {input:?}"
        );
    }
}

#[test]
fn landlines_and_foreign_numbers_keep_their_country() {
    assert_eq!(
        Phone::parse("8 (495) 123-45-67").unwrap().as_e164(),
        "+74951234567"
    );
    assert_eq!(
        Phone::parse("+375 29 123-45-67").unwrap().as_e164(),
        "+375291234567"
    );
}

#[test]
fn what_cannot_be_a_phone_is_rejected_with_a_reason() {
    assert_eq!(Phone::parse(""), Err(PhoneError::Empty));
    assert_eq!(Phone::parse(" - ( ) "), Err(PhoneError::Empty));
    assert_eq!(Phone::parse("call me"), Err(PhoneError::InvalidCharacters));
    assert_eq!(
        Phone::parse("8916abc4567"),
        Err(PhoneError::InvalidCharacters)
    );
    assert_eq!(
        Phone::parse("12345"),
        Err(PhoneError::NotANumber { digits: 5 })
    );
    assert_eq!(
        Phone::parse("8916123456789"),
        Err(PhoneError::NotANumber { digits: 13 })
    );
    assert_eq!(
        Phone::parse("0000000000"),
        Err(PhoneError::NotANumber { digits: 10 })
    );
}

#[test]
fn serde_round_trips_and_validates() {
    let phone: Phone = serde_json::from_str("\"8 916 123 45 67\"").unwrap();
    assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+79161234567\"");
    assert!(serde_json::from_str::<Phone>("\"nope\"").is_err());
}

#[test]
fn masked_form_shows_only_the_last_four_digits() {
    assert_eq!(Phone::parse("89161234567").unwrap().masked(), "***4567");
}

proptest::proptest! {
    #[test]
    fn the_mobile_shortcut_agrees_with_the_full_parser(rest in 0u64..1_000_000_000) {
        let candidate = format!("+79{rest:09}");
        proptest::prop_assert!(is_russian_mobile(&candidate));
        proptest::prop_assert_eq!(full_parse(&candidate), Some(Phone(candidate.clone())));
    }
}

#[test]
fn the_shortcut_takes_only_twelve_character_mobile_numbers() {
    for other in [
        "+7916123456",
        "+791612345678",
        "+74951234567",
        "+79a6123456x",
    ] {
        assert!(!is_russian_mobile(other), "{other}");
    }
}
