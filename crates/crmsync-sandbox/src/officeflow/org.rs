//! The emulated organisation: departments, positions, users, tag groups, tags and per-platform OpenIDs, with
//! change times, generated from a seed and changed between runs through [`Org`] methods.

mod identities;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use self::identities::{FieldRec, ProfileRec};
use super::rng::Rng;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSpec {
    /// Number of users (up to 100 000 and beyond).
    pub users: usize,
    /// Messaging platforms users have OpenIDs on.
    pub platforms: Vec<String>,
    /// Seed: the same spec always gives the same organisation.
    pub seed: u64,
    /// Number of tags (two thirds static, one third dynamic).
    pub tags: usize,
    /// OpenIDs per platform claimed by a second user (the conflicts the sync must report).
    pub openid_conflicts: usize,
    /// Whether one dynamic tag has the same name as a static one (a conflict the sync must report).
    pub tag_name_conflict: bool,
    /// Users whose attributes carry one invalid value (the sync must report them and not store the values).
    pub invalid_attributes: usize,
}

impl OrgSpec {
    /// `users` users on `wecom` and `dingtalk`, seed 4, 24 tags, one OpenID conflict per 20 000 users (at least
    /// one), one static/dynamic tag-name conflict, one user with an invalid attribute value per 200 users (at
    /// least one).
    pub fn new(users: usize) -> Self {
        Self {
            users,
            platforms: vec!["wecom".into(), "dingtalk".into()],
            seed: 4,
            tags: 24,
            openid_conflicts: 1 + users / 20_000,
            tag_name_conflict: true,
            invalid_attributes: 1 + users / 200,
        }
    }
}

/// The WeCom user status codes the API uses.
pub(crate) mod status {
    pub(crate) const ACTIVE: u8 = 1;
    pub(crate) const DISABLED: u8 = 2;
    pub(crate) const NOT_ACTIVATED: u8 = 4;
    pub(crate) const LEFT: u8 = 5;
}

#[derive(Debug, Clone)]
pub(crate) struct DepartmentRec {
    pub(crate) name: String,
    pub(crate) parent: Option<String>,
    pub(crate) order: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub(crate) departments: Vec<String>,
    /// `(position_id, department_id)`.
    pub(crate) seats: Vec<(String, String)>,
    pub(crate) status: u8,
    pub(crate) updated_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct RuleRec {
    pub(crate) departments: Vec<String>,
    pub(crate) include_children: bool,
    pub(crate) positions: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum TagKindRec {
    Static(BTreeSet<String>),
    Dynamic(RuleRec),
}

#[derive(Debug, Clone)]
pub(crate) struct TagRec {
    pub(crate) name: String,
    pub(crate) group: Option<String>,
    pub(crate) kind: TagKindRec,
    pub(crate) updated_at: i64,
}

/// One platform's bindings: username → (OpenIDs, change time), and the listing order.
#[derive(Debug, Clone, Default)]
pub(crate) struct PlatformIds {
    pub(crate) by_user: HashMap<String, (Vec<String>, i64)>,
    pub(crate) order: BTreeSet<(i64, String)>,
}

/// The organisation an emulator serves.
#[derive(Debug, Clone)]
pub struct Org {
    clock: i64,
    rng: Rng,
    next_id: u64,
    pub(crate) departments: BTreeMap<String, DepartmentRec>,
    pub(crate) positions: BTreeMap<String, String>,
    pub(crate) users: HashMap<String, UserRec>,
    /// `(updated_at, username)` of every user, tombstones included: the order of `user/list`.
    pub(crate) user_order: BTreeSet<(i64, String)>,
    pub(crate) groups: BTreeMap<String, String>,
    pub(crate) tags: BTreeMap<String, TagRec>,
    pub(crate) openids: BTreeMap<String, PlatformIds>,
    /// Identity → its attribute fields.
    pub(crate) identities: BTreeMap<String, Vec<FieldRec>>,
    /// Username → identity and attribute values.
    pub(crate) profiles: HashMap<String, ProfileRec>,
    /// Users generated with an invalid attribute value.
    invalid: BTreeSet<String>,
}

/// The first change time: 2025-11-13T00:00:00Z in milliseconds.
const EPOCH_MS: i64 = 1_763_000_000_000;

const ROLES: &[&str] = &[
    "Teacher",
    "Head of department",
    "Tutor",
    "Librarian",
    "Accountant",
    "Engineer",
    "Nurse",
    "Cook",
    "Security guard",
    "Counsellor",
    "Lab assistant",
    "Coach",
    "Administrator",
    "Researcher",
];

const GROUPS: &[&str] = &["Roles", "Committees", "Classes", "Duties"];

impl Org {
    /// Generates the organisation `spec` describes.
    pub fn generate(spec: &OrgSpec) -> Self {
        let mut org = Self {
            clock: EPOCH_MS,
            rng: Rng::new(spec.seed),
            next_id: 0,
            departments: BTreeMap::new(),
            positions: BTreeMap::new(),
            users: HashMap::with_capacity(spec.users),
            user_order: BTreeSet::new(),
            groups: BTreeMap::new(),
            tags: BTreeMap::new(),
            openids: spec
                .platforms
                .iter()
                .map(|p| (p.clone(), PlatformIds::default()))
                .collect(),
            identities: BTreeMap::new(),
            profiles: HashMap::with_capacity(spec.users),
            invalid: BTreeSet::new(),
        };
        org.generate_departments((spec.users / 40).clamp(4, 30_000));
        org.generate_positions((spec.users / 250).clamp(6, 400));
        org.generate_users(spec.users);
        org.generate_tags(spec);
        org.generate_openids(spec.openid_conflicts);
        org.generate_identities(spec.seed, spec.invalid_attributes);
        org
    }

    /// The next change time; strictly increasing.
    fn tick(&mut self) -> i64 {
        self.clock += 1;
        self.clock
    }

    fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    fn generate_departments(&mut self, count: usize) {
        self.departments.insert(
            "1".into(),
            DepartmentRec {
                name: "Organisation".into(),
                parent: None,
                order: 0,
            },
        );
        for number in 2..=count {
            let parent = 1 + self.rng.below(number - 1);
            let order = self.rng.below(1000) as i64;
            self.departments.insert(
                number.to_string(),
                DepartmentRec {
                    name: format!("Department {number}"),
                    parent: Some(parent.to_string()),
                    order,
                },
            );
        }
    }

    fn generate_positions(&mut self, count: usize) {
        for number in 0..count {
            let role = ROLES[number % ROLES.len()];
            let name = if number < ROLES.len() {
                role.to_owned()
            } else {
                format!("{role} {}", number / ROLES.len() + 1)
            };
            let id = self.fresh_id("pos-");
            self.positions.insert(id, name);
        }
    }

    fn random_department(&mut self) -> String {
        (1 + self.rng.below(self.departments.len())).to_string()
    }

    fn random_position(&mut self) -> Option<String> {
        let index = self.rng.below(self.positions.len());
        self.positions.keys().nth(index).cloned()
    }

    fn new_user_record(&mut self) -> UserRec {
        let mut departments = vec![self.random_department()];
        if self.rng.chance(10) {
            let second = self.random_department();
            if !departments.contains(&second) {
                departments.push(second);
            }
        }
        let mut seats = Vec::new();
        let holders = if self.rng.chance(5) { 2 } else { 1 };
        if self.rng.chance(88) {
            for _ in 0..holders {
                if let Some(position) = self.random_position() {
                    let department = departments[self.rng.below(departments.len())].clone();
                    if !seats.contains(&(position.clone(), department.clone())) {
                        seats.push((position, department));
                    }
                }
            }
        }
        let status = match self.rng.below(100) {
            0..=2 => status::DISABLED,
            3 => status::NOT_ACTIVATED,
            _ => status::ACTIVE,
        };
        UserRec {
            departments,
            seats,
            status,
            updated_at: self.tick(),
        }
    }

    fn generate_users(&mut self, count: usize) {
        for number in 1..=count {
            let username = format!("u{number:06}");
            let record = self.new_user_record();
            self.user_order
                .insert((record.updated_at, username.clone()));
            self.users.insert(username, record);
        }
    }

    fn live_usernames(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .users
            .iter()
            .filter(|(_, u)| u.status != status::LEFT)
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        names
    }

    fn random_rule(&mut self) -> RuleRec {
        let count = self.departments.len();
        let lower_half = count / 2;
        let mut departments = Vec::new();
        for _ in 0..1 + self.rng.below(2) {
            let number = 1 + lower_half + self.rng.below(count - lower_half);
            departments.push(number.to_string());
        }
        departments.sort();
        departments.dedup();
        let mut positions = Vec::new();
        if self.rng.chance(30)
            && let Some(position) = self.random_position()
        {
            positions.push(position);
        }
        RuleRec {
            departments,
            include_children: self.rng.chance(70),
            positions,
        }
    }

    fn generate_tags(&mut self, spec: &OrgSpec) {
        for (index, name) in GROUPS.iter().enumerate() {
            self.groups
                .insert(format!("g{}", index + 1), (*name).to_owned());
        }
        let usernames = self.live_usernames();
        let statics = spec.tags - spec.tags / 3;
        let mut first_static_name = None;
        for number in 1..=spec.tags {
            let id = format!("tag-{number}");
            let group = Some(format!("g{}", 1 + number % GROUPS.len()));
            let (name, kind) = if number <= statics {
                let share = 2 + self.rng.below(19);
                let mut members = BTreeSet::new();
                for _ in 0..(usernames.len() * share / 1000).max(1) {
                    if !usernames.is_empty() {
                        members.insert(usernames[self.rng.below(usernames.len())].clone());
                    }
                }
                let name = format!("Static tag {number}");
                first_static_name.get_or_insert_with(|| name.clone());
                (name, TagKindRec::Static(members))
            } else {
                let rule = self.random_rule();
                (format!("Dynamic tag {number}"), TagKindRec::Dynamic(rule))
            };
            let updated_at = self.tick();
            self.tags.insert(
                id,
                TagRec {
                    name,
                    group,
                    kind,
                    updated_at,
                },
            );
        }
        if spec.tag_name_conflict
            && let Some(name) = first_static_name
            && let Some(last_dynamic) = self
                .tags
                .values_mut()
                .filter(|t| matches!(t.kind, TagKindRec::Dynamic(_)))
                .last()
        {
            last_dynamic.name = name;
        }
    }

    fn random_openid(&mut self) -> String {
        format!("o{:016x}", self.rng.next_u64())
    }

    fn generate_openids(&mut self, conflicts: usize) {
        let usernames = self.live_usernames();
        let platforms: Vec<String> = self.openids.keys().cloned().collect();
        for platform in &platforms {
            for username in &usernames {
                let roll = self.rng.below(100);
                let count = match roll {
                    0..=4 => 0,
                    5..=7 => 2,
                    _ => 1,
                };
                let ids: Vec<String> = (0..count).map(|_| self.random_openid()).collect();
                if !ids.is_empty() {
                    let at = self.tick();
                    self.set_bindings(platform, username, ids, at);
                }
            }
            for _ in 0..conflicts {
                self.add_openid_conflict(platform);
            }
        }
    }

    fn set_bindings(&mut self, platform: &str, username: &str, ids: Vec<String>, at: i64) {
        let Some(bindings) = self.openids.get_mut(platform) else {
            return;
        };
        if let Some((_, old_at)) = bindings.by_user.get(username) {
            bindings.order.remove(&(*old_at, username.to_owned()));
        }
        bindings.order.insert((at, username.to_owned()));
        bindings.by_user.insert(username.to_owned(), (ids, at));
    }

    fn touch_user(&mut self, username: &str) {
        let at = self.tick();
        if let Some(user) = self.users.get_mut(username) {
            self.user_order
                .remove(&(user.updated_at, username.to_owned()));
            user.updated_at = at;
            self.user_order.insert((at, username.to_owned()));
        }
    }

    fn touch_tag(&mut self, id: &str) {
        let at = self.tick();
        if let Some(tag) = self.tags.get_mut(id) {
            tag.updated_at = at;
        }
    }

    /// Number of users that have not left.
    pub fn live_users(&self) -> usize {
        self.users
            .values()
            .filter(|u| u.status != status::LEFT)
            .count()
    }

    /// Number of OpenID bindings (user, OpenID) on `platform`, conflicting claims included.
    pub fn openid_bindings(&self, platform: &str) -> usize {
        self.openids
            .get(platform)
            .map_or(0, |p| p.by_user.values().map(|(ids, _)| ids.len()).sum())
    }

    /// Position ids, sorted.
    pub fn position_ids(&self) -> Vec<String> {
        self.positions.keys().cloned().collect()
    }

    /// Tag ids, sorted.
    pub fn tag_ids(&self) -> Vec<String> {
        self.tags.keys().cloned().collect()
    }

    /// Usernames of users that have not left, sorted.
    pub fn usernames(&self) -> Vec<String> {
        self.live_usernames()
    }

    /// Department ids, sorted as strings.
    pub fn department_ids(&self) -> Vec<String> {
        self.departments.keys().cloned().collect()
    }

    /// The name of position `id`.
    pub fn position_name(&self, id: &str) -> Option<&str> {
        self.positions.get(id).map(String::as_str)
    }

    /// Renames position `id`.
    pub fn rename_position(&mut self, id: &str, name: &str) {
        if let Some(current) = self.positions.get_mut(id) {
            name.clone_into(current);
        }
    }

    /// Stops listing position `id`; its holders lose it.
    pub fn remove_position(&mut self, id: &str) {
        if self.positions.remove(id).is_none() {
            return;
        }
        let holders: Vec<String> = self
            .users
            .iter()
            .filter(|(_, u)| u.seats.iter().any(|(p, _)| p == id))
            .map(|(name, _)| name.clone())
            .collect();
        for username in holders {
            if let Some(user) = self.users.get_mut(&username) {
                user.seats.retain(|(p, _)| p != id);
            }
            self.touch_user(&username);
        }
    }

    /// Lists position `id` (again) under `name`.
    pub fn restore_position(&mut self, id: &str, name: &str) {
        self.positions.insert(id.to_owned(), name.to_owned());
    }

    /// Adds a position; returns its id.
    pub fn add_position(&mut self, name: &str) -> String {
        let id = self.fresh_id("pos-");
        self.positions.insert(id.clone(), name.to_owned());
        id
    }

    /// Gives `username` position `position_id` in their first department.
    pub fn seat_user(&mut self, username: &str, position_id: &str) {
        let Some(user) = self.users.get_mut(username) else {
            return;
        };
        let Some(department) = user.departments.first().cloned() else {
            return;
        };
        let seat = (position_id.to_owned(), department);
        if !user.seats.contains(&seat) {
            user.seats.push(seat);
        }
        self.touch_user(username);
    }

    /// Moves department `id` under `parent`; refused (returns `false`) when `parent` is `id` or lies below it.
    pub fn move_department(&mut self, id: &str, parent: &str) -> bool {
        let mut cursor = Some(parent.to_owned());
        while let Some(current) = cursor {
            if current == id {
                return false;
            }
            cursor = self
                .departments
                .get(&current)
                .and_then(|d| d.parent.clone());
        }
        if !self.departments.contains_key(parent) {
            return false;
        }
        match self.departments.get_mut(id) {
            Some(department) => {
                department.parent = Some(parent.to_owned());
                true
            }
            None => false,
        }
    }

    /// Renames tag `id`.
    pub fn rename_tag(&mut self, id: &str, name: &str) {
        if let Some(tag) = self.tags.get_mut(id) {
            name.clone_into(&mut tag.name);
        }
        self.touch_tag(id);
    }

    /// Deletes tag `id`.
    pub fn remove_tag(&mut self, id: &str) {
        self.tags.remove(id);
    }

    /// Adds a static tag with `members`; returns its id.
    pub fn add_static_tag(
        &mut self,
        name: &str,
        group: Option<&str>,
        members: &[String],
    ) -> String {
        let id = self.fresh_id("tag-x");
        let updated_at = self.tick();
        self.tags.insert(
            id.clone(),
            TagRec {
                name: name.to_owned(),
                group: group.map(str::to_owned),
                kind: TagKindRec::Static(members.iter().cloned().collect()),
                updated_at,
            },
        );
        id
    }

    /// Adds a dynamic tag over `departments` (sub-departments included); returns its id.
    pub fn add_dynamic_tag(&mut self, name: &str, departments: &[String]) -> String {
        let id = self.fresh_id("tag-x");
        let updated_at = self.tick();
        self.tags.insert(
            id.clone(),
            TagRec {
                name: name.to_owned(),
                group: None,
                kind: TagKindRec::Dynamic(RuleRec {
                    departments: departments.to_vec(),
                    include_children: true,
                    positions: Vec::new(),
                }),
                updated_at,
            },
        );
        id
    }

    /// Adds `username` to static tag `id`.
    pub fn tag_user(&mut self, id: &str, username: &str) {
        if let Some(TagRec {
            kind: TagKindRec::Static(members),
            ..
        }) = self.tags.get_mut(id)
        {
            members.insert(username.to_owned());
        }
        self.touch_tag(id);
    }

    /// Adds an active user in `department` with one OpenID per platform; returns the username.
    pub fn add_user(&mut self, department: &str) -> String {
        let username = self.fresh_id("n");
        let mut record = self.new_user_record();
        record.departments = vec![department.to_owned()];
        for seat in &mut record.seats {
            department.clone_into(&mut seat.1);
        }
        record.status = status::ACTIVE;
        self.user_order
            .insert((record.updated_at, username.clone()));
        self.users.insert(username.clone(), record);
        let platforms: Vec<String> = self.openids.keys().cloned().collect();
        for platform in platforms {
            let openid = self.random_openid();
            let at = self.tick();
            self.set_bindings(&platform, &username, vec![openid], at);
        }
        username
    }

    /// `username` leaves: a tombstone in incremental listings, no OpenIDs, no static tags.
    pub fn remove_user(&mut self, username: &str) {
        let Some(user) = self.users.get_mut(username) else {
            return;
        };
        user.status = status::LEFT;
        user.seats.clear();
        self.touch_user(username);
        let platforms: Vec<String> = self.openids.keys().cloned().collect();
        for platform in platforms {
            if self
                .openids
                .get(&platform)
                .is_some_and(|p| p.by_user.contains_key(username))
            {
                let at = self.tick();
                self.set_bindings(&platform, username, Vec::new(), at);
            }
        }
        let tagged: Vec<String> = self
            .tags
            .iter()
            .filter(|(_, t)| matches!(&t.kind, TagKindRec::Static(m) if m.contains(username)))
            .map(|(id, _)| id.clone())
            .collect();
        for id in tagged {
            if let Some(TagRec {
                kind: TagKindRec::Static(members),
                ..
            }) = self.tags.get_mut(&id)
            {
                members.remove(username);
            }
            self.touch_tag(&id);
        }
    }

    /// Moves `username` to `department` (their seats follow).
    pub fn move_user(&mut self, username: &str, department: &str) {
        if let Some(user) = self.users.get_mut(username) {
            user.departments = vec![department.to_owned()];
            for seat in &mut user.seats {
                department.clone_into(&mut seat.1);
            }
        }
        self.touch_user(username);
    }

    /// Binds `openid` to `username` on `platform` too (a second claimant when another user has it).
    pub fn bind_openid(&mut self, platform: &str, username: &str, openid: &str) {
        let mut ids = self
            .openids
            .get(platform)
            .and_then(|p| p.by_user.get(username))
            .map(|(ids, _)| ids.clone())
            .unwrap_or_default();
        if !ids.iter().any(|id| id == openid) {
            ids.push(openid.to_owned());
        }
        let at = self.tick();
        self.set_bindings(platform, username, ids, at);
    }

    /// Replaces every OpenID of `username` on `platform` with one fresh OpenID.
    pub fn rotate_openid(&mut self, platform: &str, username: &str) {
        let openid = self.random_openid();
        let at = self.tick();
        self.set_bindings(platform, username, vec![openid], at);
    }

    /// Makes a second user claim an existing OpenID on `platform`.
    pub fn add_openid_conflict(&mut self, platform: &str) {
        let Some(bindings) = self.openids.get(platform) else {
            return;
        };
        let mut holders: Vec<(&String, &String)> = bindings
            .by_user
            .iter()
            .filter_map(|(user, (ids, _))| ids.first().map(|id| (user, id)))
            .collect();
        if holders.len() < 2 {
            return;
        }
        holders.sort();
        let first = self.rng.below(holders.len());
        let mut second = self.rng.below(holders.len());
        if second == first {
            second = (second + 1) % holders.len();
        }
        let openid = holders[first].1.clone();
        let claimant = holders[second].0.clone();
        self.bind_openid(platform, &claimant, &openid);
    }

    /// Changes the organisation the way a busy week would, `rounds` times: positions renamed, removed and
    /// added, tags renamed, removed and added, users added, removed and moved, OpenIDs rotated and a new
    /// OpenID conflict. The same `seed` gives the same changes.
    pub fn mutate(&mut self, seed: u64, rounds: usize) {
        let mut rng = Rng::new(seed);
        for round in 0..rounds {
            let positions = self.position_ids();
            if positions.len() > 2 {
                let renamed = &positions[rng.below(positions.len())];
                let name = format!("{} (renamed {round})", self.positions[renamed]);
                self.rename_position(renamed, &name);
                let removed = positions[rng.below(positions.len())].clone();
                if &removed != renamed {
                    self.remove_position(&removed);
                }
            }
            let added = self.add_position(&format!("New role {seed}-{round}"));
            let users = self.usernames();
            if users.len() > 10 {
                let holder = users[rng.below(users.len())].clone();
                self.seat_user(&holder, &added);
                for _ in 0..2 {
                    let leaving = users[rng.below(users.len())].clone();
                    self.remove_user(&leaving);
                }
                for _ in 0..3 {
                    let moving = users[rng.below(users.len())].clone();
                    let department = (1 + rng.below(self.departments.len())).to_string();
                    self.move_user(&moving, &department);
                }
                let platforms: Vec<String> = self.openids.keys().cloned().collect();
                for platform in &platforms {
                    let rotating = users[rng.below(users.len())].clone();
                    self.rotate_openid(platform, &rotating);
                    self.add_openid_conflict(platform);
                }
            }
            for _ in 0..2 {
                let department = (1 + rng.below(self.departments.len())).to_string();
                self.add_user(&department);
            }
            let tags = self.tag_ids();
            if tags.len() > 2 {
                let renamed = tags[rng.below(tags.len())].clone();
                self.rename_tag(&renamed, &format!("Renamed tag {seed}-{round}"));
                let removed = tags[rng.below(tags.len())].clone();
                if removed != renamed {
                    self.remove_tag(&removed);
                }
            }
            let count = self.departments.len();
            if count > 4 {
                let moved = (count / 2 + 1 + rng.below(count / 2)).to_string();
                let parent = (1 + rng.below(count / 2)).to_string();
                self.move_department(&moved, &parent);
            }
            let members: Vec<String> = self.usernames().into_iter().take(3).collect();
            self.add_static_tag(&format!("New tag {seed}-{round}"), Some("g1"), &members);
        }
    }
}
