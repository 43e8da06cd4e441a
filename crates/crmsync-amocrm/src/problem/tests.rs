//! Tests of error-body parsing against the reference's example bodies.

#![allow(clippy::panic)]

use super::*;

#[test]
fn validation_errors_keep_request_ids_and_paths() {
    let body = br#"{ "validation-errors": [ { "request_id": "0", "errors": [
      { "code": "NotSupportedChoice", "path": "custom_fields_values.0.field_id", "detail": "The value you selected is not a valid choice." },
      { "code": "InvalidType", "path": "status_id", "detail": "This value should be of type array." } ] } ],
      "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400, "detail": "Request validation failed" }"#;
    let problem = parse(body, 400);
    assert_eq!(problem.detail, "Request validation failed");
    assert_eq!(problem.violations.len(), 2);
    assert_eq!(problem.violations[0].request_id.as_deref(), Some("0"));
    assert_eq!(
        problem.violations[0].path,
        "custom_fields_values.0.field_id"
    );
    assert_eq!(problem.violations[1].code.as_deref(), Some("InvalidType"));
    match status_error(400, problem) {
        CrmError::Validation { violations, .. } => assert_eq!(violations.len(), 2),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn rate_limit_body_gives_retry_after() {
    let body = br#"{ "title": "Too Many Requests", "type": "https://httpstatus.es/429", "status": 429,
      "detail": "You have sent too many requests in a given amount of time. Please try again later.",
      "retry_after": 300 }"#;
    assert_eq!(parse(body, 429).retry_after, Some(Duration::from_secs(300)));
    let as_string = br#"{"retry_after": "2"}"#;
    assert_eq!(
        parse(as_string, 429).retry_after,
        Some(Duration::from_secs(2))
    );
}

#[test]
fn oauth_errors_prefer_the_hint() {
    let body = r#"{"hint":"Token has been revoked","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401,"detail":"В запросе отсутствует ряд параметров или параметры невалидны"}"#;
    let problem = parse(body.as_bytes(), 401);
    assert_eq!(problem.hint.as_deref(), Some("Token has been revoked"));
    match status_error(401, problem) {
        CrmError::Unauthorized {
            detail,
            reauthorize,
        } => {
            assert_eq!(detail, "Token has been revoked");
            assert!(reauthorize);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn html_pages_are_described_by_their_title() {
    let body = b"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>";
    assert_eq!(parse(body, 403).detail, "HTTP 403: 403 Forbidden");
    let no_title = b"<html><body>busy</body></html>";
    assert_eq!(
        parse(no_title, 429).detail,
        "HTTP 429 with a non-JSON body of 30 bytes"
    );
    assert_eq!(parse(b"", 502).detail, "HTTP 502 with an empty body");
}

#[test]
fn statuses_map_to_their_kinds() {
    let kinds: Vec<_> = [402, 404, 405, 500, 504, 422]
        .into_iter()
        .map(|s| status_error(s, Problem::default()).kind())
        .collect();
    assert_eq!(
        kinds,
        [
            "payment_required",
            "not_found",
            "unexpected",
            "server",
            "server",
            "validation"
        ]
    );
}

#[test]
fn long_details_are_clipped() {
    let long = format!(r#"{{"detail": "{}"}}"#, "x".repeat(1000));
    assert!(parse(long.as_bytes(), 500).detail.chars().count() <= MAX_DETAIL + 1);
}
