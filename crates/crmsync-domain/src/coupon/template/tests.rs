//! Tests of template parsing: the table of the issue, positions of errors, capacity.

use super::*;

fn parse(source: &str) -> Result<Template, TemplateError> {
    Template::parse(source, &Placeholders::standard(CaseMode::Upper), false)
}

fn shape(template: &Template) -> String {
    template
        .pieces()
        .iter()
        .map(|piece| match piece {
            Piece::Literal(text) => format!("'{text}'"),
            Piece::Slot(n) => format!("{}", template.positions()[*n].placeholder),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A template, and either its shape or the position and reason of its error.
type Row = (
    &'static str,
    Result<&'static str, (Option<usize>, TemplateErrorReason)>,
);

#[test]
fn the_parsing_table() {
    let table: &[Row] = &[
        ("###", Ok("# # #")),
        ("SALE-$$$-###", Ok("'SALE-' $ $ $ '-' # # #")),
        ("@@-##", Ok("@ @ '-' # #")),
        ("ПРОМО-@#", Ok("'ПРОМО-' @ #")),
        ("Ёж$@#ъ", Ok("'Ёж' $ @ # 'ъ'")),
        (r"\#\$\@-#", Ok("'#$@-' #")),
        (r"A\\B#", Ok(r"'A\B' #")),
        ("NOPLACEHOLDERS", Ok("'NOPLACEHOLDERS'")),
        ("%&*", Ok("'%&*'")),
        ("", Err((None, TemplateErrorReason::Empty))),
        (r"AB#\", Err((Some(4), TemplateErrorReason::DanglingEscape))),
        (
            r"AB\x#",
            Err((
                Some(4),
                TemplateErrorReason::UnknownPlaceholder { character: 'x' },
            )),
        ),
        (
            r"ПР\Ж",
            Err((
                Some(4),
                TemplateErrorReason::UnknownPlaceholder { character: 'Ж' },
            )),
        ),
        (
            "AB #",
            Err((Some(3), TemplateErrorReason::Unprintable { character: ' ' })),
        ),
        (
            "ЁЁ\t#",
            Err((
                Some(3),
                TemplateErrorReason::Unprintable { character: '\t' },
            )),
        ),
    ];
    for (source, expected) in table {
        let parsed = parse(source);
        match (expected, parsed) {
            (Ok(want), Ok(template)) => assert_eq!(shape(&template), *want, "{source:?}"),
            (Err((position, reason)), Err(error)) => {
                assert_eq!(error.position, *position, "{source:?}");
                assert_eq!(&error.reason, reason, "{source:?}");
            }
            (want, got) => panic!("{source:?}: expected {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn error_messages_name_the_position_and_the_reason() {
    let error = parse(r"AB\x#").unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("position 4: "), "{message}");
    assert!(message.contains("not a placeholder"), "{message}");
    assert!(
        parse(r"#\")
            .unwrap_err()
            .to_string()
            .contains("escapes nothing")
    );
}

#[test]
fn too_long_templates_are_rejected_at_the_first_extra_character() {
    let error = parse(&"#".repeat(MAX_TEMPLATE_CHARS + 1)).unwrap_err();
    assert_eq!(error.position, Some(MAX_TEMPLATE_CHARS + 1));
    assert!(
        parse(&"Ж".repeat(MAX_TEMPLATE_CHARS)).is_ok(),
        "counted in characters, not bytes"
    );
}

#[test]
fn positions_are_counted_in_characters() {
    let template = parse("ЖЖЖ-@#").unwrap();
    let offsets: Vec<usize> = template.positions().iter().map(|p| p.offset).collect();
    assert_eq!(offsets, vec![5, 6]);
}

#[test]
fn capacities_of_the_issue() {
    let upper = Placeholders::standard(CaseMode::Upper);
    let mixed = Placeholders::standard(CaseMode::Mixed);
    let capacity = |source: &str, placeholders: &Placeholders| {
        Template::parse(source, placeholders, false)
            .unwrap()
            .capacity()
    };
    assert_eq!(capacity("###", &upper).value(), 1000);
    assert_eq!(capacity("$$", &upper).value(), 676);
    assert_eq!(capacity("$$", &mixed).value(), 2704);
    assert_eq!(capacity("@@", &upper).value(), 33 * 33);
    assert_eq!(capacity("@", &mixed).value(), 66);
    assert_eq!(capacity("A-#", &upper).value(), 10);
    assert_eq!(capacity("FIXED", &upper).value(), 1);
    assert_eq!(capacity(r"\#\#", &upper).value(), 1);
    let forty_digits = capacity(&"#".repeat(40), &upper);
    assert!(forty_digits.is_saturated());
    let thirty_eight = capacity(&"#".repeat(38), &upper);
    assert_eq!(thirty_eight.value(), 10u128.pow(38));
    assert!(!thirty_eight.is_saturated());
    assert!(capacity(&"$".repeat(200), &mixed).is_saturated());
}

#[test]
fn lookalike_exclusion_applies_per_position() {
    let placeholders = Placeholders::standard(CaseMode::Upper)
        .with(
            '%',
            Collection::union([
                &Collection::latin(CaseMode::Upper),
                &Collection::cyrillic(CaseMode::Upper),
            ])
            .unwrap(),
        )
        .unwrap();
    let plain = Template::parse("#$@%", &placeholders, false).unwrap();
    assert_eq!(plain.capacity().value(), 10 * 26 * 33 * 59);
    assert_eq!(plain.positions_with_twins().count(), 1);
    let clean = Template::parse("#$@%", &placeholders, true).unwrap();
    let sizes: Vec<usize> = clean
        .positions()
        .iter()
        .map(|p| p.collection.len())
        .collect();
    assert_eq!(sizes, vec![8, 24, 32, 59 - 2 - 11 - 1]);
    assert_eq!(clean.positions_with_twins().count(), 0);
}

#[test]
fn a_placeholder_left_empty_by_the_exclusion_is_an_error_at_its_position() {
    let placeholders = Placeholders::standard(CaseMode::Upper)
        .with('~', Collection::new("0O".chars()).unwrap())
        .unwrap();
    let error = Template::parse("AB~", &placeholders, true).unwrap_err();
    assert_eq!(error.position, Some(3));
    assert_eq!(
        error.reason,
        TemplateErrorReason::EmptyCollection { placeholder: '~' }
    );
}

#[test]
fn extra_placeholders_are_mapped_in_code_and_can_be_escaped() {
    let placeholders = Placeholders::none()
        .with('*', Collection::special())
        .unwrap();
    let template = Template::parse(r"#*\*", &placeholders, false).unwrap();
    assert_eq!(shape(&template), "'#' * '*'");
    assert!(
        Placeholders::none()
            .with('\\', Collection::digits())
            .is_err()
    );
    assert!(
        Placeholders::none()
            .with(' ', Collection::digits())
            .is_err()
    );
}

#[test]
fn matches_recognises_exactly_the_template_codes() {
    let template = parse(r"Ж-$#\#").unwrap();
    assert!(template.matches("Ж-A7#"));
    assert!(!template.matches("Ж-a7#"));
    assert!(!template.matches("Ж-A7"));
    assert!(!template.matches("Ж-A7#X"));
    assert!(!template.matches("Ж-77#"));
}
