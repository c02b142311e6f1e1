//! `--auth sigv4`: requests signed by the AWS SDK for Rust (and by the aws-sigv4
//! crate at chosen times) are accepted; every way a signature can be wrong is refused
//! with DynamoDB's error type and message, and a refused write changes nothing.

mod common;

use aws_credential_types::Credentials as SdkCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use common::{error_of, s, TestServer};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn credentials() -> Value {
    json!({"principals": [
        {"name": "admin", "access_key_id": "AKIAADMIN", "secret_access_key": "admin-secret"},
        {"name": "temp", "access_key_id": "ASIATEMP", "secret_access_key": "temp-secret",
         "session_token": "the-session-token", "expires": "2999-01-01T00:00:00Z"},
        {"name": "old", "access_key_id": "ASIAOLD", "secret_access_key": "old-secret",
         "session_token": "old-token", "expires": "2020-01-01T00:00:00Z"}
    ]})
}

async fn server_with_table() -> TestServer {
    let server = TestServer::start_secured(credentials()).await;
    let admin = server.client_as("AKIAADMIN", "admin-secret", None, "us-east-1");
    common::create_table(&admin, "guarded", None).await;
    server
}

/// A request as signed by the aws-sigv4 crate at `time`, before any tampering.
struct Signed {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn signed_put(server: &TestServer, key: &str, secret: &str, time: SystemTime, pk: &str) -> Signed {
    let body = serde_json::to_vec(&json!({"TableName": "guarded", "Item": {"pk": {"S": pk}}})).unwrap();
    let host = server.address.to_string();
    let headers = vec![
        ("host".to_string(), host.clone()),
        ("content-type".to_string(), "application/x-amz-json-1.0".to_string()),
        ("x-amz-target".to_string(), "DynamoDB_20120810.PutItem".to_string()),
    ];
    let all = sign_with_sdk(&headers, &body, key, secret, time);
    Signed { headers: all, body }
}

/// `headers` plus the ones the aws-sigv4 crate adds to sign them and `body` at `time`
/// (X-Amz-Date and Authorization).
fn sign_with_sdk(
    headers: &[(String, String)],
    body: &[u8],
    key: &str,
    secret: &str,
    time: SystemTime,
) -> Vec<(String, String)> {
    let identity = SdkCredentials::new(key, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("dynamodb")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let host = &headers.iter().find(|(n, _)| n == "host").unwrap().1;
    let url = format!("http://{host}/");
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut all = headers.to_vec();
    for (name, value) in instructions.headers() {
        all.push((name.to_string(), value.to_string()));
    }
    all
}

/// Sends raw bytes and returns (status, body JSON).
async fn send(server: &TestServer, headers: &[(String, String)], body: &[u8]) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(server.address).await.unwrap();
    let mut request = String::from("POST / HTTP/1.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()));
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text[9..12].parse().unwrap();
    let json_body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(json_body).unwrap_or(Value::Null))
}

fn error(value: &Value) -> (String, String) {
    let kind = value["__type"].as_str().unwrap_or_default();
    let message = value["message"]
        .as_str()
        .or(value["Message"].as_str())
        .unwrap_or_default();
    (kind.rsplit('#').next().unwrap().to_string(), message.to_string())
}

async fn item_exists(server: &TestServer, pk: &str) -> bool {
    let admin = server.client_as("AKIAADMIN", "admin-secret", None, "us-east-1");
    let got = admin
        .get_item()
        .table_name("guarded")
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    got.item.is_some()
}

fn header_mut<'a>(headers: &'a mut [(String, String)], name: &str) -> &'a mut String {
    &mut headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .unwrap()
        .1
}

#[tokio::test]
async fn requests_signed_by_the_sdk_are_accepted() {
    let server = server_with_table().await;
    let admin = server.client_as("AKIAADMIN", "admin-secret", None, "us-east-1");
    admin
        .put_item()
        .table_name("guarded")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
    assert!(item_exists(&server, "a").await);
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature() {
    let server = server_with_table().await;
    let wrong = server.client_as("AKIAADMIN", "not-the-secret", None, "us-east-1");
    let (kind, message) = error_of(wrong.put_item().table_name("guarded").item("pk", s("w")).send().await);
    assert_eq!(kind, "InvalidSignatureException");
    assert_eq!(message, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    assert!(!item_exists(&server, "w").await);
}

#[tokio::test]
async fn an_unknown_access_key_is_unrecognized() {
    let server = server_with_table().await;
    let stranger = server.client_as("AKIASTRANGER", "whatever", None, "us-east-1");
    let (kind, message) = error_of(stranger.list_tables().send().await);
    assert_eq!(kind, "UnrecognizedClientException");
    assert_eq!(message, "The security token included in the request is invalid.");
}

#[tokio::test]
async fn temporary_credentials_work_with_their_session_token() {
    let server = server_with_table().await;
    let temp = server.client_as("ASIATEMP", "temp-secret", Some("the-session-token"), "us-east-1");
    temp.put_item()
        .table_name("guarded")
        .item("pk", s("t"))
        .send()
        .await
        .unwrap();
    assert!(item_exists(&server, "t").await);
}

#[tokio::test]
async fn temporary_credentials_without_their_token_are_refused() {
    let server = server_with_table().await;
    for token in [None, Some("another-token")] {
        let temp = server.client_as("ASIATEMP", "temp-secret", token, "us-east-1");
        let (kind, message) = error_of(temp.list_tables().send().await);
        assert_eq!(kind, "UnrecognizedClientException");
        assert_eq!(message, "The security token included in the request is invalid");
    }
}

#[tokio::test]
async fn expired_temporary_credentials_are_refused() {
    let server = server_with_table().await;
    let old = server.client_as("ASIAOLD", "old-secret", Some("old-token"), "us-east-1");
    let (kind, message) = error_of(old.list_tables().send().await);
    assert_eq!(kind, "ExpiredTokenException");
    assert_eq!(message, "The security token included in the request is expired");
}

#[tokio::test]
async fn a_request_signed_now_is_accepted_raw() {
    let server = server_with_table().await;
    let signed = signed_put(&server, "AKIAADMIN", "admin-secret", SystemTime::now(), "raw");
    let (status, _) = send(&server, &signed.headers, &signed.body).await;
    assert_eq!(status, 200);
    assert!(item_exists(&server, "raw").await);
}

#[tokio::test]
async fn a_tampered_body_is_refused_and_nothing_is_written() {
    let server = server_with_table().await;
    let signed = signed_put(&server, "AKIAADMIN", "admin-secret", SystemTime::now(), "good");
    let tampered = String::from_utf8(signed.body.clone()).unwrap().replace("good", "evil");
    let (status, body) = send(&server, &signed.headers, tampered.as_bytes()).await;
    assert_eq!(status, 400);
    assert_eq!(error(&body).0, "InvalidSignatureException");
    assert!(!item_exists(&server, "evil").await && !item_exists(&server, "good").await);
}

#[tokio::test]
async fn a_tampered_signed_header_is_refused() {
    let server = server_with_table().await;
    let mut signed = signed_put(&server, "AKIAADMIN", "admin-secret", SystemTime::now(), "h");
    *header_mut(&mut signed.headers, "x-amz-target") = "DynamoDB_20120810.DeleteItem".to_string();
    let (status, body) = send(&server, &signed.headers, &signed.body).await;
    assert_eq!(status, 400);
    assert_eq!(error(&body).0, "InvalidSignatureException");
    assert!(!item_exists(&server, "h").await);
}

#[tokio::test]
async fn a_signature_older_than_fifteen_minutes_has_expired() {
    let server = server_with_table().await;
    let signed = signed_put(
        &server,
        "AKIAADMIN",
        "admin-secret",
        SystemTime::now() - Duration::from_secs(16 * 60),
        "late",
    );
    let (status, body) = send(&server, &signed.headers, &signed.body).await;
    assert_eq!(status, 400);
    let (kind, message) = error(&body);
    assert_eq!(kind, "InvalidSignatureException");
    let date = &signed.headers.iter().find(|(n, _)| n == "x-amz-date").unwrap().1;
    assert!(
        message.starts_with(&format!("Signature expired: {date} is now earlier than ")),
        "{message}"
    );
    assert!(message.ends_with(" - 15 min.)"), "{message}");
    assert!(!item_exists(&server, "late").await);
}

#[tokio::test]
async fn a_signature_within_the_window_is_accepted() {
    let server = server_with_table().await;
    let signed = signed_put(
        &server,
        "AKIAADMIN",
        "admin-secret",
        SystemTime::now() - Duration::from_secs(14 * 60),
        "skewed",
    );
    assert_eq!(send(&server, &signed.headers, &signed.body).await.0, 200);
}

#[tokio::test]
async fn a_signature_dated_in_the_future_is_not_yet_current() {
    let server = server_with_table().await;
    let signed = signed_put(
        &server,
        "AKIAADMIN",
        "admin-secret",
        SystemTime::now() + Duration::from_secs(16 * 60),
        "early",
    );
    let (_, body) = send(&server, &signed.headers, &signed.body).await;
    let (kind, message) = error(&body);
    assert_eq!(kind, "InvalidSignatureException");
    assert!(message.starts_with("Signature not yet current: "), "{message}");
    assert!(message.ends_with(" + 15 min.)"), "{message}");
    assert!(!item_exists(&server, "early").await);
}

#[tokio::test]
async fn a_captured_request_replayed_after_the_window_is_refused() {
    // A request captured 20 minutes ago is, to the server, one signed 20 minutes ago.
    let server = server_with_table().await;
    let captured = signed_put(
        &server,
        "AKIAADMIN",
        "admin-secret",
        SystemTime::now() - Duration::from_secs(20 * 60),
        "replay",
    );
    let (_, body) = send(&server, &captured.headers, &captured.body).await;
    assert_eq!(error(&body).0, "InvalidSignatureException");
    assert!(!item_exists(&server, "replay").await);
}

#[tokio::test]
async fn no_authorization_header_is_a_missing_token() {
    let server = server_with_table().await;
    let mut signed = signed_put(&server, "AKIAADMIN", "admin-secret", SystemTime::now(), "m");
    signed.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    let (_, body) = send(&server, &signed.headers, &signed.body).await;
    assert_eq!(
        error(&body),
        (
            "MissingAuthenticationTokenException".to_string(),
            "Request is missing Authentication Token".to_string()
        )
    );
}

#[tokio::test]
async fn an_authorization_without_signature_is_incomplete() {
    let server = server_with_table().await;
    let mut signed = signed_put(&server, "AKIAADMIN", "admin-secret", SystemTime::now(), "i");
    let auth = header_mut(&mut signed.headers, "authorization");
    let cut = auth.find(", Signature=").unwrap();
    auth.truncate(cut);
    let header = auth.clone();
    let (_, body) = send(&server, &signed.headers, &signed.body).await;
    assert_eq!(
        error(&body),
        (
            "IncompleteSignatureException".to_string(),
            format!("Authorization header requires 'Signature' parameter. Authorization={header}")
        )
    );
}

#[tokio::test]
async fn a_request_without_a_date_is_incomplete() {
    let server = server_with_table().await;
    let mut signed = signed_put(&server, "AKIAADMIN", "admin-secret", SystemTime::now(), "d");
    signed.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-date"));
    let (_, body) = send(&server, &signed.headers, &signed.body).await;
    let (kind, message) = error(&body);
    assert_eq!(kind, "IncompleteSignatureException");
    assert!(message.starts_with("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=AKIAADMIN/"), "{message}");
}

#[tokio::test]
async fn a_credential_scoped_to_another_service_is_refused() {
    let server = server_with_table().await;
    let mut signed = signed_put(&server, "AKIAADMIN", "admin-secret", SystemTime::now(), "svc");
    let auth = header_mut(&mut signed.headers, "authorization");
    *auth = auth.replace("/dynamodb/aws4_request", "/s3/aws4_request");
    let (_, body) = send(&server, &signed.headers, &signed.body).await;
    assert_eq!(
        error(&body),
        (
            "InvalidSignatureException".to_string(),
            "Credential should be scoped to correct service: 'dynamodb'. ".to_string()
        )
    );
}

#[tokio::test]
async fn errors_carry_the_coral_namespace_and_status_400() {
    let server = server_with_table().await;
    let signed = signed_put(&server, "AKIANOBODY", "x", SystemTime::now(), "ns");
    let (status, body) = send(&server, &signed.headers, &signed.body).await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "com.amazon.coral.service#UnrecognizedClientException");
}

#[tokio::test]
async fn the_operation_header_must_be_signed() {
    let server = server_with_table().await;
    // Signed without X-Amz-Target, which is then added: the operation could be
    // swapped by anyone holding the request.
    let body = serde_json::to_vec(&json!({"TableName": "guarded", "Item": {"pk": {"S": "unsigned"}}})).unwrap();
    let headers = vec![("host".to_string(), server.address.to_string())];
    let mut all = sign_with_sdk(&headers, &body, "AKIAADMIN", "admin-secret", SystemTime::now());
    all.push(("x-amz-target".to_string(), "DynamoDB_20120810.PutItem".to_string()));
    let (_, body_json) = send(&server, &all, &body).await;
    assert_eq!(
        error(&body_json),
        (
            "InvalidSignatureException".to_string(),
            "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.".to_string()
        )
    );
    assert!(!item_exists(&server, "unsigned").await);
}
