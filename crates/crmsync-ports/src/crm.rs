//! `CrmClient`: the CRM operations jobs need (amoCRM / Kommo API v4 semantics), with no HTTP types in sight.
//!
//! Lists are paged: [`CrmClient::list_leads`] and friends return one [`Page`] and a cursor for the next one;
//! [`CrmClientExt`] collects every page. Writes take any number of items: the adapter chunks them, assigns each a
//! `request_id` (unless the caller did) and returns the created ids with the request ids they answer, so a job can
//! match results to its inputs and reconcile after an [`CrmError::Ambiguous`] outcome.

mod error;
mod filter;
mod page;

use async_trait::async_trait;
use crmsync_domain::crm::{
    Company, CompanyId, CompanyUpdate, ComplexCreated, ComplexLead, Contact, ContactId,
    ContactUpdate, CustomFieldDefinition, EntityKind, Lead, LeadId, LeadUpdate, NewCompany,
    NewContact, NewLead, NewNote, NewTask, NoteId, Pipeline, Task, TaskId,
};

pub use error::{CrmError, Violation, WrittenRef};
pub use filter::{
    CompanyFilter, ContactFilter, LeadFilter, Order, OrderField, SortDirection, TaskFilter,
    TimeRange,
};
pub use page::{Created, Page, PageCursor};

/// The CRM as the jobs see it.
///
/// Every method may fail with [`CrmError`]; see its variants for what a caller should do about each.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CrmClient: Send + Sync {
    /// One page of leads matching `filter`; `cursor: None` asks for the first page.
    async fn list_leads(
        &self,
        filter: &LeadFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Lead>, CrmError>;

    /// One page of contacts matching `filter`.
    async fn list_contacts(
        &self,
        filter: &ContactFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Contact>, CrmError>;

    /// One page of companies matching `filter`.
    async fn list_companies(
        &self,
        filter: &CompanyFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Company>, CrmError>;

    /// One page of tasks matching `filter`.
    async fn list_tasks(
        &self,
        filter: &TaskFilter,
        cursor: Option<PageCursor>,
    ) -> Result<Page<Task>, CrmError>;

    /// One lead; `None` when there is no such lead. `with_contacts` also reads its linked contacts.
    async fn get_lead(&self, id: LeadId, with_contacts: bool) -> Result<Option<Lead>, CrmError>;

    /// One contact; `None` when there is no such contact.
    async fn get_contact(&self, id: ContactId) -> Result<Option<Contact>, CrmError>;

    /// One company; `None` when there is no such company.
    async fn get_company(&self, id: CompanyId) -> Result<Option<Company>, CrmError>;

    /// Creates leads, in input order.
    async fn add_leads(&self, leads: &[NewLead]) -> Result<Vec<Created<LeadId>>, CrmError>;

    /// Changes leads; returns the ids changed.
    async fn update_leads(&self, updates: &[LeadUpdate]) -> Result<Vec<LeadId>, CrmError>;

    /// Creates contacts, in input order.
    async fn add_contacts(
        &self,
        contacts: &[NewContact],
    ) -> Result<Vec<Created<ContactId>>, CrmError>;

    /// Changes contacts; returns the ids changed.
    async fn update_contacts(&self, updates: &[ContactUpdate]) -> Result<Vec<ContactId>, CrmError>;

    /// Creates companies, in input order.
    async fn add_companies(
        &self,
        companies: &[NewCompany],
    ) -> Result<Vec<Created<CompanyId>>, CrmError>;

    /// Changes companies; returns the ids changed.
    async fn update_companies(&self, updates: &[CompanyUpdate])
    -> Result<Vec<CompanyId>, CrmError>;

    /// Creates leads each with a new contact and/or company in one call per chunk ("complex add").
    async fn add_complex(&self, items: &[ComplexLead]) -> Result<Vec<ComplexCreated>, CrmError>;

    /// Creates tasks.
    async fn add_tasks(&self, tasks: &[NewTask]) -> Result<Vec<Created<TaskId>>, CrmError>;

    /// Adds notes to entities (leads, contacts, companies).
    async fn add_notes(&self, notes: &[NewNote]) -> Result<Vec<Created<NoteId>>, CrmError>;

    /// Every pipeline with its statuses.
    async fn pipelines(&self) -> Result<Vec<Pipeline>, CrmError>;

    /// The custom fields configured for `entity`.
    async fn custom_fields(
        &self,
        entity: EntityKind,
    ) -> Result<Vec<CustomFieldDefinition>, CrmError>;
}

/// Most pages a collecting helper follows before it gives up; 10,000 pages of 250 is 2.5 million entities.
pub const MAX_PAGES: usize = 10_000;

/// Helpers that follow every page of a [`CrmClient`] list.
#[async_trait]
pub trait CrmClientExt: CrmClient {
    /// Every lead matching `filter`.
    async fn all_leads(&self, filter: &LeadFilter) -> Result<Vec<Lead>, CrmError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_leads(filter, cursor).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(CrmError::too_many_pages())
    }

    /// Every contact matching `filter`.
    async fn all_contacts(&self, filter: &ContactFilter) -> Result<Vec<Contact>, CrmError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_contacts(filter, cursor).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(CrmError::too_many_pages())
    }

    /// Every company matching `filter`.
    async fn all_companies(&self, filter: &CompanyFilter) -> Result<Vec<Company>, CrmError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_companies(filter, cursor).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(CrmError::too_many_pages())
    }

    /// Every task matching `filter`.
    async fn all_tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>, CrmError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_tasks(filter, cursor).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(CrmError::too_many_pages())
    }
}

impl<C: CrmClient + ?Sized> CrmClientExt for C {}

#[cfg(test)]
mod tests;
