//! The generator's web page: `GET /` (HTML in the reader's language), `/app.js` and `/app.css`, all embedded in
//! the binary. The page carries no data, so it needs no token; its script sends the token typed into the page
//! with every API call.

use axum::Router;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value};

use super::request_lang;
use crate::i18n::{Lang, tr};

const INDEX: &str = include_str!("../../page/index.html");
const APP_JS: &str = include_str!("../../page/app.js");
const APP_CSS: &str = include_str!("../../page/app.css");

/// Catalogue keys the script shows, with the names of the values it fills in.
const SCRIPT_TEXTS: [(&str, &[&str]); 11] = [
    ("page-need-token", &[]),
    ("page-network-error", &["reason"]),
    ("page-done", &["processed"]),
    ("page-capacity-unknown", &[]),
    ("page-report-id", &[]),
    ("page-report-collisions", &[]),
    ("page-report-started", &[]),
    ("page-report-finished", &[]),
    ("page-no-runs", &[]),
    ("page-resume", &[]),
    ("page-export", &[]),
];

/// The page's routes (outside the token check).
pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route(
            "/app.js",
            get(|| asset("text/javascript; charset=utf-8", APP_JS)),
        )
        .route(
            "/app.css",
            get(|| asset("text/css; charset=utf-8", APP_CSS)),
        )
}

async fn index(uri: Uri, headers: HeaderMap) -> Response {
    let lang = request_lang(&uri, &headers);
    (
        [
            (header::CONTENT_LANGUAGE, lang.tag()),
            (header::VARY, "Accept-Language"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Html(render(lang)),
    )
        .into_response()
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The page in `lang`: each `{{key}}` of the template becomes that catalogue message, HTML-escaped; `{{lang}}`
/// and `{{other-lang}}` are language tags and `{{texts}}` the script's messages as JSON.
pub(crate) fn render(lang: Lang) -> String {
    let other = match lang {
        Lang::En => Lang::Ru,
        Lang::Ru => Lang::En,
    };
    let mut page = String::with_capacity(INDEX.len() * 2);
    let mut rest = INDEX;
    while let Some(start) = rest.find("{{") {
        page.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let key = &after[..end];
        match key {
            "lang" => page.push_str(lang.tag()),
            "other-lang" => page.push_str(other.tag()),
            "texts" => page.push_str(&script_texts(lang)),
            _ => page.push_str(&escape(&tr(lang, key, &[]))),
        }
        rest = &after[end + 2..];
    }
    page.push_str(rest);
    page
}

/// The catalogue keys the page template names (besides `lang`, `other-lang` and `texts`), and the script's.
#[cfg(test)]
fn keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = INDEX
        .split("{{")
        .skip(1)
        .filter_map(|part| part.split_once("}}").map(|(key, _)| key))
        .filter(|key| !["lang", "other-lang", "texts"].contains(key))
        .collect();
    keys.extend(SCRIPT_TEXTS.iter().map(|(key, _)| *key));
    keys
}

/// The script's messages as a JSON object; a value it fills in stays `{name}`. Safe inside `<script>`.
fn script_texts(lang: Lang) -> String {
    let map: Map<String, Value> = SCRIPT_TEXTS
        .iter()
        .map(|(key, names)| {
            let args: Vec<(&str, String)> = names
                .iter()
                .map(|name| (*name, format!("{{{name}}}")))
                .collect();
            ((*key).to_owned(), Value::String(tr(lang, key, &args)))
        })
        .collect();
    Value::Object(map)
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::lookup;

    #[test]
    fn every_text_of_the_page_is_in_both_catalogues() {
        for lang in Lang::ALL {
            for key in keys() {
                assert!(lookup(lang, key, &[]).is_some(), "{lang}.ftl lacks {key}");
            }
        }
    }

    #[test]
    fn the_page_speaks_the_readers_language_and_leaves_no_placeholder() {
        let en = render(Lang::En);
        let ru = render(Lang::Ru);
        assert!(en.contains(r#"<html lang="en">"#) && en.contains(">Coupon generator</h1>"));
        assert!(ru.contains(r#"<html lang="ru">"#) && ru.contains(">Шаблон</label>"));
        assert!(ru.contains(r#"href="?lang=en""#));
        for page in [&en, &ru] {
            assert!(!page.contains("{{"), "a placeholder is left");
            let start = page.find(r#"type="application/json">"#).map(|i| i + 24);
            let json = start.and_then(|s| page[s..].find("</script>").map(|e| &page[s..s + e]));
            let texts: Value = json
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            assert!(
                texts["page-network-error"]
                    .as_str()
                    .is_some_and(|t| t.contains("{reason}"))
            );
        }
    }

    #[test]
    fn catalogue_text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
