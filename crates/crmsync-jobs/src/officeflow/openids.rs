//! OpenIDs of one platform: deduplicated by (username, platform, openid); an OpenID claimed by several users
//! keeps the user it is already bound to (username consistency) or is reported as a conflict and bound to
//! nobody; missing bindings are added, stale ones removed. The losing claims are stored too, so an incremental
//! run, which lists only the users that changed, still sees every claimant of a conflicting OpenID.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crmsync_domain::org::{OrgRecordError, UserOpenId, UserOpenIds};
use serde::Serialize;

use super::scope::Scope;

/// An OpenID several users claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenIdConflict {
    /// The platform.
    pub platform: String,
    /// The OpenID.
    pub openid: String,
    /// Every user claiming it, sorted.
    pub usernames: Vec<String>,
    /// The user it stays bound to (the one it was already bound to), or `None`: bound to nobody.
    pub kept: Option<String>,
}

/// What the OpenID part will write for one platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenIdPlan {
    /// Bindings to add, sorted.
    pub add: Vec<UserOpenId>,
    /// Bindings to remove, sorted (written before the additions).
    pub remove: Vec<UserOpenId>,
    /// Losing claims to record, sorted.
    pub losing_add: Vec<UserOpenId>,
    /// Losing claims to forget, sorted.
    pub losing_remove: Vec<UserOpenId>,
    /// OpenIDs several users claim.
    pub conflicts: Vec<OpenIdConflict>,
    /// Repeated (username, openid) pairs dropped.
    pub duplicates: u64,
    /// Records skipped because a field is unacceptable.
    pub rejected: Vec<OrgRecordError>,
}

impl OpenIdPlan {
    /// Whether nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty()
            && self.remove.is_empty()
            && self.losing_add.is_empty()
            && self.losing_remove.is_empty()
    }
}

/// Plans `platform` from the `listed` records (every user, or those changed since the watermark: `scope`)
/// against the `stored` bindings and the stored `losing` claims of the platform.
pub fn plan(
    platform: &str,
    listed: Vec<UserOpenIds>,
    stored: &[UserOpenId],
    losing: &[UserOpenId],
    scope: &Scope,
) -> OpenIdPlan {
    let mut plan = OpenIdPlan::default();
    let mut latest: HashMap<String, UserOpenIds> = HashMap::with_capacity(listed.len());
    for record in listed {
        if let Err(error) = record.validate() {
            plan.rejected.push(error);
            continue;
        }
        match latest.get(&record.username) {
            Some(known) if known.updated_at > record.updated_at => {}
            _ => {
                latest.insert(record.username.clone(), record);
            }
        }
    }

    let mut claims: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for binding in stored
        .iter()
        .chain(losing)
        .filter(|b| !scope.covers(&b.username))
    {
        claims
            .entry(binding.openid.as_str())
            .or_default()
            .insert(binding.username.as_str());
    }
    for record in latest.values().filter(|r| scope.covers(&r.username)) {
        for openid in &record.openids {
            if !claims
                .entry(openid.as_str())
                .or_default()
                .insert(record.username.as_str())
            {
                plan.duplicates += 1;
            }
        }
    }

    let bound: HashMap<&str, &str> = stored
        .iter()
        .map(|b| (b.openid.as_str(), b.username.as_str()))
        .collect();
    let mut desired: BTreeSet<UserOpenId> = BTreeSet::new();
    let mut losers: BTreeSet<UserOpenId> = BTreeSet::new();
    let claim = |openid: &str, username: &str| UserOpenId {
        platform: platform.to_owned(),
        openid: openid.to_owned(),
        username: username.to_owned(),
    };
    for (openid, claimants) in &claims {
        let owner = if claimants.len() == 1 {
            claimants.first().copied()
        } else {
            let kept = bound
                .get(openid)
                .copied()
                .filter(|user| claimants.contains(user));
            plan.conflicts.push(OpenIdConflict {
                platform: platform.to_owned(),
                openid: (*openid).to_owned(),
                usernames: claimants.iter().map(|u| (*u).to_owned()).collect(),
                kept: kept.map(str::to_owned),
            });
            losers.extend(
                claimants
                    .iter()
                    .filter(|user| Some(**user) != kept)
                    .map(|user| claim(openid, user)),
            );
            kept
        };
        if let Some(username) = owner {
            desired.insert(UserOpenId {
                platform: platform.to_owned(),
                openid: (*openid).to_owned(),
                username: username.to_owned(),
            });
        }
    }
    let stored: BTreeSet<&UserOpenId> = stored.iter().collect();
    plan.add = desired
        .iter()
        .filter(|b| !stored.contains(b))
        .cloned()
        .collect();
    plan.remove = stored
        .into_iter()
        .filter(|b| !desired.contains(*b))
        .cloned()
        .collect();
    let losing: BTreeSet<&UserOpenId> = losing.iter().collect();
    plan.losing_add = losers
        .iter()
        .filter(|c| !losing.contains(c))
        .cloned()
        .collect();
    plan.losing_remove = losing
        .into_iter()
        .filter(|c| !losers.contains(*c))
        .cloned()
        .collect();
    plan
}

#[cfg(test)]
mod tests;
