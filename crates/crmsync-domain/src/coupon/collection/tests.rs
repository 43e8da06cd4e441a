//! Tests of the symbol collections.

use super::*;

#[test]
fn built_in_collections_have_the_documented_sizes() {
    assert_eq!(Collection::digits().len(), 10);
    assert_eq!(Collection::latin(CaseMode::Upper).len(), 26);
    assert_eq!(Collection::latin(CaseMode::Lower).len(), 26);
    assert_eq!(Collection::latin(CaseMode::Mixed).len(), 52);
    assert_eq!(Collection::cyrillic(CaseMode::Upper).len(), 33);
    assert_eq!(Collection::cyrillic(CaseMode::Mixed).len(), 66);
    assert_eq!(Collection::special().len(), SPECIAL.chars().count());
}

#[test]
fn cyrillic_is_a_whole_alphabet_of_characters_with_yo_in_both_cases() {
    let upper = Collection::cyrillic(CaseMode::Upper);
    assert!(upper.contains('Ё') && upper.contains('Ь') && !upper.contains('ь'));
    let lower = Collection::cyrillic(CaseMode::Lower);
    assert!(lower.contains('ё') && lower.contains('я'));
    assert!(lower.symbols().iter().all(|c| c.is_lowercase()));
}

#[test]
fn special_characters_never_include_template_syntax() {
    let special = Collection::special();
    for syntax in ['#', '$', '@', '\\'] {
        assert!(!special.contains(syntax), "{syntax}");
    }
    assert!(special.contains('№'));
}

#[test]
fn unions_keep_first_occurrences_and_drop_duplicates() {
    let union = Collection::union([
        &Collection::digits(),
        &Collection::new("9AB0".chars()).unwrap(),
    ])
    .unwrap();
    assert_eq!(union.len(), 12);
    assert_eq!(union.get(10), Some('A'));
    assert_eq!(union.get(11), Some('B'));
}

#[test]
fn new_rejects_empty_and_unprintable_symbol_lists() {
    assert_eq!(Collection::new("".chars()), Err(CollectionError::Empty));
    assert_eq!(
        Collection::new("a b".chars()),
        Err(CollectionError::Unprintable { symbol: ' ' })
    );
    assert_eq!(Collection::new("aab".chars()).unwrap().len(), 2);
}

#[test]
fn lookalike_exclusion_removes_confusables_and_cyrillic_twins_of_present_latin_letters() {
    let digits = Collection::digits().without_lookalikes().unwrap();
    assert_eq!(digits.symbols(), &['2', '3', '4', '5', '6', '7', '8', '9']);

    let latin = Collection::latin(CaseMode::Mixed)
        .without_lookalikes()
        .unwrap();
    for gone in ['O', 'o', 'I', 'l'] {
        assert!(!latin.contains(gone), "{gone}");
    }
    assert!(latin.contains('i') && latin.contains('L'));

    let cyrillic_alone = Collection::cyrillic(CaseMode::Upper)
        .without_lookalikes()
        .unwrap();
    assert!(cyrillic_alone.contains('А'), "no Latin twin in the set");
    assert!(!cyrillic_alone.contains('О'), "О is confused with 0");

    let both = Collection::union([
        &Collection::latin(CaseMode::Upper),
        &Collection::cyrillic(CaseMode::Upper),
    ])
    .unwrap();
    assert_eq!(both.twins().len(), 12);
    let cleaned = both.without_lookalikes().unwrap();
    assert!(cleaned.twins().is_empty());
    for (cyrillic, latin) in [('А', 'A'), ('Х', 'X'), ('Р', 'P')] {
        assert!(!cleaned.contains(cyrillic) && cleaned.contains(latin));
    }
    assert!(cleaned.contains('Ж'));
}

#[test]
fn excluding_lookalikes_from_a_set_of_only_lookalikes_is_an_error() {
    let set = Collection::new("0O1l".chars()).unwrap();
    assert_eq!(set.without_lookalikes(), Err(CollectionError::Empty));
}

#[test]
fn names_parse_and_print() {
    for kind in CollectionKind::ALL {
        assert_eq!(kind.as_str().parse::<CollectionKind>(), Ok(kind));
    }
    assert!(
        "greek"
            .parse::<CollectionKind>()
            .unwrap_err()
            .contains("greek")
    );
    assert_eq!("mixed".parse::<CaseMode>(), Ok(CaseMode::Mixed));
    assert!("title".parse::<CaseMode>().is_err());
}
