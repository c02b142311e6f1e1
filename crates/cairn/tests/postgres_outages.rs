//! A PostgreSQL-backed server when the database cuts its connections: requests in
//! flight answer DynamoDB's retryable InternalServerError, nothing unacknowledged is
//! claimed, and the server reconnects on its own (requests and the health check).

mod support;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{free_port, postgres_url, wait_ready};

/// Ends every database session whose application name is `application`. (The
/// synchronous client runs a runtime of its own: on a plain thread.)
fn cut_sessions(url: &str, application: &str) -> i64 {
    let (url, application) = (url.to_string(), application.to_string());
    std::thread::spawn(move || {
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let cut = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                &[&application],
            )
            .unwrap()
            .len() as i64;
        std::thread::spawn(move || drop(admin));
        cut
    })
    .join()
    .unwrap()
}

fn health(port: u16) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    raw.lines().next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cut_database_connections_answer_internal_server_error_and_the_server_reconnects() {
    let Some(url) = postgres_url() else { return };
    let application = format!("outage_{}", std::process::id());
    let separator = if url.contains('?') { '&' } else { '?' };
    let server_url = format!("{url}{separator}application_name={application}");
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--port", &port.to_string(), "--postgres", &server_url])
        .args(["--postgres-schema", &application])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // No SDK retries: every error the server answers is seen here.
    let config = support::client(port)
        .config()
        .to_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    wait_ready(&client).await;
    client
        .create_table()
        .table_name("events")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let mut writers = Vec::new();
    for w in 0..8 {
        let client = client.clone();
        writers.push(tokio::spawn(async move {
            let (mut acknowledged, mut errors) = (Vec::new(), Vec::new());
            for i in 0..300 {
                let id = format!("w{w}-{i}");
                match client
                    .put_item()
                    .table_name("events")
                    .item("pk", Av::S(id.clone()))
                    .send()
                    .await
                {
                    Ok(_) => acknowledged.push(id),
                    Err(e) => {
                        let status = e.raw_response().map(|r| r.status().as_u16());
                        let e = e.into_service_error();
                        errors.push((e.code().unwrap_or_default().to_string(), status));
                    }
                }
            }
            (acknowledged, errors)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cut = cut_sessions(&url, &application);
    assert!(cut >= 2, "the pool's sessions and the health session were cut: {cut}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    cut_sessions(&url, &application);

    let (mut acknowledged, mut errors) = (Vec::new(), Vec::new());
    for writer in writers {
        let (a, e) = writer.await.unwrap();
        acknowledged.extend(a);
        errors.extend(e);
    }
    assert!(!errors.is_empty(), "requests on the cut connections failed");
    for (code, status) in &errors {
        assert_eq!(
            (code.as_str(), *status),
            ("InternalServerError", Some(500)),
            "a lost connection is DynamoDB's retryable InternalServerError"
        );
    }
    assert!(
        acknowledged.len() > 8 * 300 / 2,
        "the server reconnected and kept serving: {} acknowledged, {} errors",
        acknowledged.len(),
        errors.len()
    );
    for id in &acknowledged {
        let item = client
            .get_item()
            .table_name("events")
            .key("pk", Av::S(id.clone()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item;
        assert!(item.is_some(), "acknowledged write {id} was lost");
    }
    assert_eq!(health(port), "HTTP/1.1 200 OK", "the health check reconnected too");
    server.kill().unwrap();
    server.wait().unwrap();
}
