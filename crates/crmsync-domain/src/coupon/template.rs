//! Coupon templates: literal characters and placeholders, parsed on characters (never bytes).
//!
//! `#` is a digit, `$` a Latin letter, `@` a Cyrillic letter; `\` makes the next placeholder (or `\`) literal;
//! every other character is copied into the code. [`Placeholders`] maps more characters to collections.

use std::collections::BTreeMap;
use std::fmt;

use super::capacity::Capacity;
use super::collection::{CaseMode, Collection, CollectionError};
use crate::Message;

/// The escape character.
pub const ESCAPE: char = '\\';
/// The longest template, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 256;

/// Which characters of a template are placeholders, and the collection each draws from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholders {
    map: BTreeMap<char, Collection>,
}

/// A character that cannot be a placeholder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{symbol:?} cannot be a placeholder: it is the escape character, whitespace or a control character"
)]
pub struct PlaceholderError {
    /// The rejected character.
    pub symbol: char,
}

impl Placeholders {
    /// No placeholder at all: every character is literal.
    pub fn none() -> Self {
        Self {
            map: BTreeMap::new(),
        }
    }

    /// The module's placeholders: `#` digit, `$` Latin letter and `@` Cyrillic letter, letters in `case`.
    pub fn standard(case: CaseMode) -> Self {
        let map = BTreeMap::from([
            ('#', Collection::digits()),
            ('$', Collection::latin(case)),
            ('@', Collection::cyrillic(case)),
        ]);
        Self { map }
    }

    /// Maps `symbol` to `collection`, replacing an earlier mapping of the same symbol.
    pub fn with(mut self, symbol: char, collection: Collection) -> Result<Self, PlaceholderError> {
        if symbol == ESCAPE || symbol.is_whitespace() || symbol.is_control() {
            return Err(PlaceholderError { symbol });
        }
        self.map.insert(symbol, collection);
        Ok(self)
    }

    /// The collection of placeholder `symbol`.
    pub fn get(&self, symbol: char) -> Option<&Collection> {
        self.map.get(&symbol)
    }

    /// The placeholder characters, in order.
    pub fn symbols(&self) -> impl Iterator<Item = char> + '_ {
        self.map.keys().copied()
    }
}

/// Why a template was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateErrorReason {
    /// The template has no characters.
    Empty,
    /// The template is longer than [`MAX_TEMPLATE_CHARS`].
    TooLong {
        /// Its length in characters.
        length: usize,
    },
    /// `\` is the last character.
    DanglingEscape,
    /// `\` is followed by a character that is neither a placeholder nor `\`.
    UnknownPlaceholder {
        /// The escaped character.
        character: char,
    },
    /// A whitespace or control character, which cannot be typed into a coupon field reliably.
    Unprintable {
        /// The character.
        character: char,
    },
    /// Excluding look-alikes left the placeholder's collection empty.
    EmptyCollection {
        /// The placeholder.
        placeholder: char,
    },
}

/// A template that cannot be parsed; `position` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TemplateError {
    /// Where the problem is (1-based character position), when it is at one place.
    pub position: Option<usize>,
    /// What is wrong.
    pub reason: TemplateErrorReason,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(position) = self.position {
            write!(f, "position {position}: ")?;
        }
        match &self.reason {
            TemplateErrorReason::Empty => f.write_str("the template is empty"),
            TemplateErrorReason::TooLong { length } => write!(
                f,
                "the template has {length} characters; at most {MAX_TEMPLATE_CHARS} are allowed"
            ),
            TemplateErrorReason::DanglingEscape => f.write_str(
                "`\\` at the end escapes nothing (write `\\\\` for a literal backslash)",
            ),
            TemplateErrorReason::UnknownPlaceholder { character } => write!(
                f,
                "`\\{character}` escapes {character:?}, which is not a placeholder; only placeholders and `\\` can be escaped"
            ),
            TemplateErrorReason::Unprintable { character } => write!(
                f,
                "{character:?} is not allowed: codes cannot contain whitespace or control characters"
            ),
            TemplateErrorReason::EmptyCollection { placeholder } => write!(
                f,
                "placeholder `{placeholder}` has no symbol left once look-alikes are excluded"
            ),
        }
    }
}

impl TemplateError {
    /// The error as a catalogue message (key `template-…`, variables `position` and the reason's own).
    pub fn message(&self) -> Message {
        let key = match &self.reason {
            TemplateErrorReason::Empty => "template-empty",
            TemplateErrorReason::TooLong { .. } => "template-too-long",
            TemplateErrorReason::DanglingEscape => "template-dangling-escape",
            TemplateErrorReason::UnknownPlaceholder { .. } => "template-unknown-escape",
            TemplateErrorReason::Unprintable { .. } => "template-unprintable",
            TemplateErrorReason::EmptyCollection { .. } => "template-empty-collection",
        };
        let mut message =
            Message::new(key, self.to_string()).arg("position", self.position.unwrap_or_default());
        message = match &self.reason {
            TemplateErrorReason::TooLong { length } => {
                message.arg("length", length).arg("max", MAX_TEMPLATE_CHARS)
            }
            TemplateErrorReason::UnknownPlaceholder { character }
            | TemplateErrorReason::Unprintable { character } => {
                message.arg("character", format!("{character:?}"))
            }
            TemplateErrorReason::EmptyCollection { placeholder } => {
                message.arg("placeholder", placeholder)
            }
            TemplateErrorReason::Empty | TemplateErrorReason::DanglingEscape => message,
        };
        message
    }
}

/// One generated position of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Where the placeholder stands in the template (1-based character position).
    pub offset: usize,
    /// The placeholder character.
    pub placeholder: char,
    /// The symbols it draws from.
    pub collection: Collection,
}

/// A piece of a code: literal text, or the symbol of position `n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Literal(String),
    Slot(usize),
}

/// A parsed template: literal text and generated positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
    positions: Vec<Position>,
    capacity: Capacity,
}

impl Template {
    /// Parses `source` with `placeholders`; with `exclude_lookalikes` every position's collection loses its
    /// look-alike characters ([`Collection::without_lookalikes`]).
    pub fn parse(
        source: &str,
        placeholders: &Placeholders,
        exclude_lookalikes: bool,
    ) -> Result<Self, TemplateError> {
        let length = source.chars().count();
        if length == 0 {
            return Err(TemplateError {
                position: None,
                reason: TemplateErrorReason::Empty,
            });
        }
        if length > MAX_TEMPLATE_CHARS {
            return Err(TemplateError {
                position: Some(MAX_TEMPLATE_CHARS + 1),
                reason: TemplateErrorReason::TooLong { length },
            });
        }
        let mut pieces: Vec<Piece> = Vec::new();
        let mut positions: Vec<Position> = Vec::new();
        let mut chars = source.chars().enumerate().map(|(i, c)| (i + 1, c));
        while let Some((offset, character)) = chars.next() {
            let fail = |reason| TemplateError {
                position: Some(offset),
                reason,
            };
            if character.is_whitespace() || character.is_control() {
                return Err(fail(TemplateErrorReason::Unprintable { character }));
            }
            if character == ESCAPE {
                let Some((escaped_at, escaped)) = chars.next() else {
                    return Err(fail(TemplateErrorReason::DanglingEscape));
                };
                if escaped != ESCAPE && placeholders.get(escaped).is_none() {
                    return Err(TemplateError {
                        position: Some(escaped_at),
                        reason: TemplateErrorReason::UnknownPlaceholder { character: escaped },
                    });
                }
                push_literal(&mut pieces, escaped);
                continue;
            }
            match placeholders.get(character) {
                Some(collection) => {
                    let collection = if exclude_lookalikes {
                        collection
                            .without_lookalikes()
                            .map_err(|error| match error {
                                CollectionError::Empty | CollectionError::Unprintable { .. } => {
                                    fail(TemplateErrorReason::EmptyCollection {
                                        placeholder: character,
                                    })
                                }
                            })?
                    } else {
                        collection.clone()
                    };
                    pieces.push(Piece::Slot(positions.len()));
                    positions.push(Position {
                        offset,
                        placeholder: character,
                        collection,
                    });
                }
                None => push_literal(&mut pieces, character),
            }
        }
        let capacity = Capacity::of(positions.iter().map(|p| p.collection.len()));
        Ok(Self {
            source: source.to_owned(),
            pieces,
            positions,
            capacity,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How many characters every code of the template has.
    pub fn code_chars(&self) -> usize {
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Literal(text) => text.chars().count(),
                Piece::Slot(_) => 1,
            })
            .sum()
    }

    /// The generated positions, left to right.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// How many distinct codes the template yields: the product of the positions' collection sizes (1 for a
    /// template without placeholders, whose only code is its literal text).
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// Positions whose collection holds a Cyrillic letter together with its Latin twin.
    pub fn positions_with_twins(&self) -> impl Iterator<Item = &Position> {
        self.positions
            .iter()
            .filter(|p| !p.collection.twins().is_empty())
    }

    #[cfg(test)]
    pub(crate) fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Writes the code whose position `i` holds symbol `digits[i]` of its collection.
    ///
    /// `digits` must have one entry per position, each below that position's collection size.
    pub(crate) fn write_digits(&self, digits: &[usize], out: &mut String) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.push_str(text),
                Piece::Slot(position) => {
                    let symbol = digits.get(*position).and_then(|&digit| {
                        self.positions
                            .get(*position)
                            .and_then(|p| p.collection.get(digit))
                    });
                    if let Some(symbol) = symbol {
                        out.push(symbol);
                    }
                }
            }
        }
    }

    /// Whether `code` is one of the codes the template yields.
    pub fn matches(&self, code: &str) -> bool {
        let mut chars = code.chars();
        let all = self.pieces.iter().all(|piece| match piece {
            Piece::Literal(text) => text.chars().all(|expected| chars.next() == Some(expected)),
            Piece::Slot(position) => chars.next().is_some_and(|c| {
                self.positions
                    .get(*position)
                    .is_some_and(|p| p.collection.contains(c))
            }),
        });
        all && chars.next().is_none()
    }
}

fn push_literal(pieces: &mut Vec<Piece>, character: char) {
    if let Some(Piece::Literal(text)) = pieces.last_mut() {
        text.push(character);
    } else {
        pieces.push(Piece::Literal(character.to_string()));
    }
}

#[cfg(test)]
mod tests;
