//! Tables the backup and point-in-time tests share: `pk` (S) with a GSI `by_team` on
//! `team` (S), and ways to read a table back whole.

use super::{attr, key_element, s};
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BackupStatus, BillingMode, GlobalSecondaryIndex, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A table `pk` (S) with a GSI `by_team` on `team` (S).
pub async fn create_indexed_table(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("team", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(by_team())
        .send()
        .await
        .unwrap();
}

pub fn by_team() -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name("by_team")
        .key_schema(key_element("team", KeyType::Hash))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .unwrap()
}

pub async fn put(client: &Client, table: &str, pk: &str, team: &str) {
    client
        .put_item()
        .table_name(table)
        .item("pk", s(pk))
        .item("team", s(team))
        .send()
        .await
        .unwrap();
}

pub async fn wait_active(client: &Client, table: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap()
            .table_status
            .unwrap();
        if status.as_str() == "ACTIVE" {
            return;
        }
        assert!(Instant::now() < deadline, "table {table} never became ACTIVE");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every item of `table`, by `pk`.
pub async fn all_items(client: &Client, table: &str) -> HashMap<String, HashMap<String, Av>> {
    let mut out = HashMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items.unwrap_or_default() {
            out.insert(item["pk"].as_s().unwrap().clone(), item);
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            return out;
        }
    }
}

pub async fn team_count(client: &Client, table: &str, team: &str) -> i32 {
    client
        .query()
        .table_name(table)
        .index_name("by_team")
        .key_condition_expression("team = :t")
        .expression_attribute_values(":t", s(team))
        .send()
        .await
        .unwrap()
        .count
}

/// Takes a backup; its ARN.
pub async fn backup(client: &Client, table: &str, name: &str) -> String {
    client
        .create_backup()
        .table_name(table)
        .backup_name(name)
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap()
        .backup_arn
}

pub async fn wait_available(client: &Client, arn: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = client
            .describe_backup()
            .backup_arn(arn)
            .send()
            .await
            .unwrap()
            .backup_description
            .unwrap()
            .backup_details
            .unwrap()
            .backup_status;
        if status == BackupStatus::Available {
            return;
        }
        assert!(Instant::now() < deadline, "backup never became AVAILABLE");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
