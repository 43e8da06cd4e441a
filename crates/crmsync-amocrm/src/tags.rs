//! Tags: each entity type's tag list (`GET/POST /api/v4/{entity}/tags`) and tags put on or taken off entities
//! (`PATCH /api/v4/{entity}` with `tags_to_add` / `tags_to_delete`).

use crmsync_domain::crm::EntityKind;
use crmsync_ports::{CrmError, Page, PageCursor};
use serde::{Deserialize, Serialize};

use crate::client::AmoCrmClient;
use crate::lenient;
use crate::query::Query;
use crate::rest::IdOnly;

/// A tag of one entity type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Tag {
    /// Tag id.
    #[serde(deserialize_with = "lenient::id")]
    pub id: i64,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Colour as six hex digits (`DDEBB5`), if set.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub color: Option<String>,
    /// The request id of an add answer.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub request_id: Option<String>,
}

/// A tag to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewTag {
    /// Name (unique per entity type).
    pub name: String,
    /// Colour as six hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Correlation key echoed back; the client assigns the index when `None`.
    #[serde(skip)]
    pub request_id: Option<String>,
}

impl NewTag {
    /// A tag named `name` without a colour.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            color: None,
            request_id: None,
        }
    }
}

/// A tag named by id or by name (a name that does not exist yet is created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TagRef {
    /// An existing tag.
    Id {
        /// Tag id.
        id: i64,
    },
    /// A tag by name.
    Name {
        /// Tag name.
        name: String,
    },
}

impl TagRef {
    /// The tag with id `id`.
    pub fn id(id: i64) -> Self {
        Self::Id { id }
    }

    /// The tag named `name`.
    pub fn name(name: impl Into<String>) -> Self {
        Self::Name { name: name.into() }
    }
}

/// Tags to put on and take off one entity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EntityTags {
    /// The entity's id.
    pub id: i64,
    /// Tags to add.
    #[serde(rename = "tags_to_add", skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<TagRef>,
    /// Tags to remove.
    #[serde(rename = "tags_to_delete", skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<TagRef>,
}

/// Which tags to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagFilter {
    /// Only these ids.
    pub ids: Vec<i64>,
    /// Only the tag with this exact name.
    pub name: Option<String>,
    /// Tags whose name contains this text.
    pub query: Option<String>,
    /// Page size (at most 250).
    pub limit: Option<u32>,
}

impl TagFilter {
    fn query(&self) -> Query {
        let mut q = Query::default();
        q.list("filter[id]", &self.ids);
        if let Some(name) = &self.name {
            q.push("filter[name]", name);
        }
        q.query(self.query.as_ref());
        q
    }
}

fn tags_path(entity: EntityKind) -> String {
    format!("/api/v4/{}/tags", entity.api_name())
}

impl AmoCrmClient {
    /// One page of the tags of `entity` (`GET /api/v4/{entity}/tags`).
    pub async fn list_tags(
        &self,
        entity: EntityKind,
        filter: &TagFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Tag>, CrmError> {
        let path = tags_path(entity);
        self.list_page(&path, &filter.query(), "tags", filter.limit, 250, cursor)
            .await
    }

    /// Every tag of `entity` matching `filter`.
    pub async fn all_tags(
        &self,
        entity: EntityKind,
        filter: &TagFilter,
    ) -> Result<Vec<Tag>, CrmError> {
        self.list_all(&tags_path(entity), &filter.query(), "tags", 250)
            .await
    }

    /// Creates tags of `entity` (`POST /api/v4/{entity}/tags`); answers in input order with their request ids.
    /// A create whose outcome is unknown is `Ambiguous`, never resent.
    pub async fn add_tags(
        &self,
        entity: EntityKind,
        tags: &[NewTag],
    ) -> Result<Vec<Tag>, CrmError> {
        if let Some(index) = tags.iter().position(|t| t.name.trim().is_empty()) {
            return Err(CrmError::InvalidInput {
                field: format!("tags[{index}].name"),
                reason: "a tag needs a name".into(),
            });
        }
        let rids = tags.iter().map(|t| t.request_id.clone());
        self.create_typed(&tags_path(entity), "tags", tags, rids)
            .await
    }

    /// Puts tags on and takes tags off entities of `entity` (`PATCH /api/v4/{entity}`); returns the ids
    /// updated.
    pub async fn tag_entities(
        &self,
        entity: EntityKind,
        changes: &[EntityTags],
    ) -> Result<Vec<i64>, CrmError> {
        if let Some(index) = changes
            .iter()
            .position(|c| c.add.is_empty() && c.remove.is_empty())
        {
            return Err(CrmError::InvalidInput {
                field: format!("changes[{index}]"),
                reason: "name a tag to add or remove".into(),
            });
        }
        let path = format!("/api/v4/{}", entity.api_name());
        let updated: Vec<IdOnly> = self
            .update_typed(&path, entity.api_name(), changes, |c| c.id.to_string())
            .await?;
        Ok(updated.into_iter().map(|u| u.id).collect())
    }
}
