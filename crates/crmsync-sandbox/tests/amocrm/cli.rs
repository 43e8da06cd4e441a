//! The standalone binary: `crmsync-sandbox serve --amocrm`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::Value;

struct Served {
    child: Child,
    lines: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crmsync-sandbox"))
        .args(["serve", "--amocrm", "--addr", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let done = line.starts_with("press Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    Served { child, lines }
}

fn after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(str::trim)
        .ok_or_else(|| format!("no {label:?} in {lines:#?}"))
        .unwrap()
}

#[tokio::test]
async fn serve_prints_a_base_url_and_a_demo_token_that_work() {
    let served = serve(&["--generate", "5", "--seed", "3", "--no-rate-limit"]);
    let base = after(&served.lines, "amoCRM emulator:").to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));
    let token = after(&served.lines, "demo token:").to_owned();
    let http = reqwest::Client::new();
    let leads: Value = http
        .get(format!("{base}/api/v4/leads"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(leads["_embedded"]["leads"].as_array().unwrap().len(), 5);
    let code: Value = http
        .post(format!("{base}/sandbox/amocrm/authorization_code"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let exchange = http
        .post(format!("{base}/oauth2/access_token"))
        .json(&serde_json::json!({
            "client_id": code["client_id"], "client_secret": "sandbox-client-secret",
            "grant_type": "authorization_code", "code": code["code"], "redirect_uri": code["redirect_uri"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(exchange.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_from_a_file_is_accepted_and_never_printed() {
    let dir = std::env::temp_dir().join(format!("crmsync-sandbox-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, "file-secret-token\n").unwrap();
    let served = serve(&["--long-lived-token-file", file.to_str().unwrap()]);
    assert!(
        served
            .lines
            .iter()
            .all(|l| !l.contains("file-secret-token")),
        "{:#?}",
        served.lines
    );
    let base = after(&served.lines, "amoCRM emulator:").to_owned();
    let status = reqwest::Client::new()
        .get(format!("{base}/api/v4/account"))
        .bearer_auth("file-secret-token")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    drop(served);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn serve_without_an_emulator_fails_clearly() {
    let output = Command::new(env!("CARGO_BIN_EXE_crmsync-sandbox"))
        .arg("serve")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--amocrm"));
}
