//! `OfficeflowJob`: reads one part from the platform, plans it against the local copy and applies the plan in
//! batches, each batch one transaction; watermarks move only after a part wrote everything.

use std::collections::HashMap;
use std::sync::Arc;

use crmsync_domain::org::{Department, DepartmentTree, OrgUser, TreeError, check_platform};
use crmsync_ports::{OrgSource, OrgStore, Progress, SourceError, StoreError};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::attributes::AttributeDeps;
use super::departments::{DepartmentError, DepartmentRules, RuleEffect, RuleError};
use super::part::{Part, SyncMode};
use super::processes::FlowDeps;
use super::report::{Conflict, PartReport, PartStatus};
use super::scope::{Scope, latest_users};
use super::{departments, fetch, openids, positions, tags};

/// Watermark of the users listing the positions part read last.
pub const MARK_USERS_POSITIONS: &str = "users:positions";
/// Watermark of the users listing the tags part read last.
pub const MARK_USERS_TAGS: &str = "users:tags";
/// Watermark of the tag listing whose static members were read last.
pub const MARK_TAGS_STATIC: &str = "tags:static";
/// Fingerprint of the department tree dynamic tags were last expanded over.
pub const MARK_TAGS_TREE: &str = "tags:tree";
/// Prefix of the per-platform OpenID watermarks (`openids:wecom`).
pub const MARK_OPENIDS_PREFIX: &str = "openids:";

/// How many planned changes a report shows as samples.
const SAMPLES: usize = 5;

/// Settings every part shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSettings {
    /// Rows per write transaction.
    pub batch_size: usize,
    /// Platforms whose OpenIDs are synced; empty: every platform the office platform lists.
    pub platforms: Vec<String>,
    /// Rules the departments part applies to the listed tree, in order.
    #[serde(default)]
    pub department_rules: DepartmentRules,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            batch_size: 5_000,
            platforms: Vec::new(),
            department_rules: DepartmentRules::default(),
        }
    }
}

/// Why a part stopped.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    /// The platform could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The local copy could not be read or written.
    #[error("local store: {0}")]
    Store(#[from] StoreError),
    /// The departments do not form a tree.
    #[error("department tree: {0}")]
    Tree(#[from] TreeError),
    /// A department rule cannot be applied to the listed tree.
    #[error(transparent)]
    Rule(#[from] RuleError),
}

impl From<DepartmentError> for PartError {
    fn from(error: DepartmentError) -> Self {
        match error {
            DepartmentError::Tree(error) => Self::Tree(error),
            DepartmentError::Rule(error) => Self::Rule(error),
        }
    }
}

/// The settings a part's journal entry is recorded with (and retried from).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartSettings {
    /// The part.
    pub part: Part,
    /// Full or incremental.
    pub mode: SyncMode,
}

/// Syncs parts of the organisation from `source` into `store`.
pub struct OfficeflowJob {
    source: Arc<dyn OrgSource>,
    store: Arc<dyn OrgStore>,
    settings: JobSettings,
    flows: Option<FlowDeps>,
    attributes: Option<AttributeDeps>,
    users: Mutex<HashMap<Option<i64>, Arc<Vec<OrgUser>>>>,
}

impl std::fmt::Debug for OfficeflowJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficeflowJob")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Writes `$items` in batches of `$size`, each batch one awaited `$write` (one transaction); evaluates to the
/// rows changed, or returns the store's error. (A loop, not a closure: futures of async closures are not
/// `Send` for every lifetime, which the sweeper's jobs need.)
macro_rules! in_batches {
    ($items:expr, $size:expr, $progress:expr, |$chunk:ident| $write:expr) => {{
        let mut rows = 0u64;
        for $chunk in $items.chunks($size.max(1)) {
            rows += $write.await?;
            $progress.advance($chunk.len() as u64);
        }
        rows
    }};
}

fn sample<T>(report: &mut PartReport, label: &str, items: &[T], describe: impl Fn(&T) -> String) {
    for item in items.iter().take(SAMPLES) {
        report.notes.push(format!("{label} {}", describe(item)));
    }
    if items.len() > SAMPLES {
        report
            .notes
            .push(format!("{label} … and {} more", items.len() - SAMPLES));
    }
}

impl OfficeflowJob {
    /// A job reading `source` and writing `store`.
    pub fn new(
        source: Arc<dyn OrgSource>,
        store: Arc<dyn OrgStore>,
        settings: JobSettings,
    ) -> Self {
        Self {
            source,
            store,
            settings,
            flows: None,
            attributes: None,
            users: Mutex::new(HashMap::new()),
        }
    }

    /// The same job, also syncing the processes of `flows`' categories.
    #[must_use]
    pub fn with_flows(mut self, flows: Option<FlowDeps>) -> Self {
        self.flows = flows;
        self
    }

    /// The same job, also syncing identity attributes through `attributes`.
    #[must_use]
    pub fn with_attributes(mut self, attributes: Option<AttributeDeps>) -> Self {
        self.attributes = attributes;
        self
    }

    /// The attribute source and store, when configured.
    pub fn attribute_deps(&self) -> Option<&AttributeDeps> {
        self.attributes.as_ref()
    }

    /// The flow categories and store, when configured.
    pub fn flows(&self) -> Option<&FlowDeps> {
        self.flows.as_ref()
    }

    /// The shared settings.
    pub fn settings(&self) -> &JobSettings {
        &self.settings
    }

    /// The local store this job writes.
    pub fn store(&self) -> &Arc<dyn OrgStore> {
        &self.store
    }

    /// Reads, plans and (unless `dry_run`) writes one part.
    pub async fn run_part(
        &self,
        part: Part,
        mode: SyncMode,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<PartReport, PartError> {
        let status = if dry_run {
            PartStatus::Planned
        } else {
            PartStatus::Completed
        };
        let mut report = PartReport::new(part, status);
        match part {
            Part::Departments => self.departments(&mut report, dry_run, progress).await?,
            Part::Positions => self.positions(&mut report, mode, dry_run, progress).await?,
            Part::Tags => self.tags(&mut report, mode, dry_run, progress).await?,
            Part::Openids => self.openids(&mut report, mode, dry_run, progress).await?,
            Part::Attributes => {
                self.attributes(&mut report, mode, dry_run, progress)
                    .await?
            }
            Part::Processes => self.processes(&mut report, mode, dry_run, progress).await?,
        }
        Ok(report)
    }

    /// The stored watermark `key` and the `updated_since` to list with (none in a full run).
    pub(crate) async fn since(
        &self,
        key: &str,
        mode: SyncMode,
    ) -> Result<(Option<i64>, Option<i64>), StoreError> {
        let mark = self.store.sync_mark(key).await?;
        let since = match mode {
            SyncMode::Full => None,
            SyncMode::Incremental => mark,
        };
        Ok((mark, since))
    }

    /// Moves watermark `key` forward to the newest change seen; writes nothing when it would not move.
    pub(crate) async fn advance(
        &self,
        key: &str,
        stored: Option<i64>,
        seen: Option<i64>,
    ) -> Result<(), StoreError> {
        let next = stored.max(seen);
        match next {
            Some(value) if next != stored => self.store.set_sync_mark(key, value).await,
            _ => Ok(()),
        }
    }

    /// Users listed since `since` (all when `None`), read once per job and shared by the parts.
    async fn users(&self, since: Option<i64>) -> Result<Arc<Vec<OrgUser>>, SourceError> {
        let mut cache = self.users.lock().await;
        if let Some(users) = cache.get(&since) {
            return Ok(users.clone());
        }
        let users = Arc::new(latest_users(
            fetch::users(self.source.as_ref(), since).await?,
        ));
        cache.insert(since, users.clone());
        Ok(users)
    }

    async fn departments(
        &self,
        report: &mut PartReport,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<(), PartError> {
        report.mode = SyncMode::Full.as_str().into();
        progress.message("reading departments");
        let remote = fetch::departments(self.source.as_ref()).await?;
        report.fetched = remote.len() as u64;
        let stored = self.store.departments().await?;
        let plan = departments::plan_with_rules(remote, &stored, &self.settings.department_rules)?;
        report.change("departments.added", plan.add.len());
        report.change("departments.updated", plan.update.len());
        report.change("departments.removed", plan.remove.len());
        report.change("departments.revoked", plan.revoked.len());
        for effect in &plan.rules {
            report.notes.push(format!(
                "rule {:?}: {} ({} departments)",
                effect.rule, effect.effect, effect.departments
            ));
        }
        report.rejected = plan.rejected.iter().map(ToString::to_string).collect();
        report.note_count(
            plan.orphans.len() as u64,
            "departments whose parent is not listed (kept as roots)",
        );
        let describe = |d: &Department| format!("department {} {:?}", d.id, d.name);
        sample(report, "add", &plan.add, describe);
        sample(report, "update", &plan.update, describe);
        sample(report, "remove", &plan.remove, |id| {
            format!("department {id}")
        });
        if dry_run || plan.is_empty() {
            return Ok(());
        }
        let upsert: Vec<Department> = plan.add.into_iter().chain(plan.update).collect();
        progress.set_total((upsert.len() + plan.remove.len()) as u64);
        progress.message("writing departments");
        let size = self.settings.batch_size;
        report.writes += in_batches!(&upsert, size, progress, |chunk| self
            .store
            .write_departments(chunk, &[]));
        report.writes += in_batches!(&plan.remove, size, progress, |chunk| self
            .store
            .write_departments(&[], chunk));
        Ok(())
    }

    async fn positions(
        &self,
        report: &mut PartReport,
        mode: SyncMode,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<(), PartError> {
        let (mark, since) = self.since(MARK_USERS_POSITIONS, mode).await?;
        report.mode = mode_label(since);
        progress.message("reading positions");
        let remote = fetch::positions(self.source.as_ref()).await?;
        progress.message("reading users");
        let users = self.users(since).await?;
        report.fetched = (remote.len() + users.len()) as u64;

        let stored = self.store.positions().await?;
        let plan = positions::plan_positions(remote, &stored);
        let changes = &plan.changes;
        report.change("positions.added", changes.add.len());
        report.change("positions.renamed", changes.rename.len());
        report.change("positions.remapped", changes.remap.len());
        report.change("positions.enabled", changes.enable.len());
        report.change("positions.disabled", changes.disable.len());
        report.rejected = plan.rejected.iter().map(ToString::to_string).collect();
        report.note_count(plan.duplicates, "positions listed more than once");
        sample(report, "add", &changes.add, |p| {
            format!("position {} {:?}", p.id, p.name)
        });
        sample(report, "rename", &changes.rename, |r| {
            format!("position #{} to {:?}", r.position_id, r.name)
        });
        sample(report, "disable", &changes.disable, |id| {
            format!("position #{id}")
        });

        let mut local = plan.mapped.clone();
        if dry_run {
            for (index, added) in changes.add.iter().enumerate() {
                local.insert(added.id.clone(), -(index as i64) - 1);
            }
        } else if !changes.is_empty() {
            progress.message("writing positions");
            let written = self.store.write_positions(changes).await?;
            report.writes += written.rows;
            local.extend(written.added);
        }

        let stored_members = self.store.position_members().await?;
        let scope = Scope::of_listing(since, users.iter().map(|u| u.username.as_str()));
        let members = positions::plan_members(&users, &local, &stored_members, &scope);
        drop(stored_members);
        report.change("members.added", members.add.len());
        report.change("members.removed", members.remove.len());
        report.note_count(
            members.unknown_positions,
            "seats naming a position the platform does not list",
        );
        if dry_run {
            return Ok(());
        }
        progress.set_total((members.add.len() + members.remove.len()) as u64);
        progress.message("writing position members");
        let size = self.settings.batch_size;
        report.writes += in_batches!(&members.remove, size, progress, |chunk| self
            .store
            .write_position_members(&[], chunk));
        report.writes += in_batches!(&members.add, size, progress, |chunk| self
            .store
            .write_position_members(chunk, &[]));
        let seen = users.iter().map(|u| u.updated_at).max();
        self.advance(MARK_USERS_POSITIONS, mark, seen).await?;
        Ok(())
    }

    async fn tags(
        &self,
        report: &mut PartReport,
        mode: SyncMode,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<(), PartError> {
        let source = self.source.as_ref();
        progress.message("reading tags");
        let groups = source.tag_groups().await?;
        let remote_tags = fetch::tags(source).await?;
        let departments: Vec<Department> = fetch::departments(source)
            .await?
            .into_iter()
            .filter(|d| d.validate().is_ok())
            .collect();
        let tree = DepartmentTree::build(departments)?;
        let stored_groups = self.store.tag_groups().await?;
        let stored_tags = self.store.tags().await?;

        let (static_mark, static_since) = self.since(MARK_TAGS_STATIC, mode).await?;
        let to_read = tags::static_tags_to_read(&remote_tags, &stored_tags, static_since);
        let mut static_members = HashMap::with_capacity(to_read.len());
        progress.message("reading static tag members");
        for tag_id in to_read {
            match fetch::tag_users(source, &tag_id).await {
                Ok(members) => {
                    static_members.insert(tag_id, members);
                }
                Err(SourceError::NotFound { what }) => {
                    report
                        .notes
                        .push(format!("{what} was deleted while it was read"));
                }
                Err(error) => return Err(error.into()),
            }
        }

        let (users_mark, users_since) = self.since(MARK_USERS_TAGS, mode).await?;
        let tree_mark = self.store.sync_mark(MARK_TAGS_TREE).await?;
        let everyone = users_since.is_none()
            || tags::dynamic_needs_everyone(&remote_tags, &stored_tags, &tree, tree_mark);
        let users_since = if everyone { None } else { users_since };
        report.mode = match (mode, static_since, users_since) {
            (SyncMode::Full, _, _) | (_, None, None) => "full".into(),
            (_, Some(_), None) => "incremental (dynamic tags recomputed for every user)".into(),
            _ => "incremental".into(),
        };
        progress.message("reading users");
        let users = self.users(users_since).await?;
        let scope = Scope::of_listing(users_since, users.iter().map(|u| u.username.as_str()));
        report.fetched = (groups.len()
            + remote_tags.len()
            + tree.len()
            + users.len()
            + static_members.values().map(Vec::len).sum::<usize>()) as u64;

        let stored_members = self.store.tag_members().await?;
        let plan = tags::plan(
            tags::TagInputs {
                groups: &groups,
                tags: &remote_tags,
                static_members: &static_members,
                tree: &tree,
                users: &users,
                dynamic_scope: &scope,
            },
            tags::TagsStored {
                groups: &stored_groups,
                tags: &stored_tags,
                members: &stored_members,
            },
        );
        drop(stored_members);
        report.change("groups.upserted", plan.group_upsert.len());
        report.change("groups.removed", plan.group_remove.len());
        report.change("tags.upserted", plan.tag_upsert.len());
        report.change("tags.removed", plan.tag_remove.len());
        report.change("members.added", plan.member_add.len());
        report.change("members.removed", plan.member_remove.len());
        report.rejected = plan.rejected.iter().map(ToString::to_string).collect();
        report.note_count(plan.duplicates, "repeated groups, tags or members dropped");
        report.conflicts(plan.conflicts.iter().cloned().map(Conflict::Tag));
        sample(report, "upsert", &plan.tag_upsert, |t| {
            format!("{} tag {} {:?}", t.kind.as_str(), t.id, t.name)
        });
        sample(report, "remove", &plan.tag_remove, |id| format!("tag {id}"));
        if dry_run {
            return Ok(());
        }

        let size = self.settings.batch_size;
        progress.set_total(
            (plan.group_upsert.len()
                + plan.tag_upsert.len()
                + plan.member_add.len()
                + plan.member_remove.len()
                + plan.tag_remove.len()
                + plan.group_remove.len()) as u64,
        );
        progress.message("writing tags");
        report.writes += in_batches!(&plan.group_upsert, size, progress, |chunk| self
            .store
            .write_tag_groups(chunk, &[]));
        report.writes += in_batches!(&plan.tag_upsert, size, progress, |chunk| self
            .store
            .write_tags(chunk, &[]));
        report.writes += in_batches!(&plan.member_remove, size, progress, |chunk| self
            .store
            .write_tag_members(&[], chunk));
        report.writes += in_batches!(&plan.member_add, size, progress, |chunk| self
            .store
            .write_tag_members(chunk, &[]));
        report.writes += in_batches!(&plan.tag_remove, size, progress, |chunk| self
            .store
            .write_tags(&[], chunk));
        report.writes += in_batches!(&plan.group_remove, size, progress, |chunk| self
            .store
            .write_tag_groups(&[], chunk));

        let newest_tag = remote_tags.iter().map(|t| t.updated_at).max();
        self.advance(MARK_TAGS_STATIC, static_mark, newest_tag)
            .await?;
        let newest_user = users.iter().map(|u| u.updated_at).max();
        self.advance(MARK_USERS_TAGS, users_mark, newest_user)
            .await?;
        let fingerprint = tags::tree_fingerprint(&tree);
        if tree_mark != Some(fingerprint) {
            self.store
                .set_sync_mark(MARK_TAGS_TREE, fingerprint)
                .await?;
        }
        Ok(())
    }

    async fn openids(
        &self,
        report: &mut PartReport,
        mode: SyncMode,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<(), PartError> {
        let platforms = if self.settings.platforms.is_empty() {
            self.source.platforms().await?
        } else {
            self.settings.platforms.clone()
        };
        let mut modes = Vec::new();
        let mut total = 0;
        for platform in platforms {
            if let Err(error) = check_platform(&platform) {
                report.rejected.push(error.to_string());
                continue;
            }
            let key = format!("{MARK_OPENIDS_PREFIX}{platform}");
            let (mark, since) = self.since(&key, mode).await?;
            modes.push(format!("{platform}: {}", mode_label(since)));
            progress.message(&format!("reading {platform} OpenIDs"));
            let listed = fetch::openids(self.source.as_ref(), &platform, since).await?;
            report.fetched += listed.len() as u64;
            let seen = listed.iter().map(|r| r.updated_at).max();
            let stored = self.store.user_openids(&platform).await?;
            let losing = self.store.openid_conflict_claims(&platform).await?;
            let scope = Scope::of_listing(since, listed.iter().map(|r| r.username.as_str()));
            let plan = openids::plan(&platform, listed, &stored, &losing, &scope);
            drop(stored);
            report.change("openids.added", plan.add.len());
            report.change("openids.removed", plan.remove.len());
            report.change("losing_claims.added", plan.losing_add.len());
            report.change("losing_claims.removed", plan.losing_remove.len());
            report
                .rejected
                .extend(plan.rejected.iter().map(ToString::to_string));
            report.note_count(
                plan.duplicates,
                &format!("repeated {platform} OpenIDs dropped"),
            );
            report.conflicts(plan.conflicts.iter().cloned().map(Conflict::Openid));
            if dry_run {
                continue;
            }
            total += (plan.add.len()
                + plan.remove.len()
                + plan.losing_add.len()
                + plan.losing_remove.len()) as u64;
            progress.set_total(total);
            progress.message(&format!("writing {platform} OpenIDs"));
            let size = self.settings.batch_size;
            report.writes += in_batches!(&plan.remove, size, progress, |chunk| self
                .store
                .write_user_openids(&[], chunk));
            report.writes += in_batches!(&plan.add, size, progress, |chunk| self
                .store
                .write_user_openids(chunk, &[]));
            report.writes += in_batches!(&plan.losing_remove, size, progress, |chunk| self
                .store
                .write_openid_conflict_claims(&[], chunk));
            report.writes += in_batches!(&plan.losing_add, size, progress, |chunk| self
                .store
                .write_openid_conflict_claims(chunk, &[]));
            self.advance(&key, mark, seen).await?;
        }
        report.mode = modes.join(", ");
        Ok(())
    }
}

pub(crate) fn mode_label(since: Option<i64>) -> String {
    match since {
        None => SyncMode::Full.as_str().into(),
        Some(_) => SyncMode::Incremental.as_str().into(),
    }
}

/// Applies `rules` to the platform's current departments without writing anything: what each rule would do,
/// or the first rule that names an unknown department or makes a loop ([`PartError::Rule`]).
pub async fn check_department_rules(
    source: &dyn OrgSource,
    rules: &DepartmentRules,
) -> Result<Vec<RuleEffect>, PartError> {
    rules.check()?;
    let listed: Vec<Department> = fetch::departments(source)
        .await?
        .into_iter()
        .filter(|d| d.validate().is_ok())
        .collect();
    let tree = DepartmentTree::build(listed)?;
    Ok(rules.apply(tree.into_departments())?.effects)
}
