//! `ident-sync` as a real process: no line it prints at the most verbose logging (`RUST_LOG=trace`), in text and
//! in JSON, names a patient or shows a phone of the generated clinic in any written form; and a mapped field the
//! account lacks is exit code 2 naming the key, before anything is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Command, Output};

use chrono::Duration;
use crmsync_domain::Phone;
use crmsync_ident::fixture;
use crmsync_sandbox::FaultPlan;
use crmsync_sandbox::clinic::{Clinic, ClinicSpec, FIRST_PATIENT_ID};
use ident_sync::sandbox;

/// Every way a phone may show up: as written, normalised, its digits, the national number, with a leading 8.
fn phone_forms(written: &str) -> Vec<String> {
    let mut out = Vec::new();
    if written.chars().filter(char::is_ascii_digit).count() >= 7 {
        out.push(written.to_owned());
    }
    if let Ok(phone) = Phone::parse(written) {
        let e164 = phone.as_e164().to_owned();
        let digits = e164.trim_start_matches('+').to_owned();
        let national = digits[digits.len() - 10..].to_owned();
        out.extend([e164, digits, format!("8{national}"), national]);
    }
    out
}

/// The personal data of every patient of `clinic`: each part of the name, the full name, every phone form.
fn personal_data(clinic: &Clinic) -> Vec<String> {
    let mut out = Vec::new();
    for person in clinic.persons.iter().filter(|p| p.id >= FIRST_PATIENT_ID) {
        let parts: Vec<&str> = [
            Some(&person.surname),
            Some(&person.name),
            person.patronymic.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
        out.extend(parts.iter().map(|p| (*p).to_owned()));
        out.push(parts.join(" "));
        for phone in [&person.phone, &person.mobile_phone].into_iter().flatten() {
            out.extend(phone_forms(phone));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn run(mut command: Command) -> Output {
    command.env("RUST_LOG", "trace").output().unwrap()
}

/// Asserts no line of stdout or stderr holds any of `secrets`; returns how many lines stderr had.
fn assert_clean(label: &str, output: &Output, secrets: &[String]) -> usize {
    assert!(
        output.status.success(),
        "{label} failed: {}",
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    for stream in [&output.stdout, &output.stderr] {
        for line in String::from_utf8_lossy(stream).lines() {
            for secret in secrets {
                assert!(
                    !line.contains(secret.as_str()),
                    "{label}: personal data {secret:?} in: {line}"
                );
            }
        }
    }
    String::from_utf8_lossy(&output.stderr).lines().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_line_at_any_log_level_names_a_patient_or_shows_a_phone() {
    let dir = support::temp_dir("logs");
    let mis_url = format!("sqlite:{}", dir.join("ident.sqlite").display());
    let storage_url = format!("sqlite:{}", dir.join("store.sqlite").display());
    let spec = ClinicSpec::demo(sandbox::clinic_now());
    let (mis, clinic) = sandbox::create_clinic(&mis_url, spec.clone())
        .await
        .unwrap();
    let emulator = sandbox::start_amocrm(None, 1_000, FaultPlan::none())
        .await
        .unwrap();
    let config =
        support::write_config(&dir, &emulator.base_url(), &mis_url, &storage_url, 250, &[]);
    let mut secrets = personal_data(&clinic);
    let renamed = "Новоселова-Тестовая";
    let new_phone = "+7 (999) 765-43-21";
    secrets.push(renamed.to_owned());
    secrets.extend(phone_forms(new_phone));
    let text = |args: &[&str]| {
        let mut c = support::ident_sync(&config);
        c.args(["-vv", "--log-format", "human"]).args(args);
        c
    };
    let json = |args: &[&str]| {
        let mut c = support::ident_sync(&config);
        c.args(["-vv", "--log-format", "json", "--json"]).args(args);
        c
    };

    let first = run(text(&["reception-sync"]));
    let lines = assert_clean("reception-sync (text)", &first, &secrets);
    assert!(lines > 100, "trace logging is on: {lines} lines");
    assert!(
        emulator.dump().contacts.len() > 50,
        "the run created contacts"
    );

    let at = sandbox::clinic_now() + Duration::minutes(2);
    let synced = *support::synced_patients(&clinic).iter().min().unwrap();
    fixture::edit_patient(&mis, synced, renamed, new_phone, at)
        .await
        .unwrap();
    let touched: Vec<i64> = clinic.receptions.iter().take(20).map(|r| r.id).collect();
    fixture::touch_receptions(&mis, &touched, at, "2500")
        .await
        .unwrap();
    let patients = run(json(&["patient-sync"]));
    assert_clean("patient-sync (json)", &patients, &secrets);
    assert!(
        String::from_utf8_lossy(&patients.stdout).contains("\"contacts_updated\":1"),
        "the renamed patient's contact was refreshed: {}",
        String::from_utf8_lossy(&patients.stdout)
    );
    let receptions = run(json(&["reception-sync"]));
    let lines = assert_clean("reception-sync (json)", &receptions, &secrets);
    assert!(lines > 20, "trace logging is on: {lines} lines");
    let reception = clinic.receptions[0].id.to_string();
    for (label, command) in [
        (
            "test-reception (json)",
            json(&["test-reception", &reception]),
        ),
        (
            "test-reception (text)",
            text(&["test-reception", &reception]),
        ),
        (
            "deep-sync --dry-run (json)",
            json(&["--dry-run", "deep-sync"]),
        ),
        (
            "deep-sync --dry-run (text)",
            text(&["--dry-run", "deep-sync"]),
        ),
        ("stats (json)", json(&["stats"])),
        ("stats (text)", text(&["stats"])),
        ("test-db (text)", text(&["test-db"])),
    ] {
        assert_clean(label, &run(command), &secrets);
    }

    // `--sandbox`: the emulator runs inside the process, so its lines are checked too.
    let sandbox_dir = dir.join("sandbox");
    std::fs::create_dir_all(&sandbox_dir).unwrap();
    let sandbox_mis = format!("sqlite:{}", sandbox_dir.join("ident.sqlite").display());
    let (_, sandbox_clinic) = sandbox::create_clinic(&sandbox_mis, spec).await.unwrap();
    let sandbox_secrets = personal_data(&sandbox_clinic);
    for format in ["human", "json"] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ident-sync"));
        command
            .args(["--sandbox", "-vv", "--log-format", format, "--sandbox-dir"])
            .arg(&sandbox_dir)
            .arg("reception-sync");
        if format == "json" {
            command.arg("--json");
        }
        assert_clean(
            &format!("--sandbox ({format})"),
            &run(command),
            &sandbox_secrets,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapped_field_the_account_lacks_is_exit_2_naming_the_key_and_nothing_is_written() {
    let dir = support::temp_dir("missing-field");
    let mis_url = format!("sqlite:{}", dir.join("ident.sqlite").display());
    let storage_url = format!("sqlite:{}", dir.join("store.sqlite").display());
    let spec = ClinicSpec {
        patients: 10,
        receptions: 10,
        ..ClinicSpec::demo(sandbox::clinic_now())
    };
    sandbox::create_clinic(&mis_url, spec).await.unwrap();
    let emulator = sandbox::start_amocrm(None, 1_000, FaultPlan::none())
        .await
        .unwrap();
    for key in [
        "reception_id",
        "reception_date",
        "doctor_name",
        "service_name",
        "reception_cost",
        "patient_number",
    ] {
        let config = support::write_config(
            &dir,
            &emulator.base_url(),
            &mis_url,
            &storage_url,
            250,
            &[(key, 987_654)],
        );
        let commands: &[&str] = if key == "doctor_name" {
            &["reception-sync", "test-amocrm", "patient-sync", "deep-sync"]
        } else {
            &["reception-sync"]
        };
        for command in commands {
            let output = support::ident_sync(&config).arg(command).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{key}, {command}: {stderr}");
            let line = stderr.lines().last().unwrap_or_default();
            assert!(
                line.contains(&format!("config key `fields.{key}`")) && line.contains("987654"),
                "{command}: the last line names the key and the id: {line}"
            );
        }
    }
    let dump = emulator.dump();
    assert_eq!((dump.leads.len(), dump.contacts.len()), (0, 0));
    let _ = std::fs::remove_dir_all(&dir);
}
