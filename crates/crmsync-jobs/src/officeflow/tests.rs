//! The job and the run around it, on in-memory stores and a fake platform: writes, no-op reruns, incremental
//! runs, batch order, watermarks after failures, the lock, interruption, retries, dry runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use crmsync_domain::ProcessStatus;
use crmsync_domain::org::{
    Department, OrgUser, RemotePosition, RemoteTag, Seat, Tag, TagGroup, TagKind, TagRule,
    UserOpenId, UserOpenIds, UserStatus,
};
use crmsync_ports::{
    LockLease, LockStore, MockOrgStore, NoProgress, OrgPage, OrgSource, OrgStore, ProcessFilter,
    ProcessStore, SourceError, StoreError,
};
use crmsync_store::memory::{MemoryLockStore, MemoryOrgStore, MemoryProcessStore};
use tokio::sync::{Notify, Semaphore};

use super::*;
use crate::shutdown::{self, Shutdown};
use crate::sweeper::RetryPolicy;
use crate::tracking::TrackOptions;

#[derive(Debug, Default)]
struct Fake {
    departments: Vec<Department>,
    users: Vec<OrgUser>,
    positions: Vec<RemotePosition>,
    groups: Vec<TagGroup>,
    tags: Vec<RemoteTag>,
    tag_members: HashMap<String, Vec<String>>,
    openids: HashMap<String, Vec<UserOpenIds>>,
    fail_users: u32,
    delay: Duration,
    calls: u64,
    /// Holds `departments` until a permit is added, after telling the test it got there.
    gate: Option<(Arc<Notify>, Arc<Semaphore>)>,
}

/// A platform held in memory, paging two records at a time.
#[derive(Debug, Clone, Default)]
struct FakeSource(Arc<Mutex<Fake>>);

impl FakeSource {
    fn with<R>(&self, change: impl FnOnce(&mut Fake) -> R) -> R {
        change(&mut self.0.lock().unwrap())
    }
}

fn page<T: Clone>(items: &[T], cursor: Option<String>) -> OrgPage<T> {
    let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
    let end = (start + 2).min(items.len());
    OrgPage {
        items: items[start.min(end)..end].to_vec(),
        next_cursor: (end < items.len()).then(|| end.to_string()),
    }
}

#[async_trait]
impl OrgSource for FakeSource {
    async fn departments(
        &self,
        cursor: Option<String>,
    ) -> Result<OrgPage<Department>, SourceError> {
        if let Some((entered, open)) = self.with(|f| f.gate.clone()) {
            entered.notify_one();
            let _permit = open.acquire().await.unwrap();
        }
        Ok(self.with(|f| {
            f.calls += 1;
            page(&f.departments, cursor)
        }))
    }

    async fn users(
        &self,
        since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<OrgUser>, SourceError> {
        let delay = self.with(|f| f.delay);
        tokio::time::sleep(delay).await;
        self.with(|f| {
            f.calls += 1;
            if f.fail_users > 0 {
                f.fail_users -= 1;
                return Err(SourceError::Unavailable {
                    attempts: 3,
                    reason: "busy".into(),
                });
            }
            let mut listed: Vec<OrgUser> = f
                .users
                .iter()
                .filter(|u| match since {
                    Some(since) => u.updated_at >= since,
                    None => u.status != UserStatus::Deleted,
                })
                .cloned()
                .collect();
            listed.sort_by_key(|u| (u.updated_at, u.username.clone()));
            Ok(page(&listed, cursor))
        })
    }

    async fn positions(
        &self,
        cursor: Option<String>,
    ) -> Result<OrgPage<RemotePosition>, SourceError> {
        Ok(self.with(|f| page(&f.positions, cursor)))
    }

    async fn tag_groups(&self) -> Result<Vec<TagGroup>, SourceError> {
        Ok(self.with(|f| f.groups.clone()))
    }

    async fn tags(&self, cursor: Option<String>) -> Result<OrgPage<RemoteTag>, SourceError> {
        Ok(self.with(|f| page(&f.tags, cursor)))
    }

    async fn tag_users(
        &self,
        tag_id: &str,
        cursor: Option<String>,
    ) -> Result<OrgPage<String>, SourceError> {
        self.with(|f| match f.tag_members.get(tag_id) {
            Some(members) => Ok(page(members, cursor)),
            None => Err(SourceError::NotFound {
                what: format!("tag {tag_id}"),
            }),
        })
    }

    async fn platforms(&self) -> Result<Vec<String>, SourceError> {
        Ok(self.with(|f| {
            let mut names: Vec<String> = f.openids.keys().cloned().collect();
            names.sort();
            names
        }))
    }

    async fn user_openids(
        &self,
        platform: &str,
        since: Option<i64>,
        cursor: Option<String>,
    ) -> Result<OrgPage<UserOpenIds>, SourceError> {
        Ok(self.with(|f| {
            let listed: Vec<UserOpenIds> = f
                .openids
                .get(platform)
                .map(|records| {
                    records
                        .iter()
                        .filter(|r| since.is_none_or(|s| r.updated_at >= s))
                        .filter(|r| since.is_some() || !r.openids.is_empty())
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            page(&listed, cursor)
        }))
    }
}

fn user(name: &str, department: &str, position: &str, updated_at: i64) -> OrgUser {
    OrgUser {
        username: name.into(),
        department_ids: vec![department.into()],
        seats: vec![Seat {
            position_id: position.into(),
            department_id: department.into(),
        }],
        status: UserStatus::Active,
        updated_at,
    }
}

fn openids(name: &str, ids: &[&str], updated_at: i64) -> UserOpenIds {
    UserOpenIds {
        username: name.into(),
        openids: ids.iter().map(|i| (*i).to_owned()).collect(),
        updated_at,
    }
}

fn organisation() -> FakeSource {
    let dept = |id: &str, parent: Option<&str>| Department {
        id: id.into(),
        name: format!("D{id}"),
        parent_id: parent.map(Into::into),
        order: 0,
        revoked_by: None,
    };
    let tag = |id: &str, name: &str, kind: TagKind| RemoteTag {
        tag: Tag {
            id: id.into(),
            group_id: Some("g1".into()),
            name: name.into(),
            kind,
        },
        updated_at: 10,
    };
    let fake = Fake {
        departments: vec![dept("1", None), dept("2", Some("1")), dept("3", Some("2"))],
        users: vec![
            user("ann", "2", "p1", 101),
            user("bob", "3", "p2", 102),
            user("cat", "1", "p1", 103),
            user("dan", "3", "p1", 104),
            user("eve", "2", "p2", 105),
        ],
        positions: vec![
            RemotePosition {
                id: "p1".into(),
                name: "Teacher".into(),
            },
            RemotePosition {
                id: "p2".into(),
                name: "Cook".into(),
            },
        ],
        groups: vec![TagGroup {
            id: "g1".into(),
            name: "Roles".into(),
        }],
        tags: vec![
            tag("t1", "Duty", TagKind::Static),
            tag(
                "t2",
                "Science",
                TagKind::Dynamic {
                    rule: TagRule {
                        department_ids: vec!["2".into()],
                        include_children: true,
                        position_ids: vec![],
                    },
                },
            ),
            tag(
                "t3",
                "duty",
                TagKind::Dynamic {
                    rule: TagRule {
                        department_ids: vec!["1".into()],
                        include_children: true,
                        position_ids: vec![],
                    },
                },
            ),
        ],
        tag_members: HashMap::from([(
            "t1".to_owned(),
            vec!["ann".to_owned(), "cat".to_owned(), "ann".to_owned()],
        )]),
        openids: HashMap::from([
            (
                "wecom".to_owned(),
                vec![
                    openids("ann", &["w-ann"], 201),
                    openids("bob", &["w-bob", "w-shared"], 202),
                    openids("cat", &["w-shared"], 203),
                ],
            ),
            ("dingtalk".to_owned(), vec![openids("ann", &["d-ann"], 301)]),
        ]),
        ..Fake::default()
    };
    FakeSource(Arc::new(Mutex::new(fake)))
}

struct World {
    source: FakeSource,
    store: MemoryOrgStore,
    processes: Arc<MemoryProcessStore>,
    locks: Arc<MemoryLockStore>,
}

impl World {
    fn new() -> Self {
        Self {
            source: organisation(),
            store: MemoryOrgStore::new(),
            processes: Arc::new(MemoryProcessStore::new()),
            locks: Arc::new(MemoryLockStore::new()),
        }
    }

    fn deps(&self, shutdown: Shutdown) -> SyncDeps {
        SyncDeps {
            source: Arc::new(self.source.clone()),
            store: Arc::new(self.store.clone()),
            processes: self.processes.clone(),
            locks: self.locks.clone(),
            settings: JobSettings {
                batch_size: 2,
                platforms: Vec::new(),
                ..JobSettings::default()
            },
            track: TrackOptions {
                heartbeat_every: Duration::from_millis(20),
                stale_after: Duration::from_secs(60),
            },
            flows: None,
            attributes: None,
            shutdown,
            progress: None,
        }
    }

    async fn run(&self, mode: SyncMode) -> SyncReport {
        sync(
            &self.deps(Shutdown::never()),
            &SyncRequest {
                parts: Part::ALL.to_vec(),
                mode,
                dry_run: false,
            },
            &lock(),
        )
        .await
        .unwrap()
    }
}

fn lock() -> LockSettings {
    LockSettings {
        ttl: Duration::from_secs(5),
        ..LockSettings::default()
    }
}

fn part(report: &SyncReport, part: Part) -> &PartReport {
    report.parts.iter().find(|p| p.part == part).unwrap()
}

#[tokio::test]
async fn a_first_run_fills_the_store_and_a_second_writes_nothing() {
    let world = World::new();
    let first = world.run(SyncMode::Incremental).await;
    assert!(first.succeeded(), "{first:#?}");
    let counts = world.store.counts().await.unwrap();
    assert_eq!(counts.departments, 3);
    assert_eq!(counts.positions, 2);
    assert_eq!(counts.position_members, 5);
    assert_eq!(
        counts.tags, 2,
        "the conflicting dynamic tag t3 is not synced"
    );
    assert_eq!(
        counts.tag_members,
        2 + 4,
        "t1 lists ann and cat; t2 covers departments 2 and 3"
    );
    assert_eq!(
        counts.user_openids,
        2 + 1,
        "w-shared has two claimants and is bound to nobody"
    );
    let tags = part(&first, Part::Tags);
    assert_eq!(tags.conflicts_total, 1);
    assert!(matches!(&tags.conflicts[0], Conflict::Tag(c) if c.dynamic_tags == ["t3"]));
    assert_eq!(part(&first, Part::Openids).conflicts_total, 1);
    assert!(first.writes > 0);
    for report in &first.parts {
        let id = report.process.unwrap();
        let entry = world.processes.get(id).await.unwrap().unwrap();
        assert_eq!(entry.status(), ProcessStatus::Completed, "{}", report.part);
        assert_eq!(entry.kind(), &report.part.kind());
    }

    for mode in [SyncMode::Incremental, SyncMode::Full] {
        let again = world.run(mode).await;
        assert_eq!(again.writes, 0, "{mode:?}: {again:#?}");
        if mode == SyncMode::Incremental {
            assert_eq!(part(&again, Part::Tags).mode, "incremental");
        }
        assert!(
            again.parts.iter().all(|p| p.changes.is_empty()),
            "{again:#?}"
        );
    }
    assert_eq!(world.store.counts().await.unwrap(), counts);
}

#[tokio::test]
async fn an_incremental_run_reads_only_what_changed_and_matches_a_full_run() {
    let world = World::new();
    world.run(SyncMode::Full).await;
    world.source.with(|f| {
        f.users[0] = OrgUser {
            status: UserStatus::Deleted,
            seats: vec![],
            ..user("ann", "2", "p1", 500)
        };
        f.users.push(user("fay", "3", "p2", 501));
        f.openids.get_mut("wecom").unwrap()[0] = openids("ann", &[], 502);
        f.positions[1].name = "Chef".into();
    });
    let incremental = world.run(SyncMode::Incremental).await;
    assert!(incremental.succeeded());
    let positions = part(&incremental, Part::Positions);
    assert_eq!(positions.mode, "incremental");
    assert_eq!(
        positions.fetched,
        2 + 3,
        "two positions, the two changed users and eve, read again at the inclusive watermark"
    );
    assert_eq!(positions.changes.get("positions.renamed"), Some(&1));
    assert_eq!(positions.changes.get("members.removed"), Some(&1));
    assert_eq!(positions.changes.get("members.added"), Some(&1));
    let members = world.store.position_members().await.unwrap();
    assert!(!members.iter().any(|m| m.username == "ann"));
    assert!(members.iter().any(|m| m.username == "fay"));
    assert!(
        !world
            .store
            .user_openids("wecom")
            .await
            .unwrap()
            .iter()
            .any(|b| b.username == "ann")
    );

    let full = world.run(SyncMode::Full).await;
    assert_eq!(full.writes, 0, "the incremental run converged: {full:#?}");
}

#[tokio::test]
async fn a_failed_part_keeps_its_watermark_and_is_retried_by_the_sweeper() {
    let world = World::new();
    world.source.with(|f| f.fail_users = 1);
    let report = world.run(SyncMode::Incremental).await;
    assert!(!report.succeeded());
    let failed = part(&report, Part::Positions);
    assert_eq!(failed.status, PartStatus::Failed);
    assert!(
        failed
            .error
            .as_deref()
            .unwrap_or("")
            .contains("unavailable")
    );
    assert_eq!(part(&report, Part::Tags).status, PartStatus::Completed);
    assert_eq!(
        world.store.sync_mark(MARK_USERS_POSITIONS).await.unwrap(),
        None
    );

    let policy = RetryPolicy {
        max_attempts: 3,
        base_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        stale_after: Duration::from_secs(60),
    };
    let retried = retry_failed(&world.deps(Shutdown::never()), policy, &lock())
        .await
        .unwrap();
    assert!(retried.succeeded(), "{retried:#?}");
    assert_eq!(retried.sweep.retried.len(), 1);
    assert_eq!(retried.sweep.retried[0].kind, Part::Positions.kind());
    assert_eq!(world.store.counts().await.unwrap().position_members, 5);
    assert_eq!(
        world.store.sync_mark(MARK_USERS_POSITIONS).await.unwrap(),
        Some(105)
    );
    let again = retry_failed(&world.deps(Shutdown::never()), policy, &lock())
        .await
        .unwrap();
    assert!(again.sweep.retried.is_empty(), "nothing left to retry");
}

#[tokio::test]
async fn a_retry_of_a_part_a_later_run_completed_does_nothing() {
    let world = World::new();
    world.source.with(|f| f.fail_users = 1);
    world.run(SyncMode::Incremental).await;
    world.run(SyncMode::Incremental).await;
    let policy = RetryPolicy {
        base_backoff: Duration::ZERO,
        ..RetryPolicy::default()
    };
    let calls_before = world.source.with(|f| f.calls);
    let retried = retry_failed(&world.deps(Shutdown::never()), policy, &lock())
        .await
        .unwrap();
    assert_eq!(retried.sweep.retried.len(), 1);
    assert_eq!(
        world.source.with(|f| f.calls),
        calls_before,
        "superseded: the platform was not read"
    );
}

#[tokio::test]
async fn a_second_run_is_told_who_holds_the_lock() {
    let world = World::new();
    let held = world
        .locks
        .try_acquire(LOCK_KEY, "cron-host:4242", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let error = sync(
        &world.deps(Shutdown::never()),
        &SyncRequest {
            parts: vec![Part::Positions],
            mode: SyncMode::Incremental,
            dry_run: false,
        },
        &lock(),
    )
    .await
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("already running by cron-host:4242"),
        "{error}"
    );
    assert!(
        world
            .processes
            .list(&ProcessFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    world.locks.release(&held).await.unwrap();
}

#[tokio::test]
async fn a_signal_interrupts_the_running_part_skips_the_rest_and_releases_the_lock() {
    let world = World::new();
    world.source.with(|f| f.delay = Duration::from_millis(300));
    let (trigger, shutdown) = shutdown::channel();
    let deps = world.deps(shutdown);
    let request = SyncRequest {
        parts: Part::ALL.to_vec(),
        mode: SyncMode::Full,
        dry_run: false,
    };
    let settings = lock();
    let run = sync(&deps, &request, &settings);
    let signal = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.trigger("SIGTERM");
    };
    let (report, ()) = tokio::join!(run, signal);
    let report = report.unwrap();
    let positions = part(&report, Part::Positions);
    assert_eq!(positions.status, PartStatus::Interrupted);
    assert_eq!(part(&report, Part::Tags).status, PartStatus::Skipped);
    assert_eq!(part(&report, Part::Openids).status, PartStatus::Skipped);
    let entry = world
        .processes
        .get(positions.process.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.status(), ProcessStatus::Failed, "retryable");
    assert!(world.locks.holder(LOCK_KEY).await.unwrap().is_none());
}

#[tokio::test]
async fn a_signal_while_waiting_for_the_lock_stops_the_wait() {
    let world = World::new();
    world
        .locks
        .try_acquire(LOCK_KEY, "other", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let (trigger, shutdown) = shutdown::channel();
    let waiting = LockSettings {
        wait: Some(Duration::from_secs(30)),
        poll_every: Duration::from_millis(10),
        ..lock()
    };
    trigger.trigger("SIGTERM");
    let error = sync(
        &world.deps(shutdown),
        &SyncRequest {
            parts: vec![Part::Departments],
            mode: SyncMode::Full,
            dry_run: false,
        },
        &waiting,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, SyncError::Interrupted(reason) if reason == "SIGTERM"));
}

#[tokio::test]
async fn a_dry_run_plans_without_lock_journal_or_writes() {
    let world = World::new();
    world
        .locks
        .try_acquire(LOCK_KEY, "other", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let report = sync(
        &world.deps(Shutdown::never()),
        &SyncRequest {
            parts: Part::ALL.to_vec(),
            mode: SyncMode::Incremental,
            dry_run: true,
        },
        &lock(),
    )
    .await
    .unwrap();
    assert!(report.parts.iter().all(|p| p.status == PartStatus::Planned));
    assert_eq!(report.writes, 0);
    assert_eq!(
        part(&report, Part::Positions).changes.get("members.added"),
        Some(&5),
        "members of new positions are planned too"
    );
    assert_eq!(
        world.store.counts().await.unwrap(),
        crmsync_ports::OrgCounts::default()
    );
    assert!(
        world
            .processes
            .list(&ProcessFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn openid_batches_remove_before_they_add_and_a_failed_batch_keeps_the_watermark() {
    let source = organisation();
    source.with(|f| {
        f.openids.remove("dingtalk");
        if let Some(wecom) = f.openids.get_mut("wecom") {
            wecom.push(openids("dan", &["w-dan"], 204));
        }
    });
    let mut store = MockOrgStore::new();
    store.expect_sync_mark().returning(|_| Ok(None));
    store.expect_user_openids().returning(|_| {
        Ok(vec![
            UserOpenId {
                platform: "wecom".into(),
                openid: "w-old".into(),
                username: "ann".into(),
            },
            UserOpenId {
                platform: "wecom".into(),
                openid: "w-gone".into(),
                username: "zed".into(),
            },
        ])
    });
    let order = Arc::new(Mutex::new(Vec::new()));
    let seen = order.clone();
    store
        .expect_write_user_openids()
        .returning(move |add, remove| {
            assert!(add.len() <= 2 && remove.len() <= 2, "batches of 2");
            let mut seen = seen.lock().unwrap();
            seen.push((add.len(), remove.len()));
            if seen.len() == 3 {
                return Err(crmsync_ports::StoreError::Invalid {
                    field: "test",
                    reason: "disk full".into(),
                });
            }
            Ok((add.len() + remove.len()) as u64)
        });
    store
        .expect_openid_conflict_claims()
        .returning(|_| Ok(Vec::new()));
    store.expect_set_sync_mark().never();
    let job = OfficeflowJob::new(
        Arc::new(source),
        Arc::new(store),
        JobSettings {
            batch_size: 2,
            platforms: Vec::new(),
            ..JobSettings::default()
        },
    );
    let error = job
        .run_part(Part::Openids, SyncMode::Incremental, false, &NoProgress)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("disk full"), "{error}");
    assert_eq!(
        *order.lock().unwrap(),
        vec![(0, 2), (2, 0), (1, 0)],
        "both removals first, then additions in batches"
    );
}

#[tokio::test]
async fn stats_cover_the_officeflow_parts_and_the_tables() {
    let world = World::new();
    world.run(SyncMode::Full).await;
    let stats = officeflow_stats(world.processes.as_ref(), &world.store, None, 100)
        .await
        .unwrap();
    assert_eq!(stats.parts.len(), Part::ALL.len());
    assert_eq!(stats.flows, None);
    assert!(stats.parts.iter().all(|k| k.by_status["completed"] == 1));
    assert_eq!(stats.counts.positions, 2);
}

/// A lock service that grants every caller a lease, fences 1, 2, …: two holders forced to overlap, as when a
/// paused holder's lease expired and a newer run took the lock.
#[derive(Debug, Default)]
struct OverlappingLocks(AtomicU64);

#[async_trait]
impl LockStore for OverlappingLocks {
    async fn try_acquire(
        &self,
        key: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<LockLease>, StoreError> {
        let fence = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Some(LockLease {
            key: key.to_owned(),
            token: fence.to_string(),
            owner: owner.to_owned(),
            fence,
            ttl,
        }))
    }

    async fn extend(&self, _: &LockLease, _: Duration) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn release(&self, _: &LockLease) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn holder(&self, _: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
}

#[tokio::test]
async fn an_older_holder_overlapping_a_newer_one_has_its_writes_refused_by_the_fence() {
    let world = World::new();
    let locks = Arc::new(OverlappingLocks::default());
    let (entered, open) = (Arc::new(Notify::new()), Arc::new(Semaphore::new(0)));
    let older_source = organisation();
    older_source.with(|f| {
        f.departments[0].name = "Renamed on the older holder's read".into();
        f.gate = Some((entered.clone(), open.clone()));
    });
    let mut older = world.deps(Shutdown::never());
    older.source = Arc::new(older_source);
    older.locks = locks.clone();
    let mut newer = world.deps(Shutdown::never());
    newer.locks = locks.clone();
    let request = SyncRequest {
        parts: vec![Part::Departments],
        mode: SyncMode::Full,
        dry_run: false,
    };

    let first = tokio::spawn({
        let request = request.clone();
        async move { sync(&older, &request, &lock()).await }
    });
    entered.notified().await;
    let second = sync(&newer, &request, &lock()).await.unwrap();
    assert_eq!(
        part(&second, Part::Departments).status,
        PartStatus::Completed
    );
    let written = world.store.departments().await.unwrap();
    assert_eq!(written[0].name, "D1");

    open.add_permits(1);
    let first = first.await.unwrap().unwrap();
    let refused = part(&first, Part::Departments);
    assert_eq!(refused.status, PartStatus::Failed);
    let error = refused.error.clone().unwrap();
    assert!(
        error.contains("fence 1") && error.contains("fence 2"),
        "{error}"
    );
    assert_eq!(
        world.store.departments().await.unwrap(),
        written,
        "the newer holder's rows stand"
    );
    let entry = world
        .processes
        .get(refused.process.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.status(), ProcessStatus::Failed);
    assert_eq!(entry.record().fence, Some(1));
}

/// Counts the renewals of the lease a run holds.
#[derive(Debug, Default)]
struct CountingLocks {
    inner: MemoryLockStore,
    acquired_ttl: Mutex<Vec<Duration>>,
    extended_ttl: Mutex<Vec<Duration>>,
}

#[async_trait]
impl LockStore for CountingLocks {
    async fn try_acquire(
        &self,
        key: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<LockLease>, StoreError> {
        self.acquired_ttl.lock().unwrap().push(ttl);
        self.inner.try_acquire(key, owner, ttl).await
    }

    async fn extend(&self, lease: &LockLease, ttl: Duration) -> Result<bool, StoreError> {
        self.extended_ttl.lock().unwrap().push(ttl);
        self.inner.extend(lease, ttl).await
    }

    async fn release(&self, lease: &LockLease) -> Result<bool, StoreError> {
        self.inner.release(lease).await
    }

    async fn holder(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.holder(key).await
    }
}

#[tokio::test(start_paused = true)]
async fn the_default_lease_is_two_minutes_renewed_every_third_of_it() {
    let world = World::new();
    world.source.with(|f| f.delay = Duration::from_secs(30));
    let locks = Arc::new(CountingLocks::default());
    let mut deps = world.deps(Shutdown::never());
    deps.locks = locks.clone();
    let report = sync(
        &deps,
        &SyncRequest {
            parts: vec![Part::Positions],
            mode: SyncMode::Full,
            dry_run: false,
        },
        &LockSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(part(&report, Part::Positions).status, PartStatus::Completed);
    let two_minutes = Duration::from_secs(120);
    assert_eq!(*locks.acquired_ttl.lock().unwrap(), vec![two_minutes]);
    assert_eq!(
        *locks.extended_ttl.lock().unwrap(),
        vec![two_minutes, two_minutes],
        "three pages of users at 30 s each: renewed at 40 s and 80 s"
    );
}
