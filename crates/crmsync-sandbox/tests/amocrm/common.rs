//! Helpers shared by the wire tests.

use crmsync_sandbox::amocrm::{AmoCrmConfig, AmoCrmEmulator};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub(crate) const TOKEN: &str = "test-long-lived-token";

pub(crate) struct Harness {
    pub(crate) emulator: AmoCrmEmulator,
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
}

/// No rate limit, a long-lived token.
pub(crate) fn config() -> AmoCrmConfig {
    AmoCrmConfig {
        rate_limit_per_s: None,
        long_lived_token: Some(TOKEN.to_owned()),
        ..AmoCrmConfig::default()
    }
}

pub(crate) async fn start(config: AmoCrmConfig) -> Harness {
    let emulator = AmoCrmEmulator::start(config).await.unwrap();
    let base = emulator.base_url();
    Harness {
        emulator,
        http: reqwest::Client::new(),
        base,
    }
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .map_err(|e| format!("not JSON ({e}): {}", self.text))
            .unwrap()
    }
}

impl Harness {
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_with_token(method, path, body, Some(TOKEN)).await
    }

    pub(crate) async fn call_with_token(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        Reply {
            status,
            content_type,
            text,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }

    /// Creates entities and returns their ids in request order.
    pub(crate) async fn create(&self, entity: &str, items: Value) -> Vec<i64> {
        let reply = self.post(&format!("/api/v4/{entity}"), items).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()["_embedded"][entity]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect()
    }

    /// The ids listed by a GET (empty on 204).
    pub(crate) async fn ids(&self, entity: &str, query: &str) -> Vec<i64> {
        let reply = self.get(&format!("/api/v4/{entity}?{query}")).await;
        if reply.status == StatusCode::NO_CONTENT {
            return Vec::new();
        }
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let key = entity.rsplit('/').next().unwrap();
        reply.json()["_embedded"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect()
    }
}
