//! The emulated account's in-memory state, loaded from a fixture; entity operations live in sibling modules.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::admin::AdminState;
use super::catalogs::{Catalog, Element, ElementLinks};
use super::customers::Customer;
use super::eventlog::LoggedEvent;
use super::fixture::{
    AccountInfo, CustomFieldDef, CustomFieldSets, Fixture, LOST_STATUS_ID, Pipeline, Status, User,
    WON_STATUS_ID,
};
use super::input::FieldError;
use super::model::{Entity, Kind, Links, Note, Subscription, Task};
use super::sources::Source;
use super::unsorted::UnsortedBook;
use crate::SandboxError;

/// First id of entities created through the API (above 2^31, so 32-bit ids break visibly).
const LEAD_BASE: i64 = 3_200_000_001;
const CONTACT_BASE: i64 = 3_300_000_001;
const COMPANY_BASE: i64 = 3_400_000_001;
const TASK_BASE: i64 = 3_500_000_001;
const NOTE_BASE: i64 = 3_600_000_001;
const TAG_BASE: i64 = 600_001;

/// The errors of one batch item.
#[derive(Debug, Clone)]
pub(crate) struct ItemErrors {
    pub(crate) request_id: String,
    pub(crate) errors: Vec<FieldError>,
}

#[derive(Debug, Default)]
pub(crate) struct TagBook {
    by_id: BTreeMap<i64, String>,
    by_name: HashMap<String, i64>,
    colors: HashMap<i64, String>,
}

/// What changed, for webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    Added {
        kind: Kind,
        id: i64,
    },
    Updated {
        kind: Kind,
        id: i64,
        old_status: Option<(i64, i64)>,
    },
    StatusChanged {
        id: i64,
        old_pipeline: i64,
        old_status: i64,
    },
}

tokio::task_local! {
    /// The `X-Context-User-ID` of the request being handled.
    pub(crate) static ACTING_USER: Option<i64>;
}

#[derive(Debug)]
pub(crate) struct AmoState {
    pub(crate) account: AccountInfo,
    pub(crate) subdomain: String,
    pub(crate) base_url: String,
    pub(crate) users: Vec<User>,
    pub(crate) pipelines: Vec<Pipeline>,
    pub(crate) fields: CustomFieldSets,
    pub(crate) leads: BTreeMap<i64, Entity>,
    pub(crate) contacts: BTreeMap<i64, Entity>,
    pub(crate) companies: BTreeMap<i64, Entity>,
    pub(crate) tasks: BTreeMap<i64, Task>,
    pub(crate) notes: BTreeMap<i64, Note>,
    pub(crate) links: Links,
    pub(crate) tags: HashMap<Kind, TagBook>,
    pub(crate) subscriptions: Vec<Subscription>,
    /// Whether the account has customers (else `/api/v4/customers` answers 402).
    pub(crate) customers_enabled: bool,
    /// Changes since the last [`AmoState::take_events`], for webhooks.
    pub(crate) events: Vec<Event>,
    /// What `GET /api/v4/events` lists.
    pub(crate) event_log: Vec<LoggedEvent>,
    pub(crate) elements: BTreeMap<i64, Element>,
    pub(crate) element_links: ElementLinks,
    pub(crate) unsorted: UnsortedBook,
    pub(crate) catalogs: BTreeMap<i64, Catalog>,
    pub(crate) customers: BTreeMap<i64, Customer>,
    /// `segments` or `periodicity` while customers are enabled.
    pub(crate) customers_mode: String,
    pub(crate) admin: AdminState,
    pub(crate) sources: BTreeMap<i64, Source>,
    next_ids: HashMap<&'static str, i64>,
}

impl AmoState {
    pub(crate) fn from_fixture(
        fixture: Fixture,
        subdomain: &str,
        base_url: &str,
        now: i64,
    ) -> Result<Self, SandboxError> {
        let invalid = |path: &str, reason: &str| SandboxError::Fixture {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        if fixture.users.is_empty() {
            return Err(invalid("users", "at least one user is needed"));
        }
        if fixture.pipelines.is_empty() {
            return Err(invalid("pipelines", "at least one pipeline is needed"));
        }
        let mut pipelines = fixture.pipelines;
        if !pipelines.iter().any(|p| p.is_main)
            && let Some(first) = pipelines.first_mut()
        {
            first.is_main = true;
        }
        for (i, pipeline) in pipelines.iter_mut().enumerate() {
            ensure_closed_statuses(pipeline);
            pipeline.statuses.sort_by_key(|s| (s.sort, s.id));
            if !pipeline.statuses.iter().any(|s| !is_closed(s.id)) {
                return Err(invalid(
                    &format!("pipelines.{i}.statuses"),
                    "a pipeline needs at least one open status",
                ));
            }
        }
        let mut state = Self {
            account: fixture.account,
            subdomain: subdomain.to_owned(),
            base_url: base_url.to_owned(),
            users: fixture.users,
            pipelines,
            fields: fixture.custom_fields,
            leads: BTreeMap::new(),
            contacts: BTreeMap::new(),
            companies: BTreeMap::new(),
            tasks: BTreeMap::new(),
            notes: BTreeMap::new(),
            customers_enabled: false,
            links: Links::default(),
            tags: HashMap::new(),
            subscriptions: Vec::new(),
            events: Vec::new(),
            event_log: Vec::new(),
            elements: BTreeMap::new(),
            element_links: ElementLinks::new(),
            unsorted: UnsortedBook::new(),
            catalogs: BTreeMap::new(),
            customers: BTreeMap::new(),
            customers_mode: "segments".to_owned(),
            admin: AdminState::default(),
            sources: BTreeMap::new(),
            next_ids: HashMap::from([
                ("leads", LEAD_BASE),
                ("contacts", CONTACT_BASE),
                ("companies", COMPANY_BASE),
                ("tasks", TASK_BASE),
                ("notes", NOTE_BASE),
                ("tags", TAG_BASE),
                ("webhooks", 1),
            ]),
        };
        let to_fixture_error = |section: &str, failures: Vec<ItemErrors>| {
            let first = failures.into_iter().next();
            let (index, error) = first
                .map(|f| (f.request_id, f.errors.into_iter().next()))
                .unwrap_or_default();
            let (path, reason) = error
                .map(|e| (e.path, e.detail))
                .unwrap_or_else(|| (String::new(), "invalid item".to_owned()));
            SandboxError::Fixture {
                path: format!("{section}.{index}.{path}"),
                reason,
            }
        };
        let numbered = |items: Vec<Value>| -> Vec<Value> {
            items
                .into_iter()
                .enumerate()
                .map(|(i, mut item)| {
                    if let Some(obj) = item.as_object_mut() {
                        obj.insert("request_id".to_owned(), Value::String(i.to_string()));
                    }
                    item
                })
                .collect()
        };
        for (kind, items) in [
            (Kind::Companies, fixture.companies),
            (Kind::Contacts, fixture.contacts),
            (Kind::Leads, fixture.leads),
        ] {
            state
                .add_entities(kind, &numbered(items), now, true)
                .map_err(|f| to_fixture_error(kind.plural(), f))?;
        }
        state
            .add_tasks(&numbered(fixture.tasks), now, true)
            .map_err(|f| to_fixture_error("tasks", f))?;
        for (i, note) in fixture.notes.into_iter().enumerate() {
            let kind = note
                .get("entity_type")
                .and_then(Value::as_str)
                .and_then(Kind::parse)
                .ok_or_else(|| {
                    invalid(
                        &format!("notes.{i}.entity_type"),
                        "must be leads, contacts or companies",
                    )
                })?;
            state
                .add_notes(kind, None, &numbered(vec![note]), now, true)
                .map_err(|f| to_fixture_error("notes", f))?;
        }
        state.events.clear();
        state.event_log.clear();
        Ok(state)
    }

    /// The user a request acts as: its `X-Context-User-ID`, else the token's user (the first one).
    pub(crate) fn current_user(&self) -> i64 {
        ACTING_USER
            .try_with(|user| *user)
            .ok()
            .flatten()
            .unwrap_or_else(|| self.users.first().map_or(0, |u| u.id))
    }

    pub(crate) fn is_user(&self, id: i64) -> bool {
        self.users.iter().any(|u| u.id == id)
    }

    pub(crate) fn entities(&self, kind: Kind) -> &BTreeMap<i64, Entity> {
        match kind {
            Kind::Leads => &self.leads,
            Kind::Contacts => &self.contacts,
            Kind::Companies => &self.companies,
        }
    }

    pub(crate) fn entities_mut(&mut self, kind: Kind) -> &mut BTreeMap<i64, Entity> {
        match kind {
            Kind::Leads => &mut self.leads,
            Kind::Contacts => &mut self.contacts,
            Kind::Companies => &mut self.companies,
        }
    }

    pub(crate) fn defs(&self, kind: Kind) -> &[CustomFieldDef] {
        match kind {
            Kind::Leads => &self.fields.leads,
            Kind::Contacts => &self.fields.contacts,
            Kind::Companies => &self.fields.companies,
        }
    }

    /// A fresh id for `what` ("leads", "tasks", ...), above every id seen so far.
    pub(crate) fn allocate(&mut self, what: &'static str) -> i64 {
        let slot = self.next_ids.entry(what).or_insert(1);
        let id = *slot;
        *slot += 1;
        id
    }

    /// Makes sure ids allocated later for `what` are above `id`.
    pub(crate) fn reserve(&mut self, what: &'static str, id: i64) {
        let slot = self.next_ids.entry(what).or_insert(1);
        if *slot <= id {
            *slot = id.saturating_add(1);
        }
    }

    pub(crate) fn main_pipeline(&self) -> Option<&Pipeline> {
        self.pipelines
            .iter()
            .find(|p| p.is_main)
            .or(self.pipelines.first())
    }

    pub(crate) fn pipeline(&self, id: i64) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.id == id)
    }

    /// The first stage of a pipeline: the first open status that is not "incoming leads".
    pub(crate) fn first_stage(pipeline: &Pipeline) -> Option<&Status> {
        pipeline
            .statuses
            .iter()
            .find(|s| s.status_type == 0 && !is_closed(s.id))
            .or_else(|| pipeline.statuses.iter().find(|s| !is_closed(s.id)))
    }

    /// The id of the tag named `name` for `kind`, creating it if needed.
    pub(crate) fn tag_id(&mut self, kind: Kind, name: &str) -> i64 {
        let key = name.trim().to_lowercase();
        if let Some(id) = self.tags.get(&kind).and_then(|b| b.by_name.get(&key)) {
            return *id;
        }
        let id = self.allocate("tags");
        let book = self.tags.entry(kind).or_default();
        book.by_name.insert(key, id);
        book.by_id.insert(id, name.trim().to_owned());
        id
    }

    pub(crate) fn tag_name(&self, kind: Kind, id: i64) -> Option<&str> {
        self.tags
            .get(&kind)
            .and_then(|b| b.by_id.get(&id))
            .map(String::as_str)
    }

    pub(crate) fn tag_color(&self, kind: Kind, id: i64) -> Option<&str> {
        self.tags
            .get(&kind)
            .and_then(|b| b.colors.get(&id))
            .map(String::as_str)
    }

    pub(crate) fn set_tag_color(&mut self, kind: Kind, id: i64, color: String) {
        self.tags.entry(kind).or_default().colors.insert(id, color);
    }

    /// Every tag id of `kind`, ascending.
    pub(crate) fn tag_ids(&self, kind: Kind) -> Vec<i64> {
        self.tags
            .get(&kind)
            .map(|b| b.by_id.keys().copied().collect())
            .unwrap_or_default()
    }

    pub(crate) fn tag_lookup(&self, kind: Kind, lowercase_name: &str) -> Option<i64> {
        self.tags
            .get(&kind)
            .and_then(|b| b.by_name.get(lowercase_name))
            .copied()
    }

    /// Drains the changes recorded since the last call.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    pub(crate) fn has_tag(&self, kind: Kind, id: i64) -> bool {
        self.tag_name(kind, id).is_some()
    }

    pub(crate) fn count(&self, what: &str) -> usize {
        match what {
            "leads" => self.leads.len(),
            "contacts" => self.contacts.len(),
            "companies" => self.companies.len(),
            "tasks" => self.tasks.len(),
            "notes" => self.notes.len(),
            "webhooks" => self.subscriptions.len(),
            "links" => self.links.all().len(),
            _ => 0,
        }
    }

    /// `{base_url}{path}`.
    pub(crate) fn href(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

pub(crate) fn is_closed(status_id: i64) -> bool {
    status_id == WON_STATUS_ID || status_id == LOST_STATUS_ID
}

pub(crate) fn ensure_closed_statuses(pipeline: &mut Pipeline) {
    for (id, name, sort, color) in [
        (WON_STATUS_ID, "Closed - won", 10_000, "#CCFF66"),
        (LOST_STATUS_ID, "Closed - lost", 11_000, "#D5D8DB"),
    ] {
        if !pipeline.statuses.iter().any(|s| s.id == id) {
            pipeline.statuses.push(Status {
                id,
                name: name.to_owned(),
                sort,
                color: color.to_owned(),
                status_type: 0,
                is_editable: false,
            });
        }
    }
}
