//! The HTTP protocol itself, spoken by hand: routing, headers, errors, gzip.

mod common;

use common::TestServer;
use std::io::Write;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

const AUTH: &str =
    "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0";

async fn send(server: &TestServer, method: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(server.address).await.unwrap();
    let mut request = format!(
        "{method} / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

async fn call(server: &TestServer, target: &str, body: &str) -> Reply {
    send(
        server,
        "POST",
        &[
            ("X-Amz-Target", target),
            ("Authorization", AUTH),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        body.as_bytes(),
    )
    .await
}

#[tokio::test]
async fn responses_carry_json_type_crc32_and_request_id() {
    let server = TestServer::start().await;
    let reply = call(&server, "DynamoDB_20120810.ListTables", "{}").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/x-amz-json-1.0"));
    let crc: u32 = reply.header("x-amz-crc32").unwrap().parse().unwrap();
    assert_eq!(crc, crc32fast::hash(&reply.body));
    assert!(reply.header("x-amzn-requestid").is_some_and(|id| !id.is_empty()));
    assert_eq!(reply.json(), serde_json::json!({"TableNames": []}));
}

#[tokio::test]
async fn unknown_operations_and_bad_bodies_get_dynamodb_errors() {
    let server = TestServer::start().await;
    let reply = call(&server, "DynamoDB_20120810.MakeCoffee", "{}").await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );

    let reply = call(&server, "DynamoDB_20120810.ListTables", "{not json").await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );

    let reply = call(&server, "DynamoDB_20120810.ListTables", r#"{"Limit": "ten"}"#).await;
    assert_eq!(
        reply.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );

    let reply = call(
        &server,
        "DynamoDB_20120810.GetItem",
        r#"{"TableName": "x", "Key": {"pk": {}}}"#,
    )
    .await;
    assert_eq!(reply.json()["__type"], "com.amazon.coral.validate#ValidationException");
    assert_eq!(
        reply.json()["message"],
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
    );

    let reply = send(
        &server,
        "POST",
        &[("X-Amz-Target", "DynamoDB_20120810.ListTables")],
        b"{}",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["__type"],
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
    assert_eq!(reply.json()["message"], "Request is missing Authentication Token");
}

#[tokio::test]
async fn gzip_bodies_are_accepted_and_get_is_a_health_check() {
    let server = TestServer::start().await;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(br#"{"Limit": 5}"#).unwrap();
    let body = encoder.finish().unwrap();
    let reply = send(
        &server,
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", AUTH),
            ("Content-Encoding", "gzip"),
        ],
        &body,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));

    let reply = send(
        &server,
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", AUTH),
            ("Content-Encoding", "gzip"),
        ],
        b"not gzip",
    )
    .await;
    // DynamoDB answers a corrupt compressed body with a 500.
    assert_eq!(reply.status, 500);

    let health = send(&server, "GET", &[], b"").await;
    assert_eq!(health.status, 200);
    assert!(String::from_utf8_lossy(&health.body).starts_with("healthy"));
}

#[tokio::test]
async fn hostile_bodies_never_break_the_server() {
    let server = TestServer::start().await;
    let deep = format!("{}{}", "{\"M\":{\"a\":".repeat(200), "}".repeat(400));
    let bodies = [
        format!(r#"{{"TableName":"t","Item":{{"pk":{deep}}}}}"#),
        r#"{"TableName":"t","Item":{"pk":{"N":"1e999999999999"}}}"#.to_string(),
        r#"{"TableName":"t","Item":{"pk":{"B":"!!!"}}}"#.to_string(),
        "\u{0}\u{1}".to_string(),
        "[".repeat(10_000),
    ];
    for body in &bodies {
        let reply = call(&server, "DynamoDB_20120810.PutItem", body).await;
        assert_eq!(reply.status, 400, "{}", String::from_utf8_lossy(&reply.body));
    }
    assert_eq!(call(&server, "DynamoDB_20120810.ListTables", "{}").await.status, 200);
}

fn compress(coding: &str, data: &[u8]) -> Vec<u8> {
    match coding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        _ => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
    }
}

async fn list_tables_encoded(server: &TestServer, encoding: &str, body: &[u8]) -> Reply {
    send(
        server,
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", AUTH),
            ("Content-Encoding", encoding),
        ],
        body,
    )
    .await
}

#[tokio::test]
async fn deflate_bodies_and_several_codings_in_sequence_are_accepted() {
    let server = TestServer::start().await;
    let reply = list_tables_encoded(&server, "deflate", &compress("deflate", br#"{"Limit": 5}"#)).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let twice = compress("deflate", &compress("gzip", br#"{"Limit": 5}"#));
    let reply = list_tables_encoded(&server, "gzip, deflate", &twice).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
}

#[tokio::test]
async fn an_unknown_content_encoding_is_a_500_and_executes_nothing() {
    let server = TestServer::start().await;
    let create = br#"{"TableName":"encoded","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    let reply = send(
        &server,
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.CreateTable"),
            ("Authorization", AUTH),
            ("Content-Encoding", "br"),
        ],
        create,
    )
    .await;
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.json()["__type"],
        "com.amazonaws.dynamodb.v20120810#InternalServerError"
    );
    let tables = call(&server, "DynamoDB_20120810.ListTables", "{}").await;
    assert_eq!(tables.json()["TableNames"], serde_json::json!([]));
}

async fn scan_of_a_large_table(server: &TestServer, accept: Option<&str>) -> Reply {
    let client = server.client();
    common::create_table(&client, "large", None).await;
    for i in 0..20 {
        client
            .put_item()
            .table_name("large")
            .item("pk", common::s(&format!("k{i}")))
            .item("pad", common::s(&"x".repeat(400)))
            .send()
            .await
            .unwrap();
    }
    let mut headers = vec![("X-Amz-Target", "DynamoDB_20120810.Scan"), ("Authorization", AUTH)];
    if let Some(accept) = accept {
        headers.push(("Accept-Encoding", accept));
    }
    send(server, "POST", &headers, br#"{"TableName":"large"}"#).await
}

#[tokio::test]
async fn large_responses_are_gzipped_when_asked_and_the_crc_covers_the_bytes_sent() {
    let server = TestServer::start().await;
    let reply = scan_of_a_large_table(&server, Some("gzip")).await;
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    let crc: u32 = reply.header("x-amz-crc32").unwrap().parse().unwrap();
    assert_eq!(crc, crc32fast::hash(&reply.body));
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(reply.body.as_slice()), &mut json).unwrap();
    let scan: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(scan["Count"], 20);
}

#[tokio::test]
async fn responses_are_not_compressed_unless_asked_or_when_small() {
    let server = TestServer::start().await;
    let plain = scan_of_a_large_table(&server, None).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.json()["Count"], 20);
    let small = send(
        &server,
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", AUTH),
            ("Accept-Encoding", "gzip"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(small.header("content-encoding"), None);
}

#[tokio::test]
async fn a_cors_preflight_is_answered_as_dynamodb_answers_it() {
    let server = TestServer::start().await;
    let asked = "Content-Type,X-Amz-Target,Authorization,x-amz-security-token";
    let reply = send(
        &server,
        "OPTIONS",
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", asked),
        ],
        b"",
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(reply.header("access-control-allow-headers"), Some(asked));
    assert_eq!(reply.header("access-control-max-age"), Some("172800"));
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some("x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date")
    );
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn a_browser_request_gets_cors_headers_and_every_response_names_its_server() {
    let server = TestServer::start().await;
    let browser = send(
        &server,
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", AUTH),
            ("Origin", "https://app.example"),
        ],
        b"{}",
    )
    .await;
    assert_eq!(browser.status, 200);
    assert_eq!(browser.header("access-control-allow-origin"), Some("*"));
    assert_eq!(browser.header("server"), Some("Server"));
    let sdk = call(&server, "DynamoDB_20120810.ListTables", "{}").await;
    assert_eq!(sdk.header("access-control-allow-origin"), None);
    assert_eq!(sdk.header("server"), Some("Server"));
}

#[tokio::test]
async fn json_of_the_wrong_kind_gets_dynamodbs_serialization_messages() {
    let server = TestServer::start().await;
    let server = &server;
    let put = |item: &'static str| {
        let body = format!(r#"{{"TableName":"nowhere","Item":{item}}}"#);
        async move { call(server, "DynamoDB_20120810.PutItem", &body).await }
    };
    let number = put(r#"{"pk":{"S":"a"},"n":{"N":5}}"#).await;
    assert_eq!(number.status, 400);
    assert_eq!(
        number.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    assert_eq!(number.json()["message"], "NUMBER_VALUE cannot be converted to String");
    let map_for_list = put(r#"{"pk":{"S":"a"},"l":{"L":{}}}"#).await;
    assert_eq!(
        map_for_list.json()["message"],
        "Start of structure or map found where not expected"
    );
    let list_for_map = put(r#"{"pk":{"S":"a"},"m":{"M":[]}}"#).await;
    assert_eq!(list_for_map.json()["message"], "Start of list found where not expected");
    let base64 = put(r#"{"pk":{"S":"a"},"b":{"B":"abcdefghijk"}}"#).await;
    assert_eq!(
        base64.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    assert_eq!(
        base64.json()["message"],
        "Base64 encoded length is expected a multiple of 4 bytes but found: 11"
    );
}

#[tokio::test]
async fn the_health_check_names_the_host_addressed_and_other_paths_are_not_found() {
    let server = TestServer::start().await;
    let health = send(&server, "GET", &[], b"").await;
    assert_eq!(health.status, 200);
    // `send` addresses the server as Host: localhost.
    assert_eq!(String::from_utf8_lossy(&health.body), "healthy: localhost ");
    let mut stream = tokio::net::TcpStream::connect(server.address).await.unwrap();
    stream
        .write_all(b"GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    assert!(String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 404"));
}
