//! Every amoCRM endpoint (method + path) the client can call, with its method names and the PHP SDK service it
//! matches: the one table `docs/amocrm.md` shows and `amocrm.endpoints_covered` counts.

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

const fn e(
    method: &'static str,
    path: &'static str,
    methods: &'static str,
    sdk: &'static str,
) -> Endpoint {
    Endpoint {
        method,
        path,
        methods,
        sdk,
    }
}

/// The endpoints the client covers.
pub const ENDPOINTS: &[Endpoint] = &[
    e(
        "POST",
        "/oauth2/access_token",
        "`authorize_with_code`, automatic refresh",
        "`getOAuthClient()->getAccessTokenByCode` / `…ByRefreshToken`",
    ),
    e(
        "GET",
        "/api/v4/account",
        "`account`",
        "`account()->getCurrent`",
    ),
    e("GET", "/api/v4/users", "`users`", "`users()->get`"),
    e(
        "GET",
        "/api/v4/leads",
        "`list_leads`, `all_leads`, `stream_leads`",
        "`leads()->get`",
    ),
    e(
        "GET",
        "/api/v4/leads/{id}",
        "`get_lead`",
        "`leads()->getOne`",
    ),
    e("POST", "/api/v4/leads", "`add_leads`", "`leads()->add`"),
    e(
        "PATCH",
        "/api/v4/leads",
        "`update_leads`, `tag_entities`",
        "`leads()->update`",
    ),
    e(
        "POST",
        "/api/v4/leads/complex",
        "`add_complex`",
        "`leads()->addComplex`",
    ),
    e(
        "GET",
        "/api/v4/contacts",
        "`list_contacts`, `all_contacts`, `stream_contacts`",
        "`contacts()->get`",
    ),
    e(
        "GET",
        "/api/v4/contacts/{id}",
        "`get_contact`",
        "`contacts()->getOne`",
    ),
    e(
        "POST",
        "/api/v4/contacts",
        "`add_contacts`",
        "`contacts()->add`",
    ),
    e(
        "PATCH",
        "/api/v4/contacts",
        "`update_contacts`, `tag_entities`",
        "`contacts()->update`",
    ),
    e(
        "GET",
        "/api/v4/companies",
        "`list_companies`, `all_companies`, `stream_companies`",
        "`companies()->get`",
    ),
    e(
        "GET",
        "/api/v4/companies/{id}",
        "`get_company`",
        "`companies()->getOne`",
    ),
    e(
        "POST",
        "/api/v4/companies",
        "`add_companies`",
        "`companies()->add`",
    ),
    e(
        "PATCH",
        "/api/v4/companies",
        "`update_companies`, `tag_entities`",
        "`companies()->update`",
    ),
    e(
        "GET",
        "/api/v4/tasks",
        "`list_tasks`, `all_tasks`, `stream_tasks`",
        "`tasks()->get`",
    ),
    e("POST", "/api/v4/tasks", "`add_tasks`", "`tasks()->add`"),
    e("GET", "/api/v4/tasks/{id}", "`task`", "`tasks()->getOne`"),
    e(
        "PATCH",
        "/api/v4/tasks",
        "`update_tasks`, `complete_tasks`",
        "`tasks()->update`",
    ),
    e(
        "PATCH",
        "/api/v4/tasks/{id}",
        "`update_task`, `complete_task`",
        "`tasks()->updateOne`",
    ),
    e(
        "GET",
        "/api/v4/{entity}/notes",
        "`list_notes`, `all_notes`, `entity_notes`, `all_entity_notes`",
        "`notes($entity)->get`",
    ),
    e(
        "POST",
        "/api/v4/{entity}/notes",
        "`add_notes`, `add_typed_notes`",
        "`notes($entity)->add`",
    ),
    e(
        "PATCH",
        "/api/v4/{entity}/notes",
        "`update_notes`",
        "`notes($entity)->update`",
    ),
    e(
        "GET",
        "/api/v4/{entity}/notes/{id}",
        "`note`",
        "`notes($entity)->getOne`",
    ),
    e(
        "PATCH",
        "/api/v4/{entity}/notes/{id}",
        "`update_note`",
        "`notes($entity)->updateOne`",
    ),
    e(
        "GET",
        "/api/v4/{entity}/{id}/notes",
        "`notes_of`",
        "`notes($entity)->getByParentId`",
    ),
    e(
        "POST",
        "/api/v4/{entity}/{id}/notes",
        "`add_notes_to`",
        "`notes($entity)->add` (entity in the body)",
    ),
    e(
        "GET",
        "/api/v4/{entity}/tags",
        "`list_tags`, `all_tags`",
        "`tags($entity)->get`",
    ),
    e(
        "POST",
        "/api/v4/{entity}/tags",
        "`add_tags`",
        "`tags($entity)->add`",
    ),
    e(
        "GET",
        "/api/v4/{entity}/links",
        "`list_links`",
        "`links($entity)->get`",
    ),
    e(
        "GET",
        "/api/v4/{entity}/{id}/links",
        "`links_of`",
        "`leads()->getLinks` (and contacts, companies)",
    ),
    e(
        "POST",
        "/api/v4/{entity}/link",
        "`link`",
        "`links($entity)->add`",
    ),
    e(
        "POST",
        "/api/v4/{entity}/unlink",
        "`unlink`",
        "`links($entity)->delete`",
    ),
    e(
        "POST",
        "/api/v4/{entity}/{id}/link",
        "`link_one`",
        "`leads()->link` (and contacts, companies)",
    ),
    e(
        "POST",
        "/api/v4/{entity}/{id}/unlink",
        "`unlink_one`",
        "`leads()->unlink` (and contacts, companies)",
    ),
    e(
        "GET",
        "/api/v4/events",
        "`list_events`, `all_events`, `stream_events`",
        "`events()->get`",
    ),
    e(
        "GET",
        "/api/v4/events/{id}",
        "`get_event`",
        "`events()->getOne`",
    ),
    e(
        "GET",
        "/api/v4/events/types",
        "`event_types`",
        "`eventTypes()->get`",
    ),
    e(
        "GET",
        "/api/v4/leads/pipelines",
        "`pipelines`",
        "`pipelines()->get`",
    ),
    e(
        "GET",
        "/api/v4/{entity}/custom_fields",
        "`custom_fields`",
        "`customFields($entity)->get`",
    ),
    e("GET", "/api/v4/webhooks", "`webhooks`", "`webhooks()->get`"),
    e(
        "POST",
        "/api/v4/webhooks",
        "`subscribe_webhook`",
        "`webhooks()->subscribe`",
    ),
    e(
        "DELETE",
        "/api/v4/webhooks",
        "`unsubscribe_webhook`",
        "`webhooks()->unsubscribe`",
    ),
    e(
        "GET",
        "/api/v4/leads/unsorted",
        "`list_unsorted`, `all_unsorted`",
        "`unsorted()->get`",
    ),
    e(
        "GET",
        "/api/v4/leads/unsorted/summary",
        "`unsorted_summary`",
        "`unsorted()->summary`",
    ),
    e(
        "GET",
        "/api/v4/leads/unsorted/{uid}",
        "`unsorted`",
        "`unsorted()->getOne`",
    ),
    e(
        "POST",
        "/api/v4/leads/unsorted/forms",
        "`add_unsorted_forms`",
        "`unsorted()->add` (forms)",
    ),
    e(
        "POST",
        "/api/v4/leads/unsorted/sip",
        "`add_unsorted_sip`",
        "`unsorted()->add` (sip)",
    ),
    e(
        "POST",
        "/api/v4/leads/unsorted/{uid}/accept",
        "`accept_unsorted`",
        "`unsorted()->accept`",
    ),
    e(
        "DELETE",
        "/api/v4/leads/unsorted/{uid}/decline",
        "`decline_unsorted`",
        "`unsorted()->decline`",
    ),
    e(
        "POST",
        "/api/v4/leads/unsorted/{uid}/link",
        "`link_unsorted`",
        "`unsorted()->link`",
    ),
    e(
        "GET",
        "/api/v4/sources",
        "`sources`",
        "`sources()->get`",
    ),
    e(
        "GET",
        "/api/v4/sources/{id}",
        "`source`",
        "`sources()->getOne`",
    ),
    e(
        "POST",
        "/api/v4/sources",
        "`add_sources`",
        "`sources()->add`",
    ),
    e(
        "PATCH",
        "/api/v4/sources",
        "`update_sources`",
        "`sources()->update`",
    ),
    e(
        "PATCH",
        "/api/v4/sources/{id}",
        "`update_source`",
        "`sources()->updateOne`",
    ),
    e(
        "DELETE",
        "/api/v4/sources",
        "`delete_sources`",
        "`sources()->delete`",
    ),
    e(
        "DELETE",
        "/api/v4/sources/{id}",
        "`delete_source`",
        "`sources()->deleteOne`",
    ),
];

/// PHP SDK services the client does not cover yet.
pub const NOT_COVERED: &[&str] = &[
    "`roles()`",
    "`catalogs()`",
    "`catalogElements()`",
    "`customers()`",
    "`customersStatuses()`",
    "`transactions()`",
    "`customFieldGroups($entity)`",
    "`lossReasons()`",
    "`statuses($pipeline)` writes",
    "`pipelines()` writes",
    "`customFields($entity)` writes",
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
    for endpoint in ENDPOINTS {
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            endpoint.method, endpoint.path, endpoint.methods, endpoint.sdk
        ));
    }
    out.push_str(&format!("\nNot covered yet: {}.\n", NOT_COVERED.join(", ")));
    out
}
