//! Fault injection end to end: rules added with `cairn fault` or `--faults FILE` make
//! matching requests fail with DynamoDB's errors (or wait), deterministically from
//! their seed; the AWS SDK's retries get through them.

mod support;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use std::process::{Child, Command, Output, Stdio};
use support::{free_port, wait_ready};

fn serve(port: u16, faults: Option<&std::path::Path>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command
        .args(["serve", "--in-memory", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(path) = faults {
        command.arg("--faults").arg(path);
    }
    command.spawn().unwrap()
}

fn fault(port: u16, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["fault", "--endpoint", &format!("http://127.0.0.1:{port}")])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn client(port: u16, retry: RetryConfig) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "AKID", "secret", None, None, "test",
        ))
        .retry_config(retry)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

async fn put(c: &aws_sdk_dynamodb::Client, pk: &str) -> Result<(), (String, String)> {
    c.put_item()
        .table_name("faulty")
        .item("pk", Av::S(pk.into()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            let service = e.as_service_error().expect("a service error");
            use aws_sdk_dynamodb::error::ProvideErrorMetadata;
            (
                service.code().unwrap_or_default().to_string(),
                service.message().unwrap_or_default().to_string(),
            )
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_nth_call_fault_fires_exactly_once() {
    let port = free_port();
    let mut server = serve(port, None);
    let c = client(port, RetryConfig::disabled());
    wait_ready(&c).await;
    support::pair::create_table(&c, "faulty", None).await;
    fault(
        port,
        &[
            "add",
            "--operation",
            "PutItem",
            "--error",
            "InternalServerError",
            "--nth",
            "2",
        ],
    );
    assert_eq!(put(&c, "a").await, Ok(()));
    assert_eq!(
        put(&c, "b").await,
        Err(("InternalServerError".to_string(), "Internal server error".to_string()))
    );
    for pk in ["c", "d", "e"] {
        assert_eq!(put(&c, pk).await, Ok(()));
    }
    let listed = String::from_utf8_lossy(&fault(port, &["list"]).stdout).into_owned();
    assert!(
        listed.contains(r#""matched":5"#) && listed.contains(r#""fired":1"#),
        "{listed}"
    );
    fault(port, &["clear"]);
    assert!(String::from_utf8_lossy(&fault(port, &["list"]).stdout)
        .trim()
        .is_empty());
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Which of 40 GetItems fail on a server started with `file`.
async fn pattern(file: &std::path::Path) -> Vec<bool> {
    let port = free_port();
    let mut server = serve(port, Some(file));
    let c = client(port, RetryConfig::disabled());
    wait_ready(&c).await;
    support::pair::create_table(&c, "faulty", None).await;
    let mut failed = Vec::new();
    for _ in 0..40 {
        let out = c
            .get_item()
            .table_name("faulty")
            .key("pk", Av::S("x".into()))
            .send()
            .await;
        if let Err(e) = &out {
            use aws_sdk_dynamodb::error::ProvideErrorMetadata;
            assert_eq!(e.as_service_error().unwrap().code(), Some("ThrottlingException"));
        }
        failed.push(out.is_err());
    }
    server.kill().unwrap();
    server.wait().unwrap();
    failed
}

#[tokio::test(flavor = "multi_thread")]
async fn a_faults_file_with_the_same_seed_fails_the_same_calls() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faults.json");
    std::fs::write(
        &file,
        r#"[{"operation": "GetItem", "error": "ThrottlingException", "probability": 0.5, "seed": 42}]"#,
    )
    .unwrap();
    let first = pattern(&file).await;
    let second = pattern(&file).await;
    assert_eq!(first, second);
    let failures = first.iter().filter(|f| **f).count();
    assert!((5..=35).contains(&failures), "about half of 40: {failures}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_retries_through_injected_throttles() {
    let port = free_port();
    let mut server = serve(port, None);
    let plain = client(port, RetryConfig::disabled());
    wait_ready(&plain).await;
    support::pair::create_table(&plain, "faulty", None).await;
    fault(
        port,
        &[
            "add",
            "--table",
            "faulty",
            "--error",
            "ProvisionedThroughputExceededException",
            "--probability",
            "0.4",
            "--seed",
            "3",
        ],
    );
    let retrying = client(port, RetryConfig::standard().with_max_attempts(10));
    for i in 0..15 {
        put(&retrying, &format!("k{i}")).await.unwrap();
    }
    let listed = String::from_utf8_lossy(&fault(port, &["list"]).stdout).into_owned();
    let rule: serde_json::Value = serde_json::from_str(listed.lines().next().expect("one rule")).unwrap();
    assert!(
        rule["fired"].as_u64().unwrap() > 0,
        "some attempts were refused: {listed}"
    );
    assert!(
        rule["matched"].as_u64().unwrap() > 15,
        "the refused attempts were retried: {listed}"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_latency_fault_delays_the_answer() {
    let port = free_port();
    let mut server = serve(port, None);
    let c = client(port, RetryConfig::disabled());
    wait_ready(&c).await;
    support::pair::create_table(&c, "faulty", None).await;
    fault(
        port,
        &["add", "--operation", "PutItem", "--latency-ms", "300", "--nth", "1"],
    );
    let started = std::time::Instant::now();
    assert_eq!(put(&c, "slow").await, Ok(()));
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_rule_is_refused_with_the_reason() {
    let port = free_port();
    let mut server = serve(port, None);
    wait_ready(&client(port, RetryConfig::disabled())).await;
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["fault", "--endpoint", &format!("http://127.0.0.1:{port}")])
        .args(["add", "--error", "Oops", "--nth", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown error Oops"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_do_not_touch_explain() {
    let port = free_port();
    let mut server = serve(port, None);
    let c = client(port, RetryConfig::disabled());
    wait_ready(&c).await;
    support::pair::create_table(&c, "faulty", None).await;
    fault(port, &["add", "--error", "InternalServerError", "--probability", "1"]);
    let explained = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["explain", "--endpoint", &format!("http://127.0.0.1:{port}")])
        .args(["GetItem", r#"{"TableName": "faulty", "Key": {"pk": {"S": "x"}}}"#])
        .output()
        .unwrap();
    assert!(
        explained.status.success(),
        "{}",
        String::from_utf8_lossy(&explained.stderr)
    );
    // Every operation fails, and explain counted for none of the rule's calls.
    assert!(put(&c, "a").await.is_err());
    let listed = String::from_utf8_lossy(&fault(port, &["list"]).stdout).into_owned();
    assert!(listed.contains(r#""matched":1"#), "{listed}");
    server.kill().unwrap();
    server.wait().unwrap();
}
