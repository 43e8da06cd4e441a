//! Tests of unique and free code generation, including property tests over random templates.

use std::collections::HashSet;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::coupon::collection::CaseMode;
use crate::coupon::template::Placeholders;

fn template(source: &str, case: CaseMode) -> Template {
    Template::parse(source, &Placeholders::standard(case), false).unwrap()
}

fn key(seed: u8) -> PermutationKey {
    PermutationKey::from_bytes([seed; 16])
}

#[test]
fn three_digits_yield_exactly_the_thousand_codes() {
    let t = template("###", CaseMode::Upper);
    let codes = UniqueCodes::new(&t, &key(1));
    assert_eq!(codes.len(), 1000);
    let all = codes.range(0..1000).unwrap();
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), 1000);
    assert!(
        all.iter()
            .all(|c| c.len() == 3 && c.chars().all(|d| d.is_ascii_digit()))
    );
    assert_ne!(
        all[..10],
        [
            "000", "001", "002", "003", "004", "005", "006", "007", "008", "009"
        ]
    );
    assert!(codes.code(1000).is_err());
    assert_eq!(
        codes.range(990..1001).unwrap_err(),
        IndexOutOfRange {
            index: 1000,
            len: 1000
        }
    );
}

#[test]
fn cyrillic_codes_are_whole_characters() {
    let t = template("@@-ПРОМО", CaseMode::Mixed);
    let codes = UniqueCodes::new(&t, &key(2));
    assert_eq!(codes.len(), 66 * 66);
    for code in codes.range(0..200).unwrap() {
        assert_eq!(code.chars().count(), 8, "{code}");
        assert!(t.matches(&code), "{code}");
    }
}

#[test]
fn the_same_key_gives_the_same_codes_and_another_key_others() {
    let t = template("SALE-$$$-###", CaseMode::Upper);
    let a = UniqueCodes::new(&t, &key(5)).range(0..50).unwrap();
    let again = UniqueCodes::new(&t, &key(5)).range(0..50).unwrap();
    let b = UniqueCodes::new(&t, &key(6)).range(0..50).unwrap();
    assert_eq!(a, again);
    assert_ne!(a, b);
    let resumed = UniqueCodes::new(&t, &key(5)).range(20..50).unwrap();
    assert_eq!(resumed, a[20..]);
}

#[test]
fn saturated_templates_still_give_distinct_matching_codes() {
    let t = template(&"$".repeat(60), CaseMode::Mixed);
    assert!(t.capacity().is_saturated());
    let codes = UniqueCodes::new(&t, &key(3));
    assert!(codes.len() > u128::from(u64::MAX));
    let sample = codes.range(0..2000).unwrap();
    let distinct: HashSet<&String> = sample.iter().collect();
    assert_eq!(distinct.len(), 2000);
    assert!(sample.iter().all(|c| t.matches(c)));
    let leading: HashSet<char> = sample.iter().filter_map(|c| c.chars().next()).collect();
    assert!(
        leading.len() > 40,
        "leading positions vary: {}",
        leading.len()
    );
}

#[test]
fn a_template_without_placeholders_has_its_one_code() {
    let t = template(r"WELCOME\#1", CaseMode::Upper);
    let codes = UniqueCodes::new(&t, &key(1));
    assert_eq!(codes.len(), 1);
    assert_eq!(codes.code(0).unwrap(), "WELCOME#1");
}

#[test]
fn free_draws_match_the_template_and_repeat_in_a_small_space() {
    let t = template("#", CaseMode::Upper);
    let mut rng = StdRng::seed_from_u64(11);
    let draws: Vec<String> = (0..100).map(|_| random_code(&t, &mut rng)).collect();
    assert!(draws.iter().all(|c| t.matches(c)));
    let distinct: HashSet<&String> = draws.iter().collect();
    assert!(distinct.len() < 100, "non-unique draws repeat");
    assert!(distinct.len() > 5, "but cover the collection");
}

fn arbitrary_template() -> impl Strategy<Value = (String, CaseMode)> {
    let piece = prop_oneof![
        Just("#".to_owned()),
        Just("$".to_owned()),
        Just("@".to_owned()),
        Just("-".to_owned()),
        Just("Ж".to_owned()),
        Just(r"\#".to_owned()),
        Just(r"\\".to_owned()),
        "[A-Z]".prop_map(|s| s),
    ];
    let case = prop_oneof![
        Just(CaseMode::Upper),
        Just(CaseMode::Lower),
        Just(CaseMode::Mixed)
    ];
    (prop::collection::vec(piece, 1..7), case).prop_map(|(pieces, case)| (pieces.concat(), case))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn unique_mode_yields_count_distinct_matching_codes_up_to_capacity(
        (source, case) in arbitrary_template(),
        seed in any::<[u8; 16]>(),
        fraction in 0.0f64..=1.0,
        take_all in any::<bool>(),
    ) {
        let t = template(&source, case);
        let capacity = t.capacity().value();
        let limit = capacity.min(20_000);
        let count = if take_all || capacity == 1 { limit } else { ((limit as f64 * fraction) as u128).clamp(1, limit) };
        let codes = UniqueCodes::new(&t, &PermutationKey::from_bytes(seed));
        prop_assert_eq!(codes.len(), capacity);
        let generated = codes.range(0..count).unwrap();
        let distinct: HashSet<&String> = generated.iter().collect();
        prop_assert_eq!(distinct.len() as u128, count);
        for code in &generated {
            prop_assert!(t.matches(code), "{} does not match {}", code, source);
        }
    }

    #[test]
    fn count_equal_to_capacity_gives_every_code(
        digits in 1usize..4,
        letters in 0usize..2,
        seed in any::<[u8; 16]>(),
    ) {
        let source = format!("{}{}", "#".repeat(digits), "$".repeat(letters));
        let t = template(&source, CaseMode::Upper);
        let capacity = t.capacity().value();
        let codes = UniqueCodes::new(&t, &PermutationKey::from_bytes(seed)).range(0..capacity).unwrap();
        let distinct: HashSet<String> = codes.into_iter().collect();
        prop_assert_eq!(distinct.len() as u128, capacity);
    }
}
