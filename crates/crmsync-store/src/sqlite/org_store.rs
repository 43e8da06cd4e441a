//! The organisation's local copy on SQLite; each batch is one transaction of prepared per-row statements.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::org::{
    Department, Position, PositionEvent, PositionEventKind, PositionMember, Tag, TagGroup,
    TagMember, UserOpenId,
};
use crmsync_ports::{OrgCounts, OrgStore, PositionChanges, PositionsWritten, StoreError};
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool, Transaction};

use super::{BACKEND, timestamp};
use crate::error::sql_error;
use crate::org::FENCE_SCOPE;
use crate::org_rows::{OpenIdTable, openids_from_rows, rule_column, tag_from_row};
use crate::sql::fence::Fence;

fn db(error: sqlx::Error) -> StoreError {
    sql_error(BACKEND, error)
}

type Tx = Transaction<'static, Sqlite>;

/// [`OrgStore`] on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteOrgStore {
    pool: SqlitePool,
    fence: Option<Fence>,
}

impl SqliteOrgStore {
    /// The organisation tables on `pool` (opened with [`super::open`]); writes carry no fence.
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool, fence: None }
    }

    /// A write transaction (holding SQLite's write lock), its fence checked and recorded first.
    async fn begin(&self) -> Result<Tx, StoreError> {
        let mut tx = super::begin_write(&self.pool).await?;
        if let Some(fence) = &self.fence {
            fence.check::<Sqlite>(&mut tx).await?;
        }
        Ok(tx)
    }
}

async fn commit(tx: Tx) -> Result<(), StoreError> {
    tx.commit().await.map_err(db)
}

async fn history(
    tx: &mut Tx,
    position_id: i64,
    remote_id: Option<&str>,
    kind: PositionEventKind,
    name: &str,
    at: &str,
) -> Result<u64, StoreError> {
    sqlx::query(
        "INSERT INTO officeflow_position_history (position_id, remote_id, event, name, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(position_id)
    .bind(remote_id)
    .bind(kind.as_str())
    .bind(name)
    .bind(at)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(1)
}

async fn map_remote_id(
    tx: &mut Tx,
    remote_id: &str,
    position_id: i64,
    at: &str,
) -> Result<u64, StoreError> {
    let result = sqlx::query(
        "INSERT INTO officeflow_position_remote_ids (remote_id, position_id, mapped_at) VALUES ($1, $2, $3) \
         ON CONFLICT (remote_id) DO UPDATE SET position_id = excluded.position_id, mapped_at = excluded.mapped_at \
         WHERE officeflow_position_remote_ids.position_id <> excluded.position_id",
    )
    .bind(remote_id)
    .bind(position_id)
    .bind(at)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(result.rows_affected())
}

async fn set_enabled(
    tx: &mut Tx,
    position_id: i64,
    enabled: bool,
    at: &str,
) -> Result<Option<String>, StoreError> {
    sqlx::query_scalar(
        "UPDATE officeflow_positions SET enabled = $2, updated_at = $3 \
         WHERE id = $1 AND enabled <> $2 RETURNING name",
    )
    .bind(position_id)
    .bind(enabled)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)
}

/// Runs `sql` once per row of `rows` in `tx`, binding what `bind` gives; returns the rows changed.
macro_rules! for_each_row {
    ($tx:expr, $sql:expr, $rows:expr, |$row:ident| $($value:expr),+) => {{
        let mut changed = 0u64;
        for $row in $rows {
            changed += sqlx::query($sql)
                $(.bind($value))+
                .execute(&mut *$tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        changed
    }};
}

fn count(value: i64) -> u64 {
    value.unsigned_abs()
}

impl SqliteOrgStore {
    async fn read_openids(
        &self,
        table: OpenIdTable,
        platform: &str,
    ) -> Result<Vec<UserOpenId>, StoreError> {
        let sql = format!(
            "SELECT openid, username FROM {} WHERE platform = $1 ORDER BY openid, username",
            table.name()
        );
        let rows: Vec<(String, String)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(platform)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        Ok(openids_from_rows(platform, rows))
    }

    /// Removes then adds `(platform, openid, username)` rows of `table` in one transaction.
    async fn write_openids(
        &self,
        table: OpenIdTable,
        add: &[UserOpenId],
        remove: &[UserOpenId],
    ) -> Result<u64, StoreError> {
        let name = table.name();
        let delete =
            format!("DELETE FROM {name} WHERE platform = $1 AND openid = $2 AND username = $3");
        let insert = format!(
            "INSERT OR IGNORE INTO {name} (platform, openid, username) VALUES ($1, $2, $3)"
        );
        let mut tx = self.begin().await?;
        let mut changed = 0u64;
        for (sql, rows) in [(&delete, remove), (&insert, add)] {
            for o in rows {
                changed += sqlx::query(AssertSqlSafe(sql.as_str()))
                    .bind(&o.platform)
                    .bind(&o.openid)
                    .bind(&o.username)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?
                    .rows_affected();
            }
        }
        commit(tx).await?;
        Ok(changed)
    }
}

#[async_trait]
impl OrgStore for SqliteOrgStore {
    fn fenced(&self, fence: u64) -> Arc<dyn OrgStore> {
        Arc::new(Self {
            pool: self.pool.clone(),
            fence: Some(Fence {
                scope: FENCE_SCOPE,
                fence,
            }),
        })
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let rows: Vec<(String, String, Option<String>, i64, Option<String>)> = sqlx::query_as(
            "SELECT id, name, parent_id, sort_order, revoked_by FROM officeflow_departments ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, parent_id, order, revoked_by)| Department {
                id,
                name,
                parent_id,
                order,
                revoked_by,
            })
            .collect())
    }

    async fn write_departments(
        &self,
        upsert: &[Department],
        remove: &[String],
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let mut changed = for_each_row!(
            tx,
            "INSERT INTO officeflow_departments (id, name, parent_id, sort_order, revoked_by) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id, \
             sort_order = excluded.sort_order, revoked_by = excluded.revoked_by \
             WHERE officeflow_departments.name IS NOT excluded.name \
                OR officeflow_departments.parent_id IS NOT excluded.parent_id \
                OR officeflow_departments.sort_order IS NOT excluded.sort_order \
                OR officeflow_departments.revoked_by IS NOT excluded.revoked_by",
            upsert,
            |d| &d.id,
            &d.name,
            &d.parent_id,
            d.order,
            &d.revoked_by
        );
        changed += for_each_row!(
            tx,
            "DELETE FROM officeflow_departments WHERE id = $1",
            remove,
            |id| id
        );
        commit(tx).await?;
        Ok(changed)
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        let positions: Vec<(i64, String, bool)> =
            sqlx::query_as("SELECT id, name, enabled FROM officeflow_positions ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        let remote_ids: Vec<(i64, String)> = sqlx::query_as(
            "SELECT position_id, remote_id FROM officeflow_position_remote_ids \
             ORDER BY position_id, mapped_at, remote_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut by_position: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::new();
        for (position_id, remote_id) in remote_ids {
            by_position.entry(position_id).or_default().push(remote_id);
        }
        Ok(positions
            .into_iter()
            .map(|(id, name, enabled)| Position {
                id,
                name,
                enabled,
                remote_ids: by_position.remove(&id).unwrap_or_default(),
            })
            .collect())
    }

    async fn write_positions(
        &self,
        changes: &PositionChanges,
    ) -> Result<PositionsWritten, StoreError> {
        let now = timestamp(Utc::now());
        let mut tx = self.begin().await?;
        let mut written = PositionsWritten::default();
        for new in &changes.add {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO officeflow_positions (name, enabled, created_at, updated_at) \
                 VALUES ($1, 1, $2, $2) RETURNING id",
            )
            .bind(&new.name)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            written.rows += 1;
            written.rows += map_remote_id(&mut tx, &new.id, id, &now).await?;
            written.rows += history(
                &mut tx,
                id,
                Some(&new.id),
                PositionEventKind::Added,
                &new.name,
                &now,
            )
            .await?;
            written.added.push((new.id.clone(), id));
        }
        for remap in &changes.remap {
            let mapped = map_remote_id(&mut tx, &remap.remote_id, remap.position_id, &now).await?;
            if mapped > 0 {
                let name: String =
                    sqlx::query_scalar("SELECT name FROM officeflow_positions WHERE id = $1")
                        .bind(remap.position_id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?;
                written.rows += mapped
                    + history(
                        &mut tx,
                        remap.position_id,
                        Some(&remap.remote_id),
                        PositionEventKind::Remapped,
                        &name,
                        &now,
                    )
                    .await?;
            }
        }
        for rename in &changes.rename {
            let renamed = sqlx::query(
                "UPDATE officeflow_positions SET name = $2, updated_at = $3 WHERE id = $1 AND name <> $2",
            )
            .bind(rename.position_id)
            .bind(&rename.name)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
            if renamed > 0 {
                written.rows += renamed
                    + history(
                        &mut tx,
                        rename.position_id,
                        None,
                        PositionEventKind::Renamed,
                        &rename.name,
                        &now,
                    )
                    .await?;
            }
        }
        for (ids, enabled, kind) in [
            (&changes.enable, true, PositionEventKind::Enabled),
            (&changes.disable, false, PositionEventKind::Disabled),
        ] {
            for id in ids {
                if let Some(name) = set_enabled(&mut tx, *id, enabled, &now).await? {
                    written.rows += 1 + history(&mut tx, *id, None, kind, &name, &now).await?;
                }
            }
        }
        commit(tx).await?;
        Ok(written)
    }

    async fn position_history(&self, position_id: i64) -> Result<Vec<PositionEvent>, StoreError> {
        let rows: Vec<(Option<String>, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT remote_id, event, name, at FROM officeflow_position_history \
             WHERE position_id = $1 ORDER BY id",
        )
        .bind(position_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|(remote_id, event, name, at)| {
                let kind = PositionEventKind::parse(&event).ok_or_else(|| StoreError::Corrupt {
                    what: "position history event",
                    reason: format!("unknown event {event:?}"),
                })?;
                Ok(PositionEvent {
                    position_id,
                    remote_id,
                    kind,
                    name,
                    at,
                })
            })
            .collect()
    }

    async fn position_members(&self) -> Result<Vec<PositionMember>, StoreError> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT position_id, department_id, username FROM officeflow_position_members \
             ORDER BY position_id, department_id, username",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(position_id, department_id, username)| PositionMember {
                position_id,
                department_id,
                username,
            })
            .collect())
    }

    async fn write_position_members(
        &self,
        add: &[PositionMember],
        remove: &[PositionMember],
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let mut changed = for_each_row!(
            tx,
            "DELETE FROM officeflow_position_members \
             WHERE position_id = $1 AND department_id = $2 AND username = $3",
            remove,
            |m| m.position_id,
            &m.department_id,
            &m.username
        );
        changed += for_each_row!(
            tx,
            "INSERT OR IGNORE INTO officeflow_position_members (position_id, department_id, username) \
             VALUES ($1, $2, $3)",
            add,
            |m| m.position_id,
            &m.department_id,
            &m.username
        );
        commit(tx).await?;
        Ok(changed)
    }

    async fn tag_groups(&self) -> Result<Vec<TagGroup>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM officeflow_tag_groups ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| TagGroup { id, name })
            .collect())
    }

    async fn write_tag_groups(
        &self,
        upsert: &[TagGroup],
        remove: &[String],
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let mut changed = for_each_row!(
            tx,
            "INSERT INTO officeflow_tag_groups (id, name) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name \
             WHERE officeflow_tag_groups.name <> excluded.name",
            upsert,
            |g| &g.id,
            &g.name
        );
        changed += for_each_row!(
            tx,
            "DELETE FROM officeflow_tag_groups WHERE id = $1",
            remove,
            |id| id
        );
        commit(tx).await?;
        Ok(changed)
    }

    async fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        let rows: Vec<(String, Option<String>, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, group_id, name, kind, rule FROM officeflow_tags ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|(id, group_id, name, kind, rule)| tag_from_row(id, group_id, name, &kind, rule))
            .collect()
    }

    async fn write_tags(&self, upsert: &[Tag], remove: &[String]) -> Result<u64, StoreError> {
        let rows: Vec<(&Tag, Option<String>)> = upsert
            .iter()
            .map(|tag| rule_column(&tag.kind).map(|rule| (tag, rule)))
            .collect::<Result<_, _>>()?;
        let mut tx = self.begin().await?;
        let mut changed = for_each_row!(
            tx,
            "DELETE FROM officeflow_tags WHERE id = $1",
            remove,
            |id| id
        );
        changed += for_each_row!(
            tx,
            "INSERT INTO officeflow_tags (id, group_id, name, kind, rule) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET group_id = excluded.group_id, name = excluded.name, \
             kind = excluded.kind, rule = excluded.rule \
             WHERE officeflow_tags.group_id IS NOT excluded.group_id \
                OR officeflow_tags.name IS NOT excluded.name \
                OR officeflow_tags.kind IS NOT excluded.kind \
                OR officeflow_tags.rule IS NOT excluded.rule",
            &rows,
            |row| &row.0.id,
            &row.0.group_id,
            &row.0.name,
            row.0.kind.as_str(),
            &row.1
        );
        commit(tx).await?;
        Ok(changed)
    }

    async fn tag_members(&self) -> Result<Vec<TagMember>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT tag_id, username FROM officeflow_tag_members ORDER BY tag_id, username",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(tag_id, username)| TagMember { tag_id, username })
            .collect())
    }

    async fn write_tag_members(
        &self,
        add: &[TagMember],
        remove: &[TagMember],
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let mut changed = for_each_row!(
            tx,
            "DELETE FROM officeflow_tag_members WHERE tag_id = $1 AND username = $2",
            remove,
            |m| &m.tag_id,
            &m.username
        );
        changed += for_each_row!(
            tx,
            "INSERT OR IGNORE INTO officeflow_tag_members (tag_id, username) VALUES ($1, $2)",
            add,
            |m| &m.tag_id,
            &m.username
        );
        commit(tx).await?;
        Ok(changed)
    }

    async fn user_openids(&self, platform: &str) -> Result<Vec<UserOpenId>, StoreError> {
        self.read_openids(OpenIdTable::Bound, platform).await
    }

    async fn write_user_openids(
        &self,
        add: &[UserOpenId],
        remove: &[UserOpenId],
    ) -> Result<u64, StoreError> {
        self.write_openids(OpenIdTable::Bound, add, remove).await
    }

    async fn openid_conflict_claims(&self, platform: &str) -> Result<Vec<UserOpenId>, StoreError> {
        self.read_openids(OpenIdTable::ConflictClaims, platform)
            .await
    }

    async fn write_openid_conflict_claims(
        &self,
        add: &[UserOpenId],
        remove: &[UserOpenId],
    ) -> Result<u64, StoreError> {
        self.write_openids(OpenIdTable::ConflictClaims, add, remove)
            .await
    }

    async fn sync_mark(&self, key: &str) -> Result<Option<i64>, StoreError> {
        sqlx::query_scalar("SELECT value FROM officeflow_sync_marks WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn set_sync_mark(&self, key: &str, value: i64) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO officeflow_sync_marks (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(timestamp(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        commit(tx).await
    }

    async fn counts(&self) -> Result<OrgCounts, StoreError> {
        let row: (i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM officeflow_departments), \
                    (SELECT COUNT(*) FROM officeflow_positions), \
                    (SELECT COUNT(*) FROM officeflow_positions WHERE enabled = 1), \
                    (SELECT COUNT(*) FROM officeflow_position_members), \
                    (SELECT COUNT(*) FROM officeflow_tag_groups), \
                    (SELECT COUNT(*) FROM officeflow_tags), \
                    (SELECT COUNT(*) FROM officeflow_tag_members), \
                    (SELECT COUNT(*) FROM officeflow_user_openids)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        let conflicts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM officeflow_openid_conflicts")
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        Ok(OrgCounts {
            departments: count(row.0),
            positions: count(row.1),
            positions_enabled: count(row.2),
            position_members: count(row.3),
            tag_groups: count(row.4),
            tags: count(row.5),
            tag_members: count(row.6),
            user_openids: count(row.7),
            openid_conflict_claims: count(conflicts),
        })
    }
}
