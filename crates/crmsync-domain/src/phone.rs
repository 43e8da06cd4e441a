//! Phone numbers normalised to E.164, with Russia as the default region.

use std::fmt;
use std::str::FromStr;

use phonenumber::country;
use serde::{Deserialize, Serialize};

/// Why a string could not be turned into a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing but spaces and punctuation was given.
    #[error("phone number is empty")]
    Empty,
    /// The input holds characters no phone number has (letters, for example).
    #[error(
        "phone number contains characters other than digits, spaces, `+`, `-`, `(`, `)` and `.`"
    )]
    InvalidCharacters,
    /// The digits do not form a number in any numbering plan.
    #[error("phone number has {digits} digits, which is not a valid number")]
    NotANumber {
        /// How many digits the input held.
        digits: usize,
    },
}

/// A phone number in E.164 form (`+79161234567`).
///
/// Parsing accepts what Russian users type: `8 (916) 123-45-67`, `+7 916 123 45 67`, `79161234567`,
/// `9161234567`. Numbers with an explicit `+` and another country code are kept as they are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses `input`, reading numbers without a country code as Russian.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.chars().any(|c| {
            !(c.is_ascii_digit()
                || matches!(c, '+' | '-' | '(' | ')' | '.' | ' ' | '\u{a0}' | '\t'))
        }) {
            return Err(PhoneError::InvalidCharacters);
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let not_a_number = PhoneError::NotANumber {
            digits: digits.len(),
        };
        let candidate = if trimmed.starts_with('+') {
            format!("+{digits}")
        } else if digits.len() == 11 && (digits.starts_with('7') || digits.starts_with('8')) {
            format!("+7{}", &digits[1..])
        } else if digits.len() == 10 {
            format!("+7{digits}")
        } else {
            return Err(not_a_number);
        };
        if is_russian_mobile(&candidate) {
            return Ok(Self(candidate));
        }
        full_parse(&candidate).ok_or(not_a_number)
    }

    /// The number in E.164 form, `+` included.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The last four digits, for messages that must not carry the whole number.
    pub fn masked(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("***{tail}")
    }
}

/// `+79` and nine more digits: a Russian mobile number, valid and already in E.164 form. The numbering plan
/// gives all of `9XX XXX XX XX` to mobile networks, so the full parser (tens of microseconds a number) is skipped
/// for the numbers patients have most; a test checks the two agree.
fn is_russian_mobile(candidate: &str) -> bool {
    candidate.len() == 12
        && candidate.starts_with("+79")
        && candidate[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The full parser and validity check of `phonenumber`, E.164-formatted.
fn full_parse(candidate: &str) -> Option<Phone> {
    let parsed = phonenumber::parse(Some(country::Id::RU), candidate).ok()?;
    phonenumber::is_valid(&parsed)
        .then(|| Phone(parsed.format().mode(phonenumber::Mode::E164).to_string()))
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> Self {
        phone.0
    }
}

#[cfg(test)]
mod tests;
