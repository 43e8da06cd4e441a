//! `SellerId`: the marketplace's user identifier, a short opaque string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest seller id accepted.
pub const MAX_SELLER_ID_LEN: usize = 64;

/// Why a string is not a seller id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SellerIdError {
    /// Nothing but whitespace.
    #[error("seller id is empty")]
    Empty,
    /// Longer than [`MAX_SELLER_ID_LEN`] characters.
    #[error("seller id has {len} characters; at most {MAX_SELLER_ID_LEN} are allowed")]
    TooLong {
        /// Its length in characters.
        len: usize,
    },
    /// Holds whitespace or control characters.
    #[error("seller id contains whitespace or control characters")]
    InvalidCharacters,
}

/// A marketplace user id (`"u123456"`, `"100500"`): 1 to 64 characters, no whitespace, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SellerId(String);

impl SellerId {
    /// Validates `input` after trimming surrounding whitespace.
    pub fn parse(input: &str) -> Result<Self, SellerIdError> {
        let id = input.trim();
        if id.is_empty() {
            return Err(SellerIdError::Empty);
        }
        let len = id.chars().count();
        if len > MAX_SELLER_ID_LEN {
            return Err(SellerIdError::TooLong { len });
        }
        if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SellerIdError::InvalidCharacters);
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SellerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SellerId {
    type Err = SellerIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SellerId {
    type Error = SellerIdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SellerId> for String {
    fn from(id: SellerId) -> Self {
        id.0
    }
}
