//! `--s3-endpoint`: exports are written to, and imports read from, an S3-compatible
//! endpoint over HTTP (here a minimal S3 server written for the test).

mod support;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, ExportStatus, ImportStatus, InputCompressionType,
    InputFormat, KeySchemaElement, KeyType, PointInTimeRecoverySpecification, S3BucketSource, ScalarAttributeType,
    TableCreationParameters,
};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{client, free_port, wait_ready};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_put(port: u16, path: &str) {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            write!(
                s,
                "PUT {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).unwrap();
            assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
            return;
        }
        assert!(Instant::now() < deadline, "fake S3 did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_and_imports_go_through_an_s3_endpoint() {
    let s3_port = free_port();
    let _s3 = Killed(
        Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fake_s3.py"))
            .arg(s3_port.to_string())
            .spawn()
            .unwrap(),
    );
    http_put(s3_port, "/exports");
    let port = free_port();
    let _server = Killed(
        Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["serve", "--in-memory", "--port", &port.to_string()])
            .args(["--s3-endpoint", &format!("http://127.0.0.1:{s3_port}")])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let c = client(port);
    wait_ready(&c).await;
    let key = |name: &str| {
        (
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
    };
    let (def, schema) = key("pk");
    c.create_table()
        .table_name("src")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(def.clone())
        .key_schema(schema.clone())
        .send()
        .await
        .unwrap();
    c.update_continuous_backups()
        .table_name("src")
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..100 {
        c.put_item()
            .table_name("src")
            .item("pk", Av::S(format!("k{i}")))
            .item("n", Av::N(i.to_string()))
            .send()
            .await
            .unwrap();
    }
    let export = c
        .export_table_to_point_in_time()
        .table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/src")
        .s3_bucket("exports")
        .s3_prefix("daily")
        .send()
        .await
        .unwrap();
    let arn = export.export_description().unwrap().export_arn().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let d = c.describe_export().export_arn(&arn).send().await.unwrap();
        let d = d.export_description().unwrap().clone();
        if d.export_status() != Some(&ExportStatus::InProgress) {
            break d;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done.export_status(), Some(&ExportStatus::Completed), "{done:?}");
    assert_eq!(done.item_count(), Some(100));

    let id = arn.rsplit('/').next().unwrap();
    let import = c
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket("exports")
                .s3_key_prefix(format!("daily/AWSDynamoDB/{id}/data/"))
                .build()
                .unwrap(),
        )
        .input_format(InputFormat::DynamodbJson)
        .input_compression_type(InputCompressionType::Gzip)
        .table_creation_parameters(
            TableCreationParameters::builder()
                .table_name("copy")
                .billing_mode(BillingMode::PayPerRequest)
                .attribute_definitions(def)
                .key_schema(schema)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let import_arn = import
        .import_table_description()
        .unwrap()
        .import_arn()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let done = loop {
        let d = c.describe_import().import_arn(&import_arn).send().await.unwrap();
        let d = d.import_table_description().unwrap().clone();
        if d.import_status() != Some(&ImportStatus::InProgress) {
            break d;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done.import_status(), Some(&ImportStatus::Completed), "{done:?}");
    assert_eq!(done.imported_item_count(), 100);
    let got = c
        .get_item()
        .table_name("copy")
        .key("pk", Av::S("k42".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["n"], Av::N("42".into()));

    // A bucket the endpoint does not have fails the export.
    let missing = c
        .export_table_to_point_in_time()
        .table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/src")
        .s3_bucket("nobucket")
        .send()
        .await
        .unwrap();
    let arn = missing.export_description().unwrap().export_arn().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = c.describe_export().export_arn(&arn).send().await.unwrap();
        let d = d.export_description().unwrap().clone();
        if d.export_status() != Some(&ExportStatus::InProgress) {
            assert_eq!(d.export_status(), Some(&ExportStatus::Failed));
            assert_eq!(d.failure_code(), Some("S3NoSuchBucket"), "{d:?}");
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
