//! Symbol collections: the set of characters one template position draws from.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The ten digits.
pub const DIGITS: &str = "0123456789";
/// The 26 Latin letters, upper case.
pub const LATIN_UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// The 33 Cyrillic letters of the Russian alphabet (with Ё), upper case.
pub const CYRILLIC_UPPER: &str = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ";
/// Special characters: the module's set without the placeholder characters `#`, `$`, `@` and the escape `\`.
pub const SPECIAL: &str = "[]№%:;,.()_-+=|/~&*><?";

/// Characters readers confuse with a digit or with each other; removed whenever look-alikes are excluded.
pub const CONFUSABLE: &[char] = &['0', 'O', 'o', 'О', 'о', '1', 'I', 'l'];

/// Cyrillic letters (first) drawn exactly like a Latin letter (second). When look-alikes are excluded, the
/// Cyrillic one is removed from a set that also holds its Latin twin.
pub const CYRILLIC_LATIN_TWINS: &[(char, char)] = &[
    ('А', 'A'),
    ('В', 'B'),
    ('Е', 'E'),
    ('К', 'K'),
    ('М', 'M'),
    ('Н', 'H'),
    ('О', 'O'),
    ('Р', 'P'),
    ('С', 'C'),
    ('Т', 'T'),
    ('У', 'Y'),
    ('Х', 'X'),
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
];

/// Which letters a letter collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseMode {
    /// Capital letters only.
    #[default]
    Upper,
    /// Small letters only.
    Lower,
    /// Both: doubles the number of symbols, and codes become case-sensitive.
    Mixed,
}

impl CaseMode {
    /// The name used in settings and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upper => "upper",
            Self::Lower => "lower",
            Self::Mixed => "mixed",
        }
    }
}

impl fmt::Display for CaseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaseMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "upper" => Ok(Self::Upper),
            "lower" => Ok(Self::Lower),
            "mixed" => Ok(Self::Mixed),
            other => Err(format!(
                "`{other}` is not a case mode: use upper, lower or mixed"
            )),
        }
    }
}

/// The built-in collections, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionKind {
    /// `0`–`9`.
    Digits,
    /// `A`–`Z`, in the case mode.
    Latin,
    /// `А`–`Я` with `Ё`, in the case mode.
    Cyrillic,
    /// [`SPECIAL`].
    Special,
}

impl CollectionKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [Self::Digits, Self::Latin, Self::Cyrillic, Self::Special];

    /// The name used in settings and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digits => "digits",
            Self::Latin => "latin",
            Self::Cyrillic => "cyrillic",
            Self::Special => "special",
        }
    }
}

impl fmt::Display for CollectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CollectionKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| {
                format!("`{s}` is not a collection: use digits, latin, cyrillic or special")
            })
    }
}

/// A collection that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectionError {
    /// No symbol is left (an empty list, or every symbol was a look-alike).
    #[error("the collection has no symbols")]
    Empty,
    /// A symbol cannot appear in a code.
    #[error(
        "{symbol:?} cannot appear in a code: whitespace and control characters are not allowed"
    )]
    Unprintable {
        /// The symbol.
        symbol: char,
    },
}

/// An ordered set of distinct symbols; a position's digit `i` is the collection's symbol `i`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Collection {
    symbols: Vec<char>,
}

impl Collection {
    /// The given symbols in order, duplicates dropped.
    pub fn new(symbols: impl IntoIterator<Item = char>) -> Result<Self, CollectionError> {
        let mut unique: Vec<char> = Vec::new();
        for symbol in symbols {
            if symbol.is_whitespace() || symbol.is_control() {
                return Err(CollectionError::Unprintable { symbol });
            }
            if !unique.contains(&symbol) {
                unique.push(symbol);
            }
        }
        if unique.is_empty() {
            return Err(CollectionError::Empty);
        }
        Ok(Self { symbols: unique })
    }

    /// Symbols known to be distinct and printable.
    fn from_known(symbols: impl IntoIterator<Item = char>) -> Self {
        Self {
            symbols: symbols.into_iter().collect(),
        }
    }

    /// `0`–`9`.
    pub fn digits() -> Self {
        Self::from_known(DIGITS.chars())
    }

    /// The Latin alphabet in `case`.
    pub fn latin(case: CaseMode) -> Self {
        Self::letters(LATIN_UPPER, case)
    }

    /// The Russian alphabet (33 letters with Ё) in `case`.
    pub fn cyrillic(case: CaseMode) -> Self {
        Self::letters(CYRILLIC_UPPER, case)
    }

    /// [`SPECIAL`].
    pub fn special() -> Self {
        Self::from_known(SPECIAL.chars())
    }

    /// A built-in collection; `case` applies to letters.
    pub fn of_kind(kind: CollectionKind, case: CaseMode) -> Self {
        match kind {
            CollectionKind::Digits => Self::digits(),
            CollectionKind::Latin => Self::latin(case),
            CollectionKind::Cyrillic => Self::cyrillic(case),
            CollectionKind::Special => Self::special(),
        }
    }

    fn letters(upper: &str, case: CaseMode) -> Self {
        let lower = || upper.chars().flat_map(char::to_lowercase);
        match case {
            CaseMode::Upper => Self::from_known(upper.chars()),
            CaseMode::Lower => Self::from_known(lower()),
            CaseMode::Mixed => Self::from_known(upper.chars().chain(lower())),
        }
    }

    /// Every symbol of `parts`, in order, each once.
    pub fn union<'a>(
        parts: impl IntoIterator<Item = &'a Collection>,
    ) -> Result<Self, CollectionError> {
        Self::new(
            parts
                .into_iter()
                .flat_map(|part| part.symbols.iter().copied()),
        )
    }

    /// The collection without [`CONFUSABLE`] characters, and without each Cyrillic letter whose Latin twin
    /// ([`CYRILLIC_LATIN_TWINS`]) is also in it.
    pub fn without_lookalikes(&self) -> Result<Self, CollectionError> {
        let kept = self.symbols.iter().copied().filter(|&symbol| {
            !CONFUSABLE.contains(&symbol)
                && !CYRILLIC_LATIN_TWINS
                    .iter()
                    .any(|&(cyrillic, latin)| symbol == cyrillic && self.symbols.contains(&latin))
        });
        Self::new(kept)
    }

    /// Pairs of look-alike Cyrillic and Latin letters that are both in the collection.
    pub fn twins(&self) -> Vec<(char, char)> {
        CYRILLIC_LATIN_TWINS
            .iter()
            .copied()
            .filter(|(cyrillic, latin)| {
                self.symbols.contains(cyrillic) && self.symbols.contains(latin)
            })
            .collect()
    }

    /// How many symbols: the radix of a position using this collection.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// Always `false`: a collection has at least one symbol.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// The symbols in digit order.
    pub fn symbols(&self) -> &[char] {
        &self.symbols
    }

    /// Symbol number `index`.
    pub fn get(&self, index: usize) -> Option<char> {
        self.symbols.get(index).copied()
    }

    /// Whether `symbol` is in the collection.
    pub fn contains(&self, symbol: char) -> bool {
        self.symbols.contains(&symbol)
    }
}

#[cfg(test)]
mod tests;
