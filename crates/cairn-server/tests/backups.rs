//! On-demand backups through the AWS SDK: CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup and RestoreTableFromBackup, one rule per test.

mod common;

use aws_sdk_dynamodb::types::{
    BackupStatus, BackupTypeFilter, BillingMode, GlobalSecondaryIndex, KeyType, Projection, ProjectionType,
    ProvisionedThroughput, PutRequest, ScalarAttributeType, StreamSpecification, StreamViewType, Tag,
    TimeToLiveSpecification, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::tables::{all_items, create_indexed_table, put, team_count, wait_active};
use common::{attr, create_table, error_of, key_element, n, s, TestServer};
use std::time::{Duration, Instant};

async fn backup(client: &Client, table: &str, name: &str) -> String {
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

async fn wait_available(client: &Client, arn: &str) {
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

#[tokio::test]
async fn create_backup_answers_creating_with_a_dynamodb_shaped_arn_then_is_available() {
    let server = TestServer::start().await;
    let client = server.client();
    create_indexed_table(&client, "pets").await;
    put(&client, "pets", "rex", "dogs").await;
    let details = client
        .create_backup()
        .table_name("pets")
        .backup_name("nightly.1")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap();
    assert_eq!(details.backup_status, BackupStatus::Creating, "as DynamoDB answers");
    assert_eq!(details.backup_type.as_str(), "USER");
    assert_eq!(details.backup_name, "nightly.1");
    let created_ms = (details.backup_creation_date_time.as_secs_f64() * 1000.0) as u64;
    let prefix = "arn:aws:dynamodb:us-east-1:000000000000:table/pets/backup/";
    let id = details.backup_arn.strip_prefix(prefix).expect("table ARN + /backup/ID");
    let (millis, hex) = id.split_once('-').expect("ID is MILLIS-HEX");
    assert_eq!(
        millis,
        format!("{created_ms:014}"),
        "14 digits of the creation time in ms"
    );
    assert!(hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    wait_available(&client, &details.backup_arn).await;
    let description = client
        .describe_backup()
        .backup_arn(&details.backup_arn)
        .send()
        .await
        .unwrap()
        .backup_description
        .unwrap();
    let source = description.source_table_details.unwrap();
    assert_eq!(source.table_name, "pets");
    assert_eq!(source.item_count, Some(1));
    assert_eq!(source.billing_mode.unwrap().as_str(), "PAY_PER_REQUEST");
    let features = description.source_table_feature_details.unwrap();
    let gsis = features.global_secondary_indexes.unwrap();
    assert_eq!(gsis[0].index_name.as_deref(), Some("by_team"));
}

#[tokio::test]
async fn create_backup_of_a_missing_table_is_table_not_found() {
    let server = TestServer::start().await;
    let client = server.client();
    let (code, message) = error_of(
        client
            .create_backup()
            .table_name("nope")
            .backup_name("bk1")
            .send()
            .await,
    );
    assert_eq!(code, "TableNotFoundException");
    assert_eq!(message, "Table not found: nope");
    create_table(&client, "nope", None).await;
    client
        .create_backup()
        .table_name("nope")
        .backup_name("bk1")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn create_backup_accepts_the_table_arn() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let arn = backup(&client, "arn:aws:dynamodb:us-east-1:000000000000:table/pets", "by-arn").await;
    assert!(arn.contains(":table/pets/backup/"), "{arn}");
}

#[tokio::test]
async fn backup_name_must_match_the_name_pattern() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let (code, message) = error_of(
        client
            .create_backup()
            .table_name("pets")
            .backup_name("two words")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value 'two words' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    );
    client
        .create_backup()
        .table_name("pets")
        .backup_name("two-words")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn describe_backup_of_an_unknown_arn_is_backup_not_found() {
    let server = TestServer::start().await;
    let client = server.client();
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/pets/backup/01700000000000-0a1b2c3d";
    let (code, message) = error_of(client.describe_backup().backup_arn(arn).send().await);
    assert_eq!(code, "BackupNotFoundException");
    assert_eq!(message, format!("Backup not found: {arn}"));
    create_table(&client, "pets", None).await;
    let real = backup(&client, "pets", "bk1").await;
    client.describe_backup().backup_arn(real).send().await.unwrap();
}

#[tokio::test]
async fn a_backup_arn_shorter_than_37_characters_is_rejected() {
    let server = TestServer::start().await;
    let client = server.client();
    let (code, message) = error_of(client.describe_backup().backup_arn("arn:too-short").send().await);
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value 'arn:too-short' at 'backupArn' failed to satisfy constraint: Member must have length greater than or equal to 37"
    );
}

#[tokio::test]
async fn delete_backup_answers_deleted_and_the_backup_is_gone_everywhere() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let arn = backup(&client, "pets", "bk1").await;
    wait_available(&client, &arn).await;
    let deleted = client.delete_backup().backup_arn(&arn).send().await.unwrap();
    let details = deleted.backup_description.unwrap().backup_details.unwrap();
    assert_eq!(details.backup_status, BackupStatus::Deleted);
    for result in [
        error_of(client.describe_backup().backup_arn(&arn).send().await),
        error_of(client.delete_backup().backup_arn(&arn).send().await),
        error_of(
            client
                .restore_table_from_backup()
                .backup_arn(&arn)
                .target_table_name("pets2")
                .send()
                .await,
        ),
    ] {
        assert_eq!(
            result,
            (
                "BackupNotFoundException".to_string(),
                format!("Backup not found: {arn}")
            )
        );
    }
    let listed = client
        .list_backups()
        .send()
        .await
        .unwrap()
        .backup_summaries
        .unwrap_or_default();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn list_backups_filters_by_table_and_pages_in_creation_order() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    create_table(&client, "toys", None).await;
    let first = backup(&client, "pets", "pets-1").await;
    let toys = backup(&client, "toys", "toys-1").await;
    let second = backup(&client, "pets", "pets-2").await;
    let arns = |page: &aws_sdk_dynamodb::operation::list_backups::ListBackupsOutput| -> Vec<String> {
        page.backup_summaries
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|b| b.backup_arn.unwrap())
            .collect()
    };
    let all = client.list_backups().send().await.unwrap();
    assert_eq!(arns(&all), vec![first.clone(), toys.clone(), second.clone()]);
    let pets = client.list_backups().table_name("pets").send().await.unwrap();
    assert_eq!(arns(&pets), vec![first.clone(), second.clone()]);
    let page1 = client.list_backups().limit(1).send().await.unwrap();
    assert_eq!(arns(&page1), vec![first.clone()]);
    assert_eq!(page1.last_evaluated_backup_arn.as_deref(), Some(first.as_str()));
    let page2 = client
        .list_backups()
        .limit(2)
        .exclusive_start_backup_arn(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(&page2), vec![toys.clone(), second.clone()]);
    let last = client
        .list_backups()
        .exclusive_start_backup_arn(&toys)
        .send()
        .await
        .unwrap();
    assert_eq!(arns(&last), vec![second.clone()]);
    assert_eq!(last.last_evaluated_backup_arn, None, "no more pages");
    let system = client
        .list_backups()
        .backup_type(BackupTypeFilter::System)
        .send()
        .await
        .unwrap();
    assert!(arns(&system).is_empty(), "Cairn makes USER backups only");
    let summary = &all.backup_summaries.unwrap()[0];
    assert_eq!(summary.table_name.as_deref(), Some("pets"));
    assert_eq!(summary.backup_name.as_deref(), Some("pets-1"));
}

#[tokio::test]
async fn list_backups_time_range_is_lower_inclusive_upper_exclusive() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let arn = backup(&client, "pets", "bk1").await;
    let created = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap()
        .backup_description
        .unwrap()
        .backup_details
        .unwrap()
        .backup_creation_date_time;
    let count = |lower: aws_sdk_dynamodb::primitives::DateTime, upper: aws_sdk_dynamodb::primitives::DateTime| {
        let client = client.clone();
        async move {
            client
                .list_backups()
                .time_range_lower_bound(lower)
                .time_range_upper_bound(upper)
                .send()
                .await
                .unwrap()
                .backup_summaries
                .unwrap_or_default()
                .len()
        }
    };
    let later = aws_sdk_dynamodb::primitives::DateTime::from_secs_f64(created.as_secs_f64() + 10.0);
    assert_eq!(count(created, later).await, 1, "the lower bound is inclusive");
    let earlier = aws_sdk_dynamodb::primitives::DateTime::from_secs_f64(created.as_secs_f64() - 10.0);
    assert_eq!(count(earlier, created).await, 0, "the upper bound is exclusive");
}

#[tokio::test]
async fn list_backups_with_the_lower_bound_after_the_upper_is_rejected() {
    let server = TestServer::start().await;
    let client = server.client();
    let t = |secs: f64| aws_sdk_dynamodb::primitives::DateTime::from_secs_f64(secs);
    let (code, message) = error_of(
        client
            .list_backups()
            .time_range_lower_bound(t(2000.0))
            .time_range_upper_bound(t(1000.0))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound"
    );
    client
        .list_backups()
        .time_range_lower_bound(t(1000.0))
        .time_range_upper_bound(t(1000.0))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_restore_equals_the_source_at_the_backup_instant_including_indexes() {
    let server = TestServer::start().await;
    let client = server.client();
    create_indexed_table(&client, "orders").await;
    for i in 0..30 {
        put(
            &client,
            "orders",
            &format!("o{i}"),
            if i % 3 == 0 { "red" } else { "blue" },
        )
        .await;
    }
    let before = all_items(&client, "orders").await;
    let arn = backup(&client, "orders", "before-changes").await;
    // Changes after the backup: none may show in the restored table.
    client
        .delete_item()
        .table_name("orders")
        .key("pk", s("o0"))
        .send()
        .await
        .unwrap();
    put(&client, "orders", "o1", "red").await;
    put(&client, "orders", "new", "red").await;
    wait_available(&client, &arn).await;
    let restored = client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("orders_restored")
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(restored.table_status.unwrap().as_str(), "CREATING");
    let summary = restored.restore_summary.unwrap();
    assert_eq!(summary.source_backup_arn.as_deref(), Some(arn.as_str()));
    assert_eq!(
        summary.source_table_arn.as_deref(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/orders")
    );
    assert!(summary.restore_in_progress);
    wait_active(&client, "orders_restored").await;
    assert_eq!(all_items(&client, "orders_restored").await, before, "item for item");
    assert_eq!(team_count(&client, "orders_restored", "red").await, 10, "the index too");
    assert_eq!(team_count(&client, "orders_restored", "blue").await, 20);
    assert_eq!(
        team_count(&client, "orders", "red").await,
        11,
        "the source kept its changes"
    );
}

#[tokio::test]
async fn restoring_to_an_existing_table_is_table_already_exists() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let arn = backup(&client, "pets", "bk1").await;
    wait_available(&client, &arn).await;
    let (code, message) = error_of(
        client
            .restore_table_from_backup()
            .backup_arn(&arn)
            .target_table_name("pets")
            .send()
            .await,
    );
    assert_eq!(code, "TableAlreadyExistsException");
    assert_eq!(message, "Table already exists: pets");
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("pets2")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_index_override_that_matches_no_source_index_is_rejected() {
    let server = TestServer::start().await;
    let client = server.client();
    create_indexed_table(&client, "orders").await;
    let arn = backup(&client, "orders", "bk1").await;
    wait_available(&client, &arn).await;
    let new_index = GlobalSecondaryIndex::builder()
        .index_name("by_pk_keys_only")
        .key_schema(key_element("team", KeyType::Hash))
        .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
        .build()
        .unwrap();
    let (code, message) = error_of(
        client
            .restore_table_from_backup()
            .backup_arn(&arn)
            .target_table_name("orders2")
            .global_secondary_index_override(new_index)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Invalid Request: Index by_pk_keys_only does not match a secondary index that existed in the source table and cannot be created during the restore operation"
    );
    // The same index under another name is a rename, which is allowed.
    let renamed = GlobalSecondaryIndex::builder()
        .index_name("by_team_renamed")
        .key_schema(key_element("team", KeyType::Hash))
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .unwrap();
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("orders2")
        .global_secondary_index_override(renamed)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_empty_index_override_restores_without_indexes() {
    let server = TestServer::start().await;
    let client = server.client();
    create_indexed_table(&client, "orders").await;
    put(&client, "orders", "o1", "red").await;
    let arn = backup(&client, "orders", "bk1").await;
    wait_available(&client, &arn).await;
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("bare")
        .set_global_secondary_index_override(Some(Vec::new()))
        .send()
        .await
        .unwrap();
    wait_active(&client, "bare").await;
    let table = client
        .describe_table()
        .table_name("bare")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(
        table.global_secondary_indexes.is_none(),
        "{:?}",
        table.global_secondary_indexes
    );
    assert_eq!(all_items(&client, "bare").await.len(), 1);
}

#[tokio::test]
async fn provisioned_throughput_cannot_be_overridden_on_an_on_demand_backup_without_the_billing_mode() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let arn = backup(&client, "pets", "bk1").await;
    wait_available(&client, &arn).await;
    let throughput = ProvisionedThroughput::builder()
        .read_capacity_units(5)
        .write_capacity_units(5)
        .build()
        .unwrap();
    let (code, message) = error_of(
        client
            .restore_table_from_backup()
            .backup_arn(&arn)
            .target_table_name("pets2")
            .provisioned_throughput_override(throughput.clone())
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Invalid Request: Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED"
    );
    let (code, message) = error_of(
        client
            .restore_table_from_backup()
            .backup_arn(&arn)
            .target_table_name("pets2")
            .billing_mode_override(BillingMode::Provisioned)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Invalid Request: Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED"
    );
    let restored = client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("pets2")
        .billing_mode_override(BillingMode::Provisioned)
        .provisioned_throughput_override(throughput)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(restored.provisioned_throughput.unwrap().read_capacity_units, Some(5));
}

#[tokio::test]
async fn a_restore_does_not_carry_streams_ttl_or_tags() {
    let server = TestServer::start().await;
    let client = server.client();
    client
        .create_table()
        .table_name("events")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key("team").value("web").build().unwrap())
        .send()
        .await
        .unwrap();
    client
        .update_time_to_live()
        .table_name("events")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = backup(&client, "events", "bk1").await;
    wait_available(&client, &arn).await;
    let features = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap()
        .backup_description
        .unwrap()
        .source_table_feature_details
        .unwrap();
    assert!(
        features.stream_description.is_some(),
        "the backup describes the source's stream"
    );
    assert_eq!(
        features.time_to_live_description.unwrap().attribute_name.as_deref(),
        Some("expires")
    );
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("events2")
        .send()
        .await
        .unwrap();
    wait_active(&client, "events2").await;
    let table = client
        .describe_table()
        .table_name("events2")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(table.stream_specification.is_none() && table.latest_stream_arn.is_none());
    let ttl = client
        .describe_time_to_live()
        .table_name("events2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description
            .unwrap()
            .time_to_live_status
            .unwrap()
            .as_str(),
        "DISABLED"
    );
    let tags = client
        .list_tags_of_resource()
        .resource_arn(table.table_arn.unwrap())
        .send()
        .await
        .unwrap();
    assert!(tags.tags.unwrap_or_default().is_empty());
    assert!(table.restore_summary.is_none(), "shown only while the restore loads");
}

#[tokio::test]
async fn backups_outlive_their_table() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    client
        .put_item()
        .table_name("pets")
        .item("pk", s("rex"))
        .send()
        .await
        .unwrap();
    let arn = backup(&client, "pets", "bk1").await;
    wait_available(&client, &arn).await;
    client.delete_table().table_name("pets").send().await.unwrap();
    let listed = client.list_backups().table_name("pets").send().await.unwrap();
    assert_eq!(listed.backup_summaries.unwrap().len(), 1);
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("pets")
        .send()
        .await
        .unwrap();
    wait_active(&client, "pets").await;
    assert!(all_items(&client, "pets").await.contains_key("rex"));
}

#[tokio::test]
async fn a_restore_larger_than_one_calls_budget_finishes_in_the_background() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "big", None).await;
    load(&client, "big", 25_000).await;
    let arn = backup(&client, "big", "bk1").await;
    wait_available(&client, &arn).await;
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("big2")
        .send()
        .await
        .unwrap();
    wait_active(&client, "big2").await;
    assert_eq!(all_items(&client, "big2").await.len(), 25_000);
}

/// Loads `count` items (`pk` = i{n}) with BatchWriteItem.
async fn load(client: &Client, table: &str, count: usize) {
    for start in (0..count).step_by(25) {
        let requests: Vec<WriteRequest> = (start..(start + 25).min(count))
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("pk", s(&format!("i{i:06}")))
                            .item("n", n(&i.to_string()))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        client
            .batch_write_item()
            .request_items(table, requests)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_50000_items_is_one_instant_while_updates_and_deletes_go_on() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "large", None).await;
    load(&client, "large", 50_000).await;
    let arn = backup(&client, "large", "bk1").await;
    // Changes while the copy may still run, and after it: none is in the backup.
    for i in (0..50_000).step_by(1000) {
        client
            .delete_item()
            .table_name("large")
            .key("pk", s(&format!("i{i:06}")))
            .send()
            .await
            .unwrap();
        client
            .update_item()
            .table_name("large")
            .key("pk", s(&format!("i{:06}", i + 1)))
            .update_expression("SET n = :x")
            .expression_attribute_values(":x", n("-1"))
            .send()
            .await
            .unwrap();
    }
    wait_available(&client, &arn).await;
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("large_restored")
        .send()
        .await
        .unwrap();
    wait_active(&client, "large_restored").await;
    let restored = all_items(&client, "large_restored").await;
    assert_eq!(restored.len(), 50_000, "deletes after the backup are not in it");
    for i in (0..50_000).step_by(1000) {
        let updated = &restored[&format!("i{:06}", i + 1)];
        assert_eq!(
            updated["n"],
            n(&(i + 1).to_string()),
            "updates after the backup are not in it"
        );
    }
}
