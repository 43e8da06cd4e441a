//! What the end-to-end suites share: the outcome a generated clinic should end in, read from the emulator.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};

use crmsync_domain::Phone;
use crmsync_domain::reception::parse_birthday;
use crmsync_sandbox::amocrm::StateDump;
use crmsync_sandbox::clinic::{Clinic, PersonRow};
use serde_json::Value;

/// A fresh directory under the system's temp dir.
pub(crate) fn temp_dir(label: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir =
        std::env::temp_dir().join(format!("ident-sync-{label}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The usable phones of a person, normalised.
pub(crate) fn usable_phones(person: &PersonRow) -> Vec<String> {
    [&person.phone, &person.mobile_phone]
        .into_iter()
        .flatten()
        .filter_map(|p| Phone::parse(p).ok())
        .map(|p| p.as_e164().to_owned())
        .collect()
}

/// The receptions a sync turns into deals: not a bad row, of a patient with a usable phone and a readable
/// birthday.
pub(crate) fn valid_receptions(clinic: &Clinic) -> HashSet<i64> {
    let bad: HashSet<i64> = clinic.bad_reception_ids().into_iter().collect();
    let unusable: HashSet<i64> = clinic
        .persons
        .iter()
        .filter(|p| usable_phones(p).is_empty() || parse_birthday(p.birthday.as_deref()).is_err())
        .map(|p| p.id)
        .collect();
    clinic
        .receptions
        .iter()
        .filter(|r| !bad.contains(&r.id))
        .filter(|r| r.patient_id.is_some_and(|p| !unusable.contains(&p)))
        .map(|r| r.id)
        .collect()
}

/// The patients of the valid receptions (each should have exactly one contact).
pub(crate) fn synced_patients(clinic: &Clinic) -> HashSet<i64> {
    let valid = valid_receptions(clinic);
    clinic
        .receptions
        .iter()
        .filter(|r| valid.contains(&r.id))
        .filter_map(|r| r.patient_id)
        .collect()
}

/// The reception id (field 26) of a dumped deal.
pub(crate) fn reception_id(lead: &Value) -> Option<i64> {
    lead.get("custom_fields_values")?
        .as_array()?
        .iter()
        .find(|f| f.get("field_id").and_then(Value::as_i64) == Some(26))?
        .get("values")?
        .get(0)?
        .get("value")
        .and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| v.as_i64())
        })
}

/// The normalised phones of a dumped contact.
pub(crate) fn contact_phones(contact: &Value) -> Vec<String> {
    contact
        .get("custom_fields_values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|f| f.get("field_code").and_then(Value::as_str) == Some("PHONE"))
        .flat_map(|f| {
            f.get("values")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.get("value").and_then(Value::as_str).map(str::to_owned))
        .filter_map(|p| Phone::parse(&p).ok().map(|p| p.as_e164().to_owned()))
        .collect()
}

/// Asserts the account holds exactly one deal per valid reception, each linked to one contact, and exactly one
/// contact per synced patient (found by the patient's phones).
pub(crate) fn assert_one_deal_per_reception_one_contact_per_patient(
    dump: &StateDump,
    clinic: &Clinic,
) {
    let mut per_reception: HashMap<i64, usize> = HashMap::new();
    for lead in &dump.leads {
        let id = reception_id(lead).expect("every deal carries its reception id");
        *per_reception.entry(id).or_default() += 1;
    }
    let doubled: Vec<_> = per_reception.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "receptions with two deals: {doubled:?}");
    let have: HashSet<i64> = per_reception.keys().copied().collect();
    assert_eq!(
        have,
        valid_receptions(clinic),
        "one deal per valid reception"
    );

    let mut contacts_of: HashMap<i64, usize> = HashMap::new();
    for link in dump
        .links
        .iter()
        .filter(|l| l.from_entity == "leads" && l.to_entity == "contacts")
    {
        *contacts_of.entry(link.from_id).or_default() += 1;
    }
    assert_eq!(
        contacts_of.len(),
        dump.leads.len(),
        "every deal has a contact"
    );
    assert!(
        contacts_of.values().all(|n| *n == 1),
        "one contact per deal"
    );

    let mut holders: HashMap<String, HashSet<i64>> = HashMap::new();
    for contact in &dump.contacts {
        let id = contact.get("id").and_then(Value::as_i64).unwrap();
        for phone in contact_phones(contact) {
            holders.entry(phone).or_default().insert(id);
        }
    }
    let patients = synced_patients(clinic);
    for person in clinic.persons.iter().filter(|p| patients.contains(&p.id)) {
        let contacts: HashSet<i64> = usable_phones(person)
            .iter()
            .flat_map(|p| holders.get(p).cloned().unwrap_or_default())
            .collect();
        assert_eq!(
            contacts.len(),
            1,
            "patient {} has {} contacts",
            person.id,
            contacts.len()
        );
    }
    assert_eq!(
        dump.contacts.len(),
        patients.len(),
        "one contact per patient"
    );
}

/// Where a child `ident-sync` process finds everything: a config file naming the emulator, the clinic and the
/// storage.
pub(crate) struct ChildConfig {
    /// The config file.
    pub(crate) path: std::path::PathBuf,
}

/// Writes a config for `ident-sync` against the emulator at `base_url`, the IDENT database `mis_url` and the
/// storage `storage_url`; `fields` replaces field ids of the sandbox mapping (`("doctor_name", 99)`).
pub(crate) fn write_config(
    dir: &std::path::Path,
    base_url: &str,
    mis_url: &str,
    storage_url: &str,
    batch_size: usize,
    fields: &[(&str, i64)],
) -> ChildConfig {
    let s = ident_sync::sandbox::settings();
    let f = &s.fields;
    let mut mapping = vec![
        ("reception_id", f.reception_id.0),
        ("reception_date", f.reception_date.unwrap().0),
        ("doctor_name", f.doctor.unwrap().0),
        ("service_name", f.service.unwrap().0),
        ("reception_cost", f.cost.unwrap().0),
        ("patient_number", f.patient_number.unwrap().0),
    ];
    for (key, value) in fields {
        mapping.retain(|(k, _)| k != key);
        mapping.push((key, *value));
    }
    let fields: String = mapping
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    let text = format!(
        r#"[amocrm]
base_url = "{base_url}"
long_lived_token = "{token}"
rate_limit_per_s = 7
request_timeout_ms = 5000

[mis]
url = "{mis_url}"

[pipelines]
primary_pipeline_id = {pp}
primary_status_id = {ps}
secondary_pipeline_id = {sp}
secondary_status_id = {ss}

[sync]
batch_size = {batch_size}

[storage]
url = "{storage_url}"

[lock]
ttl_s = 3
wait_s = 30

[fields]
{fields}"#,
        token = ident_sync::sandbox::SANDBOX_TOKEN,
        pp = s.primary.pipeline_id.0,
        ps = s.primary.status_id.0,
        sp = s.secondary.pipeline_id.0,
        ss = s.secondary.status_id.0,
    );
    let path = dir.join(format!(
        "ident-sync-{}.toml",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::write(&path, text).unwrap();
    ChildConfig { path }
}

/// `ident-sync --config FILE` with no inherited log settings.
pub(crate) fn ident_sync(config: &ChildConfig) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ident-sync"));
    command
        .env_remove("RUST_LOG")
        .arg("--config")
        .arg(&config.path);
    command
}
