//! What the tests that run the `cairn` binary share: ports, SDK clients, readiness,
//! plain-HTTP calls for the Streams API and the status endpoint, and the PostgreSQL
//! URL of the throwaway database scripts/with-postgres starts.
#![allow(dead_code)]

pub mod pair;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn client(port: u16) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKID", "secret", None, None, "test"))
        .build();
    Client::from_conf(config)
}

pub async fn wait_ready(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.list_tables().send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One HTTP request over a fresh connection; the response body.
fn http(port: u16, head: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "{head}Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    raw.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// One DynamoDB Streams call over plain HTTP (the Rust SDK for Streams is not a
/// dependency of these tests).
pub fn streams_call(port: u16, operation: &str, body: serde_json::Value) -> serde_json::Value {
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Amz-Target: DynamoDBStreams_20120810.{operation}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Type: application/x-amz-json-1.0\r\n"
    );
    serde_json::from_str(&http(port, &head, &body.to_string())).unwrap()
}

/// `GET /_cairn/status`.
pub fn status(port: u16) -> serde_json::Value {
    let body = http(
        port,
        "GET /_cairn/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
        "",
    );
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("status is not JSON ({e}): {body}"))
}

/// The database scripts/with-postgres started, or None (the test is skipped) when
/// there is none and CI did not require one.
pub fn postgres_url() -> Option<String> {
    match std::env::var("CAIRN_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var("CAIRN_REQUIRE_POSTGRES").is_err(),
                "CAIRN_REQUIRE_POSTGRES is set but CAIRN_TEST_POSTGRES_URL is not"
            );
            eprintln!("skipped: CAIRN_TEST_POSTGRES_URL is not set (scripts/with-postgres sets it)");
            None
        }
    }
}

/// Every record of every shard of the stream `arn`, read through the server on
/// `port`, in shard then sequence order.
pub fn all_stream_records(port: u16, arn: &str) -> Vec<serde_json::Value> {
    let shards = streams_call(port, "DescribeStream", serde_json::json!({"StreamArn": arn}));
    let mut all = Vec::new();
    for shard in shards["StreamDescription"]["Shards"].as_array().unwrap() {
        let mut iterator = streams_call(
            port,
            "GetShardIterator",
            serde_json::json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        )["ShardIterator"]
            .clone();
        loop {
            let page = streams_call(
                port,
                "GetRecords",
                serde_json::json!({"ShardIterator": iterator, "Limit": 1000}),
            );
            let records = page["Records"].as_array().unwrap_or_else(|| panic!("{page}")).clone();
            let done = records.is_empty() || page["NextShardIterator"].is_null();
            all.extend(records);
            if done {
                break;
            }
            iterator = page["NextShardIterator"].clone();
        }
    }
    all
}
