//! Webhooks: turning changes into amoCRM's form-encoded PHP-nested bodies and posting them to subscribers.
//!
//! Bodies follow the legacy format: `leads[add|update|status][i][...]`, contacts and companies under
//! `contacts[add|update][i][...]` with `type=contact|company`, every value a string, plus `account[...]`.
//! Delivery: one POST per (subscriber, entity key, action) per API request, in order, 2 s timeout, success =
//! HTTP 100–299; a destination is disabled after more than 100 failures within 2 hours when the last one failed.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::{Request, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};

use super::fields::value_texts;
use super::model::{Entity, Kind, Subscription};
use super::state::{AmoState, Event};
use crate::SandboxClock;
use crate::phpquery::FormBuilder;

/// How long a destination may take to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(2);
/// Failures within [`FAILURE_WINDOW_SECS`] after which a destination is disabled.
pub const DISABLE_AFTER_FAILURES: usize = 100;
/// The failure-counting window.
pub const FAILURE_WINDOW_SECS: i64 = 2 * 60 * 60;

/// One body to post.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) destination: String,
    pub(crate) body: String,
}

/// Webhook delivery counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookStats {
    /// Bodies queued for delivery.
    pub queued: u64,
    /// Bodies answered with 100–299.
    pub delivered: u64,
    /// Bodies that failed (connection error, timeout, other status).
    pub failed: u64,
    /// Destinations disabled for failing too often.
    pub disabled: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct DeliveryShared {
    pending: AtomicU64,
    idle: Notify,
    stats: Mutex<WebhookStats>,
    disabled: Mutex<HashSet<String>>,
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl DeliveryShared {
    pub(crate) fn is_disabled(&self, destination: &str) -> bool {
        self.disabled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(destination)
    }

    pub(crate) fn enable(&self, destination: &str) {
        self.disabled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(destination);
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(destination);
    }

    pub(crate) fn disabled_set(&self) -> HashSet<String> {
        self.disabled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn stats(&self) -> WebhookStats {
        let mut stats = self
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut disabled: Vec<String> = self.disabled_set().into_iter().collect();
        disabled.sort();
        stats.disabled = disabled;
        stats
    }

    fn record(&self, destination: &str, ok: bool, now: i64) {
        {
            let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
            if ok {
                stats.delivered += 1;
            } else {
                stats.failed += 1;
            }
        }
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let window = failures.entry(destination.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|t| now - *t >= FAILURE_WINDOW_SECS)
        {
            window.pop_front();
        }
        if ok {
            return;
        }
        window.push_back(now);
        if window.len() > DISABLE_AFTER_FAILURES {
            tracing::warn!("webhook destination disabled after repeated failures");
            self.disabled
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(destination.to_owned());
        }
    }
}

/// Queues deliveries and posts them in order from a background task.
#[derive(Debug, Clone)]
pub(crate) struct WebhookDispatcher {
    tx: mpsc::UnboundedSender<Delivery>,
    pub(crate) shared: Arc<DeliveryShared>,
}

impl WebhookDispatcher {
    pub(crate) fn start(clock: SandboxClock) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<Delivery>();
        let shared = Arc::new(DeliveryShared::default());
        let worker = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Some(delivery) = rx.recv().await {
                let ok = if worker.is_disabled(&delivery.destination) {
                    false
                } else {
                    post(&delivery).await
                };
                worker.record(&delivery.destination, ok, clock.now_unix());
                if worker.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                    worker.idle.notify_waiters();
                }
            }
        });
        Self { tx, shared }
    }

    pub(crate) fn send(&self, deliveries: Vec<Delivery>) {
        for delivery in deliveries {
            self.shared.pending.fetch_add(1, Ordering::SeqCst);
            self.shared
                .stats
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .queued += 1;
            if self.tx.send(delivery).is_err() {
                self.shared.pending.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Waits until every queued delivery has been attempted.
    pub(crate) async fn flush(&self) {
        loop {
            let idle = self.shared.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.shared.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

async fn post(delivery: &Delivery) -> bool {
    match tokio::time::timeout(DELIVERY_TIMEOUT, try_post(delivery)).await {
        Ok(Ok(status)) => (100..=299).contains(&status),
        Ok(Err(error)) => {
            tracing::debug!(%error, "webhook delivery failed");
            false
        }
        Err(_) => {
            tracing::debug!("webhook delivery timed out");
            false
        }
    }
}

async fn try_post(delivery: &Delivery) -> Result<u16, String> {
    let uri: Uri = delivery
        .destination
        .parse()
        .map_err(|e| format!("bad destination: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("only http:// destinations are delivered by the sandbox".to_owned());
    }
    let host = uri.host().ok_or("destination without host")?;
    let port = uri.port_u16().unwrap_or(80);
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let request = Request::post(path)
        .header(header::HOST, authority)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::USER_AGENT, "amoCRM-Webhooks/3.0 (crmsync-sandbox)")
        .body(Full::new(bytes_of(&delivery.body)))
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    Ok(status)
}

fn bytes_of(body: &str) -> axum::body::Bytes {
    axum::body::Bytes::copy_from_slice(body.as_bytes())
}

/// The webhook setting that subscribes to an event, and where the event goes in the body.
fn route(event: &Event) -> (&'static str, &'static str, &'static str, Kind, i64) {
    match event {
        Event::Added { kind, id } => match kind {
            Kind::Leads => ("add_lead", "leads", "add", *kind, *id),
            Kind::Contacts => ("add_contact", "contacts", "add", *kind, *id),
            Kind::Companies => ("add_company", "contacts", "add", *kind, *id),
        },
        Event::Updated { kind, id, .. } => match kind {
            Kind::Leads => ("update_lead", "leads", "update", *kind, *id),
            Kind::Contacts => ("update_contact", "contacts", "update", *kind, *id),
            Kind::Companies => ("update_company", "contacts", "update", *kind, *id),
        },
        Event::StatusChanged { id, .. } => ("status_lead", "leads", "status", Kind::Leads, *id),
    }
}

impl AmoState {
    /// The bodies to post for `events`, skipping disabled destinations.
    pub(crate) fn webhook_deliveries(
        &self,
        events: &[Event],
        disabled: &HashSet<String>,
    ) -> Vec<Delivery> {
        if self.subscriptions.is_empty() || events.is_empty() {
            return Vec::new();
        }
        let mut subscriptions: Vec<&Subscription> = self
            .subscriptions
            .iter()
            .filter(|s| !disabled.contains(&s.destination))
            .collect();
        subscriptions.sort_by_key(|s| (s.sort, s.id));
        let mut out = Vec::new();
        for subscription in subscriptions {
            let mut groups: Vec<((&str, &str), Vec<&Event>)> = Vec::new();
            for event in events {
                let (setting, key, action, _, _) = route(event);
                if !subscription.settings.iter().any(|s| s == setting) {
                    continue;
                }
                match groups.iter_mut().find(|(g, _)| *g == (key, action)) {
                    Some((_, list)) => list.push(event),
                    None => groups.push(((key, action), vec![event])),
                }
            }
            for ((key, action), list) in groups {
                let mut form = FormBuilder::new();
                for (index, event) in list.into_iter().enumerate() {
                    let prefix = format!("{key}[{action}][{index}]");
                    self.write_event(&mut form, &prefix, event);
                }
                form.push("account[subdomain]", &self.subdomain)
                    .push("account[id]", &self.account.id.to_string())
                    .push("account[_links][self]", &self.base_url);
                out.push(Delivery {
                    destination: subscription.destination.clone(),
                    body: form.finish(),
                });
            }
        }
        out
    }

    fn write_event(&self, form: &mut FormBuilder, prefix: &str, event: &Event) {
        let (_, _, _, kind, id) = route(event);
        let Some(entity) = self.entities(kind).get(&id) else {
            form.push(&format!("{prefix}[id]"), &id.to_string());
            return;
        };
        let mut put = |field: &str, value: String| {
            form.push(&format!("{prefix}[{field}]"), &value);
        };
        put("id", entity.id.to_string());
        put("name", entity.name.clone());
        match kind {
            Kind::Leads => {
                put("status_id", entity.status_id.to_string());
                match event {
                    Event::StatusChanged {
                        old_pipeline,
                        old_status,
                        ..
                    } => {
                        put("old_status_id", old_status.to_string());
                        put("old_pipeline_id", old_pipeline.to_string());
                    }
                    Event::Updated {
                        old_status: Some((_, old_status)),
                        ..
                    } => put("old_status_id", old_status.to_string()),
                    _ => {}
                }
                put("price", (entity.price.trunc() as i64).to_string());
                put(
                    "responsible_user_id",
                    entity.responsible_user_id.to_string(),
                );
                put("last_modified", entity.updated_at.to_string());
                put("modified_user_id", entity.updated_by.to_string());
                put("created_user_id", entity.created_by.to_string());
                put("date_create", entity.created_at.to_string());
                put("pipeline_id", entity.pipeline_id.to_string());
                put("account_id", self.account.id.to_string());
            }
            Kind::Contacts | Kind::Companies => {
                put(
                    "responsible_user_id",
                    entity.responsible_user_id.to_string(),
                );
                put("date_create", entity.created_at.to_string());
                put("last_modified", entity.updated_at.to_string());
                put("created_user_id", entity.created_by.to_string());
                put("modified_user_id", entity.updated_by.to_string());
                put("account_id", self.account.id.to_string());
                if kind == Kind::Contacts
                    && let Some(company) = self.links.company_of_contact(entity.id)
                {
                    put("linked_company_id", company.to_string());
                }
            }
        }
        self.write_fields(form, prefix, kind, entity);
        for (i, tag) in entity.tags.iter().enumerate() {
            form.push(&format!("{prefix}[tags][{i}][id]"), &tag.to_string());
            form.push(
                &format!("{prefix}[tags][{i}][name]"),
                self.tag_name(kind, *tag).unwrap_or_default(),
            );
        }
        form.push(
            &format!("{prefix}[created_at]"),
            &entity.created_at.to_string(),
        );
        form.push(
            &format!("{prefix}[updated_at]"),
            &entity.updated_at.to_string(),
        );
        match kind {
            Kind::Contacts => {
                form.push(&format!("{prefix}[type]"), "contact");
            }
            Kind::Companies => {
                form.push(&format!("{prefix}[type]"), "company");
            }
            Kind::Leads => {}
        }
    }

    fn write_fields(&self, form: &mut FormBuilder, prefix: &str, kind: Kind, entity: &Entity) {
        for (i, field) in entity.fields.iter().enumerate() {
            let def = self.defs(kind).iter().find(|d| d.id == field.field_id);
            let base = format!("{prefix}[custom_fields][{i}]");
            form.push(&format!("{base}[id]"), &field.field_id.to_string());
            if let Some(def) = def {
                form.push(&format!("{base}[name]"), &def.name);
                if let Some(code) = &def.code {
                    form.push(&format!("{base}[code]"), code);
                }
            }
            let texts: Vec<String> = value_texts(std::slice::from_ref(field)).collect();
            for (j, (text, value)) in texts.iter().zip(&field.values).enumerate() {
                form.push(&format!("{base}[values][{j}][value]"), text);
                if let Some(enum_id) = value.get("enum_id").and_then(serde_json::Value::as_i64) {
                    form.push(&format!("{base}[values][{j}][enum]"), &enum_id.to_string());
                }
            }
        }
    }
}
