//! The `AttributeSource` of [`OfficeflowClient`]: `identity/list` (the identities' attribute fields) and the
//! identity and `attributes` of each user in `user/list`.

use async_trait::async_trait;
use crmsync_domain::org::{AttributeDef, AttributeKind, UserAttributes};
use crmsync_ports::{AttributeSource, OrgPage, SourceError};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::OfficeflowClient;
use crate::wire::{Id, cursor, status};

#[derive(Deserialize)]
struct IdentityList {
    #[serde(default)]
    identities: Vec<WireIdentity>,
}

#[derive(Deserialize)]
struct WireIdentity {
    identity: Id,
    #[serde(default)]
    fields: Vec<WireField>,
}

#[derive(Deserialize)]
struct WireField {
    key: String,
    #[serde(default)]
    label: String,
    kind: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Deserialize)]
struct UserAttributePage {
    #[serde(default)]
    users: Vec<WireUserAttributes>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireUserAttributes {
    userid: Id,
    #[serde(default)]
    identity: Option<Id>,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
    #[serde(default = "active")]
    status: i64,
    #[serde(default)]
    updated_at: i64,
}

fn active() -> i64 {
    1
}

impl IdentityList {
    fn into_definitions(self) -> Result<Vec<AttributeDef>, String> {
        let mut definitions = Vec::new();
        for identity in self.identities {
            for field in identity.fields {
                let kind =
                    AttributeKind::from_parts(&field.kind, field.values).map_err(|reason| {
                        format!(
                            "field {:?} of identity {:?}: `kind` {reason}",
                            field.key, identity.identity.0
                        )
                    })?;
                definitions.push(AttributeDef {
                    identity: identity.identity.0.clone(),
                    key: field.key,
                    label: field.label,
                    kind,
                    required: field.required,
                });
            }
        }
        Ok(definitions)
    }
}

#[async_trait]
impl AttributeSource for OfficeflowClient {
    async fn attribute_definitions(&self) -> Result<Vec<AttributeDef>, SourceError> {
        const ENDPOINT: &str = "identity/list";
        let list: IdentityList = self.get(ENDPOINT, &[]).await?;
        list.into_definitions()
            .map_err(|reason| SourceError::Protocol {
                endpoint: ENDPOINT.into(),
                reason,
            })
    }

    async fn user_attributes(
        &self,
        updated_since: Option<i64>,
        cursor_in: Option<String>,
    ) -> Result<OrgPage<UserAttributes>, SourceError> {
        let mut query = self.page_query(cursor_in);
        if let Some(since) = updated_since {
            query.push(("updated_since", since.to_string()));
        }
        let page: UserAttributePage = self.get("user/list", &query).await?;
        Ok(OrgPage {
            items: page
                .users
                .into_iter()
                .map(|u| UserAttributes {
                    username: u.userid.0,
                    identity: u.identity.map(|i| i.0).filter(|i| !i.is_empty()),
                    attributes: u.attributes.unwrap_or_default(),
                    status: status(u.status),
                    updated_at: u.updated_at,
                })
                .collect(),
            next_cursor: cursor(page.next_cursor),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_and_their_fields_become_definitions() {
        let list: IdentityList = serde_json::from_str(
            r#"{"errcode":0,"identities":[
                {"identity":"student","fields":[
                    {"key":"grade","label":"Grade","kind":"number","required":true},
                    {"key":"house","label":"House","kind":"enum","values":["red","blue"]}]},
                {"identity":7,"fields":[]}]}"#,
        )
        .unwrap();
        let definitions = list.into_definitions().unwrap();
        assert_eq!(definitions.len(), 2);
        assert_eq!(definitions[0].kind, AttributeKind::Number);
        assert!(definitions[0].required);
        assert_eq!(
            definitions[1].kind,
            AttributeKind::Enum(vec!["red".into(), "blue".into()])
        );
        assert!(!definitions[1].required);

        let odd: IdentityList = serde_json::from_str(
            r#"{"identities":[{"identity":"staff","fields":[{"key":"room","kind":"colour"}]}]}"#,
        )
        .unwrap();
        let error = odd.into_definitions().unwrap_err();
        assert!(
            error.contains("\"room\"") && error.contains("\"staff\"") && error.contains("colour"),
            "{error}"
        );
    }

    #[test]
    fn users_carry_their_identity_and_attributes_or_none() {
        let page: UserAttributePage = serde_json::from_str(
            r#"{"users":[
                {"userid":"u1","identity":"student","attributes":{"grade":7},"status":1,"updated_at":5},
                {"userid":2,"status":5,"updated_at":6},
                {"userid":"u3","identity":"","attributes":null}],"next_cursor":""}"#,
        )
        .unwrap();
        let users = page.users;
        assert_eq!(users.len(), 3);
        assert_eq!(
            users[0].attributes.as_ref().map(|a| a["grade"].clone()),
            Some(7.into())
        );
        assert!(users[1].identity.is_none() && users[1].attributes.is_none());
        assert_eq!(
            status(users[1].status),
            crmsync_domain::org::UserStatus::Deleted
        );
    }
}
