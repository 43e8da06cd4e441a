//! `[processes]`: the flow categories of the processes part, each read from a named source — the platform
//! (`officeflow`) or another connection under `[sources.<name>]`.

use std::collections::BTreeSet;

use crmsync_cli::config::ConfigError;
use serde::Deserialize;

/// The source every category uses unless it names another: the `[officeflow]` connection.
pub(crate) const PLATFORM_SOURCE: &str = "officeflow";

/// `[processes]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ProcessesSection {
    /// The categories, in run order; empty: `office` from `officeflow` (with `--sandbox`, also `outing` from
    /// a source of its own).
    pub(crate) categories: Vec<CategorySection>,
}

/// `[[processes.categories]]`: one flow category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategorySection {
    /// The category as its source lists it (`office`, `outing`, ...).
    pub(crate) name: String,
    /// The source it is read from: `officeflow`, or a name under `[sources]`.
    #[serde(default = "platform_source")]
    pub(crate) source: String,
}

fn platform_source() -> String {
    PLATFORM_SOURCE.to_owned()
}

impl CategorySection {
    fn new(name: &str, source: &str) -> Self {
        Self {
            name: name.to_owned(),
            source: source.to_owned(),
        }
    }
}

fn check_name(key: &str, name: &str) -> Result<(), ConfigError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            key,
            format!("{name:?} must be 1 to 64 characters from a-z, 0-9, `_` and `-`"),
        ))
    }
}

impl ProcessesSection {
    /// The categories to run: the configured ones, else the defaults.
    pub(crate) fn categories(&self, sandbox: bool) -> Vec<CategorySection> {
        if !self.categories.is_empty() {
            return self.categories.clone();
        }
        let mut defaults = vec![CategorySection::new("office", PLATFORM_SOURCE)];
        if sandbox {
            defaults.push(CategorySection::new("outing", "outing"));
        }
        defaults
    }

    /// Checks names, that no category is listed twice and that each names a known source (`officeflow` or one
    /// of `sources`).
    pub(crate) fn validate<'a>(
        &self,
        sources: impl IntoIterator<Item = &'a String>,
    ) -> Result<(), ConfigError> {
        let known: BTreeSet<&str> = sources.into_iter().map(String::as_str).collect();
        let mut seen = BTreeSet::new();
        for category in &self.categories {
            check_name("processes.categories.name", &category.name)?;
            if !seen.insert(category.name.as_str()) {
                return Err(ConfigError::invalid(
                    "processes.categories.name",
                    format!("category {:?} is listed twice", category.name),
                ));
            }
            if category.source != PLATFORM_SOURCE && !known.contains(category.source.as_str()) {
                return Err(ConfigError::invalid(
                    "processes.categories.source",
                    format!(
                        "category {:?} names source {:?}: use {PLATFORM_SOURCE} or add [sources.{}]",
                        category.name, category.source, category.source
                    ),
                ));
            }
        }
        for name in known {
            check_name("sources", name)?;
            if name == PLATFORM_SOURCE {
                return Err(ConfigError::invalid(
                    "sources",
                    format!("[sources.{PLATFORM_SOURCE}] is the [officeflow] section; use that"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_read_the_office_category_and_the_sandbox_adds_outing() {
        let section = ProcessesSection::default();
        assert_eq!(
            section.categories(false),
            vec![CategorySection::new("office", "officeflow")]
        );
        let sandbox: Vec<String> = section
            .categories(true)
            .into_iter()
            .map(|c| format!("{}@{}", c.name, c.source))
            .collect();
        assert_eq!(sandbox, vec!["office@officeflow", "outing@outing"]);
    }

    #[test]
    fn a_category_must_name_a_known_source_once() {
        let section = ProcessesSection {
            categories: vec![
                CategorySection::new("office", "officeflow"),
                CategorySection::new("outing", "outing"),
            ],
        };
        let error = section.validate(&[]).unwrap_err();
        assert!(error.to_string().contains("[sources.outing]"), "{error}");
        assert!(section.validate(&["outing".to_owned()]).is_ok());
        let twice = ProcessesSection {
            categories: vec![
                CategorySection::new("office", "officeflow"),
                CategorySection::new("office", "officeflow"),
            ],
        };
        assert!(
            twice
                .validate(&[])
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        let bad = ProcessesSection {
            categories: vec![CategorySection::new("Out School", "officeflow")],
        };
        assert!(
            bad.validate(&[])
                .unwrap_err()
                .to_string()
                .contains("processes.categories.name")
        );
    }
}
