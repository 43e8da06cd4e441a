//! amoCRM client benchmarks: sustained request rate and batch-create throughput against the 7 rps emulator,
//! reading the event list page by page, decoding a 250-lead page, and webhook parsing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crmsync_amocrm::events::EventFilter;
use crmsync_amocrm::webhook;
use crmsync_amocrm::{AmoCrmClient, BatchPolicy, Credentials, CrmClient};
use crmsync_domain::crm::{
    ContactId, CustomFieldValue, EntityKind, LeadUpdate, NewContact, NewLead,
};
use crmsync_ports::LeadFilter;
use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};

use crate::report::Report;

const TOKEN: &str = "bench-long-lived-token";
const SUSTAINED: Duration = Duration::from_secs(30);

/// Runs every amoCRM figure.
pub(crate) fn run(report: &mut Report) -> anyhow::Result<()> {
    report.input("the client's endpoint table");
    report
        .record(
            "amocrm.endpoints_covered",
            crmsync_amocrm::endpoints::ENDPOINTS.len() as f64,
        )
        .goal("every service of the official PHP SDK");
    report.input("one page of 250 leads (JSON)");
    report.record("amocrm.decode_page_250_us", decode_page_250_us()?);
    report.input("one webhook delivery (form-encoded)");
    report.record("amocrm.webhook_parse_per_s", webhook_parse_per_s()?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (rps, limited) = runtime.block_on(sustained_rps())?;
    report.input(format!(
        "{} s of mixed calls against the emulator's 7 requests/s",
        SUSTAINED.as_secs()
    ));
    report.record("amocrm.sustained_rps", rps).goal("≥ 6.5");
    report
        .record("amocrm.rate_limited_responses", limited)
        .goal("0");
    report.input("batch creates of 250 entities against the emulator's 7 requests/s");
    report
        .record(
            "amocrm.batch_create_entities_per_s",
            runtime.block_on(batch_create_entities_per_s())?,
        )
        .goal("≥ 1,500");
    report.input("3,000 events in pages of 100, one client at 7 requests/s");
    report.record(
        "amocrm.events_pages_per_s",
        runtime.block_on(events_pages_per_s())?,
    );
    Ok(())
}

async fn emulator() -> anyhow::Result<AmoCrmEmulator> {
    Ok(AmoCrmEmulator::start(AmoCrmConfig {
        long_lived_token: Some(TOKEN.to_owned()),
        ..AmoCrmConfig::default()
    })
    .await?)
}

fn client(emulator: &AmoCrmEmulator, chunk: usize) -> anyhow::Result<AmoCrmClient> {
    Ok(
        AmoCrmClient::builder(emulator.base_url(), Credentials::LongLived(TOKEN.into()))
            .batch(BatchPolicy {
                write_chunk: chunk,
                ..BatchPolicy::default()
            })
            .build()?,
    )
}

/// Requests per second over 30 s of mixed reads and writes from four concurrent callers sharing one client.
async fn sustained_rps() -> anyhow::Result<(f64, f64)> {
    let emulator = emulator().await?;
    let client = client(&emulator, 50)?;
    let seeded = client
        .add_leads(
            &(0..20)
                .map(|i| NewLead {
                    name: Some(format!("bench {i}")),
                    ..NewLead::default()
                })
                .collect::<Vec<_>>(),
        )
        .await?;
    let lead_ids: Vec<_> = seeded.iter().map(|c| c.id).collect();
    emulator.reset_request_stats();
    let started = Instant::now();
    let deadline = started + SUSTAINED;
    let workers = (0..4).map(|worker| {
        let client = client.clone();
        let lead_ids = lead_ids.clone();
        tokio::spawn(async move {
            let mut i = worker;
            while Instant::now() < deadline {
                let result = match i % 4 {
                    0 => client
                        .list_leads(&LeadFilter::default(), None)
                        .await
                        .map(drop),
                    1 => client.get_contact(ContactId(1)).await.map(drop),
                    2 => client.custom_fields(EntityKind::Leads).await.map(drop),
                    _ => client
                        .update_leads(&[LeadUpdate {
                            id: lead_ids[i % lead_ids.len()],
                            name: Some(format!("bench update {i}")),
                            ..LeadUpdate::default()
                        }])
                        .await
                        .map(drop),
                };
                result?;
                i += 1;
            }
            Ok::<_, crmsync_amocrm::CrmError>(())
        })
    });
    for worker in workers {
        worker.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = emulator.stats();
    emulator.shutdown().await;
    #[allow(clippy::cast_precision_loss)]
    Ok((
        stats.requests_total as f64 / elapsed,
        stats.rate_limited as f64,
    ))
}

/// Contacts created per second in 250-entity batches at the rate limit.
async fn batch_create_entities_per_s() -> anyhow::Result<f64> {
    let emulator = emulator().await?;
    let client = client(&emulator, 250)?;
    let contacts: Vec<NewContact> = (0..5_000)
        .map(|i| NewContact {
            name: Some(format!("bench contact {i}")),
            custom_fields: vec![CustomFieldValue::phone(format!("+7916{i:07}"))],
            ..NewContact::default()
        })
        .collect();
    client.pipelines().await?;
    let started = Instant::now();
    let created = client.add_contacts(&contacts).await?;
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        created.len() == contacts.len(),
        "not every contact was created"
    );
    emulator.shutdown().await;
    #[allow(clippy::cast_precision_loss)]
    Ok(created.len() as f64 / elapsed)
}

/// Pages of 100 events read per second by one client at the 7 requests/s limit, following `_links.next`
/// through 3,000 `lead_added` events.
async fn events_pages_per_s() -> anyhow::Result<f64> {
    let emulator = emulator().await?;
    let client = client(&emulator, 250)?;
    let leads: Vec<NewLead> = (0..3_000)
        .map(|i| NewLead {
            name: Some(format!("bench event lead {i}")),
            ..NewLead::default()
        })
        .collect();
    client.add_leads(&leads).await?;
    let filter = EventFilter {
        limit: Some(crmsync_amocrm::events::MAX_EVENTS_PAGE),
        ..EventFilter::of_types(["lead_added"])
    };
    let started = Instant::now();
    let mut pages = 0_u32;
    let mut events = 0_usize;
    let mut cursor = None;
    loop {
        let page = client.list_events(&filter, cursor).await?;
        pages += 1;
        events += page.items.len();
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(events == leads.len(), "not every event was read");
    emulator.shutdown().await;
    Ok(f64::from(pages) / elapsed)
}

fn lead_page(n: usize) -> String {
    let leads: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":{id},"name":"Сделка {i}","price":{price},"responsible_user_id":7000001,"group_id":0,
                "status_id":8000012,"pipeline_id":8000001,"loss_reason_id":null,"created_by":7000001,"updated_by":0,
                "created_at":1700000000,"updated_at":1700000100,"closed_at":null,"closest_task_at":null,
                "is_deleted":false,"custom_fields_values":[
                  {{"field_id":9000201,"field_name":"Case number","field_code":null,"field_type":"text","values":[{{"value":"А40-{i}/2024"}}]}},
                  {{"field_id":9000203,"field_name":"Source","field_code":null,"field_type":"select","values":[{{"value":"Website","enum_id":9100201}}]}},
                  {{"field_id":9000204,"field_name":"Visit date","field_code":null,"field_type":"date","values":[{{"value":1700000000}}]}}],
                "score":null,"account_id":1,"_links":{{"self":{{"href":"http://127.0.0.1/api/v4/leads/{id}"}}}},
                "_embedded":{{"tags":[{{"id":1,"name":"vip"}}],"companies":[{{"id":{company}}}],
                  "contacts":[{{"id":{contact},"is_main":true}}]}}}}"#,
                id = 10_000_000 + i,
                price = 1000 + i,
                company = 20_000_000 + i,
                contact = 30_000_000 + i,
            )
        })
        .collect();
    format!(
        r#"{{"_page":1,"_links":{{"self":{{"href":"http://127.0.0.1/api/v4/leads?page=1"}},"next":{{"href":"http://127.0.0.1/api/v4/leads?page=2"}}}},"_embedded":{{"leads":[{}]}}}}"#,
        leads.join(",")
    )
}

/// Microseconds to decode one page of 250 leads with custom fields and links.
fn decode_page_250_us() -> anyhow::Result<f64> {
    let body = lead_page(250).into_bytes();
    let decoded = crmsync_amocrm::__private::decode_leads_page(&body)?;
    anyhow::ensure!(decoded.len() == 250, "the bench page did not decode fully");
    let rounds = 200;
    let started = Instant::now();
    for _ in 0..rounds {
        black_box(crmsync_amocrm::__private::decode_leads_page(black_box(
            &body,
        ))?);
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds))
}

/// Webhook bodies (one lead update with custom fields and the account) parsed per second.
fn webhook_parse_per_s() -> anyhow::Result<f64> {
    let body = "leads%5Bupdate%5D%5B0%5D%5Bid%5D=5685933&leads%5Bupdate%5D%5B0%5D%5Bname%5D=%D0%A1%D0%B4%D0%B5%D0%BB%D0%BA%D0%B0\
        &leads%5Bupdate%5D%5B0%5D%5Bstatus_id%5D=43315792&leads%5Bupdate%5D%5B0%5D%5Bold_status_id%5D=43315795\
        &leads%5Bupdate%5D%5B0%5D%5Bprice%5D=450&leads%5Bupdate%5D%5B0%5D%5Bresponsible_user_id%5D=3493057\
        &leads%5Bupdate%5D%5B0%5D%5Blast_modified%5D=1635139016&leads%5Bupdate%5D%5B0%5D%5Bpipeline_id%5D=4740529\
        &leads%5Bupdate%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bid%5D=629233\
        &leads%5Bupdate%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bname%5D=%D0%A3%D1%81%D0%BB%D1%83%D0%B3%D0%B8\
        &leads%5Bupdate%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=1234\
        &leads%5Bupdate%5D%5B0%5D%5Bcreated_at%5D=1635022800&leads%5Bupdate%5D%5B0%5D%5Bupdated_at%5D=1635139016\
        &account%5Bsubdomain%5D=ablaser&account%5Bid%5D=29715442&account%5B_links%5D%5Bself%5D=https%3A%2F%2Fablaser.amocrm.ru";
    anyhow::ensure!(
        webhook::parse(body.as_bytes())?.len() == 1,
        "the bench body did not parse"
    );
    let started = Instant::now();
    let mut parsed = 0_u32;
    while started.elapsed() < Duration::from_secs(2) {
        for _ in 0..100 {
            black_box(webhook::parse(black_box(body.as_bytes()))?);
        }
        parsed += 100;
    }
    Ok(f64::from(parsed) / started.elapsed().as_secs_f64())
}
