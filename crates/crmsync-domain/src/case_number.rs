//! Russian arbitration (arbitrazh) first-instance case numbers: `А40-139272/2017`, parsed from what people type.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The first year of the arbitration courts: no case number can be older.
pub const FIRST_YEAR: u16 = 1992;
/// The last year a number may carry (a sanity bound, not a calendar check).
pub const LAST_YEAR: u16 = 2099;
/// Most digits of the number part.
pub const MAX_NUMBER_DIGITS: usize = 7;

/// The cyrillic capital letter `А` (U+0410) every first-instance number starts with.
const CYRILLIC_A: char = '\u{410}';

/// Why a string is not a first-instance arbitration case number.
///
/// The look-alike kinds say what the input is instead, so a person fixing it knows which number to look for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseNumberError {
    /// Nothing but spaces.
    #[error("the case number is empty")]
    Empty,
    /// An appellate proceeding number such as `05АП-3141/2018`.
    #[error(
        "this is an appellate court proceeding number (like 05АП-3141/2018), not the first-instance case number \
         (like А40-139272/2017)"
    )]
    Appellate,
    /// A cassation proceeding number such as `Ф08-8562/19`.
    #[error(
        "this is a cassation court proceeding number (like Ф08-8562/19), not the first-instance case number \
         (like А40-139272/2017)"
    )]
    Cassation,
    /// An Intellectual Property Court case such as `СИП-715/2022`.
    #[error(
        "this is an Intellectual Property Court case number (like СИП-715/2022), which arbitration case \
         monitoring does not cover"
    )]
    IntellectualPropertyCourt,
    /// A Supreme Court proceeding number such as `305-ЭС23-1234`.
    #[error(
        "this is a Supreme Court proceeding number (like 305-ЭС23-1234), not the first-instance case number \
         (like А40-139272/2017)"
    )]
    SupremeCourt,
    /// Anything else that does not have the shape `А{court}-{number}/{year}`.
    #[error("the case number must look like А40-139272/2017: {reason}")]
    Malformed {
        /// What exactly is wrong.
        reason: String,
    },
}

impl CaseNumberError {
    fn malformed(reason: impl Into<String>) -> Self {
        Self::Malformed {
            reason: reason.into(),
        }
    }

    /// A short stable name of the variant, for reports and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Appellate => "appellate",
            Self::Cassation => "cassation",
            Self::IntellectualPropertyCourt => "ip_court",
            Self::SupremeCourt => "supreme_court",
            Self::Malformed { .. } => "malformed",
        }
    }
}

/// A first-instance arbitration case number, `А{NN}-{number}/{year}`, with optional suffix parts.
///
/// Parsing trims, removes every inner space, maps Latin `A`/`a` and Cyrillic `а` to Cyrillic `А`, maps Unicode
/// dashes to `-`, and accepts a leading `Дело`, `№` or `N`. A two-digit year is read as `20yy` below 50 and `19yy`
/// otherwise. Suffix parts after the year (`А40-262624/2021-146-2012`) are kept but do not take part in
/// comparison: two numbers are equal when their bases (court, number, year) are.
///
/// The canonical form ([`CaseNumber::canonical`], also `Display` and the serialised form) is the base with a
/// Cyrillic `А`, a two-digit court code, no leading zeros in the number and a four-digit year:
/// `А40-139272/2017`.
#[derive(Debug, Clone)]
pub struct CaseNumber {
    court: u8,
    number: u32,
    year: u16,
    suffix: Option<String>,
}

impl CaseNumber {
    /// Parses `input` (see the type's documentation for what is accepted).
    pub fn parse(input: &str) -> Result<Self, CaseNumberError> {
        let normalized = normalize(input);
        let text = strip_prefixes(&normalized);
        if text.is_empty() {
            return Err(CaseNumberError::Empty);
        }
        if let Some(look_alike) = look_alike(text) {
            return Err(look_alike);
        }
        parse_first_instance(text)
    }

    /// The court code (40 for Moscow).
    pub fn court(&self) -> u8 {
        self.court
    }

    /// The number within the court and year.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The four-digit year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The suffix parts after the year, without the leading `-` (`146-2012`), when the input had them.
    pub fn suffix(&self) -> Option<&str> {
        self.suffix.as_deref()
    }

    /// The canonical base form, `А40-139272/2017`: what is stored, compared and sent to monitoring.
    pub fn canonical(&self) -> String {
        format!(
            "{CYRILLIC_A}{:02}-{}/{}",
            self.court, self.number, self.year
        )
    }

    /// The canonical base followed by the suffix parts, `А40-262624/2021-146-2012`.
    pub fn full(&self) -> String {
        match &self.suffix {
            Some(suffix) => format!("{}-{suffix}", self.canonical()),
            None => self.canonical(),
        }
    }

    /// The same number without its suffix.
    #[must_use]
    pub fn base(&self) -> Self {
        Self {
            suffix: None,
            ..self.clone()
        }
    }

    fn key(&self) -> (u8, u32, u16) {
        (self.court, self.number, self.year)
    }
}

impl PartialEq for CaseNumber {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for CaseNumber {}

impl Hash for CaseNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for CaseNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CaseNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl FromStr for CaseNumber {
    type Err = CaseNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for CaseNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for CaseNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Removes whitespace, unifies dashes and maps every letter `A` look-alike to the Cyrillic capital `А`.
fn normalize(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{200b}' | '\u{feff}'))
        .map(|c| match c {
            'A' | 'a' | '\u{430}' => CYRILLIC_A,
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            other => other,
        })
        .collect()
}

/// Drops a leading `Дело`, then a leading `№` or `N` (`Дело № А40-…`, `N А40-…`).
fn strip_prefixes(text: &str) -> &str {
    let mut rest = text;
    for prefix in ["Дело", "дело", "ДЕЛО"] {
        if let Some(stripped) = rest.strip_prefix(prefix) {
            rest = stripped;
            break;
        }
    }
    for prefix in ["№", "N", "n"] {
        if let Some(stripped) = rest.strip_prefix(prefix)
            && stripped.starts_with(CYRILLIC_A)
        {
            rest = stripped;
            break;
        }
    }
    rest.strip_prefix(':').unwrap_or(rest)
}

/// Recognises the numbers of other courts and proceedings that people paste instead of the case number.
fn look_alike(text: &str) -> Option<CaseNumberError> {
    let upper: Vec<char> = text.chars().flat_map(char::to_uppercase).collect();
    let digits = upper.iter().take_while(|c| c.is_ascii_digit()).count();
    let after_digits = &upper[digits..];
    // `305-ЭС23-1234`: digits, dash, two letters, two digits, dash.
    if digits >= 1
        && after_digits.len() >= 6
        && after_digits[0] == '-'
        && after_digits[1].is_alphabetic()
        && after_digits[2].is_alphabetic()
        && after_digits[3].is_ascii_digit()
        && after_digits[4].is_ascii_digit()
        && after_digits[5] == '-'
    {
        return Some(CaseNumberError::SupremeCourt);
    }
    // `05АП-3141/2018` (the `А` is already Cyrillic; `П` may have been typed as a Latin `P`).
    if (1..=2).contains(&digits)
        && after_digits.len() >= 3
        && after_digits[0] == CYRILLIC_A
        && matches!(after_digits[1], 'П' | 'P')
        && after_digits[2] == '-'
    {
        return Some(CaseNumberError::Appellate);
    }
    // `Ф08-8562/19`, or with a Latin `F`.
    if matches!(upper.first(), Some('Ф' | 'F')) {
        let court_digits = upper[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if (1..=2).contains(&court_digits) && upper.get(1 + court_digits) == Some(&'-') {
            return Some(CaseNumberError::Cassation);
        }
    }
    // `СИП-715/2022`, `СИП-715-2022`, `SIP-6-2020`, with any mix of Latin and Cyrillic look-alikes.
    if upper.len() >= 4
        && matches!(upper[0], 'С' | 'C' | 'S')
        && matches!(upper[1], 'И' | 'I')
        && matches!(upper[2], 'П' | 'P')
        && matches!(upper[3], '-' | '/')
    {
        return Some(CaseNumberError::IntellectualPropertyCourt);
    }
    None
}

/// Parses `А{NN}-{number}/{year}` followed by `-part` suffixes.
fn parse_first_instance(text: &str) -> Result<CaseNumber, CaseNumberError> {
    let Some(rest) = text.strip_prefix(CYRILLIC_A) else {
        return Err(CaseNumberError::malformed(
            "it must start with the letter А followed by the court code",
        ));
    };
    let (court_text, rest) = split_digits(rest);
    if court_text.len() != 2 {
        return Err(CaseNumberError::malformed(format!(
            "the court code after А must have two digits (А01 … А99), found {}",
            describe_count(court_text.len())
        )));
    }
    let court: u8 = court_text
        .parse()
        .map_err(|_| CaseNumberError::malformed("the court code is not a number"))?;
    if court == 0 {
        return Err(CaseNumberError::malformed("court code 00 does not exist"));
    }
    let Some(rest) = rest.strip_prefix('-') else {
        return Err(CaseNumberError::malformed(
            "a dash must follow the court code (А40-…)",
        ));
    };
    let (number_text, rest) = split_digits(rest);
    if number_text.is_empty() || number_text.len() > MAX_NUMBER_DIGITS {
        return Err(CaseNumberError::malformed(format!(
            "the number after the dash must have 1 to {MAX_NUMBER_DIGITS} digits, found {}",
            describe_count(number_text.len())
        )));
    }
    let number: u32 = number_text
        .parse()
        .map_err(|_| CaseNumberError::malformed("the number is not a number"))?;
    if number == 0 {
        return Err(CaseNumberError::malformed("the number cannot be zero"));
    }
    let Some(rest) = rest.strip_prefix('/') else {
        return Err(CaseNumberError::malformed(
            "a slash and the year must follow the number (…-139272/2017)",
        ));
    };
    let (year_text, rest) = split_digits(rest);
    let year = parse_year(year_text)?;
    let suffix = parse_suffix(rest)?;
    Ok(CaseNumber {
        court,
        number,
        year,
        suffix,
    })
}

fn parse_year(text: &str) -> Result<u16, CaseNumberError> {
    let value: u16 = match text.len() {
        2 | 4 => text
            .parse()
            .map_err(|_| CaseNumberError::malformed("the year is not a number"))?,
        n => {
            return Err(CaseNumberError::malformed(format!(
                "the year after the slash must have 2 or 4 digits, found {}",
                describe_count(n)
            )));
        }
    };
    let year = if text.len() == 2 {
        if value < 50 {
            2000 + value
        } else {
            1900 + value
        }
    } else {
        value
    };
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(CaseNumberError::malformed(format!(
            "the year {year} is outside {FIRST_YEAR}…{LAST_YEAR}"
        )));
    }
    Ok(year)
}

/// `-146-2012` → `146-2012`; empty → `None`.
fn parse_suffix(rest: &str) -> Result<Option<String>, CaseNumberError> {
    if rest.is_empty() {
        return Ok(None);
    }
    let Some(parts) = rest.strip_prefix('-') else {
        return Err(CaseNumberError::malformed(format!(
            "unexpected {:?} after the year",
            rest.chars().next().unwrap_or_default()
        )));
    };
    let valid = parts
        .split('-')
        .all(|part| !part.is_empty() && part.chars().all(char::is_alphanumeric));
    if !valid {
        return Err(CaseNumberError::malformed(
            "parts after the year must be letters or digits separated by single dashes",
        ));
    }
    Ok(Some(parts.to_owned()))
}

fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(text.len(), |(i, _)| i);
    text.split_at(end)
}

fn describe_count(n: usize) -> String {
    if n == 0 {
        "none".to_owned()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests;
