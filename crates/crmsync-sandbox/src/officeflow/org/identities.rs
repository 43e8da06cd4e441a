//! The identities of the emulated organisation (student, teacher, staff) with their attribute fields, and each
//! user's identity and attribute values — a few of them invalid on purpose (a value of the wrong type, outside
//! an enum, a missing required field, a key no field defines), as a real platform's data sometimes is.

use serde_json::{Map, Value, json};

use super::Org;
use crate::officeflow::rng::Rng;

/// One field of an identity.
#[derive(Debug, Clone)]
pub(crate) struct FieldRec {
    pub(crate) key: String,
    pub(crate) label: String,
    /// `text`, `number`, `bool`, `date` or `enum`.
    pub(crate) kind: &'static str,
    pub(crate) values: Vec<String>,
    pub(crate) required: bool,
}

/// A user's identity and values.
#[derive(Debug, Clone)]
pub(crate) struct ProfileRec {
    pub(crate) identity: String,
    pub(crate) attributes: Map<String, Value>,
}

const SUBJECTS: &[&str] = &[
    "maths",
    "physics",
    "chemistry",
    "literature",
    "history",
    "music",
    "sports",
];
const TITLES: &[&str] = &["lecturer", "senior lecturer", "professor"];
const BUILDINGS: &[&str] = &["A", "B", "C"];
const ROLES: &[&str] = &["librarian", "accountant", "cook", "nurse", "caretaker"];

fn field(key: &str, label: &str, kind: &'static str, values: &[&str], required: bool) -> FieldRec {
    FieldRec {
        key: key.into(),
        label: label.into(),
        kind,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        required,
    }
}

fn date(rng: &mut Rng, first_year: usize, years: usize) -> String {
    format!(
        "{}-{:02}-{:02}",
        first_year + rng.below(years),
        1 + rng.below(12),
        1 + rng.below(28)
    )
}

impl Org {
    /// The identities and their fields, and a profile for every user generated so far; `invalid` of them carry
    /// one invalid value each.
    pub(super) fn generate_identities(&mut self, seed: u64, invalid: usize) {
        self.identities.insert(
            "student".into(),
            vec![
                field("grade", "Grade", "number", &[], true),
                field("class", "Class", "text", &[], true),
                field("boarder", "Boarder", "bool", &[], false),
                field("enrolled", "Enrolled on", "date", &[], false),
            ],
        );
        self.identities.insert(
            "teacher".into(),
            vec![
                field("subject", "Subject", "enum", SUBJECTS, true),
                field("title", "Title", "enum", TITLES, false),
                field("hired", "Hired on", "date", &[], false),
            ],
        );
        self.identities.insert(
            "staff".into(),
            vec![
                field("role", "Role", "text", &[], true),
                field("building", "Building", "enum", BUILDINGS, false),
            ],
        );
        let mut rng = Rng::new(seed ^ 0x1de7_1717);
        let mut names: Vec<String> = self.users.keys().cloned().collect();
        names.sort();
        let every = (names.len() / invalid.max(1)).max(1);
        for (index, name) in names.iter().enumerate() {
            let mut profile = match index % 10 {
                0..=6 => {
                    let grade = 1 + rng.below(12);
                    let mut values = Map::new();
                    values.insert("grade".into(), json!(grade));
                    values.insert(
                        "class".into(),
                        json!(format!("{grade}{}", ["A", "B", "C"][rng.below(3)])),
                    );
                    if rng.chance(60) {
                        values.insert("boarder".into(), json!(rng.chance(20)));
                    }
                    if rng.chance(80) {
                        values.insert("enrolled".into(), json!(date(&mut rng, 2014, 12)));
                    }
                    ProfileRec {
                        identity: "student".into(),
                        attributes: values,
                    }
                }
                7 | 8 => {
                    let mut values = Map::new();
                    values.insert("subject".into(), json!(SUBJECTS[rng.below(SUBJECTS.len())]));
                    if rng.chance(70) {
                        values.insert("title".into(), json!(TITLES[rng.below(TITLES.len())]));
                    }
                    values.insert("hired".into(), json!(date(&mut rng, 1995, 30)));
                    ProfileRec {
                        identity: "teacher".into(),
                        attributes: values,
                    }
                }
                _ => {
                    let mut values = Map::new();
                    values.insert("role".into(), json!(ROLES[rng.below(ROLES.len())]));
                    values.insert(
                        "building".into(),
                        json!(BUILDINGS[rng.below(BUILDINGS.len())]),
                    );
                    ProfileRec {
                        identity: "staff".into(),
                        attributes: values,
                    }
                }
            };
            let faulty = invalid > 0 && index % every == every / 2 && self.invalid.len() < invalid;
            if faulty {
                spoil(&mut profile, self.invalid.len());
                self.invalid.insert(name.clone());
            }
            self.profiles.insert(name.clone(), profile);
        }
    }

    /// The identities the platform defines, sorted.
    pub fn identity_names(&self) -> Vec<String> {
        self.identities.keys().cloned().collect()
    }

    /// Users who have not left and have an identity.
    pub fn users_with_identity(&self) -> usize {
        self.profiles
            .keys()
            .filter(|name| {
                self.users
                    .get(*name)
                    .is_some_and(|u| u.status != super::status::LEFT)
            })
            .count()
    }

    /// Users generated with an invalid attribute value (and not corrected since), sorted.
    pub fn invalid_attribute_users(&self) -> Vec<String> {
        self.invalid.iter().cloned().collect()
    }

    /// Defines a new field `key` of `identity` (`kind` as the API names it; `values` for an enum).
    pub fn add_attribute(
        &mut self,
        identity: &str,
        key: &str,
        kind: &'static str,
        values: &[&str],
        required: bool,
    ) {
        let label = format!("{} (new)", key.replace('_', " "));
        let fields = self.identities.entry(identity.to_owned()).or_default();
        fields.retain(|f| f.key != key);
        fields.push(field(key, &label, kind, values, required));
    }

    /// Sets (or, with `Value::Null`, clears) attribute `key` of `username`; the user's change time moves.
    pub fn set_attribute(&mut self, username: &str, key: &str, value: Value) {
        let Some(profile) = self.profiles.get_mut(username) else {
            return;
        };
        if value.is_null() {
            profile.attributes.remove(key);
        } else {
            profile.attributes.insert(key.to_owned(), value);
        }
        self.invalid.remove(username);
        self.touch_user(username);
    }

    /// Usernames of `identity`, sorted.
    pub fn users_of_identity(&self, identity: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .profiles
            .iter()
            .filter(|(name, p)| {
                p.identity == identity
                    && self
                        .users
                        .get(*name)
                        .is_some_and(|u| u.status != super::status::LEFT)
            })
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names
    }

    /// Changes attributes the way a term would, `rounds` times: a new optional field for students (`club_<n>`,
    /// an enum) filled in for some of them, a few grades moved up. The same `seed` gives the same changes.
    pub fn mutate_attributes(&mut self, seed: u64, rounds: usize) {
        let mut rng = Rng::new(seed ^ 0xa771);
        for round in 0..rounds {
            let key = format!("club_{round}");
            self.add_attribute(
                "student",
                &key,
                "enum",
                &["chess", "choir", "robotics"],
                false,
            );
            let students = self.users_of_identity("student");
            if students.is_empty() {
                continue;
            }
            for _ in 0..(students.len() / 10).max(1) {
                let name = &students[rng.below(students.len())];
                let club = ["chess", "choir", "robotics"][rng.below(3)];
                self.set_attribute(name, &key, json!(club));
            }
            for _ in 0..3 {
                let name = &students[rng.below(students.len())];
                let grade = 1 + rng.below(12);
                self.set_attribute(name, "grade", json!(grade));
            }
        }
    }
}

/// Makes one value of `profile` invalid; `variant` picks how.
fn spoil(profile: &mut ProfileRec, variant: usize) {
    let values = &mut profile.attributes;
    match (profile.identity.as_str(), variant % 4) {
        ("teacher", _) => {
            values.insert("subject".into(), json!("astrology"));
        }
        ("staff", _) => {
            values.remove("role");
        }
        (_, 0) => {
            values.insert("grade".into(), json!("seven"));
        }
        (_, 1) => {
            values.remove("grade");
        }
        (_, 2) => {
            values.insert("nickname".into(), json!("Ace"));
        }
        _ => {
            values.insert("enrolled".into(), json!("2024-02-30"));
        }
    }
}
