//! The attributes part of [`OfficeflowJob`]: register the listed definitions, then plan and write the users'
//! values in batches, then move the watermark and the registry fingerprint.

use std::sync::Arc;

use crmsync_ports::{AttributeSource, AttributeStore, Progress};

use super::{plan_definitions, plan_users, registry_fingerprint};
use crate::officeflow::fetch;
use crate::officeflow::job::{OfficeflowJob, PartError, mode_label};
use crate::officeflow::part::SyncMode;
use crate::officeflow::report::{CONFLICTS_LISTED, PartReport};

/// Watermark of the users listing the attributes part read last.
pub const MARK_USERS_ATTRIBUTES: &str = "users:attributes";
/// Fingerprint of the definitions users were last validated against.
pub const MARK_ATTRIBUTES_REGISTRY: &str = "attributes:registry";

/// What the attributes part reads and writes.
#[derive(Clone)]
pub struct AttributeDeps {
    /// The platform's identities and users' values.
    pub source: Arc<dyn AttributeSource>,
    /// The registry and users' values.
    pub store: Arc<dyn AttributeStore>,
}

impl AttributeDeps {
    /// The same, with every write to the store carrying `fence`.
    pub fn fenced(&self, fence: u64) -> Self {
        Self {
            source: self.source.clone(),
            store: self.store.fenced(fence),
        }
    }
}

impl std::fmt::Debug for AttributeDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttributeDeps").finish_non_exhaustive()
    }
}

impl OfficeflowJob {
    pub(crate) async fn attributes(
        &self,
        report: &mut PartReport,
        mode: SyncMode,
        dry_run: bool,
        progress: &dyn Progress,
    ) -> Result<(), PartError> {
        let Some(deps) = self.attribute_deps() else {
            report.mode = mode_label(None);
            report
                .notes
                .push("no attribute store is configured: nothing to sync".into());
            return Ok(());
        };
        progress.message("reading attribute definitions");
        let listed = deps.source.attribute_definitions().await?;
        let stored = deps.store.registry().await?;
        let definitions = plan_definitions(listed, &stored);
        drop(stored);
        report.change("definitions.added", definitions.added.len());
        report.change("definitions.updated", definitions.updated.len());
        report.change("definitions.unlisted", definitions.unlisted.len());
        report
            .rejected
            .extend(definitions.rejected.iter().map(ToString::to_string));
        for definition in &definitions.added {
            report.notes.push(format!(
                "new attribute {}.{} ({}{})",
                definition.identity,
                definition.key,
                definition.kind.as_str(),
                if definition.required {
                    ", required"
                } else {
                    ""
                }
            ));
        }

        let fingerprint = registry_fingerprint(&definitions.registry);
        let registry_mark = self.store().sync_mark(MARK_ATTRIBUTES_REGISTRY).await?;
        let (mark, since) = self.since(MARK_USERS_ATTRIBUTES, mode).await?;
        let since = since.filter(|_| registry_mark == Some(fingerprint));
        report.mode = match (mode, mark, since) {
            (SyncMode::Incremental, Some(_), None) => {
                "full (the attribute definitions changed)".into()
            }
            _ => mode_label(since),
        };
        progress.message("reading users' attributes");
        let users = fetch::user_attributes(deps.source.as_ref(), since).await?;
        report.fetched = (definitions.registry.len() + users.len()) as u64;
        let seen = users.iter().map(|u| u.updated_at).max();

        let size = self.settings().batch_size.max(1);
        let usernames: Vec<String> = users.iter().map(|u| u.username.clone()).collect();
        let mut stored = Vec::new();
        for chunk in usernames.chunks(size) {
            stored.extend(deps.store.user_attributes(chunk).await?);
        }
        let everyone = match since {
            None => Some(deps.store.attribute_users().await?),
            Some(_) => None,
        };
        let plan = plan_users(users, &definitions.registry, &stored, everyone.as_deref());
        drop(stored);
        report.change("users.upserted", plan.upsert.len());
        report.change("users.removed", plan.remove.len());
        report.change("users.invalid", plan.invalid.len());
        report.note_count(plan.unchanged, "users' attributes unchanged");
        report.note_count(plan.duplicates, "users listed more than once (latest kept)");
        if !plan.reasons.is_empty() {
            let reasons: Vec<String> = plan
                .reasons
                .iter()
                .map(|(reason, count)| format!("{reason}={count}"))
                .collect();
            report.notes.push(format!(
                "invalid attribute values (those users keep what was stored): {}",
                reasons.join(", ")
            ));
        }
        report
            .rejected
            .extend(plan.rejected.iter().map(ToString::to_string));
        report.rejected.extend(
            plan.invalid
                .iter()
                .take(CONFLICTS_LISTED)
                .map(ToString::to_string),
        );
        if plan.invalid.len() > CONFLICTS_LISTED {
            report.notes.push(format!(
                "… and {} more users with invalid attribute values",
                plan.invalid.len() - CONFLICTS_LISTED
            ));
        }
        if dry_run {
            return Ok(());
        }

        let upsert = definitions.upsert();
        if !upsert.is_empty() || !definitions.unlisted.is_empty() {
            progress.message("registering attribute definitions");
            let now = chrono::Utc::now().timestamp_millis();
            report.writes += deps
                .store
                .write_definitions(&upsert, &definitions.unlisted, now)
                .await?;
        }
        progress.set_total((plan.remove.len() + plan.upsert.len()) as u64);
        progress.message("writing users' attributes");
        for chunk in plan.remove.chunks(size) {
            report.writes += deps.store.write_user_attributes(&[], chunk).await?;
            progress.advance(chunk.len() as u64);
        }
        for chunk in plan.upsert.chunks(size) {
            report.writes += deps.store.write_user_attributes(chunk, &[]).await?;
            progress.advance(chunk.len() as u64);
        }
        self.advance(MARK_USERS_ATTRIBUTES, mark, seen).await?;
        if registry_mark != Some(fingerprint) {
            self.store()
                .set_sync_mark(MARK_ATTRIBUTES_REGISTRY, fingerprint)
                .await?;
        }
        Ok(())
    }
}
