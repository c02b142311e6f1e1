//! An import killed with SIGKILL part-way resumes after a restart on the same data
//! directory, without duplicates or gaps: every record is counted once and every
//! item is in the table.

mod support;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ImportStatus, InputFormat, KeySchemaElement, KeyType, S3BucketSource,
    ScalarAttributeType, Select, TableCreationParameters,
};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{client, free_port, wait_ready};

const OBJECTS: usize = 4;
const PER_OBJECT: usize = 50_000;

fn start(data_dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--ttl-sweep-interval-ms",
            "200",
            "--data-dir",
        ])
        .arg(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_with_sigkill_resumes_without_duplicates_or_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let bucket = data_dir.join("s3").join("source");
    std::fs::create_dir_all(&bucket).unwrap();
    for object in 0..OBJECTS {
        let text: String = (0..PER_OBJECT)
            .map(|i| {
                format!(
                    "{{\"Item\":{{\"pk\":{{\"S\":\"o{object}-{i:06}\"}},\"payload\":{{\"S\":\"{}\"}}}}}}\n",
                    "x".repeat(64)
                )
            })
            .collect();
        std::fs::write(bucket.join(format!("part-{object}.json")), text).unwrap();
    }
    let total = (OBJECTS * PER_OBJECT) as i64;

    let port = free_port();
    let mut server = start(&data_dir, port);
    let c = client(port);
    wait_ready(&c).await;
    let started = c
        .import_table()
        .s3_bucket_source(S3BucketSource::builder().s3_bucket("source").build().unwrap())
        .input_format(InputFormat::DynamodbJson)
        .table_creation_parameters(
            TableCreationParameters::builder()
                .table_name("imported")
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
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = started
        .import_table_description()
        .unwrap()
        .import_arn()
        .unwrap()
        .to_string();

    // Kill it once some, but not all, records are in.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let d = c.describe_import().import_arn(&arn).send().await.unwrap();
        let d = d.import_table_description().unwrap();
        let processed = d.processed_item_count();
        assert!(processed < total, "the import finished before it could be interrupted");
        if processed > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the import made no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let port = free_port();
    let mut server = start(&data_dir, port);
    let c = client(port);
    wait_ready(&c).await;
    let at_restart = c.describe_import().import_arn(&arn).send().await.unwrap();
    let at_restart = at_restart.import_table_description().unwrap();
    assert_eq!(at_restart.import_status(), Some(&ImportStatus::InProgress));
    assert!(
        at_restart.processed_item_count() < total,
        "the restart resumes an unfinished import"
    );
    let deadline = Instant::now() + Duration::from_secs(300);
    let done = loop {
        let d = c.describe_import().import_arn(&arn).send().await.unwrap();
        let d = d.import_table_description().unwrap().clone();
        if d.import_status() != Some(&ImportStatus::InProgress) {
            break d;
        }
        assert!(Instant::now() < deadline, "the import did not resume");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done.import_status(), Some(&ImportStatus::Completed));
    assert_eq!(done.processed_item_count(), total, "each record counted once");
    assert_eq!(done.imported_item_count(), total);
    assert_eq!(done.error_count(), 0);
    let mut count = 0;
    let mut start_key = None;
    loop {
        let page = c
            .scan()
            .table_name("imported")
            .select(Select::Count)
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .unwrap();
        count += page.count() as i64;
        start_key = page.last_evaluated_key().cloned();
        if start_key.is_none() {
            break;
        }
    }
    assert_eq!(count, total, "every item is in the table");
    server.kill().unwrap();
    server.wait().unwrap();
}
