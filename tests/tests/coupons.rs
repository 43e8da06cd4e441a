//! End to end: the `coupons` binary as a real process — preview, generate/show/export on SQLite and PostgreSQL,
//! a run killed (SIGKILL) or interrupted (SIGINT) mid-way and resumed, and `serve` driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

mod coupons_support;

use coupons_support::*;

#[test]
fn messages_and_reports_speak_russian_by_flag_or_locale() {
    let scratch = Scratch::new(None, "");
    let by_flag = scratch.run(&["--lang", "ru", "preview", "КОД-##", "-n", "3"]);
    assert!(by_flag.status.success(), "{}", stderr(&by_flag));
    let stdout = String::from_utf8(by_flag.stdout).unwrap();
    assert!(
        stdout.starts_with("шаблон КОД-## даёт 100 разных кодов; образцов: 3"),
        "{stdout}"
    );
    let by_locale = scratch
        .command(&[
            "generate",
            "--template",
            "КОД-##",
            "--count",
            "500",
            "--discount",
            "1",
        ])
        .env("LANG", "ru_RU.UTF-8")
        .output()
        .unwrap();
    assert_eq!(code(&by_locale), 2, "{}", stderr(&by_locale));
    assert_eq!(
        error_line(&by_locale),
        "error: count: шаблон даёт не больше 100 разных кодов; запрошено 500"
    );
    let english = scratch
        .command(&[
            "--lang",
            "en",
            "generate",
            "--template",
            "КОД-##",
            "--count",
            "500",
            "--discount",
            "1",
        ])
        .env("LC_ALL", "ru_RU.UTF-8")
        .output()
        .unwrap();
    assert_eq!(
        error_line(&english),
        "error: count: the template yields at most 100 distinct codes; 500 requested"
    );
    let generated = scratch
        .command(&[
            "--lang",
            "ru",
            "generate",
            "--template",
            "Б-###",
            "--count",
            "20",
            "--discount",
            "3",
        ])
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", stderr(&generated));
    let report = String::from_utf8(generated.stdout).unwrap();
    assert!(
        report.contains("завершён — сгенерировано 20 из 20 (100%)"),
        "{report}"
    );
}

#[test]
fn preview_draws_codes_and_bad_input_exits_2_with_one_line() {
    let scratch = Scratch::new(None, "");
    let output = scratch.run(&["preview", "ПРОМО-$$-##", "-n", "7"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let codes: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(codes.len(), 7);
    for code in codes {
        let chars: Vec<char> = code.chars().collect();
        assert_eq!(chars.len(), 11, "{code}");
        assert!(code.starts_with("ПРОМО-"));
        assert!(
            chars[6..8].iter().all(char::is_ascii_uppercase)
                && chars[9..].iter().all(char::is_ascii_digit)
        );
    }

    let bad_template = scratch.run(&["preview", r"AB\x"]);
    assert_eq!(code(&bad_template), 2);
    let line = error_line(&bad_template);
    assert!(
        line.contains("template") && line.contains("position 4"),
        "{line}"
    );
    assert_eq!(
        stderr(&bad_template).lines().count(),
        1,
        "{}",
        stderr(&bad_template)
    );

    let too_many = scratch.run(&[
        "generate",
        "--template",
        "###",
        "--count",
        "1001",
        "--discount",
        "1",
    ]);
    assert_eq!(code(&too_many), 2);
    assert!(
        error_line(&too_many).contains("count: the template yields at most 1000"),
        "{}",
        stderr(&too_many)
    );

    let no_uses = scratch.run(&[
        "generate",
        "--template",
        "###",
        "--count",
        "5",
        "--discount",
        "1",
        "--type",
        "multi_order",
    ]);
    assert_eq!(code(&no_uses), 2);
    assert!(
        error_line(&no_uses).contains("max_uses: required"),
        "{}",
        stderr(&no_uses)
    );

    let not_a_number = scratch.run(&[
        "generate",
        "--template",
        "###",
        "--count",
        "many",
        "--discount",
        "1",
    ]);
    assert_eq!(code(&not_a_number), 2);
    assert!(
        stderr(&not_a_number).contains("--count"),
        "{}",
        stderr(&not_a_number)
    );

    let unknown = scratch.run(&["show", "4242"]);
    assert_eq!(code(&unknown), 2);
    assert!(error_line(&unknown).contains("process 4242 does not exist"));
}

#[test]
fn generate_show_list_export_on_sqlite_and_sandbox() {
    let scratch = Scratch::new(None, "[generation]\nchunk_size = 64\n");
    let output = scratch.run(&[
        "generate",
        "--template",
        r"WIN-@@-\#$$$",
        "--count",
        "500",
        "--discount",
        "12",
        "--type",
        "multi_order",
        "--max-uses",
        "3",
        "--active-to",
        "2026-12-31",
        "--description",
        "зимняя акция, 5%",
        "--case",
        "mixed",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = scratch.json(&["show", "latest"]);
    assert_eq!(report["status"], "completed");
    assert_eq!(report["processed"], 500);
    assert_eq!(report["settings"]["coupon"]["max_uses"], 3);
    let id = report["id"].to_string();
    let codes = scratch.codes(&id);
    assert_distinct(&codes, 500);
    assert!(
        codes
            .iter()
            .all(|c| c.starts_with("WIN-") && c.contains('#') && c.chars().count() == 11)
    );

    let csv = scratch.run(&["export", &id, "--format", "csv"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 501);
    assert!(lines[0].starts_with("code,discount_id,type"));
    assert!(
        lines[1]
            .contains(",12,multi_order,4,Y,,2026-12-31T00:00:00+00:00,3,,\"зимняя акция, 5%\","),
        "{}",
        lines[1]
    );

    let listed = scratch.json(&["list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let sandbox = Command::new(BIN)
        .args([
            "--sandbox",
            "generate",
            "--template",
            "SB-####",
            "--count",
            "40",
            "--discount",
            "1",
        ])
        .current_dir(&scratch.dir)
        .output()
        .unwrap();
    assert!(sandbox.status.success(), "{}", stderr(&sandbox));
    assert!(scratch.dir.join("target/demo/coupons.sqlite").is_file());
}

/// Waits until the latest run has committed at least one chunk, then returns its id.
const KILL_COUNT: &str = "150000";

fn killed_generation_resumes_with_exactly_the_count(storage_url: Option<&str>) {
    let scratch = Scratch::new(storage_url, "[generation]\nchunk_size = 1000\n");
    let mut child = scratch
        .command(&[
            "generate",
            "--template",
            "KILL-$$$$-###",
            "--count",
            KILL_COUNT,
            "--discount",
            "5",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let id = wait_for_progress(&scratch, &mut child);
    std::thread::sleep(Duration::from_millis(random_millis(400)));
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = scratch.json(&["show", &id]);
    assert_eq!(killed["status"], "running", "killed mid-run: {killed}");
    let at_kill = killed["processed"].as_u64().unwrap();
    assert!(at_kill > 0 && at_kill < 150_000, "{at_kill}");

    let resumed = scratch.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let done = scratch.json(&["show", &id]);
    assert_eq!(done["status"], "completed");
    assert_eq!(done["processed"], 150_000);
    assert_distinct(&scratch.codes(&id), 150_000);
}

#[test]
fn killed_generation_resumes_on_sqlite() {
    killed_generation_resumes_with_exactly_the_count(None);
}

#[test]
fn killed_generation_resumes_on_postgres() {
    let db = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(crmsync_testkit::services::fresh_postgres());
    killed_generation_resumes_with_exactly_the_count(Some(&db.url));
}

#[test]
fn interrupted_generation_is_failed_and_resumes_as_a_new_attempt() {
    let scratch = Scratch::new(None, "[generation]\nchunk_size = 500\n");
    let mut child = scratch
        .command(&[
            "generate",
            "--template",
            "INT-$$$$-###",
            "--count",
            "80000",
            "--discount",
            "5",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = wait_for_progress(&scratch, &mut child);
    let signal = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let line = error_line(&output);
    assert!(
        line.contains("interrupted (SIGINT)") && line.contains(&format!("coupons resume {id}")),
        "{line}"
    );
    let failed = scratch.json(&["show", &id]);
    assert_eq!(failed["status"], "failed");

    let resumed = scratch.run(&["resume", "latest"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let done = scratch.json(&["show", &id]);
    assert_eq!(done["status"], "completed");
    assert_distinct(&scratch.codes(&id), 80_000);
}

/// `serve` on a free port; returns the child and its base URL.
fn start_server(scratch: &Scratch) -> (Child, String) {
    let mut child = scratch
        .command(&["serve", "--address", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    (child, base)
}

#[tokio::test]
async fn serve_runs_the_module_flow_over_http_behind_the_token() {
    let scratch = Scratch::new(
        None,
        "[serve]\ntoken = \"e2e-secret-token\"\n[generation]\nstep_codes = 700\nchunk_size = 300\n",
    );
    let (mut child, base) = start_server(&scratch);
    let http = reqwest::Client::new();

    let anonymous = http
        .post(format!("{base}/preview"))
        .json(&json!({"template": "#"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let wrong = http
        .get(format!("{base}/processes/1"))
        .bearer_auth("e2e-secret-tokeN")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{base}{path}"))
            .bearer_auth("e2e-secret-token");
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, preview) = call(
        reqwest::Method::POST,
        "/preview",
        Some(json!({"template": "E2E-@@", "count": 3})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(preview["codes"].as_array().unwrap().len(), 3);

    let (status, started) = call(
        reqwest::Method::POST,
        "/processes",
        Some(
            json!({"template": "API-$$$##", "count": 2000, "discount_id": 8, "type": "basket_row"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let id = started["id"].as_i64().unwrap();
    let mut processed = Vec::new();
    loop {
        let (status, step) = call(
            reqwest::Method::POST,
            &format!("/processes/{id}/step"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{step}");
        processed.push(step["processed"].as_u64().unwrap());
        if step["next_action"] == "finish" {
            break;
        }
    }
    assert_eq!(processed, vec![700, 1400, 2000]);
    let (status, done) = call(
        reqwest::Method::POST,
        &format!("/processes/{id}/finish"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(done["status"], "completed");
    let (status, shown) = call(reqwest::Method::GET, &format!("/processes/{id}"), None).await;
    assert_eq!(
        (status, shown["progress"].as_str()),
        (200, Some("2000 of 2000 generated (100%)"))
    );
    let (status, invalid) = call(
        reqwest::Method::POST,
        "/processes",
        Some(json!({"template": "#", "count": 0})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(invalid["errors"][0]["field"], "count");

    child.kill().unwrap();
    child.wait().unwrap();
    assert_distinct(&scratch.codes(&id.to_string()), 2000);
}

#[test]
fn serve_refuses_to_start_without_a_token() {
    let scratch = Scratch::new(None, "");
    let output = scratch.run(&["serve", "--address", "127.0.0.1:0"]);
    assert_eq!(code(&output), 2);
    assert!(
        error_line(&output).contains("serve.token"),
        "{}",
        stderr(&output)
    );
    assert!(Path::new(&scratch.dir).is_dir());
}

#[test]
fn command_line_changes_are_audited_under_the_os_user() {
    let scratch = Scratch::new(None, "");
    let generated = scratch
        .command(&[
            "--json",
            "generate",
            "--template",
            "AU-###",
            "--count",
            "40",
            "--discount",
            "5",
        ])
        .env("USER", "кассир")
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", stderr(&generated));
    let report: Value = serde_json::from_slice(&generated.stdout).unwrap();
    let id = report["id"].as_i64().unwrap().to_string();
    let refused = scratch
        .command(&["abort", &id])
        .env("USER", "кассир")
        .output()
        .unwrap();
    assert_eq!(code(&refused), 2, "a completed run cannot be aborted");
    let deleted = scratch
        .command(&["--json", "delete-unused", &id])
        .env("USER", "admin")
        .output()
        .unwrap();
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    let deleted: Value = serde_json::from_slice(&deleted.stdout).unwrap();
    assert_eq!(deleted["deleted"], 40);
    let bad = scratch.run(&[
        "generate",
        "--template",
        "",
        "--count",
        "1",
        "--discount",
        "1",
    ]);
    assert_eq!(code(&bad), 2);
    let audit = scratch.json(&["audit", "--run", &id]);
    let rows: Vec<String> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {} {}", e["actor"], e["action"], e["outcome"]))
        .collect();
    assert_eq!(
        rows,
        [
            r#""user:admin" "delete_unused" "ok""#,
            r#""user:кассир" "abort" "failed""#,
            r#""user:кассир" "generate" "ok""#,
        ]
    );
    let all = scratch.json(&["audit"]);
    assert_eq!(
        all.as_array().unwrap().len(),
        4,
        "the rejected generate too"
    );
    assert_eq!(all[0]["outcome"], "failed");
    let human = scratch.run(&["--lang", "ru", "audit", "--run", &id]);
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.starts_with("КОГДА  КТО  ДЕЙСТВИЕ  ЗАПУСК  ИТОГ\n"),
        "{text}"
    );
    assert!(
        text.contains("user:кассир  generate  ") && text.contains("успешно"),
        "{text}"
    );
}
