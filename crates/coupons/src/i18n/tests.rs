//! The catalogues: complete in both languages, sound Fluent, Cyrillic intact, and the language choice rules.

use std::collections::BTreeSet;

use crmsync_domain::coupon::SettingsDraft;
use crmsync_jobs::coupons::plan;

use super::*;

fn key_set(source: &str) -> BTreeSet<String> {
    keys(source).into_iter().collect()
}

#[test]
fn both_catalogues_load_without_problems() {
    assert!(problems().is_empty(), "{:?}", problems());
    assert!(keys(EN_FTL).len() > 100);
}

#[test]
fn every_key_exists_in_both_catalogues() {
    let en = key_set(EN_FTL);
    let ru = key_set(RU_FTL);
    let only_en: Vec<_> = en.difference(&ru).collect();
    let only_ru: Vec<_> = ru.difference(&en).collect();
    assert!(
        only_en.is_empty() && only_ru.is_empty(),
        "only in en.ftl: {only_en:?}; only in ru.ftl: {only_ru:?}"
    );
    assert_eq!(keys(EN_FTL).len(), en.len(), "a key is defined twice");
}

#[test]
fn every_message_uses_the_same_variables_in_both_languages() {
    fn variables(source: &str, key: &str) -> BTreeSet<String> {
        let line = source
            .lines()
            .find(|l| l.split_once(" =").is_some_and(|(k, _)| k.trim() == key))
            .unwrap_or_default();
        line.split("{ $")
            .skip(1)
            .filter_map(|rest| rest.split_once(' ').map(|(name, _)| name.to_owned()))
            .collect()
    }
    for key in keys(EN_FTL) {
        assert_eq!(
            variables(EN_FTL, &key),
            variables(RU_FTL, &key),
            "{key}: the variables differ"
        );
    }
}

#[test]
fn every_russian_message_is_russian() {
    let same_as_english = [
        "field-error",
        "error-serve",
        "page-col-id",
        "error-resume-hint",
    ];
    for key in keys(RU_FTL) {
        let ru = lookup(Lang::Ru, &key, &[]).unwrap_or_default();
        let en = lookup(Lang::En, &key, &[]).unwrap_or_default();
        assert!(
            ru != en || same_as_english.contains(&key.as_str()) || key.starts_with("role-"),
            "{key} is not translated: {ru}"
        );
    }
}

#[test]
fn cyrillic_arguments_and_messages_round_trip() {
    let text = tr(
        Lang::Ru,
        "preview-head",
        args!["template" => "СКИДКА-@@@-###", "capacity" => "1000", "count" => 2],
    );
    assert_eq!(
        text,
        "шаблон СКИДКА-@@@-### даёт 1000 разных кодов; образцов: 2 (случайные, могут повторяться):"
    );
    let en = tr(Lang::En, "report-error", args!["error" => "ошибка «ёлка»"]);
    assert!(en.ends_with("ошибка «ёлка»"), "{en}");
}

#[test]
fn domain_messages_render_in_russian_with_their_arguments() {
    let errors = plan(SettingsDraft {
        template: Some("ПРОМО-##".into()),
        count: Some(1000),
        discount_id: Some(1),
        coupon_type: Some("one_order".into()),
        ..SettingsDraft::default()
    })
    .unwrap_err();
    let ru = settings_errors(Lang::Ru, &errors);
    assert_eq!(
        ru,
        "count: шаблон даёт не больше 100 разных кодов; запрошено 1000"
    );
    let en = settings_errors(Lang::En, &errors);
    assert_eq!(
        en,
        "count: the template yields at most 100 distinct codes; 1000 requested"
    );
    assert_eq!(
        en,
        errors.to_string(),
        "the catalogue and the domain's English agree"
    );
}

#[test]
fn every_domain_message_key_is_in_the_catalogue() {
    let en = key_set(EN_FTL);
    let drafts = [
        SettingsDraft::default(),
        SettingsDraft {
            template: Some("\\".into()),
            count: Some(0),
            discount_id: Some(0),
            coupon_type: Some("x".into()),
            active_from: Some("tomorrow".into()),
            case: Some("camel".into()),
            placeholders: vec!["oops".into(), "#=digits".into()],
            ..SettingsDraft::default()
        },
        SettingsDraft {
            template: Some("A##".into()),
            count: Some(90),
            discount_id: Some(1),
            coupon_type: Some("multi_order".into()),
            active_from: Some("2026-12-02".into()),
            active_to: Some("2026-12-01".into()),
            user_id: Some(0),
            description: Some("x".repeat(300)),
            ..SettingsDraft::default()
        },
    ];
    let mut seen = 0;
    for draft in drafts {
        if let Err(errors) = plan(draft) {
            for error in &errors.0 {
                seen += 1;
                assert!(
                    en.contains(error.reason.key),
                    "{} is missing",
                    error.reason.key
                );
                let ru = message(Lang::Ru, &error.reason);
                assert_ne!(
                    ru, error.reason.english,
                    "{} is not translated",
                    error.reason.key
                );
            }
        }
    }
    assert!(seen >= 10, "only {seen} errors were checked");
}

#[test]
fn the_language_comes_from_the_flag_then_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    assert_eq!(
        Lang::choose(Some(Lang::En), env(&[("LANG", "ru_RU.UTF-8")])),
        Lang::En
    );
    assert_eq!(
        Lang::choose(None, env(&[("LANG", "ru_RU.UTF-8")])),
        Lang::Ru
    );
    assert_eq!(
        Lang::choose(
            None,
            env(&[("LC_MESSAGES", "en_US.UTF-8"), ("LANG", "ru_RU.UTF-8")])
        ),
        Lang::En
    );
    assert_eq!(
        Lang::choose(
            None,
            env(&[("LC_ALL", ""), ("LC_MESSAGES", "ru"), ("LANG", "C")])
        ),
        Lang::Ru
    );
    assert_eq!(
        Lang::choose(None, env(&[("LANG", "de_DE.UTF-8")])),
        Lang::En
    );
    assert_eq!(Lang::choose(None, env(&[])), Lang::En);
}

#[test]
fn accept_language_picks_the_best_supported_language() {
    assert_eq!(
        Lang::from_accept_language("ru-RU,ru;q=0.9,en;q=0.8"),
        Lang::Ru
    );
    assert_eq!(
        Lang::from_accept_language("de;q=1.0, en;q=0.5, ru;q=0.7"),
        Lang::Ru
    );
    assert_eq!(Lang::from_accept_language("en-GB"), Lang::En);
    assert_eq!(Lang::from_accept_language("fr, ru;q=0"), Lang::En);
    assert_eq!(Lang::from_accept_language(""), Lang::En);
    assert!("de".parse::<Lang>().is_err());
}
