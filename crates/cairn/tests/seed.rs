//! `cairn serve --seed DIR`: the fixture's tables and items are there when the port
//! opens; a bad item stops the server from starting, naming its file and line.

mod support;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use std::process::{Command, Stdio};
use support::{client, free_port, wait_ready};

fn fixture(dir: &std::path::Path) {
    std::fs::write(
        dir.join("orders.table.json"),
        r#"{"TableName": "orders",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("orders.jsonl"),
        "{\"pk\": {\"S\": \"c1\"}, \"sk\": {\"S\": \"o1\"}, \"total\": {\"N\": \"12\"}}\n\
         {\"Item\": {\"pk\": {\"S\": \"c1\"}, \"sk\": {\"S\": \"o2\"}}}\n\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("users.table.json"),
        r#"{"TableName": "users", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("users.json"),
        r#"{"Items": [{"id": {"S": "u1"}, "name": {"S": "Ada"}}, {"id": {"S": "u2"}}], "Count": 2}"#,
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seed_directory_is_loaded_before_the_port_opens() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "serve",
            "--in-memory",
            "--port",
            &port.to_string(),
            "--table-creation-delay-ms",
            "100",
        ])
        .arg("--seed")
        .arg(dir.path())
        .env_remove("AWS_REGION")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = client(port);
    wait_ready(&c).await;
    // The first answer already sees everything.
    let orders = c
        .query()
        .table_name("orders")
        .key_condition_expression("pk = :c")
        .expression_attribute_values(":c", Av::S("c1".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(orders.count(), 2);
    assert_eq!(orders.items()[0]["total"], Av::N("12".into()));
    let ada = c
        .get_item()
        .table_name("users")
        .key("id", Av::S("u1".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(ada.item().unwrap()["name"], Av::S("Ada".into()));
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_bad_seed_item_stops_the_server_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    std::fs::write(
        dir.path().join("orders.jsonl"),
        "{\"pk\": {\"S\": \"c1\"}, \"sk\": {\"S\": \"o1\"}}\n{\"pk\": {\"S\": \"c1\"}}\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--in-memory", "--port", &free_port().to_string()])
        .arg("--seed")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It must stop by itself; one still running after 20 s started despite the item.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the server started despite a bad seed item");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("orders.jsonl line 2: ValidationException: One or more parameter values were invalid: Missing the key sk in the item"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_tables_are_created_in_the_seed_region() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "serve",
            "--in-memory",
            "--port",
            &port.to_string(),
            "--seed-region",
            "eu-west-1",
        ])
        .arg("--seed")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let home = client(port);
    wait_ready(&home).await;
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(aws_sdk_dynamodb::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "AKID", "secret", None, None, "test",
        ))
        .build();
    let europe = aws_sdk_dynamodb::Client::from_conf(config);
    let tables = europe.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["orders", "users"]);
    assert!(home.list_tables().send().await.unwrap().table_names().is_empty());
    server.kill().unwrap();
    server.wait().unwrap();
}
