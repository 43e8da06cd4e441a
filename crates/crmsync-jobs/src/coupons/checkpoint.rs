//! What a generation run stores to resume: its secret permutation key and the next index to draw.

use crmsync_domain::coupon::PermutationKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of the code sequence (template decoding + permutation); a run only resumes with the same one.
const VERSION: u32 = 1;

/// A run's position in its code sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// The permutation key drawn when the run started.
    pub key: PermutationKey,
    /// How many indices the run has used: the codes it inserted plus those that collided.
    pub next_index: u128,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    version: u32,
    key: String,
    next_index: String,
}

impl Checkpoint {
    /// A fresh run's checkpoint.
    pub fn start(key: PermutationKey) -> Self {
        Self { key, next_index: 0 }
    }

    /// The checkpoint after `used` more indices.
    pub fn advanced(self, used: u128) -> Self {
        Self {
            next_index: self.next_index.saturating_add(used),
            ..self
        }
    }

    /// The journal form: `{"version": 1, "key": "<32 hex>", "next_index": "<decimal>"}` (a string: indices can
    /// exceed what JSON numbers carry exactly).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "version": VERSION,
            "key": self.key.to_hex(),
            "next_index": self.next_index.to_string(),
        })
    }

    /// Reads [`Checkpoint::to_json`] back.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let stored: Stored = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        if stored.version != VERSION {
            return Err(format!(
                "checkpoint version {} is not {VERSION}: this build cannot continue the run",
                stored.version
            ));
        }
        Ok(Self {
            key: PermutationKey::from_hex(&stored.key).map_err(|e| e.to_string())?,
            next_index: stored
                .next_index
                .parse()
                .map_err(|_| format!("next_index {:?} is not an index", stored.next_index))?,
        })
    }
}
