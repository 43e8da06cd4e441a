//! The key layout: every key the adapters touch, under the configured prefix.

/// Builds the Redis key names of one deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// The lock itself: `{token}|{owner}` with the lease's TTL.
    pub(crate) fn lock(&self, key: &str) -> String {
        format!("{}lock:{key}", self.prefix)
    }

    /// The lock's fencing counter; it never expires, so numbers keep growing across holders.
    pub(crate) fn lock_fence(&self, key: &str) -> String {
        format!("{}lock-fence:{key}", self.prefix)
    }

    /// The sorted set holding a named set's members.
    pub(crate) fn set(&self, name: &str) -> String {
        format!("{}set:{name}", self.prefix)
    }

    /// The arrival counter that scores a named set's members.
    pub(crate) fn set_sequence(&self, name: &str) -> String {
        format!("{}set-seq:{name}", self.prefix)
    }

    /// A key-value entry.
    pub(crate) fn value(&self, key: &str) -> String {
        format!("{}kv:{key}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_key_is_prefixed_and_distinct() {
        let keys = Keys::new("app:");
        let all = [
            keys.lock("k"),
            keys.lock_fence("k"),
            keys.set("k"),
            keys.set_sequence("k"),
            keys.value("k"),
        ];
        assert!(all.iter().all(|key| key.starts_with("app:")), "{all:?}");
        let distinct: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "{all:?}");
    }
}
