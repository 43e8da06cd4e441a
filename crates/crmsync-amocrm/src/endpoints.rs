//! Every amoCRM endpoint (method + path) the client can call, with its method names and the PHP SDK service it
//! matches: the one table `docs/amocrm.md` shows and `amocrm.endpoints_covered` counts.

use std::sync::LazyLock;

/// One endpoint the client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// HTTP method.
    pub method: &'static str,
    /// Path (`{entity}` is leads, contacts or companies).
    pub path: &'static str,
    /// The client's methods that call it.
    pub methods: &'static str,
    /// The PHP SDK (`amocrm/amocrm-api-php`) service and method.
    pub sdk: &'static str,
}

/// `METHOD PATH | client methods | PHP SDK`, one endpoint a line.
const TABLE: &str = "\
POST /oauth2/access_token | `authorize_with_code`, automatic refresh | `getOAuthClient()->getAccessTokenByCode` / `…ByRefreshToken`
GET /oauth2/account/subdomain | `account_domain`, automatic on `401`/`404` | `getOAuthClient()->getAccountDomain`
GET /api/v4/account | `account` | `account()->getCurrent`
GET /api/v4/users | `users` | `users()->get`
GET /api/v4/leads | `list_leads`, `all_leads`, `stream_leads` | `leads()->get`
GET /api/v4/leads/{id} | `get_lead` | `leads()->getOne`
POST /api/v4/leads | `add_leads` | `leads()->add`
PATCH /api/v4/leads | `update_leads`, `tag_entities` | `leads()->update`
POST /api/v4/leads/complex | `add_complex` | `leads()->addComplex`
GET /api/v4/contacts | `list_contacts`, `all_contacts`, `stream_contacts` | `contacts()->get`
GET /api/v4/contacts/{id} | `get_contact` | `contacts()->getOne`
POST /api/v4/contacts | `add_contacts` | `contacts()->add`
PATCH /api/v4/contacts | `update_contacts`, `tag_entities` | `contacts()->update`
GET /api/v4/companies | `list_companies`, `all_companies`, `stream_companies` | `companies()->get`
GET /api/v4/companies/{id} | `get_company` | `companies()->getOne`
POST /api/v4/companies | `add_companies` | `companies()->add`
PATCH /api/v4/companies | `update_companies`, `tag_entities` | `companies()->update`
GET /api/v4/tasks | `list_tasks`, `all_tasks`, `stream_tasks` | `tasks()->get`
POST /api/v4/tasks | `add_tasks` | `tasks()->add`
GET /api/v4/tasks/{id} | `task` | `tasks()->getOne`
PATCH /api/v4/tasks | `update_tasks`, `complete_tasks` | `tasks()->update`
PATCH /api/v4/tasks/{id} | `update_task`, `complete_task` | `tasks()->updateOne`
GET /api/v4/{entity}/notes | `list_notes`, `all_notes`, `entity_notes`, `all_entity_notes` | `notes($entity)->get`
POST /api/v4/{entity}/notes | `add_notes`, `add_typed_notes` | `notes($entity)->add`
PATCH /api/v4/{entity}/notes | `update_notes` | `notes($entity)->update`
GET /api/v4/{entity}/notes/{id} | `note` | `notes($entity)->getOne`
PATCH /api/v4/{entity}/notes/{id} | `update_note` | `notes($entity)->updateOne`
GET /api/v4/{entity}/{id}/notes | `notes_of` | `notes($entity)->getByParentId`
POST /api/v4/{entity}/{id}/notes | `add_notes_to` | `notes($entity)->add` (entity in the body)
GET /api/v4/{entity}/tags | `list_tags`, `all_tags` | `tags($entity)->get`
POST /api/v4/{entity}/tags | `add_tags` | `tags($entity)->add`
GET /api/v4/{entity}/links | `list_links` | `links($entity)->get`
GET /api/v4/{entity}/{id}/links | `links_of` | `leads()->getLinks` (and contacts, companies)
POST /api/v4/{entity}/link | `link` | `links($entity)->add`
POST /api/v4/{entity}/unlink | `unlink` | `links($entity)->delete`
POST /api/v4/{entity}/{id}/link | `link_one` | `leads()->link` (and contacts, companies)
POST /api/v4/{entity}/{id}/unlink | `unlink_one` | `leads()->unlink` (and contacts, companies)
GET /api/v4/events | `list_events`, `all_events`, `stream_events` | `events()->get`
GET /api/v4/events/{id} | `get_event` | `events()->getOne`
GET /api/v4/events/types | `event_types` | `eventTypes()->get`
GET /api/v4/leads/pipelines | `pipelines` | `pipelines()->get`
GET /api/v4/{entity}/custom_fields | `custom_fields` | `customFields($entity)->get`
GET /api/v4/webhooks | `webhooks` | `webhooks()->get`
POST /api/v4/webhooks | `subscribe_webhook` | `webhooks()->subscribe`
DELETE /api/v4/webhooks | `unsubscribe_webhook` | `webhooks()->unsubscribe`
GET /api/v4/leads/unsorted | `list_unsorted`, `all_unsorted` | `unsorted()->get`
GET /api/v4/leads/unsorted/summary | `unsorted_summary` | `unsorted()->summary`
GET /api/v4/leads/unsorted/{uid} | `unsorted` | `unsorted()->getOne`
POST /api/v4/leads/unsorted/forms | `add_unsorted_forms` | `unsorted()->add` (forms)
POST /api/v4/leads/unsorted/sip | `add_unsorted_sip` | `unsorted()->add` (sip)
POST /api/v4/leads/unsorted/{uid}/accept | `accept_unsorted` | `unsorted()->accept`
DELETE /api/v4/leads/unsorted/{uid}/decline | `decline_unsorted` | `unsorted()->decline`
POST /api/v4/leads/unsorted/{uid}/link | `link_unsorted` | `unsorted()->link`
GET /api/v4/sources | `sources` | `sources()->get`
GET /api/v4/sources/{id} | `source` | `sources()->getOne`
POST /api/v4/sources | `add_sources` | `sources()->add`
PATCH /api/v4/sources | `update_sources` | `sources()->update`
PATCH /api/v4/sources/{id} | `update_source` | `sources()->updateOne`
DELETE /api/v4/sources | `delete_sources` | `sources()->delete`
DELETE /api/v4/sources/{id} | `delete_source` | `sources()->deleteOne`
GET /api/v4/users/{id} | `user` | `users()->getOne`
GET /api/v4/leads/loss_reasons | `loss_reasons` | `lossReasons()->get`
GET /api/v4/leads/pipelines/{id} | `pipeline` | `pipelines()->getOne`
POST /api/v4/leads/pipelines | `add_pipelines` | `pipelines()->add`
PATCH /api/v4/leads/pipelines/{id} | `update_pipeline` | `pipelines()->updateOne`
DELETE /api/v4/leads/pipelines/{id} | `delete_pipeline` | `pipelines()->deleteOne`
GET /api/v4/leads/pipelines/{id}/statuses | `stages` | `statuses($pipelineId)->get`
GET /api/v4/leads/pipelines/{id}/statuses/{id} | `stage` | `statuses($pipelineId)->getOne`
POST /api/v4/leads/pipelines/{id}/statuses | `add_stages` | `statuses($pipelineId)->add`
PATCH /api/v4/leads/pipelines/{id}/statuses/{id} | `update_stage` | `statuses($pipelineId)->updateOne`
DELETE /api/v4/leads/pipelines/{id}/statuses/{id} | `delete_stage` | `statuses($pipelineId)->deleteOne`
GET /api/v4/{entity}/custom_fields/{id} | `custom_field` | `customFields($entity)->getOne`
POST /api/v4/{entity}/custom_fields | `add_custom_fields` | `customFields($entity)->add`
PATCH /api/v4/{entity}/custom_fields | `update_custom_fields` | `customFields($entity)->update`
PATCH /api/v4/{entity}/custom_fields/{id} | `update_custom_field` | `customFields($entity)->updateOne`
DELETE /api/v4/{entity}/custom_fields/{id} | `delete_custom_field` | `customFields($entity)->deleteOne`
GET /api/v4/{entity}/custom_fields/groups | `field_groups` | `customFieldGroups($entity)->get`
GET /api/v4/{entity}/custom_fields/groups/{id} | `field_group` | `customFieldGroups($entity)->getOne`
POST /api/v4/{entity}/custom_fields/groups | `add_field_groups` | `customFieldGroups($entity)->add`
PATCH /api/v4/{entity}/custom_fields/groups/{id} | `update_field_group` | `customFieldGroups($entity)->updateOne`
DELETE /api/v4/{entity}/custom_fields/groups/{id} | `delete_field_group` | `customFieldGroups($entity)->deleteOne`
GET /api/v4/catalogs | `catalogs` | `catalogs()->get`
GET /api/v4/catalogs/{id} | `catalog` | `catalogs()->getOne`
POST /api/v4/catalogs | `add_catalogs` | `catalogs()->add`
PATCH /api/v4/catalogs | `update_catalogs` | `catalogs()->update`
PATCH /api/v4/catalogs/{id} | `update_catalog` | `catalogs()->updateOne`
GET /api/v4/catalogs/{id}/elements | `list_elements`, `all_elements` | `catalogElements($catalogId)->get`
GET /api/v4/catalogs/{id}/elements/{id} | `element` | `catalogElements($catalogId)->getOne`
POST /api/v4/catalogs/{id}/elements | `add_elements` | `catalogElements($catalogId)->add`
PATCH /api/v4/catalogs/{id}/elements | `update_elements` | `catalogElements($catalogId)->update`
PATCH /api/v4/catalogs/{id}/elements/{id} | `update_element` | `catalogElements($catalogId)->updateOne`
GET /api/v4/customers | `list_customers`, `all_customers` | `customers()->get`
GET /api/v4/customers/{id} | `customer` | `customers()->getOne`
POST /api/v4/customers | `add_customers` | `customers()->add`
PATCH /api/v4/customers | `update_customers` | `customers()->update`
PATCH /api/v4/customers/{id} | `update_customer` | `customers()->updateOne`
GET /api/v4/customers/statuses | `customer_statuses` | `customersStatuses()->get`
PATCH /api/v4/customers/mode | `set_customers_mode` | `customers()->setMode`
GET /api/v4/roles | `roles` | `roles()->get`
GET /api/v4/roles/{id} | `role` | `roles()->getOne`
POST /api/v4/roles | `add_roles` | `roles()->add`
PATCH /api/v4/roles | `update_roles` | `roles()->update`
PATCH /api/v4/roles/{id} | `update_role` | `roles()->updateOne`
DELETE /api/v4/roles/{id} | `delete_role` | `roles()->deleteOne`
";

fn parse(line: &'static str) -> Option<Endpoint> {
    let mut parts = line.split(" | ");
    let (method, path) = parts.next()?.split_once(' ')?;
    let methods = parts.next()?;
    let sdk = parts.next()?;
    Some(Endpoint {
        method,
        path,
        methods,
        sdk,
    })
}

/// The endpoints the client covers.
pub static ENDPOINTS: LazyLock<Vec<Endpoint>> =
    LazyLock::new(|| TABLE.lines().filter_map(parse).collect());

/// PHP SDK services the client does not cover yet.
pub const NOT_COVERED: &[&str] = &[
    "`transactions()`",
    "`entitySubscriptions()`",
    "`widgets()`",
    "`calls()`",
    "`shortLinks()`",
    "`talks()`",
    "`products()`",
    "`chatTemplates()`",
    "`files()`",
    "`websiteButtons()`",
];

/// The endpoint table as Markdown, as `docs/amocrm.md` shows it.
pub fn markdown_table() -> String {
    let mut out = String::from("| method | path | client | PHP SDK |\n|---|---|---|---|\n");
    for endpoint in ENDPOINTS.iter() {
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            endpoint.method, endpoint.path, endpoint.methods, endpoint.sdk
        ));
    }
    out.push_str(&format!("\nNot covered yet: {}.\n", NOT_COVERED.join(", ")));
    out
}

/// How many lines of the table are endpoints (every one must parse).
#[cfg(test)]
pub(crate) fn table_lines() -> usize {
    TABLE.lines().filter(|l| !l.trim().is_empty()).count()
}
