//! The JSON shapes of `docs/officeflow-api.md` and their conversion to domain values.

use std::fmt;

use crmsync_domain::org::{
    Department, OrgUser, RemotePosition, RemoteTag, Seat, Tag, TagGroup, TagKind, TagRule,
    UserOpenIds, UserStatus,
};
use crmsync_ports::OrgPage;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// `errcode` and `errmsg`, read before the payload.
#[derive(Debug, Deserialize)]
pub(crate) struct Status {
    #[serde(default)]
    pub(crate) errcode: i64,
}

/// The token request body.
#[derive(Serialize)]
pub(crate) struct TokenRequest<'a> {
    pub(crate) app_key: &'a str,
    pub(crate) app_secret: &'a str,
}

/// The token answer.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
}

/// An identifier sent as a string or as a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Id(pub(crate) String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an identifier (string or integer)")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

pub(crate) fn cursor(next: Option<String>) -> Option<String> {
    next.filter(|c| !c.is_empty())
}

fn page<W, T>(items: Vec<W>, next_cursor: Option<String>, convert: impl Fn(W) -> T) -> OrgPage<T> {
    OrgPage {
        items: items.into_iter().map(convert).collect(),
        next_cursor: cursor(next_cursor),
    }
}

#[derive(Deserialize)]
pub(crate) struct DepartmentPage {
    #[serde(default)]
    department: Vec<WireDepartment>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireDepartment {
    id: Id,
    name: String,
    #[serde(default)]
    parentid: Option<Id>,
    #[serde(default)]
    order: i64,
}

impl DepartmentPage {
    pub(crate) fn into_page(self) -> OrgPage<Department> {
        page(self.department, self.next_cursor, |d| Department {
            id: d.id.0,
            name: d.name,
            parent_id: d.parentid.map(|p| p.0).filter(|p| !p.is_empty()),
            order: d.order,
            revoked_by: None,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct UserPage {
    #[serde(default)]
    users: Vec<WireUser>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireUser {
    userid: Id,
    #[serde(default)]
    department: Vec<Id>,
    #[serde(default)]
    positions: Vec<WireSeat>,
    #[serde(default = "active")]
    status: i64,
    #[serde(default)]
    updated_at: i64,
}

fn active() -> i64 {
    1
}

#[derive(Deserialize)]
struct WireSeat {
    position_id: Id,
    department_id: Id,
}

/// The WeCom status codes: 1 active, 2 disabled, 4 not activated, 5 left; anything else counts as disabled.
pub(crate) fn status(code: i64) -> UserStatus {
    match code {
        1 => UserStatus::Active,
        5 => UserStatus::Deleted,
        _ => UserStatus::Disabled,
    }
}

impl UserPage {
    pub(crate) fn into_page(self) -> OrgPage<OrgUser> {
        page(self.users, self.next_cursor, |u| OrgUser {
            username: u.userid.0,
            department_ids: u.department.into_iter().map(|d| d.0).collect(),
            seats: u
                .positions
                .into_iter()
                .map(|s| Seat {
                    position_id: s.position_id.0,
                    department_id: s.department_id.0,
                })
                .collect(),
            status: status(u.status),
            updated_at: u.updated_at,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct PositionPage {
    #[serde(default)]
    positions: Vec<WirePosition>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WirePosition {
    position_id: Id,
    name: String,
}

impl PositionPage {
    pub(crate) fn into_page(self) -> OrgPage<RemotePosition> {
        page(self.positions, self.next_cursor, |p| RemotePosition {
            id: p.position_id.0,
            name: p.name,
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct GroupList {
    #[serde(default)]
    groups: Vec<WireGroup>,
}

#[derive(Deserialize)]
struct WireGroup {
    group_id: Id,
    group_name: String,
}

impl GroupList {
    pub(crate) fn into_groups(self) -> Vec<TagGroup> {
        self.groups
            .into_iter()
            .map(|g| TagGroup {
                id: g.group_id.0,
                name: g.group_name,
            })
            .collect()
    }
}

#[derive(Deserialize)]
pub(crate) struct TagPage {
    #[serde(default)]
    taglist: Vec<WireTag>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireTag {
    tagid: Id,
    tagname: String,
    #[serde(default)]
    group_id: Option<Id>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    rule: Option<WireRule>,
    #[serde(default)]
    updated_at: i64,
}

#[derive(Deserialize)]
struct WireRule {
    #[serde(default)]
    department_ids: Vec<Id>,
    #[serde(default)]
    include_children: bool,
    #[serde(default)]
    position_ids: Vec<Id>,
}

impl TagPage {
    /// The page, or the id and reason of the first tag whose type is neither `static` nor `dynamic`.
    pub(crate) fn into_page(self) -> Result<OrgPage<RemoteTag>, String> {
        let mut items = Vec::with_capacity(self.taglist.len());
        for t in self.taglist {
            let kind = match (t.kind.as_str(), t.rule) {
                ("static", _) => TagKind::Static,
                ("dynamic", Some(rule)) => TagKind::Dynamic {
                    rule: TagRule {
                        department_ids: rule.department_ids.into_iter().map(|d| d.0).collect(),
                        include_children: rule.include_children,
                        position_ids: rule.position_ids.into_iter().map(|p| p.0).collect(),
                    },
                },
                ("dynamic", None) => {
                    return Err(format!("dynamic tag {:?} has no rule", t.tagid.0));
                }
                (other, _) => {
                    return Err(format!("tag {:?} has unknown type {other:?}", t.tagid.0));
                }
            };
            items.push(RemoteTag {
                tag: Tag {
                    id: t.tagid.0,
                    group_id: t.group_id.map(|g| g.0).filter(|g| !g.is_empty()),
                    name: t.tagname,
                    kind,
                },
                updated_at: t.updated_at,
            });
        }
        Ok(OrgPage {
            items,
            next_cursor: cursor(self.next_cursor),
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct TagUserPage {
    #[serde(default)]
    userlist: Vec<WireTagUser>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireTagUser {
    userid: Id,
}

impl TagUserPage {
    pub(crate) fn into_page(self) -> OrgPage<String> {
        page(self.userlist, self.next_cursor, |u| u.userid.0)
    }
}

#[derive(Deserialize)]
pub(crate) struct PlatformList {
    #[serde(default)]
    pub(crate) platforms: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct OpenIdPage {
    #[serde(default)]
    list: Vec<WireOpenIds>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct WireOpenIds {
    userid: Id,
    #[serde(default)]
    openids: Vec<String>,
    #[serde(default)]
    updated_at: i64,
}

impl OpenIdPage {
    pub(crate) fn into_page(self) -> OrgPage<UserOpenIds> {
        page(self.list, self.next_cursor, |o| UserOpenIds {
            username: o.userid.0,
            openids: o.openids,
            updated_at: o.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_may_be_numbers_and_a_missing_cursor_ends_the_listing() {
        let page: DepartmentPage = serde_json::from_str(
            r#"{"errcode":0,"department":[{"id":1,"name":"Root"},{"id":"2","name":"Maths","parentid":1,"order":5}]}"#,
        )
        .unwrap();
        let page = page.into_page();
        assert_eq!(page.next_cursor, None);
        assert_eq!(page.items[0].id, "1");
        assert_eq!(page.items[0].parent_id, None);
        assert_eq!(page.items[1].parent_id.as_deref(), Some("1"));

        let empty: UserPage = serde_json::from_str(r#"{"users":[],"next_cursor":""}"#).unwrap();
        assert_eq!(empty.into_page().next_cursor, None);
    }

    #[test]
    fn user_status_codes_follow_wecom() {
        let page: UserPage = serde_json::from_str(
            r#"{"users":[{"userid":"a","status":1},{"userid":"b","status":4},{"userid":"c","status":5},{"userid":"d","status":99}],"next_cursor":"x"}"#,
        )
        .unwrap();
        let page = page.into_page();
        let statuses: Vec<UserStatus> = page.items.iter().map(|u| u.status).collect();
        assert_eq!(
            statuses,
            vec![
                UserStatus::Active,
                UserStatus::Disabled,
                UserStatus::Deleted,
                UserStatus::Disabled
            ]
        );
        assert_eq!(page.next_cursor.as_deref(), Some("x"));
    }

    #[test]
    fn a_tag_of_unknown_type_is_named_in_the_error() {
        let page: TagPage =
            serde_json::from_str(r#"{"taglist":[{"tagid":"t9","tagname":"X","type":"smart"}]}"#)
                .unwrap();
        let error = page.into_page().unwrap_err();
        assert!(error.contains("t9") && error.contains("smart"), "{error}");
    }
}
