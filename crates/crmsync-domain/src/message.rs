//! `Message`: something a person reads, as a catalogue key with named arguments plus its English text.
//!
//! Rules in this crate explain themselves in English (`Display`), and carry a [`Message`] so a binary can render
//! the same explanation in the reader's language from its own catalogues (the key and the arguments are the
//! catalogue's message id and variables).

use std::fmt;
use std::ops::Deref;

use serde::{Serialize, Serializer};

/// A message for a person: a catalogue key, its named arguments and the English text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The catalogue's message id (`count-over-capacity`).
    pub key: &'static str,
    /// The message's variables, by name.
    pub args: Vec<(&'static str, String)>,
    /// The message in English.
    pub english: String,
}

impl Message {
    /// A message without arguments.
    pub fn new(key: &'static str, english: impl Into<String>) -> Self {
        Self {
            key,
            args: Vec::new(),
            english: english.into(),
        }
    }

    /// Adds the variable `name`.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The value of variable `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english)
    }
}

/// A message reads as its English text.
impl Deref for Message {
    type Target = str;

    fn deref(&self) -> &str {
        &self.english
    }
}

/// Serialised as its English text (what the JSON of reports has always carried).
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.english)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_keeps_its_key_arguments_and_english_text() {
        let message = Message::new("count-over-capacity", "at most 10").arg("capacity", 10);
        assert_eq!(message.get("capacity"), Some("10"));
        assert_eq!(message.to_string(), "at most 10");
        assert!(message.contains("most"));
        assert_eq!(
            serde_json::to_string(&message).unwrap_or_default(),
            "\"at most 10\""
        );
    }
}
