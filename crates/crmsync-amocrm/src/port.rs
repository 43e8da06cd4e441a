//! The [`CrmClient`] port on [`AmoCrmClient`]: leads, contacts, companies, tasks and notes through the shared
//! page and batch machinery, plus the entity streams.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use crmsync_domain::crm::{
    Company, CompanyId, CompanyUpdate, ComplexCreated, ComplexLead, Contact, ContactId,
    ContactUpdate, CustomFieldDefinition, EntityKind, Lead, LeadId, LeadUpdate, NewCompany,
    NewContact, NewLead, NewNote, NewTask, Note, NoteId, Pipeline, Task, TaskId,
};
use crmsync_ports::{
    CompanyFilter, ContactFilter, Created, CrmClient, CrmError, LeadFilter, NoteFilter, Page,
    PageCursor, TaskFilter,
};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::{Map, Value};

use crate::batch::{self, Batch, Item};
use crate::call::Effect;
use crate::client::{AmoCrmClient, PageDecoder};
use crate::decode;
use crate::encode;
use crate::query;

impl AmoCrmClient {
    /// Every lead matching `filter`, as a stream that fetches a page of up to 250 at a time, following
    /// `_links.next`.
    pub fn stream_leads(&self, filter: LeadFilter) -> BoxStream<'static, Result<Lead, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_leads(&filter, cursor).await }
        })
    }

    /// Every contact matching `filter`, as a stream of pages of up to 250.
    pub fn stream_contacts(
        &self,
        filter: ContactFilter,
    ) -> BoxStream<'static, Result<Contact, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_contacts(&filter, cursor).await }
        })
    }

    /// Every company matching `filter`, as a stream of pages of up to 250.
    pub fn stream_companies(
        &self,
        filter: CompanyFilter,
    ) -> BoxStream<'static, Result<Company, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_companies(&filter, cursor).await }
        })
    }

    /// Every task matching `filter`, as a stream of pages of up to 250.
    pub fn stream_tasks(&self, filter: TaskFilter) -> BoxStream<'static, Result<Task, CrmError>> {
        let client = self.clone();
        stream_pages(move |cursor| {
            let client = client.clone();
            let filter = filter.clone();
            async move { client.list_tasks(&filter, cursor).await }
        })
    }

    pub(crate) async fn create<I: Copy>(
        &self,
        path: &str,
        key: &str,
        items: Vec<Item>,
        wrap: fn(i64) -> I,
    ) -> Result<Vec<Created<I>>, CrmError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let context = format!("POST {path}");
        let decode = move |body: &[u8], sent: &[String]| {
            decode::written(&context, key, body, sent).map(|list| {
                list.into_iter()
                    .map(|w| (w.request_ids, w.id))
                    .collect::<Vec<_>>()
            })
        };
        let batch = Batch {
            method: Method::POST,
            path,
            effect: Effect::Create,
            chunk: self.inner.batch.write_chunk(),
            decode: &decode,
            headers: &self.request_headers(false),
        };
        let done = batch::run(&self.inner, &batch, items)
            .await
            .finish(|id| *id)?;
        Ok(done
            .into_iter()
            .flat_map(|(rids, id)| {
                rids.into_iter().map(move |request_id| Created {
                    request_id,
                    id: wrap(id),
                })
            })
            .collect())
    }

    pub(crate) async fn update<I>(
        &self,
        path: &str,
        key: &str,
        bodies: Vec<(i64, Value)>,
        wrap: fn(i64) -> I,
    ) -> Result<Vec<I>, CrmError> {
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        let mut seen = std::collections::HashSet::new();
        let mut items = Vec::with_capacity(bodies.len());
        for (index, (id, body)) in bodies.into_iter().enumerate() {
            if !seen.insert(id) {
                return Err(CrmError::InvalidInput {
                    field: format!("[{index}].id"),
                    reason: format!("entity {id} is updated twice in one batch"),
                });
            }
            items.push(Item {
                request_id: id.to_string(),
                body,
            });
        }
        let context = format!("PATCH {path}");
        let decode = move |body: &[u8], sent: &[String]| {
            decode::written(&context, key, body, sent).map(|list| {
                list.into_iter()
                    .map(|w| (vec![w.id.to_string()], w.id))
                    .collect::<Vec<_>>()
            })
        };
        let batch = Batch {
            method: Method::PATCH,
            path,
            effect: Effect::Update,
            chunk: self.inner.batch.write_chunk(),
            decode: &decode,
            headers: &self.request_headers(false),
        };
        let done = batch::run(&self.inner, &batch, items)
            .await
            .finish(|id| *id)?;
        Ok(done.into_iter().map(|(_, id)| wrap(id)).collect())
    }
}

pub(crate) fn stream_pages<T, F, Fut>(fetch: F) -> BoxStream<'static, Result<T, CrmError>>
where
    T: Send + 'static,
    F: FnMut(Option<PageCursor>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, CrmError>> + Send + 'static,
{
    let fetch = Arc::new(tokio::sync::Mutex::new(fetch));
    stream::try_unfold(Some(None::<PageCursor>), move |state| {
        let fetch = Arc::clone(&fetch);
        async move {
            let Some(cursor) = state else {
                return Ok(None);
            };
            let future = (fetch.lock().await)(cursor);
            let page = future.await?;
            let next_state = page.next.map(Some);
            Ok(Some((page.items, next_state)))
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

fn encode_all<T>(
    inputs: &[T],
    what: &str,
    encode: impl Fn(&T, &str) -> Result<Map<String, Value>, CrmError>,
) -> Result<Vec<Map<String, Value>>, CrmError> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| encode(input, &format!("{what}[{i}]")))
        .collect()
}

#[async_trait]
impl CrmClient for AmoCrmClient {
    async fn list_leads(
        &self,
        filter: &LeadFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Lead>, CrmError> {
        self.page(
            |limit| query::leads(filter, limit).to_path("/api/v4/leads"),
            filter.limit,
            cursor,
            &decode::leads_page,
        )
        .await
    }

    async fn list_contacts(
        &self,
        filter: &ContactFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Contact>, CrmError> {
        self.page(
            |limit| query::contacts(filter, limit).to_path("/api/v4/contacts"),
            filter.limit,
            cursor,
            &decode::contacts_page,
        )
        .await
    }

    async fn list_companies(
        &self,
        filter: &CompanyFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Company>, CrmError> {
        self.page(
            |limit| query::companies(filter, limit).to_path("/api/v4/companies"),
            filter.limit,
            cursor,
            &decode::companies_page,
        )
        .await
    }

    async fn list_tasks(
        &self,
        filter: &TaskFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Task>, CrmError> {
        self.page(
            |limit| query::tasks(filter, limit).to_path("/api/v4/tasks"),
            filter.limit,
            cursor,
            &decode::tasks_page,
        )
        .await
    }

    async fn list_notes(
        &self,
        filter: &NoteFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Note>, CrmError> {
        let decoder: PageDecoder<Note> = match filter.entity_kind {
            EntityKind::Leads => |body| decode::notes_page(EntityKind::Leads, body),
            EntityKind::Contacts => |body| decode::notes_page(EntityKind::Contacts, body),
            EntityKind::Companies => |body| decode::notes_page(EntityKind::Companies, body),
            EntityKind::Customers => |body| decode::notes_page(EntityKind::Customers, body),
        };
        let path = format!("/api/v4/{}/notes", filter.entity_kind.api_name());
        self.page(
            |limit| query::notes(filter, limit).to_path(&path),
            filter.limit,
            cursor,
            &decoder,
        )
        .await
    }

    async fn get_lead(&self, id: LeadId, with_contacts: bool) -> Result<Option<Lead>, CrmError> {
        let suffix = if with_contacts { "?with=contacts" } else { "" };
        self.one(&format!("/api/v4/leads/{}{suffix}", id.0), &decode::lead)
            .await
    }

    async fn get_contact(&self, id: ContactId) -> Result<Option<Contact>, CrmError> {
        self.one(&format!("/api/v4/contacts/{}", id.0), &decode::contact)
            .await
    }

    async fn get_company(&self, id: CompanyId) -> Result<Option<Company>, CrmError> {
        self.one(&format!("/api/v4/companies/{}", id.0), &decode::company)
            .await
    }

    async fn add_leads(&self, leads: &[NewLead]) -> Result<Vec<Created<LeadId>>, CrmError> {
        let bodies = encode_all(leads, "leads", encode::new_lead)?;
        let items =
            batch::with_request_ids(bodies, leads.iter().map(|l| l.request_id.clone()), true)?;
        self.create("/api/v4/leads", "leads", items, LeadId).await
    }

    async fn update_leads(&self, updates: &[LeadUpdate]) -> Result<Vec<LeadId>, CrmError> {
        let bodies = updates
            .iter()
            .enumerate()
            .map(|(i, u)| Ok((u.id.0, encode::lead_update(u, &format!("leads[{i}]"))?)))
            .collect::<Result<Vec<_>, CrmError>>()?;
        self.update("/api/v4/leads", "leads", bodies, LeadId).await
    }

    async fn add_contacts(
        &self,
        contacts: &[NewContact],
    ) -> Result<Vec<Created<ContactId>>, CrmError> {
        let bodies = encode_all(contacts, "contacts", encode::new_contact)?;
        let items =
            batch::with_request_ids(bodies, contacts.iter().map(|c| c.request_id.clone()), true)?;
        self.create("/api/v4/contacts", "contacts", items, ContactId)
            .await
    }

    async fn update_contacts(&self, updates: &[ContactUpdate]) -> Result<Vec<ContactId>, CrmError> {
        let bodies = updates
            .iter()
            .enumerate()
            .map(|(i, u)| {
                Ok((
                    u.id.0,
                    encode::contact_update(u, &format!("contacts[{i}]"))?,
                ))
            })
            .collect::<Result<Vec<_>, CrmError>>()?;
        self.update("/api/v4/contacts", "contacts", bodies, ContactId)
            .await
    }

    async fn add_companies(
        &self,
        companies: &[NewCompany],
    ) -> Result<Vec<Created<CompanyId>>, CrmError> {
        let bodies = encode_all(companies, "companies", encode::new_company)?;
        let items =
            batch::with_request_ids(bodies, companies.iter().map(|c| c.request_id.clone()), true)?;
        self.create("/api/v4/companies", "companies", items, CompanyId)
            .await
    }

    async fn update_companies(
        &self,
        updates: &[CompanyUpdate],
    ) -> Result<Vec<CompanyId>, CrmError> {
        let bodies = updates
            .iter()
            .enumerate()
            .map(|(i, u)| {
                Ok((
                    u.id.0,
                    encode::company_update(u, &format!("companies[{i}]"))?,
                ))
            })
            .collect::<Result<Vec<_>, CrmError>>()?;
        self.update("/api/v4/companies", "companies", bodies, CompanyId)
            .await
    }

    async fn add_complex(&self, items: &[ComplexLead]) -> Result<Vec<ComplexCreated>, CrmError> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let bodies = encode_all(items, "complex", encode::complex_lead)?;
        let prepared = batch::with_request_ids(
            bodies,
            items.iter().map(|i| i.lead.request_id.clone()),
            true,
        )?;
        let decode = |body: &[u8], sent: &[String]| {
            decode::complex_created(body, sent).map(|list| {
                list.into_iter()
                    .map(|c| (c.request_ids.clone(), c))
                    .collect::<Vec<_>>()
            })
        };
        let batch = Batch {
            method: Method::POST,
            path: "/api/v4/leads/complex",
            effect: Effect::Create,
            chunk: self.inner.batch.complex_chunk(),
            decode: &decode,
            headers: &self.request_headers(false),
        };
        let done = batch::run(&self.inner, &batch, prepared)
            .await
            .finish(|c| c.lead_id.0)?;
        Ok(done.into_iter().map(|(_, created)| created).collect())
    }

    async fn add_tasks(&self, tasks: &[NewTask]) -> Result<Vec<Created<TaskId>>, CrmError> {
        let bodies = encode_all(tasks, "tasks", encode::new_task)?;
        let items =
            batch::with_request_ids(bodies, tasks.iter().map(|t| t.request_id.clone()), true)?;
        self.create("/api/v4/tasks", "tasks", items, TaskId).await
    }

    async fn add_notes(&self, notes: &[NewNote]) -> Result<Vec<Created<NoteId>>, CrmError> {
        let bodies = encode_all(notes, "notes", encode::new_note)?;
        let items =
            batch::with_request_ids(bodies, notes.iter().map(|n| n.request_id.clone()), true)?;
        let mut created = Vec::with_capacity(items.len());
        let mut undecided = Vec::new();
        for kind in [
            EntityKind::Leads,
            EntityKind::Contacts,
            EntityKind::Companies,
            EntityKind::Customers,
        ] {
            let group: Vec<Item> = items
                .iter()
                .zip(notes)
                .filter(|(_, note)| note.entity.kind == kind)
                .map(|(item, _)| item.clone())
                .collect();
            if group.is_empty() {
                continue;
            }
            let path = format!("/api/v4/{}/notes", kind.api_name());
            match self.create(&path, "notes", group, NoteId).await {
                Ok(list) => created.extend(list),
                Err(CrmError::Ambiguous {
                    written,
                    request_ids,
                }) => {
                    created.extend(written.into_iter().map(|w| Created {
                        request_id: w.request_id,
                        id: NoteId(w.id),
                    }));
                    undecided.extend(request_ids);
                }
                Err(error) => {
                    let mut written: Vec<_> = created
                        .into_iter()
                        .map(|c: Created<NoteId>| crmsync_ports::WrittenRef {
                            request_id: c.request_id,
                            id: c.id.0,
                        })
                        .collect();
                    written.extend(error.written().iter().cloned());
                    undecided.extend(error.undecided().iter().cloned());
                    if written.is_empty() && undecided.is_empty() {
                        return Err(error);
                    }
                    return Err(CrmError::Partial {
                        written,
                        undecided,
                        source: Box::new(error.root().clone()),
                    });
                }
            }
        }
        if !undecided.is_empty() {
            return Err(CrmError::Ambiguous {
                request_ids: undecided,
                written: created
                    .into_iter()
                    .map(|c| crmsync_ports::WrittenRef {
                        request_id: c.request_id,
                        id: c.id.0,
                    })
                    .collect(),
            });
        }
        let order: std::collections::HashMap<&str, usize> = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.request_id.as_str(), i))
            .collect();
        created.sort_by_key(|c| {
            order
                .get(c.request_id.as_str())
                .copied()
                .unwrap_or(usize::MAX)
        });
        Ok(created)
    }

    async fn pipelines(&self) -> Result<Vec<Pipeline>, CrmError> {
        self.all_pages(
            &|_| "/api/v4/leads/pipelines".to_owned(),
            &decode::pipelines,
        )
        .await
    }

    async fn custom_fields(
        &self,
        entity: EntityKind,
    ) -> Result<Vec<CustomFieldDefinition>, CrmError> {
        let decoder: PageDecoder<CustomFieldDefinition> = match entity {
            EntityKind::Leads => |b| decode::custom_fields_page(EntityKind::Leads, b),
            EntityKind::Contacts => |b| decode::custom_fields_page(EntityKind::Contacts, b),
            EntityKind::Companies => |b| decode::custom_fields_page(EntityKind::Companies, b),
            EntityKind::Customers => |b| decode::custom_fields_page(EntityKind::Customers, b),
        };
        let path = format!("/api/v4/{}/custom_fields", entity.api_name());
        self.all_pages(&move |limit| format!("{path}?limit={limit}"), &decoder)
            .await
    }
}
