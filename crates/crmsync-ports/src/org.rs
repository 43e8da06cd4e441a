//! `OrgSource` (the office platform's organisation, read page by page) and `OrgStore` (its local copy).

use std::sync::Arc;

use async_trait::async_trait;
use crmsync_domain::org::{
    Department, OrgUser, Position, PositionEvent, PositionMember, RemotePosition, RemoteTag, Tag,
    TagGroup, TagMember, UserOpenId, UserOpenIds,
};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// One page of a cursor-paged listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPage<T> {
    /// The records of this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> OrgPage<T> {
    /// The last page, holding `items`.
    pub fn last(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }
}

/// The office platform could not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The platform refused for a reason retrying cannot fix: bad credentials, a missing permission, a caller
    /// IP that is not allowed, a malformed request. Fix the configuration.
    #[error("the office platform refused the request (code {code}): {reason}")]
    Refused {
        /// The platform's error code (or the HTTP status for errors outside the JSON envelope).
        code: i64,
        /// What the code means.
        reason: String,
    },
    /// The platform stayed unreachable, throttled or failing through every retry; a later run may succeed.
    #[error("the office platform is unavailable after {attempts} attempt(s): {reason}")]
    Unavailable {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// The record asked for no longer exists (deleted between two calls).
    #[error("the office platform no longer has {what}")]
    NotFound {
        /// What was asked for (`tag t-7`, ...).
        what: String,
    },
    /// The platform answered something outside its contract.
    #[error("the office platform answered {endpoint} unexpectedly: {reason}")]
    Protocol {
        /// The endpoint asked.
        endpoint: String,
        /// What was wrong with the answer.
        reason: String,
    },
    /// An answer was larger than the client's limit and was not read to the end.
    #[error("the office platform's answer to {endpoint} exceeded the {limit}-byte response limit")]
    ResponseTooLarge {
        /// The endpoint asked.
        endpoint: String,
        /// The limit in bytes.
        limit: u64,
    },
}

impl SourceError {
    /// Whether a later attempt may succeed without a configuration change.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// The organisation on the office platform, read page by page.
///
/// Listings that take `updated_since` return, with it, only records changed at or after that instant
/// (milliseconds since the Unix epoch) — deleted users included as tombstones — ordered by change time, so a
/// change made during the listing is never skipped; without it they return every live record.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrgSource: Send + Sync {
    /// Departments, by id; the job assembles the tree.
    async fn departments(&self, cursor: Option<String>)
    -> Result<OrgPage<Department>, SourceError>;

    /// Users with their departments and positions, by change time.
    async fn users(
        &self,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<OrgUser>, SourceError>;

    /// Positions, by id.
    async fn positions(
        &self,
        cursor: Option<String>,
    ) -> Result<OrgPage<RemotePosition>, SourceError>;

    /// Every tag group.
    async fn tag_groups(&self) -> Result<Vec<TagGroup>, SourceError>;

    /// Tags (static and dynamic) with their change times, by id.
    async fn tags(&self, cursor: Option<String>) -> Result<OrgPage<RemoteTag>, SourceError>;

    /// Usernames carrying a static tag.
    async fn tag_users(
        &self,
        tag_id: &str,
        cursor: Option<String>,
    ) -> Result<OrgPage<String>, SourceError>;

    /// The messaging platforms users have OpenIDs on.
    async fn platforms(&self) -> Result<Vec<String>, SourceError>;

    /// Users' OpenIDs on `platform`, by change time.
    async fn user_openids(
        &self,
        platform: &str,
        updated_since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<UserOpenIds>, SourceError>;
}

/// Maps one more platform id to an existing local position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRemap {
    /// The platform id.
    pub remote_id: String,
    /// The local position it now maps to.
    pub position_id: i64,
}

/// A new name for a local position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRename {
    /// The local position.
    pub position_id: i64,
    /// Its new name.
    pub name: String,
}

/// Changes to local positions, written in one transaction with their history entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionChanges {
    /// Platform positions that get a new local position each.
    pub add: Vec<RemotePosition>,
    /// Platform ids mapped to an existing local position (replacing any earlier mapping of that id).
    pub remap: Vec<PositionRemap>,
    /// Renamed local positions.
    pub rename: Vec<PositionRename>,
    /// Local positions the platform lists again.
    pub enable: Vec<i64>,
    /// Local positions the platform no longer lists.
    pub disable: Vec<i64>,
}

impl PositionChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty()
            && self.remap.is_empty()
            && self.rename.is_empty()
            && self.enable.is_empty()
            && self.disable.is_empty()
    }
}

/// What [`OrgStore::write_positions`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionsWritten {
    /// The local id given to each added platform position: `(remote_id, position_id)`.
    pub added: Vec<(String, i64)>,
    /// Rows changed, history entries included.
    pub rows: u64,
}

/// How many rows each organisation table holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgCounts {
    /// Departments.
    pub departments: u64,
    /// Local positions, enabled or not.
    pub positions: u64,
    /// Enabled local positions.
    pub positions_enabled: u64,
    /// Position–department–user rows.
    pub position_members: u64,
    /// Tag groups.
    pub tag_groups: u64,
    /// Tags.
    pub tags: u64,
    /// Tag–user rows.
    pub tag_members: u64,
    /// OpenID bindings over all platforms.
    pub user_openids: u64,
    /// Losing claims on conflicting OpenIDs over all platforms.
    pub openid_conflict_claims: u64,
}

/// The local copy of the organisation.
///
/// Every `write_*` call (and [`set_sync_mark`](Self::set_sync_mark)) runs in one transaction and returns how many
/// rows it changed; adding a row that exists already, or removing one that does not, changes nothing and is not
/// an error, so a batch can be replayed after a crash.
///
/// Writes through [`fenced`](Self::fenced) carry the fencing number of the lock lease their run holds: a write
/// whose fence is older than one that has already written is refused with [`StoreError::Fenced`] and changes
/// nothing, so a run that lost its lease cannot overwrite what the newer holder wrote.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// The same tables, with every write carrying `fence` (the fence of the `officeflow:sync` lease); the fence
    /// is checked and recorded in the write's own transaction.
    fn fenced(&self, fence: u64) -> Arc<dyn OrgStore>;

    /// Every department, by id.
    async fn departments(&self) -> Result<Vec<Department>, StoreError>;

    /// Inserts or updates `upsert` and deletes the departments with ids in `remove`.
    async fn write_departments(
        &self,
        upsert: &[Department],
        remove: &[String],
    ) -> Result<u64, StoreError>;

    /// Every local position with its mapped platform ids, by id.
    async fn positions(&self) -> Result<Vec<Position>, StoreError>;

    /// Applies `changes` and records one history entry per change.
    async fn write_positions(
        &self,
        changes: &PositionChanges,
    ) -> Result<PositionsWritten, StoreError>;

    /// The history of one local position, oldest first.
    async fn position_history(&self, position_id: i64) -> Result<Vec<PositionEvent>, StoreError>;

    /// Every position–department–user row.
    async fn position_members(&self) -> Result<Vec<PositionMember>, StoreError>;

    /// Removes `remove`, then adds `add`.
    async fn write_position_members(
        &self,
        add: &[PositionMember],
        remove: &[PositionMember],
    ) -> Result<u64, StoreError>;

    /// Every tag group, by id.
    async fn tag_groups(&self) -> Result<Vec<TagGroup>, StoreError>;

    /// Inserts or updates `upsert` and deletes the groups with ids in `remove`.
    async fn write_tag_groups(
        &self,
        upsert: &[TagGroup],
        remove: &[String],
    ) -> Result<u64, StoreError>;

    /// Every tag, by id.
    async fn tags(&self) -> Result<Vec<Tag>, StoreError>;

    /// Inserts or updates `upsert` and deletes the tags with ids in `remove`, with their members.
    async fn write_tags(&self, upsert: &[Tag], remove: &[String]) -> Result<u64, StoreError>;

    /// Every tag–user row.
    async fn tag_members(&self) -> Result<Vec<TagMember>, StoreError>;

    /// Removes `remove`, then adds `add`.
    async fn write_tag_members(
        &self,
        add: &[TagMember],
        remove: &[TagMember],
    ) -> Result<u64, StoreError>;

    /// Every OpenID binding on `platform`.
    async fn user_openids(&self, platform: &str) -> Result<Vec<UserOpenId>, StoreError>;

    /// Removes `remove`, then adds `add`; an added `(platform, openid)` already bound to someone else is left
    /// as it is (not counted).
    async fn write_user_openids(
        &self,
        add: &[UserOpenId],
        remove: &[UserOpenId],
    ) -> Result<u64, StoreError>;

    /// The losing claims on conflicting OpenIDs of `platform` (claimants that are not the OpenID's user).
    async fn openid_conflict_claims(&self, platform: &str) -> Result<Vec<UserOpenId>, StoreError>;

    /// Removes `remove`, then adds `add` to the losing claims.
    async fn write_openid_conflict_claims(
        &self,
        add: &[UserOpenId],
        remove: &[UserOpenId],
    ) -> Result<u64, StoreError>;

    /// A sync watermark or fingerprint by name.
    async fn sync_mark(&self, key: &str) -> Result<Option<i64>, StoreError>;

    /// Sets a sync watermark or fingerprint.
    async fn set_sync_mark(&self, key: &str, value: i64) -> Result<(), StoreError>;

    /// Row counts of every table.
    async fn counts(&self) -> Result<OrgCounts, StoreError>;
}
