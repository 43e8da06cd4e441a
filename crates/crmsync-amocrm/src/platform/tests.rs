//! Unit tests of account hosts and the disconnect-hook signature.
#![allow(clippy::unwrap_used)]

use super::*;

fn app() -> OAuthApp {
    OAuthApp {
        client_id: "5a1b7c4e-0000-4000-8000-000000000001".to_owned(),
        client_secret: "integration-secret".into(),
        redirect_uri: "https://hooks.example.org/amocrm/oauth".to_owned(),
    }
}

#[test]
fn account_hosts_of_amocrm_and_kommo() {
    for host in [
        "example.amocrm.ru",
        "example.amocrm.com",
        "Example.Kommo.com",
        "my-shop2.kommo.com.",
    ] {
        assert!(is_account_host(host), "{host}");
    }
    for host in [
        "www.amocrm.ru",
        "amocrm.ru",
        "example.amocrm.ru.evil.org",
        "exampleamocrm.ru",
        "a.b.amocrm.ru",
        "example.kommo.org",
    ] {
        assert!(!is_account_host(host), "{host}");
    }
    assert!(is_account_address("https://example.amocrm.ru"));
    assert!(is_account_address("https://example.kommo.com/"));
    assert!(!is_account_address("http://example.amocrm.ru"));
    assert_eq!(
        account_url("Example.amocrm.com").as_deref(),
        Some("https://example.amocrm.com")
    );
    assert_eq!(account_url("evil.org"), None);
}

#[test]
fn the_documented_signature_verifies_and_anything_else_does_not() {
    let app = app();
    // hex(HMAC_SHA256(key = secret, "client_id|account_id")), computed independently with openssl:
    // printf '%s' '5a1b7c4e-0000-4000-8000-000000000001|31000001' | openssl dgst -sha256 -hmac integration-secret
    let signature = disconnect_signature(&app, "31000001");
    assert_eq!(
        signature,
        "c378ffefb811b2e118f5da557145d12b5936f8ba7357ff4f057e1ba0e8fa0c03"
    );
    let query = format!(
        "client_uuid={}&account_id=31000001&signature={signature}",
        app.client_id
    );
    assert_eq!(
        verify_disconnect(&query, &app).unwrap().account_id,
        "31000001"
    );
    let other_account = format!(
        "client_uuid={}&account_id=31000002&signature={signature}",
        app.client_id
    );
    assert_eq!(
        verify_disconnect(&other_account, &app),
        Err(DisconnectError::BadSignature)
    );
    let other_app = format!("client_uuid=other&account_id=31000001&signature={signature}");
    assert_eq!(
        verify_disconnect(&other_app, &app),
        Err(DisconnectError::WrongIntegration)
    );
    assert_eq!(
        verify_disconnect("account_id=1&signature=ab", &app),
        Err(DisconnectError::Missing("client_uuid"))
    );
}
