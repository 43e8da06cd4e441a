//! Tests of filter query strings.

use chrono::{TimeZone, Utc};
use crmsync_domain::crm::{EntityKind, LeadId, PipelineId, StatusId, StatusRef};
use crmsync_ports::{ContactFilter, LeadFilter, TaskFilter};

use super::*;

#[test]
fn lead_filters_use_indexed_bracket_syntax() {
    let filter = LeadFilter {
        ids: vec![LeadId(1), LeadId(2)],
        statuses: vec![
            StatusRef::new(PipelineId(5597036), StatusId(49366085)),
            StatusRef::new(PipelineId(5597036), StatusId::LOST),
        ],
        ..LeadFilter::default()
    }
    .with_contacts()
    .updated_since(Utc.timestamp_opt(1_700_000_000, 0).unwrap());
    assert_eq!(
        leads(&filter, 250).to_path("/api/v4/leads"),
        "/api/v4/leads?limit=250&with=contacts&filter[id][0]=1&filter[id][1]=2\
         &filter[statuses][0][pipeline_id]=5597036&filter[statuses][0][status_id]=49366085\
         &filter[statuses][1][pipeline_id]=5597036&filter[statuses][1][status_id]=143\
         &filter[updated_at][from]=1700000000&order[updated_at]=asc"
    );
}

#[test]
fn queries_are_percent_encoded() {
    let filter = ContactFilter::query("+7 916 & co/ä");
    assert_eq!(
        contacts(&filter, 50).to_path("/api/v4/contacts"),
        "/api/v4/contacts?limit=50&query=%2B7%20916%20%26%20co%2F%C3%A4"
    );
}

#[test]
fn task_filters_name_the_entity_type() {
    let filter = TaskFilter::open_for(EntityKind::Leads, [7, 8]);
    assert_eq!(
        tasks(&filter, 250).to_path("/api/v4/tasks"),
        "/api/v4/tasks?limit=250&filter[entity_type]=leads&filter[entity_id][0]=7&filter[entity_id][1]=8&filter[is_completed]=0"
    );
}
