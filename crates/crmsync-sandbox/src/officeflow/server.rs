//! The loopback HTTP server speaking `docs/officeflow-api.md`: token, listings, limits and injected faults,
//! served by the shared [`crate::server`] behind the shared layers every emulator uses: request statistics
//! ([`crate::stats`]), the rate limiter ([`crate::ratelimit`]) and transport faults ([`crate::faults`]).

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::ratelimit::{LimitResponder, RateLimitConfig, RateLimiter};
use crate::stats::{RequestStats, current_request_number};

use super::faults::{ApiFault, ApiFaultInjector, NoApiFaults};
use super::flows::Flows;
use super::org::{Org, TagKindRec, status};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

/// `errcode` values the emulator answers with.
mod code {
    pub(super) const INVALID_SECRET: i64 = 40_001;
    pub(super) const INVALID_TOKEN: i64 = 40_014;
    pub(super) const INVALID_PARAMETER: i64 = 40_058;
    pub(super) const UNKNOWN_TAG: i64 = 40_068;
    pub(super) const TOKEN_EXPIRED: i64 = 42_001;
    pub(super) const RATE_LIMITED: i64 = 45_009;
}

/// Credentials and limits of an emulated app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// The app key clients must send.
    pub app_key: String,
    /// The app secret clients must send.
    pub app_secret: String,
    /// Life of an access token.
    pub token_ttl: Duration,
    /// Requests per second before `45009`.
    pub rate_limit_per_s: u32,
    /// Added to every answer (to make runs slow enough to overlap in lock tests).
    pub latency: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            app_key: "sandbox-app".into(),
            app_secret: "sandbox-secret".into(),
            token_ttl: Duration::from_secs(7200),
            rate_limit_per_s: 50,
            latency: Duration::ZERO,
        }
    }
}

/// What every handler shares.
pub(super) struct Shared {
    pub(super) org: Mutex<Org>,
    pub(super) flows: Mutex<Flows>,
    config: EmulatorConfig,
    latency_ms: AtomicU64,
    tokens: Mutex<HashMap<String, Instant>>,
    faults: Mutex<Arc<dyn ApiFaultInjector>>,
    stats: Arc<RequestStats>,
}

/// Officeflow's answers to a throttled client (`45009`) and to a blocked one (`48002`, never with the
/// emulator's limits, which block no one).
struct OfficeflowLimits;

impl LimitResponder for OfficeflowLimits {
    fn too_many(&self, _retry_after: Duration) -> Response {
        error(code::RATE_LIMITED)
    }

    fn blocked(&self) -> Response {
        error(48_002)
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running Officeflow emulator on `127.0.0.1`; stops when dropped.
pub struct OfficeflowEmulator {
    base_url: String,
    shared: Arc<Shared>,
    transport_faults: Arc<crate::faults::FaultInjector>,
    server: crate::ServerHandle,
}

impl std::fmt::Debug for OfficeflowEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficeflowEmulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl OfficeflowEmulator {
    /// Serves `org` on a free port of `127.0.0.1`.
    pub async fn start(org: Org, config: EmulatorConfig) -> Result<Self, crate::SandboxError> {
        Self::start_on(crate::server::loopback_any_port(), org, config).await
    }

    /// Serves `org` on `addr` (port 0 picks a free port).
    pub async fn start_on(
        addr: std::net::SocketAddr,
        org: Org,
        config: EmulatorConfig,
    ) -> Result<Self, crate::SandboxError> {
        let listener = crate::server::bind(addr).await?;
        let flows = Flows::new(0, org.usernames());
        let shared = Arc::new(Shared {
            org: Mutex::new(org),
            flows: Mutex::new(flows),
            latency_ms: AtomicU64::new(config.latency.as_millis() as u64),
            config,
            tokens: Mutex::new(HashMap::new()),
            faults: Mutex::new(Arc::new(NoApiFaults)),
            stats: Arc::new(RequestStats::new()),
        });
        let transport_faults = Arc::new(crate::faults::FaultInjector::new(
            crate::faults::FaultPlan::none(),
        ));
        let limiter = Arc::new(RateLimiter::new(Some(RateLimitConfig {
            max_requests: shared.config.rate_limit_per_s,
            window: Duration::from_secs(1),
            block_after_violations: 0,
            violation_window: Duration::from_secs(1),
        })));
        let app = transport_faults.layer(router(shared.clone()));
        let app = shared
            .stats
            .layer(limiter.layer(app, Arc::new(OfficeflowLimits)));
        let server = crate::server::serve(app, listener)?;
        Ok(Self {
            base_url: format!("{}/api/v1", server.base_url()),
            shared,
            transport_faults,
            server,
        })
    }

    /// Sets the shared transport faults (500/502/504, slow answers, hangs, dropped connections), per route
    /// (`GET /api/v1/user/list`) or for all, reproducible from the plan's seed.
    pub fn set_transport_faults(&self, plan: crate::faults::FaultPlan) {
        self.transport_faults.set_plan(plan);
    }

    /// How many transport faults were injected, per route.
    pub fn transport_fault_counts(
        &self,
    ) -> std::collections::BTreeMap<String, crate::faults::FaultCounts> {
        self.transport_faults.counts()
    }

    /// The API root clients use, e.g. `http://127.0.0.1:41234/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The app key clients must send.
    pub fn app_key(&self) -> &str {
        &self.shared.config.app_key
    }

    /// The app secret clients must send.
    pub fn app_secret(&self) -> &str {
        &self.shared.config.app_secret
    }

    /// Reads or changes the organisation between (or during) runs.
    pub fn with_org<R>(&self, change: impl FnOnce(&mut Org) -> R) -> R {
        change(&mut lock(&self.shared.org))
    }

    /// Reads or changes the process engine (instances, tasks, events) between (or during) runs.
    pub fn with_flows<R>(&self, change: impl FnOnce(&mut Flows) -> R) -> R {
        change(&mut lock(&self.shared.flows))
    }

    /// Replaces the fault injector.
    pub fn set_faults(&self, faults: impl ApiFaultInjector + 'static) {
        *lock(&self.shared.faults) = Arc::new(faults);
    }

    /// Sets the delay added to every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.shared
            .latency_ms
            .store(latency.as_millis() as u64, Ordering::Relaxed);
    }

    /// Requests received so far, every endpoint and every fault included.
    pub fn requests(&self) -> u64 {
        self.shared.stats.received()
    }

    /// Invalidates every token handed out (clients get `42001` next).
    pub fn expire_tokens(&self) {
        lock(&self.shared.tokens).clear();
    }
}

impl Drop for OfficeflowEmulator {
    fn drop(&mut self) {
        let _ = self.server.stopper().send(true);
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/token", post(token))
        .route("/api/v1/department/list", get(departments))
        .route("/api/v1/user/list", get(users))
        .route("/api/v1/position/list", get(positions))
        .route("/api/v1/tag/group/list", get(tag_groups))
        .route("/api/v1/tag/list", get(tags))
        .route("/api/v1/tag/users", get(tag_users))
        .route("/api/v1/platform/list", get(platforms))
        .route("/api/v1/openid/list", get(openids))
        .merge(super::flow_routes::routes())
        .merge(super::identity_routes::routes())
        .with_state(shared)
}

#[derive(Serialize)]
struct Envelope<T: Serialize> {
    errcode: i64,
    errmsg: &'static str,
    #[serde(flatten)]
    body: T,
}

pub(super) fn json<T: Serialize>(body: T) -> Response {
    match serde_json::to_vec(&Envelope {
        errcode: 0,
        errmsg: "ok",
        body,
    }) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub(super) fn error(errcode: i64) -> Response {
    let errmsg = match errcode {
        -1 => "system busy",
        code::INVALID_SECRET => "invalid app key or app secret",
        code::INVALID_TOKEN => "invalid access_token",
        code::INVALID_PARAMETER => "invalid parameter",
        code::UNKNOWN_TAG => "invalid tagid",
        code::TOKEN_EXPIRED => "access_token expired",
        code::RATE_LIMITED => "api freq out of limit",
        48_002 => "api forbidden",
        60_020 => "not allow to access from your ip",
        _ => "error",
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!(r#"{{"errcode":{errcode},"errmsg":"{errmsg}"}}"#),
    )
        .into_response()
}

/// Latency, faults and (for every endpoint but `token`) the bearer token; the rate limit is the shared
/// [`RateLimiter`] in front of every route.
pub(super) async fn admit(
    shared: &Shared,
    endpoint: &str,
    headers: Option<&HeaderMap>,
) -> Result<(), Response> {
    let number = current_request_number().unwrap_or(0);
    let latency = shared.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let injector = lock(&shared.faults).clone();
    match injector.on_request(endpoint, number) {
        Some(ApiFault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(ApiFault::ErrCode(errcode)) => return Err(error(errcode)),
        Some(ApiFault::Http(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            return Err((status, [(header::RETRY_AFTER, "0")], "upstream failure").into_response());
        }
        Some(ApiFault::ExpireToken) => {
            if let Some(token) = headers.and_then(bearer) {
                lock(&shared.tokens).remove(&token);
                return Err(error(code::TOKEN_EXPIRED));
            }
        }
        None => {}
    }
    if let Some(headers) = headers {
        let Some(token) = bearer(headers) else {
            return Err(error(code::INVALID_TOKEN));
        };
        match lock(&shared.tokens).get(&token) {
            None => return Err(error(code::INVALID_TOKEN)),
            Some(expires) if *expires <= Instant::now() => return Err(error(code::TOKEN_EXPIRED)),
            Some(_) => {}
        }
    }
    Ok(())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

#[derive(Deserialize)]
struct TokenRequest {
    app_key: String,
    app_secret: String,
}

#[derive(Serialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

async fn token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Err(response) = admit(&shared, "token", None).await {
        return response;
    }
    let Ok(request) = serde_json::from_slice::<TokenRequest>(&body) else {
        return error(code::INVALID_PARAMETER);
    };
    if request.app_key != shared.config.app_key || request.app_secret != shared.config.app_secret {
        return error(code::INVALID_SECRET);
    }
    let access_token = uuid::Uuid::new_v4().simple().to_string();
    lock(&shared.tokens).insert(
        access_token.clone(),
        Instant::now() + shared.config.token_ttl,
    );
    json(TokenAnswer {
        access_token,
        expires_in: shared.config.token_ttl.as_secs(),
    })
}

pub(super) type Params = Query<HashMap<String, String>>;

/// `limit` (default 1000, 1 to 10 000), `cursor` and `updated_since` of a listing.
pub(super) struct Listing<'a> {
    pub(super) limit: usize,
    pub(super) cursor: Option<&'a str>,
    pub(super) since: Option<i64>,
}

/// Admits a listing request (auth, rate, faults) and parses its parameters; the refusal is the response.
pub(super) async fn admit_listing<'a>(
    shared: &Shared,
    endpoint: &str,
    headers: &HeaderMap,
    params: &'a HashMap<String, String>,
) -> Result<Listing<'a>, Response> {
    admit(shared, endpoint, Some(headers)).await?;
    listing(params).map_err(error)
}

/// The listing parameters, or the `errcode` that refuses them.
fn listing(params: &HashMap<String, String>) -> Result<Listing<'_>, i64> {
    let limit = match params.get("limit") {
        None => 1000,
        Some(raw) => match raw.parse::<usize>() {
            Ok(limit @ 1..=10_000) => limit,
            _ => return Err(code::INVALID_PARAMETER),
        },
    };
    let since = params
        .get("updated_since")
        .map(|raw| raw.parse::<i64>().map_err(|_| code::INVALID_PARAMETER))
        .transpose()?;
    Ok(Listing {
        limit,
        cursor: params
            .get("cursor")
            .map(String::as_str)
            .filter(|c| !c.is_empty()),
        since,
    })
}

/// Up to `limit` items of `keys` after `cursor`, with the cursor of the next page if there is one.
fn page_by_key<'a, V>(
    map: &'a std::collections::BTreeMap<String, V>,
    limit: usize,
    cursor: Option<&str>,
) -> (Vec<(&'a String, &'a V)>, String) {
    let start = cursor.map_or(Bound::Unbounded, |c| Bound::Excluded(c.to_owned()));
    let mut items: Vec<(&String, &V)> = map
        .range::<String, _>((start, Bound::Unbounded))
        .take(limit + 1)
        .collect();
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|(k, _)| (*k).clone()).unwrap_or_default()
    } else {
        String::new()
    };
    (items, next)
}

/// Keyset position `(updated_at, username)` from a cursor `"{updated_at}:{username}"`.
pub(super) fn change_cursor(
    cursor: Option<&str>,
    since: Option<i64>,
) -> Result<Bound<(i64, String)>, i64> {
    let after = match cursor {
        Some(raw) => {
            let (at, name) = raw.split_once(':').ok_or(code::INVALID_PARAMETER)?;
            let at = at.parse::<i64>().map_err(|_| code::INVALID_PARAMETER)?;
            Some((at, name.to_owned()))
        }
        None => None,
    };
    Ok(match (after, since) {
        (Some(after), Some(since)) if after.0 < since => Bound::Included((since, String::new())),
        (Some(after), _) => Bound::Excluded(after),
        (None, Some(since)) => Bound::Included((since, String::new())),
        (None, None) => Bound::Unbounded,
    })
}

#[derive(Serialize)]
struct DepartmentOut<'a> {
    id: &'a str,
    name: &'a str,
    parentid: Option<&'a str>,
    order: i64,
}

#[derive(Serialize)]
struct DepartmentPage<'a> {
    department: Vec<DepartmentOut<'a>>,
    next_cursor: String,
}

async fn departments(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing { limit, cursor, .. } =
        match admit_listing(&shared, "department/list", &headers, &params).await {
            Ok(listing) => listing,
            Err(response) => return response,
        };
    let org = lock(&shared.org);
    let (items, next_cursor) = page_by_key(&org.departments, limit, cursor);
    json(DepartmentPage {
        department: items
            .into_iter()
            .map(|(id, d)| DepartmentOut {
                id,
                name: &d.name,
                parentid: d.parent.as_deref(),
                order: d.order,
            })
            .collect(),
        next_cursor,
    })
}

#[derive(Serialize)]
struct SeatOut<'a> {
    position_id: &'a str,
    department_id: &'a str,
}

#[derive(Serialize)]
struct UserOut<'a> {
    userid: &'a str,
    department: &'a [String],
    positions: Vec<SeatOut<'a>>,
    status: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<&'a serde_json::Map<String, serde_json::Value>>,
    updated_at: i64,
}

#[derive(Serialize)]
struct UserPage<'a> {
    users: Vec<UserOut<'a>>,
    next_cursor: String,
}

async fn users(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing {
        limit,
        cursor,
        since,
    } = match admit_listing(&shared, "user/list", &headers, &params).await {
        Ok(listing) => listing,
        Err(response) => return response,
    };
    let start = match change_cursor(cursor, since) {
        Ok(start) => start,
        Err(errcode) => return error(errcode),
    };
    let org = lock(&shared.org);
    let mut items = Vec::new();
    let mut next_cursor = String::new();
    for (_, name) in org.user_order.range((start, Bound::Unbounded)) {
        let Some(user) = org.users.get(name) else {
            continue;
        };
        if since.is_none() && user.status == status::LEFT {
            continue;
        }
        if items.len() == limit {
            if let Some(last) = items.last() {
                let last: &UserOut<'_> = last;
                next_cursor = format!("{}:{}", last.updated_at, last.userid);
            }
            break;
        }
        let profile = org.profiles.get(name.as_str());
        items.push(UserOut {
            userid: name,
            department: &user.departments,
            positions: user
                .seats
                .iter()
                .map(|(p, d)| SeatOut {
                    position_id: p,
                    department_id: d,
                })
                .collect(),
            status: user.status,
            identity: profile.map(|p| p.identity.as_str()),
            attributes: profile.map(|p| &p.attributes),
            updated_at: user.updated_at,
        });
    }
    json(UserPage {
        users: items,
        next_cursor,
    })
}

#[derive(Serialize)]
struct PositionOut<'a> {
    position_id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct PositionPage<'a> {
    positions: Vec<PositionOut<'a>>,
    next_cursor: String,
}

async fn positions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing { limit, cursor, .. } =
        match admit_listing(&shared, "position/list", &headers, &params).await {
            Ok(listing) => listing,
            Err(response) => return response,
        };
    let org = lock(&shared.org);
    let (items, next_cursor) = page_by_key(&org.positions, limit, cursor);
    json(PositionPage {
        positions: items
            .into_iter()
            .map(|(id, name)| PositionOut {
                position_id: id,
                name,
            })
            .collect(),
        next_cursor,
    })
}

#[derive(Serialize)]
struct GroupOut<'a> {
    group_id: &'a str,
    group_name: &'a str,
}

#[derive(Serialize)]
struct GroupList<'a> {
    groups: Vec<GroupOut<'a>>,
}

async fn tag_groups(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(response) = admit(&shared, "tag/group/list", Some(&headers)).await {
        return response;
    }
    let org = lock(&shared.org);
    json(GroupList {
        groups: org
            .groups
            .iter()
            .map(|(id, name)| GroupOut {
                group_id: id,
                group_name: name,
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct RuleOut<'a> {
    department_ids: &'a [String],
    include_children: bool,
    position_ids: &'a [String],
}

#[derive(Serialize)]
struct TagOut<'a> {
    tagid: &'a str,
    tagname: &'a str,
    group_id: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
    rule: Option<RuleOut<'a>>,
    updated_at: i64,
}

#[derive(Serialize)]
struct TagPage<'a> {
    taglist: Vec<TagOut<'a>>,
    next_cursor: String,
}

async fn tags(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing { limit, cursor, .. } =
        match admit_listing(&shared, "tag/list", &headers, &params).await {
            Ok(listing) => listing,
            Err(response) => return response,
        };
    let org = lock(&shared.org);
    let (items, next_cursor) = page_by_key(&org.tags, limit, cursor);
    json(TagPage {
        taglist: items
            .into_iter()
            .map(|(id, tag)| {
                let (kind, rule) = match &tag.kind {
                    TagKindRec::Static(_) => ("static", None),
                    TagKindRec::Dynamic(rule) => (
                        "dynamic",
                        Some(RuleOut {
                            department_ids: &rule.departments,
                            include_children: rule.include_children,
                            position_ids: &rule.positions,
                        }),
                    ),
                };
                TagOut {
                    tagid: id,
                    tagname: &tag.name,
                    group_id: tag.group.as_deref(),
                    kind,
                    rule,
                    updated_at: tag.updated_at,
                }
            })
            .collect(),
        next_cursor,
    })
}

#[derive(Serialize)]
struct TagUserOut<'a> {
    userid: &'a str,
}

#[derive(Serialize)]
struct TagUserPage<'a> {
    userlist: Vec<TagUserOut<'a>>,
    next_cursor: String,
}

async fn tag_users(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing { limit, cursor, .. } =
        match admit_listing(&shared, "tag/users", &headers, &params).await {
            Ok(listing) => listing,
            Err(response) => return response,
        };
    let Some(tag_id) = params.get("tagid") else {
        return error(code::INVALID_PARAMETER);
    };
    let org = lock(&shared.org);
    let Some(tag) = org.tags.get(tag_id) else {
        return error(code::UNKNOWN_TAG);
    };
    let mut userlist = Vec::new();
    let mut next_cursor = String::new();
    if let TagKindRec::Static(members) = &tag.kind {
        let start = cursor.map_or(Bound::Unbounded, |c| Bound::Excluded(c.to_owned()));
        for member in members.range::<String, _>((start, Bound::Unbounded)) {
            if userlist.len() == limit {
                next_cursor = userlist
                    .last()
                    .map(|u: &TagUserOut<'_>| u.userid.to_owned())
                    .unwrap_or_default();
                break;
            }
            userlist.push(TagUserOut { userid: member });
        }
    }
    json(TagUserPage {
        userlist,
        next_cursor,
    })
}

#[derive(Serialize)]
struct PlatformList<'a> {
    platforms: Vec<&'a str>,
}

async fn platforms(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(response) = admit(&shared, "platform/list", Some(&headers)).await {
        return response;
    }
    let org = lock(&shared.org);
    json(PlatformList {
        platforms: org.openids.keys().map(String::as_str).collect(),
    })
}

#[derive(Serialize)]
struct OpenIdOut<'a> {
    userid: &'a str,
    openids: &'a [String],
    updated_at: i64,
}

#[derive(Serialize)]
struct OpenIdPage<'a> {
    list: Vec<OpenIdOut<'a>>,
    next_cursor: String,
}

async fn openids(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    let Listing {
        limit,
        cursor,
        since,
    } = match admit_listing(&shared, "openid/list", &headers, &params).await {
        Ok(listing) => listing,
        Err(response) => return response,
    };
    let start = match change_cursor(cursor, since) {
        Ok(start) => start,
        Err(errcode) => return error(errcode),
    };
    let org = lock(&shared.org);
    let Some(bindings) = params.get("platform").and_then(|p| org.openids.get(p)) else {
        return error(code::INVALID_PARAMETER);
    };
    let mut list = Vec::new();
    let mut next_cursor = String::new();
    for (_, name) in bindings.order.range((start, Bound::Unbounded)) {
        let Some((ids, at)) = bindings.by_user.get(name) else {
            continue;
        };
        if since.is_none() && ids.is_empty() {
            continue;
        }
        if list.len() == limit {
            if let Some(last) = list.last() {
                let last: &OpenIdOut<'_> = last;
                next_cursor = format!("{}:{}", last.updated_at, last.userid);
            }
            break;
        }
        list.push(OpenIdOut {
            userid: name,
            openids: ids,
            updated_at: *at,
        });
    }
    json(OpenIdPage { list, next_cursor })
}
