//! Russian and English: the Fluent catalogues `locales/{en,ru}.ftl`, the language a reader asked for, and the
//! rendering of messages (the domain's [`Message`]s and this binary's own keys).
//!
//! The language comes from `--lang`, else `LC_ALL`, `LC_MESSAGES`, `LANG` (POSIX order), else English; the page
//! and the API read `Accept-Language` (and `?lang=`).

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use crmsync_domain::coupon::SettingsErrors;
use crmsync_domain::{Message, ProcessStatus};
use crmsync_jobs::coupons::CouponError;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use serde::Serialize;
use unic_langid::LanguageIdentifier;

/// Builds a list of arguments: `args!["id" => id, "count" => n]`.
macro_rules! args {
    ($($name:literal => $value:expr),* $(,)?) => {
        &[$(($name, ($value).to_string())),*]
    };
}
pub(crate) use args;

/// The English catalogue.
pub const EN_FTL: &str = include_str!("../locales/en.ftl");
/// The Russian catalogue.
pub const RU_FTL: &str = include_str!("../locales/ru.ftl");

/// A language coupons speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Russian.
    Ru,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Self; 2] = [Self::En, Self::Ru];

    /// The tag: `en`, `ru`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ru => "ru",
        }
    }

    /// The language of a tag or locale name (`ru`, `ru-RU`, `ru_RU.UTF-8`, `en_GB`); `None` for others
    /// (`C`, `POSIX`, `de_DE`).
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag
            .trim()
            .split(['-', '_', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "ru" => Some(Self::Ru),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// `--lang` if given, else the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set and not empty (read
    /// through `var`), else English.
    pub fn choose(flag: Option<Self>, var: impl Fn(&str) -> Option<String>) -> Self {
        if let Some(lang) = flag {
            return lang;
        }
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| var(name).filter(|value| !value.is_empty()))
            .and_then(|value| Self::from_tag(&value))
            .unwrap_or_default()
    }

    /// The best language of an `Accept-Language` header (`ru-RU,ru;q=0.9,en;q=0.8`); English when none fits.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Self::from_tag) else {
                continue;
            };
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang).unwrap_or_default()
    }

    fn index(self) -> usize {
        match self {
            Self::En => 0,
            Self::Ru => 1,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_tag(s).ok_or_else(|| format!("`{s}` is not a language: use en or ru"))
    }
}

/// Both catalogues, parsed once.
struct Catalogues {
    bundles: [FluentBundle<FluentResource>; 2],
    /// Problems found while loading (syntax errors, duplicate keys); empty when both files are sound.
    problems: Vec<String>,
}

fn bundle(lang: Lang, source: &str, problems: &mut Vec<String>) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks: messages go to terminals and logs as well as the page.
    bundle.set_use_isolating(false);
    let resource =
        FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, errors)| {
            problems.extend(errors.iter().map(|e| format!("{lang}.ftl: {e:?}")));
            partial
        });
    if let Err(errors) = bundle.add_resource(resource) {
        problems.extend(errors.iter().map(|e| format!("{lang}.ftl: {e}")));
    }
    bundle
}

static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| {
    let mut problems = Vec::new();
    let en = bundle(Lang::En, EN_FTL, &mut problems);
    let ru = bundle(Lang::Ru, RU_FTL, &mut problems);
    Catalogues {
        bundles: [en, ru],
        problems,
    }
});

/// Renders `key` with `args` in `lang`; `None` when the catalogue lacks the key.
pub fn lookup(lang: Lang, key: &str, args: &[(&str, String)]) -> Option<String> {
    let bundle = &CATALOGUES.bundles[lang.index()];
    let pattern = bundle.get_message(key)?.value()?;
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.as_str());
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    if !errors.is_empty() {
        tracing::warn!(key, lang = %lang, "message rendered with missing variables");
    }
    Some(text.into_owned())
}

/// Renders `key` in `lang`, falling back to English and then to the key itself.
pub fn tr(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    lookup(lang, key, args)
        .or_else(|| lookup(Lang::En, key, args))
        .unwrap_or_else(|| key.to_owned())
}

/// Renders a domain message in `lang`; its English text when the catalogue lacks the key.
pub fn message(lang: Lang, message: &Message) -> String {
    let args: Vec<(&str, String)> = message
        .args
        .iter()
        .map(|(name, value)| (*name, value.clone()))
        .collect();
    lookup(lang, message.key, &args).unwrap_or_else(|| message.english.clone())
}

/// The keys of a catalogue source, in file order.
pub fn keys(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once(" =").map(|(key, _)| key.trim().to_owned()))
        .collect()
}

/// Problems found while loading the catalogues.
pub fn problems() -> &'static [String] {
    &CATALOGUES.problems
}

/// A run's status in `lang`.
pub fn status(lang: Lang, status: ProcessStatus) -> String {
    tr(lang, &format!("status-{}", status.as_str()), &[])
}

/// Rejected settings in `lang`: `field: reason` joined by `; `.
pub fn settings_errors(lang: Lang, errors: &SettingsErrors) -> String {
    errors
        .0
        .iter()
        .map(|e| {
            tr(
                lang,
                "field-error",
                args!["field" => e.field, "reason" => message(lang, &e.reason)],
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A job error in `lang`.
pub fn coupon_error(lang: Lang, error: &CouponError) -> String {
    match error {
        CouponError::Settings(errors) => settings_errors(lang, errors),
        CouponError::NotFound { id } => tr(lang, "error-not-found", args!["id" => id]),
        CouponError::WrongKind { id, kind } => {
            tr(lang, "error-wrong-kind", args!["id" => id, "kind" => kind])
        }
        CouponError::NotRunning {
            id,
            status: s,
            action,
        } => {
            let key = match *action {
                "finish" => "error-not-running-finish",
                "abort" => "error-not-running-abort",
                _ => "error-not-running-step",
            };
            tr(lang, key, args!["id" => id, "status" => status(lang, *s)])
        }
        CouponError::InProgress {
            id,
            processed,
            total,
        } => tr(
            lang,
            "error-in-progress",
            args!["id" => id, "processed" => processed, "total" => total],
        ),
        CouponError::NotResumable { id, status: s } => tr(
            lang,
            "error-not-resumable",
            args!["id" => id, "status" => status(lang, *s)],
        ),
        CouponError::Conflict { id } => tr(lang, "error-conflict", args!["id" => id]),
        CouponError::Exhausted {
            id,
            generated,
            requested,
            capacity,
            collisions,
        } => tr(
            lang,
            "error-exhausted",
            args![
                "id" => id,
                "generated" => generated,
                "requested" => requested,
                "capacity" => capacity,
                "collisions" => collisions,
            ],
        ),
        CouponError::Interrupted {
            id,
            reason,
            processed,
        } => tr(
            lang,
            "error-interrupted",
            args!["id" => id, "reason" => reason, "processed" => processed],
        ),
        CouponError::Corrupt { id, reason } => {
            tr(lang, "error-corrupt", args!["id" => id, "reason" => reason])
        }
        CouponError::Random(reason) => tr(lang, "error-random", args!["reason" => reason]),
        CouponError::Store(e) => tr(lang, "error-storage", args!["reason" => e]),
        CouponError::Transition(e) => tr(lang, "error-transition", args!["reason" => e]),
    }
}

#[cfg(test)]
mod tests;
