//! RestoreTableFromBackup through the AWS SDK, one rule per test (taking, listing and
//! deleting backups: backups.rs).

mod common;

use aws_sdk_dynamodb::types::{
    BillingMode, GlobalSecondaryIndex, KeyType, Projection, ProjectionType, ProvisionedThroughput, PutRequest,
    ScalarAttributeType, StreamSpecification, StreamViewType, Tag, TimeToLiveSpecification, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::tables::{all_items, backup, create_indexed_table, put, team_count, wait_active, wait_available};
use common::{attr, create_table, error_of, key_element, n, s, TestServer};

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
