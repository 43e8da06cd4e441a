//! Table tests of case-number parsing: Cyrillic/Latin, spaces, years, suffixes, look-alikes and garbage.

use std::collections::HashSet;

use super::*;

/// What parsing one input must give.
enum Expect {
    /// A valid number with this canonical form and suffix.
    Valid(&'static str, Option<&'static str>),
    /// A rejection of this kind.
    Rejected(&'static str),
}

use Expect::{Rejected, Valid};

const TABLE: &[(&str, Expect)] = &[
    // Plain first-instance numbers, Cyrillic А.
    ("А40-139272/17", Valid("А40-139272/2017", None)),
    ("А78-222/2020", Valid("А78-222/2020", None)),
    ("А32-9380/2018", Valid("А32-9380/2018", None)),
    ("А59-467/2016", Valid("А59-467/2016", None)),
    ("А01-1/2024", Valid("А01-1/2024", None)),
    ("А41-1234567/2023", Valid("А41-1234567/2023", None)),
    // Latin A, lower-case letters.
    ("A40-139272/2017", Valid("А40-139272/2017", None)),
    ("a56-10000/2019", Valid("А56-10000/2019", None)),
    ("а65-777/2022", Valid("А65-777/2022", None)),
    // Spaces anywhere, non-breaking spaces, surrounding blanks.
    ("  А40-139272/2017 \n", Valid("А40-139272/2017", None)),
    ("А 40-262624/2021", Valid("А40-262624/2021", None)),
    ("А40 - 262624 / 2021", Valid("А40-262624/2021", None)),
    ("A\u{a0}83-5/2015", Valid("А83-5/2015", None)),
    // Two-digit years both sides of the pivot, four-digit years.
    ("А40-1/99", Valid("А40-1/1999", None)),
    ("А40-1/00", Valid("А40-1/2000", None)),
    ("А40-1/49", Valid("А40-1/2049", None)),
    ("А40-1/1992", Valid("А40-1/1992", None)),
    // Leading zeros in the number are not part of the case's identity.
    ("А40-000123/2020", Valid("А40-123/2020", None)),
    // Court codes above 84 (new regions) are accepted.
    ("А85-100/2024", Valid("А85-100/2024", None)),
    ("А99-100/2024", Valid("А99-100/2024", None)),
    // Suffixes are kept, the base is canonical.
    (
        "А40-262624/2021-146-2012",
        Valid("А40-262624/2021", Some("146-2012")),
    ),
    (
        "А40-262624/21-146-2012",
        Valid("А40-262624/2021", Some("146-2012")),
    ),
    ("А60-1000/2020-Б", Valid("А60-1000/2020", Some("Б"))),
    // En dash typed by a word processor, document prefixes.
    ("А40–139272/2017", Valid("А40-139272/2017", None)),
    ("Дело № А40-139272/2017", Valid("А40-139272/2017", None)),
    ("N А40-139272/17", Valid("А40-139272/2017", None)),
    // The four look-alike kinds.
    ("05АП-3141/2018", Rejected("appellate")),
    ("13AП-31822/2017", Rejected("appellate")),
    ("13 АП-31822/2017", Rejected("appellate")),
    ("Ф08-8562/19", Rejected("cassation")),
    ("F05-1234/2020", Rejected("cassation")),
    ("СИП-715/2022", Rejected("ip_court")),
    ("СИП-715-2022", Rejected("ip_court")),
    ("SIP-6-2020", Rejected("ip_court")),
    ("305-ЭС23-1234", Rejected("supreme_court")),
    ("305-ES23-1234", Rejected("supreme_court")),
    // Garbage and near misses.
    ("", Rejected("empty")),
    ("   ", Rejected("empty")),
    ("не знаю", Rejected("malformed")),
    ("40-139272/2017", Rejected("malformed")),
    ("А4-139272/2017", Rejected("malformed")),
    ("А400-139272/2017", Rejected("malformed")),
    ("А00-1/2020", Rejected("malformed")),
    ("А40-/2017", Rejected("malformed")),
    ("А40-12345678/2017", Rejected("malformed")),
    ("А40-0/2017", Rejected("malformed")),
    ("А40-139272", Rejected("malformed")),
    ("А40-139272/201", Rejected("malformed")),
    ("А40-139272/1975", Rejected("malformed")),
    ("А40-139272/75", Rejected("malformed")),
    ("А40-139272/2017г.", Rejected("malformed")),
    ("А40-139272/2017--5", Rejected("malformed")),
    ("А40139272/2017", Rejected("malformed")),
    ("Б40-139272/2017", Rejected("malformed")),
];

#[test]
fn the_table_parses_as_expected() {
    assert!(TABLE.len() >= 30);
    for (input, expect) in TABLE {
        let parsed = CaseNumber::parse(input);
        match (expect, parsed) {
            (Valid(canonical, suffix), Ok(number)) => {
                assert_eq!(number.canonical(), *canonical, "canonical of {input:?}");
                assert_eq!(number.suffix(), *suffix, "suffix of {input:?}");
            }
            (Rejected(kind), Err(error)) => {
                assert_eq!(error.kind(), *kind, "rejection of {input:?}: {error}");
            }
            (Valid(canonical, _), Err(error)) => {
                panic!("{input:?} should parse as {canonical}, got: {error}")
            }
            (Rejected(kind), Ok(number)) => {
                panic!("{input:?} should be rejected as {kind}, got {number}")
            }
        }
    }
}

#[test]
fn latin_and_cyrillic_spellings_are_the_same_case() {
    let cyrillic = CaseNumber::parse("А40-139272/2017").unwrap();
    let latin = CaseNumber::parse("a 40-139272/17").unwrap();
    assert_eq!(cyrillic, latin);
    let set: HashSet<CaseNumber> = [cyrillic, latin].into_iter().collect();
    assert_eq!(set.len(), 1);
}

#[test]
fn suffixes_are_kept_but_ignored_in_comparison() {
    let with = CaseNumber::parse("А40-262624/2021-146-2012").unwrap();
    let without = CaseNumber::parse("А40-262624/2021").unwrap();
    assert_eq!(with, without);
    assert_eq!(with.full(), "А40-262624/2021-146-2012");
    assert_eq!(with.base().full(), "А40-262624/2021");
    assert_ne!(with, CaseNumber::parse("А40-262625/2021").unwrap());
    assert_ne!(with, CaseNumber::parse("А40-262624/2022").unwrap());
    assert_ne!(with, CaseNumber::parse("А41-262624/2021").unwrap());
}

#[test]
fn canonical_form_uses_the_cyrillic_letter() {
    let number = CaseNumber::parse("A40-1/2020").unwrap();
    assert!(number.canonical().starts_with('\u{410}'));
    assert_eq!(number.to_string(), number.canonical());
    assert_eq!(
        (number.court(), number.number(), number.year()),
        (40, 1, 2020)
    );
}

#[test]
fn canonical_form_parses_back_to_itself() {
    for (input, expect) in TABLE {
        if let Valid(canonical, _) = expect {
            let again = CaseNumber::parse(canonical).unwrap();
            assert_eq!(again.canonical(), *canonical, "round trip of {input:?}");
        }
    }
}

#[test]
fn serde_uses_the_canonical_form_and_validates() {
    let number = CaseNumber::parse("a40-139272/17-5").unwrap();
    let json = serde_json::to_string(&number).unwrap();
    assert_eq!(json, "\"А40-139272/2017\"");
    let back: CaseNumber = serde_json::from_str(&json).unwrap();
    assert_eq!(back, number);
    let bad = serde_json::from_str::<CaseNumber>("\"05АП-3141/2018\"").unwrap_err();
    assert!(bad.to_string().contains("appellate"), "{bad}");
}

#[test]
fn rejection_messages_say_what_the_input_is() {
    let cases = [
        ("05АП-3141/2018", "appellate"),
        ("Ф08-8562/19", "cassation"),
        ("СИП-715/2022", "Intellectual Property Court"),
        ("305-ЭС23-1234", "Supreme Court"),
        ("А4-1/2020", "two digits"),
        ("А40-1/1975", "1975"),
    ];
    for (input, needle) in cases {
        let message = CaseNumber::parse(input).unwrap_err().to_string();
        assert!(message.contains(needle), "{input:?}: {message}");
    }
}

#[test]
fn ordering_is_total_and_consistent_with_equality() {
    let mut numbers: Vec<CaseNumber> = ["А41-1/2020", "А40-2/2020", "А40-1/2021", "A40-2/20"]
        .iter()
        .map(|s| CaseNumber::parse(s).unwrap())
        .collect();
    numbers.sort();
    numbers.dedup();
    let canonical: Vec<String> = numbers.iter().map(CaseNumber::canonical).collect();
    assert_eq!(canonical, ["А40-1/2021", "А40-2/2020", "А41-1/2020"]);
}
