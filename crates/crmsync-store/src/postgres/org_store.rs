//! The organisation's local copy on PostgreSQL; batches are written with `UNNEST` arrays in one transaction.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crmsync_domain::org::{
    Department, Position, PositionEvent, PositionEventKind, PositionMember, Tag, TagGroup,
    TagMember, UserOpenId,
};
use crmsync_ports::{OrgCounts, OrgStore, PositionChanges, PositionsWritten, StoreError};
use sqlx::{AssertSqlSafe, PgPool, Postgres, Transaction};

use super::BACKEND;
use crate::error::sql_error;
use crate::org::FENCE_SCOPE;
use crate::org_rows::{OpenIdTable, openids_from_rows, rule_column, tag_from_row};
use crate::sql::fence::Fence;

fn db(error: sqlx::Error) -> StoreError {
    sql_error(BACKEND, error)
}

/// [`OrgStore`] on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgOrgStore {
    pool: PgPool,
    fence: Option<Fence>,
}

impl PgOrgStore {
    /// The organisation tables on `pool` (migrated with [`super::migrate`]); writes carry no fence.
    pub fn new(pool: PgPool) -> Self {
        Self { pool, fence: None }
    }

    /// A write transaction, its fence checked and recorded first.
    async fn begin(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        if let Some(fence) = &self.fence {
            fence.check::<Postgres>(&mut tx).await?;
        }
        Ok(tx)
    }
}

async fn commit(tx: Transaction<'static, Postgres>) -> Result<(), StoreError> {
    tx.commit().await.map_err(db)
}

async fn history(
    tx: &mut Transaction<'static, Postgres>,
    position_id: i64,
    remote_id: Option<&str>,
    kind: PositionEventKind,
    name: &str,
    at: DateTime<Utc>,
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
    tx: &mut Transaction<'static, Postgres>,
    remote_id: &str,
    position_id: i64,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let result = sqlx::query(
        "INSERT INTO officeflow_position_remote_ids (remote_id, position_id, mapped_at) \
         VALUES ($1, $2, $3) \
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

/// Sets `enabled` of a position if it differs; returns the name when it changed.
async fn set_enabled(
    tx: &mut Transaction<'static, Postgres>,
    position_id: i64,
    enabled: bool,
    at: DateTime<Utc>,
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

fn columns<T, A, B, C>(rows: &[T], split: impl Fn(&T) -> (A, B, C)) -> (Vec<A>, Vec<B>, Vec<C>) {
    let mut a = Vec::with_capacity(rows.len());
    let mut b = Vec::with_capacity(rows.len());
    let mut c = Vec::with_capacity(rows.len());
    for row in rows {
        let (x, y, z) = split(row);
        a.push(x);
        b.push(y);
        c.push(z);
    }
    (a, b, c)
}

fn count(value: i64) -> u64 {
    value.unsigned_abs()
}

impl PgOrgStore {
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

    /// Removes then adds `(platform, openid, username)` rows of `table` in one transaction, each in one statement.
    async fn write_openids(
        &self,
        table: OpenIdTable,
        add: &[UserOpenId],
        remove: &[UserOpenId],
    ) -> Result<u64, StoreError> {
        let split = |o: &UserOpenId| (o.platform.clone(), o.openid.clone(), o.username.clone());
        let name = table.name();
        let mut tx = self.begin().await?;
        let mut changed = 0;
        if !remove.is_empty() {
            let (platforms, openids, users) = columns(remove, split);
            let sql = format!(
                "DELETE FROM {name} o USING UNNEST($1::text[], $2::text[], $3::text[]) AS r(p, i, u) \
                 WHERE o.platform = r.p AND o.openid = r.i AND o.username = r.u"
            );
            changed += sqlx::query(AssertSqlSafe(sql))
                .bind(platforms)
                .bind(openids)
                .bind(users)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        if !add.is_empty() {
            let (platforms, openids, users) = columns(add, split);
            let sql = format!(
                "INSERT INTO {name} (platform, openid, username) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING"
            );
            changed += sqlx::query(AssertSqlSafe(sql))
                .bind(platforms)
                .bind(openids)
                .bind(users)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        commit(tx).await?;
        Ok(changed)
    }
}

#[async_trait]
impl OrgStore for PgOrgStore {
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
        let mut changed = 0;
        if !upsert.is_empty() {
            let ids: Vec<&str> = upsert.iter().map(|d| d.id.as_str()).collect();
            let names: Vec<&str> = upsert.iter().map(|d| d.name.as_str()).collect();
            let parents: Vec<Option<&str>> =
                upsert.iter().map(|d| d.parent_id.as_deref()).collect();
            let orders: Vec<i64> = upsert.iter().map(|d| d.order).collect();
            let revoked: Vec<Option<&str>> =
                upsert.iter().map(|d| d.revoked_by.as_deref()).collect();
            changed += sqlx::query(
                "INSERT INTO officeflow_departments (id, name, parent_id, sort_order, revoked_by) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[]) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id, \
                 sort_order = excluded.sort_order, revoked_by = excluded.revoked_by \
                 WHERE (officeflow_departments.name, officeflow_departments.parent_id, officeflow_departments.sort_order, \
                 officeflow_departments.revoked_by) \
                 IS DISTINCT FROM (excluded.name, excluded.parent_id, excluded.sort_order, excluded.revoked_by)",
            )
            .bind(ids)
            .bind(names)
            .bind(parents)
            .bind(orders)
            .bind(revoked)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
        if !remove.is_empty() {
            changed += sqlx::query("DELETE FROM officeflow_departments WHERE id = ANY($1)")
                .bind(remove)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        commit(tx).await?;
        Ok(changed)
    }

    async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        let rows: Vec<(i64, String, bool, Vec<String>)> = sqlx::query_as(
            "SELECT p.id, p.name, p.enabled, \
                    COALESCE(array_agg(r.remote_id ORDER BY r.mapped_at, r.remote_id) \
                             FILTER (WHERE r.remote_id IS NOT NULL), '{}') \
             FROM officeflow_positions p \
             LEFT JOIN officeflow_position_remote_ids r ON r.position_id = p.id \
             GROUP BY p.id ORDER BY p.id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, enabled, remote_ids)| Position {
                id,
                name,
                enabled,
                remote_ids,
            })
            .collect())
    }

    async fn write_positions(
        &self,
        changes: &PositionChanges,
    ) -> Result<PositionsWritten, StoreError> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let mut written = PositionsWritten::default();
        for new in &changes.add {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO officeflow_positions (name, enabled, created_at, updated_at) \
                 VALUES ($1, TRUE, $2, $2) RETURNING id",
            )
            .bind(&new.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            written.rows += 1;
            written.rows += map_remote_id(&mut tx, &new.id, id, now).await?;
            written.rows += history(
                &mut tx,
                id,
                Some(&new.id),
                PositionEventKind::Added,
                &new.name,
                now,
            )
            .await?;
            written.added.push((new.id.clone(), id));
        }
        for remap in &changes.remap {
            let mapped = map_remote_id(&mut tx, &remap.remote_id, remap.position_id, now).await?;
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
                        now,
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
            .bind(now)
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
                        now,
                    )
                    .await?;
            }
        }
        for (ids, enabled, kind) in [
            (&changes.enable, true, PositionEventKind::Enabled),
            (&changes.disable, false, PositionEventKind::Disabled),
        ] {
            for id in ids {
                if let Some(name) = set_enabled(&mut tx, *id, enabled, now).await? {
                    written.rows += 1 + history(&mut tx, *id, None, kind, &name, now).await?;
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
        let split =
            |m: &PositionMember| (m.position_id, m.department_id.clone(), m.username.clone());
        let mut tx = self.begin().await?;
        let mut changed = 0;
        if !remove.is_empty() {
            let (positions, departments, users) = columns(remove, split);
            changed += sqlx::query(
                "DELETE FROM officeflow_position_members m \
                 USING UNNEST($1::int8[], $2::text[], $3::text[]) AS r(p, d, u) \
                 WHERE m.position_id = r.p AND m.department_id = r.d AND m.username = r.u",
            )
            .bind(positions)
            .bind(departments)
            .bind(users)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
        if !add.is_empty() {
            let (positions, departments, users) = columns(add, split);
            changed += sqlx::query(
                "INSERT INTO officeflow_position_members (position_id, department_id, username) \
                 SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
            )
            .bind(positions)
            .bind(departments)
            .bind(users)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
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
        let mut changed = 0;
        if !upsert.is_empty() {
            let ids: Vec<&str> = upsert.iter().map(|g| g.id.as_str()).collect();
            let names: Vec<&str> = upsert.iter().map(|g| g.name.as_str()).collect();
            changed += sqlx::query(
                "INSERT INTO officeflow_tag_groups (id, name) SELECT * FROM UNNEST($1::text[], $2::text[]) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name \
                 WHERE officeflow_tag_groups.name <> excluded.name",
            )
            .bind(ids)
            .bind(names)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
        if !remove.is_empty() {
            changed += sqlx::query("DELETE FROM officeflow_tag_groups WHERE id = ANY($1)")
                .bind(remove)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        commit(tx).await?;
        Ok(changed)
    }

    async fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        let rows: Vec<(String, Option<String>, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, group_id, name, kind, rule::text FROM officeflow_tags ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|(id, group_id, name, kind, rule)| tag_from_row(id, group_id, name, &kind, rule))
            .collect()
    }

    async fn write_tags(&self, upsert: &[Tag], remove: &[String]) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let mut changed = 0;
        if !remove.is_empty() {
            changed += sqlx::query("DELETE FROM officeflow_tags WHERE id = ANY($1)")
                .bind(remove)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        if !upsert.is_empty() {
            let ids: Vec<&str> = upsert.iter().map(|t| t.id.as_str()).collect();
            let groups: Vec<Option<&str>> = upsert.iter().map(|t| t.group_id.as_deref()).collect();
            let names: Vec<&str> = upsert.iter().map(|t| t.name.as_str()).collect();
            let kinds: Vec<&str> = upsert.iter().map(|t| t.kind.as_str()).collect();
            let rules: Vec<Option<String>> = upsert
                .iter()
                .map(|t| rule_column(&t.kind))
                .collect::<Result<_, _>>()?;
            changed += sqlx::query(
                "INSERT INTO officeflow_tags (id, group_id, name, kind, rule) \
                 SELECT i, g, n, k, r::jsonb FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
                 AS t(i, g, n, k, r) \
                 ON CONFLICT (id) DO UPDATE SET group_id = excluded.group_id, name = excluded.name, \
                 kind = excluded.kind, rule = excluded.rule \
                 WHERE (officeflow_tags.group_id, officeflow_tags.name, officeflow_tags.kind, officeflow_tags.rule) \
                 IS DISTINCT FROM (excluded.group_id, excluded.name, excluded.kind, excluded.rule)",
            )
            .bind(ids)
            .bind(groups)
            .bind(names)
            .bind(kinds)
            .bind(rules)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
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
        let mut changed = 0;
        if !remove.is_empty() {
            let tags: Vec<&str> = remove.iter().map(|m| m.tag_id.as_str()).collect();
            let users: Vec<&str> = remove.iter().map(|m| m.username.as_str()).collect();
            changed += sqlx::query(
                "DELETE FROM officeflow_tag_members m USING UNNEST($1::text[], $2::text[]) AS r(t, u) \
                 WHERE m.tag_id = r.t AND m.username = r.u",
            )
            .bind(tags)
            .bind(users)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
        if !add.is_empty() {
            let tags: Vec<&str> = add.iter().map(|m| m.tag_id.as_str()).collect();
            let users: Vec<&str> = add.iter().map(|m| m.username.as_str()).collect();
            changed += sqlx::query(
                "INSERT INTO officeflow_tag_members (tag_id, username) \
                 SELECT * FROM UNNEST($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
            )
            .bind(tags)
            .bind(users)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
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
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        commit(tx).await
    }

    async fn counts(&self) -> Result<OrgCounts, StoreError> {
        let row: (i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM officeflow_departments), \
                    (SELECT COUNT(*) FROM officeflow_positions), \
                    (SELECT COUNT(*) FROM officeflow_positions WHERE enabled), \
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
