//! Which users an incremental plan may touch, and the latest record of each user in a listing.

use std::collections::{HashMap, HashSet};

use crmsync_domain::org::OrgUser;

/// The users whose rows a plan may add or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every user: a full reconciliation.
    Everyone,
    /// Only these users (those an incremental listing returned); rows of others are left alone.
    Users(HashSet<String>),
}

impl Scope {
    /// Whether rows of `username` are in scope.
    pub fn covers(&self, username: &str) -> bool {
        match self {
            Self::Everyone => true,
            Self::Users(users) => users.contains(username),
        }
    }

    /// `Everyone` for a full listing (`since` is `None`), otherwise the users `listed`.
    pub fn of_listing<'a>(since: Option<i64>, listed: impl IntoIterator<Item = &'a str>) -> Self {
        match since {
            None => Self::Everyone,
            Some(_) => Self::Users(listed.into_iter().map(str::to_owned).collect()),
        }
    }
}

/// One record per username, the most recently changed one when a listing returned a user twice (a user
/// changed while the listing was paged appears again further on).
pub fn latest_users(users: Vec<OrgUser>) -> Vec<OrgUser> {
    let mut latest: HashMap<String, OrgUser> = HashMap::with_capacity(users.len());
    for user in users {
        match latest.get(&user.username) {
            Some(known) if known.updated_at > user.updated_at => {}
            _ => {
                latest.insert(user.username.clone(), user);
            }
        }
    }
    let mut users: Vec<OrgUser> = latest.into_values().collect();
    users.sort_by(|a, b| a.username.cmp(&b.username));
    users
}
