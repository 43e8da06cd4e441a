//! Redis adapters of the crmsync ports: [`RedisLockStore`], [`RedisSetStore`] and [`RedisKeyValueStore`].
//!
//! [`RedisStores::connect`] opens one [`redis::aio::ConnectionManager`] (multiplexed, reconnecting, with explicit
//! connection and response timeouts from [`RedisConfig`]) and hands it to all three adapters.
//!
//! Every key lives under [`RedisConfig::key_prefix`]:
//!
//! | key                        | type       | holds                                                   |
//! |----------------------------|------------|---------------------------------------------------------|
//! | `{prefix}lock:{key}`       | string     | `{token}\|{owner}` of the holder, expiring after its TTL |
//! | `{prefix}lock-fence:{key}` | string     | the lock's fencing counter (no TTL, never reset)        |
//! | `{prefix}set:{name}`       | sorted set | members scored by arrival number                        |
//! | `{prefix}set-seq:{name}`   | string     | the set's arrival counter (deleted with the set)        |
//! | `{prefix}kv:{key}`         | string     | the value, with `PX` when it has a TTL                  |
//! | `{prefix}kv:amocrm-budget:{account}` | string | [`RedisRequestBudget`]'s next free amoCRM slot (GCRA)  |
//! | `{prefix}kv:amocrm-pause:{account}`  | string | the end of an amoCRM `429` pause shared by every process |
//!
//! The lock is the single-instance Redis lock (`SET NX PX`, Lua compare-and-delete and compare-and-pexpire): it
//! keeps two holders apart while Redis stays up and is not failed over. Writes that must never come from a stale
//! holder check the fencing number on the storage side.
//!
//! Connection failures and timeouts are [`StoreError::Unavailable`](crmsync_ports::StoreError::Unavailable);
//! when a response times out the command may still have run on the server (an acquire may have taken the lock,
//! which then frees itself after its TTL).

mod budget;
mod config;
mod error;
mod key_value;
mod keys;
mod lock;
mod set_store;
mod stores;

pub use budget::RedisRequestBudget;
pub use config::RedisConfig;
pub use key_value::RedisKeyValueStore;
pub use lock::RedisLockStore;
pub use set_store::RedisSetStore;
pub use stores::RedisStores;
