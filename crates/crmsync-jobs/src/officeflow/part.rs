//! The parts of the sync, the journal kind of each, and full versus incremental runs.

use std::fmt;
use std::str::FromStr;

use crmsync_domain::ProcessKind;
use serde::{Deserialize, Serialize};

/// One part of the sync; each runs as its own journaled process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The department tree.
    Departments,
    /// Positions and position–department–user rows.
    Positions,
    /// Tag groups, tags and tag members.
    Tags,
    /// Users' OpenIDs per platform.
    Openids,
    /// The identities' attribute definitions and users' attribute values.
    Attributes,
    /// Process instances and their task history, per configured flow category.
    Processes,
}

impl Part {
    /// Every part, in the order a run takes them.
    pub const ALL: [Self; 6] = [
        Self::Departments,
        Self::Positions,
        Self::Tags,
        Self::Openids,
        Self::Attributes,
        Self::Processes,
    ];

    /// The name used on the command line, in configuration and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Departments => "departments",
            Self::Positions => "positions",
            Self::Tags => "tags",
            Self::Openids => "openids",
            Self::Attributes => "attributes",
            Self::Processes => "processes",
        }
    }

    /// The journal kind of this part's runs: `officeflow.<part>`.
    pub fn kind(self) -> ProcessKind {
        match ProcessKind::new(format!("officeflow.{}", self.as_str())) {
            Ok(kind) => kind,
            Err(_) => unreachable!("officeflow part kinds are valid process kinds"),
        }
    }

    /// The part a journal kind belongs to.
    pub fn from_kind(kind: &ProcessKind) -> Option<Self> {
        Self::ALL.into_iter().find(|part| part.kind() == *kind)
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown part {0:?}: use departments, positions, tags, openids, attributes or processes")]
pub struct UnknownPart(pub String);

impl FromStr for Part {
    type Err = UnknownPart;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|part| part.as_str() == name || (name == "openid" && *part == Self::Openids))
            .ok_or_else(|| UnknownPart(s.to_owned()))
    }
}

/// Parses `positions,tags,openids` into parts in run order, without repeats.
pub fn parse_parts(list: &str) -> Result<Vec<Part>, UnknownPart> {
    let mut parts = list
        .split(',')
        .filter(|item| !item.trim().is_empty())
        .map(str::parse)
        .collect::<Result<Vec<Part>, _>>()?;
    parts.sort();
    parts.dedup();
    Ok(parts)
}

/// How much a run reads and compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Everything is read and compared with everything stored (`--all`).
    Full,
    /// Users, OpenIDs and static tag members changed since the last successful run are read; the small lists
    /// (departments, positions, tags) are always read in full. The first run of a part is always full.
    Incremental,
}

impl SyncMode {
    /// `full` or `incremental`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Incremental => "incremental",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_parse_in_run_order_without_repeats() {
        assert_eq!(
            parse_parts("openids, tags,positions,tags").unwrap(),
            vec![Part::Positions, Part::Tags, Part::Openids]
        );
        assert_eq!(parse_parts("OpenID").unwrap(), vec![Part::Openids]);
        let error = parse_parts("positions,roles").unwrap_err();
        assert_eq!(error, UnknownPart("roles".into()));
    }

    #[test]
    fn every_part_has_its_journal_kind() {
        for part in Part::ALL {
            assert_eq!(Part::from_kind(&part.kind()), Some(part));
        }
        assert_eq!(Part::Tags.kind().as_str(), "officeflow.tags");
    }
}
