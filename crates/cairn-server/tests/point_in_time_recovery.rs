//! Point-in-time recovery through the AWS SDK: UpdateContinuousBackups,
//! DescribeContinuousBackups and RestoreTableToPointInTime, one rule per test.

mod common;

use aws_sdk_dynamodb::primitives::DateTime;
use aws_sdk_dynamodb::types::PointInTimeRecoverySpecification;
use aws_sdk_dynamodb::Client;
use common::tables::{all_items, create_indexed_table, put, team_count, wait_active};
use common::{create_table, error_of, s, TestServer};
use std::time::Duration;

fn spec(enabled: bool, days: Option<i32>) -> PointInTimeRecoverySpecification {
    PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(enabled)
        .set_recovery_period_in_days(days)
        .build()
        .unwrap()
}

async fn enable(client: &Client, table: &str) {
    client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(spec(true, None))
        .send()
        .await
        .unwrap();
}

/// An instant strictly between the write that just answered and the next one (the
/// SDK sends times in milliseconds).
async fn instant() -> DateTime {
    tokio::time::sleep(Duration::from_millis(5)).await;
    let now = DateTime::from(std::time::SystemTime::now());
    tokio::time::sleep(Duration::from_millis(5)).await;
    now
}

async fn restore_at(client: &Client, source: &str, target: &str, at: DateTime) {
    client
        .restore_table_to_point_in_time()
        .source_table_name(source)
        .target_table_name(target)
        .restore_date_time(at)
        .send()
        .await
        .unwrap();
    wait_active(client, target).await;
}

#[tokio::test]
async fn enabling_pitr_answers_the_window_with_the_default_period() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let before = DateTime::from(std::time::SystemTime::now());
    let answer = client
        .update_continuous_backups()
        .table_name("pets")
        .point_in_time_recovery_specification(spec(true, None))
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .unwrap();
    assert_eq!(answer.continuous_backups_status.as_str(), "ENABLED");
    let pitr = answer.point_in_time_recovery_description.unwrap();
    assert_eq!(pitr.point_in_time_recovery_status.unwrap().as_str(), "ENABLED");
    assert_eq!(pitr.recovery_period_in_days, Some(35));
    let (earliest, latest) = (
        pitr.earliest_restorable_date_time.unwrap(),
        pitr.latest_restorable_date_time.unwrap(),
    );
    assert!(earliest.as_secs_f64() >= before.as_secs_f64() - 0.001 && earliest <= latest);
    let described = client
        .describe_continuous_backups()
        .table_name("pets")
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .unwrap()
        .point_in_time_recovery_description
        .unwrap();
    assert_eq!(described.earliest_restorable_date_time, Some(earliest));
    assert!(
        described.latest_restorable_date_time.unwrap() >= latest,
        "the latest restorable time is now, not minutes ago"
    );
}

#[tokio::test]
async fn without_pitr_only_the_status_is_described() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let pitr = client
        .describe_continuous_backups()
        .table_name("pets")
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .unwrap()
        .point_in_time_recovery_description
        .unwrap();
    assert_eq!(pitr.point_in_time_recovery_status.unwrap().as_str(), "DISABLED");
    assert!(pitr.recovery_period_in_days.is_none() && pitr.earliest_restorable_date_time.is_none());
}

#[tokio::test]
async fn a_recovery_period_above_35_days_is_rejected() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let (code, message) = error_of(
        client
            .update_continuous_backups()
            .table_name("pets")
            .point_in_time_recovery_specification(spec(true, Some(36)))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value '36' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 35"
    );
    let ok = client
        .update_continuous_backups()
        .table_name("pets")
        .point_in_time_recovery_specification(spec(true, Some(7)))
        .send()
        .await
        .unwrap();
    let days = ok
        .continuous_backups_description
        .unwrap()
        .point_in_time_recovery_description
        .unwrap()
        .recovery_period_in_days;
    assert_eq!(days, Some(7));
}

#[tokio::test]
async fn a_recovery_period_given_when_disabling_is_rejected() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    enable(&client, "pets").await;
    let (code, message) = error_of(
        client
            .update_continuous_backups()
            .table_name("pets")
            .point_in_time_recovery_specification(spec(false, Some(7)))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery."
    );
    client
        .update_continuous_backups()
        .table_name("pets")
        .point_in_time_recovery_specification(spec(false, None))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn update_continuous_backups_of_a_missing_table_is_table_not_found() {
    let server = TestServer::start().await;
    let client = server.client();
    let (code, message) = error_of(
        client
            .update_continuous_backups()
            .table_name("nope")
            .point_in_time_recovery_specification(spec(true, None))
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("TableNotFoundException", "Table not found: nope")
    );
}

#[tokio::test]
async fn restores_to_three_instants_equal_the_table_at_each_including_its_index() {
    let server = TestServer::start().await;
    let client = server.client();
    create_indexed_table(&client, "orders").await;
    for i in 0..10 {
        put(&client, "orders", &format!("o{i}"), "red").await;
    }
    enable(&client, "orders").await;
    let first = instant().await;
    let at_first = all_items(&client, "orders").await;
    for i in 0..5 {
        put(&client, "orders", &format!("o{i}"), "blue").await;
    }
    put(&client, "orders", "new", "blue").await;
    let second = instant().await;
    let at_second = all_items(&client, "orders").await;
    for i in 5..10 {
        client
            .delete_item()
            .table_name("orders")
            .key("pk", s(&format!("o{i}")))
            .send()
            .await
            .unwrap();
    }
    let third = instant().await;
    let at_third = all_items(&client, "orders").await;
    put(&client, "orders", "later", "red").await;

    restore_at(&client, "orders", "orders_1", first).await;
    restore_at(&client, "orders", "orders_2", second).await;
    restore_at(&client, "orders", "orders_3", third).await;
    assert_eq!(all_items(&client, "orders_1").await, at_first);
    assert_eq!(all_items(&client, "orders_2").await, at_second);
    assert_eq!(all_items(&client, "orders_3").await, at_third);
    assert_eq!(
        (
            team_count(&client, "orders_1", "red").await,
            team_count(&client, "orders_1", "blue").await
        ),
        (10, 0)
    );
    assert_eq!(
        (
            team_count(&client, "orders_2", "red").await,
            team_count(&client, "orders_2", "blue").await
        ),
        (5, 6)
    );
    assert_eq!(
        (
            team_count(&client, "orders_3", "red").await,
            team_count(&client, "orders_3", "blue").await
        ),
        (0, 6),
        "deleted items left the restored index too"
    );
}

#[tokio::test]
async fn use_latest_restorable_time_restores_the_current_state() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    enable(&client, "pets").await;
    client
        .put_item()
        .table_name("pets")
        .item("pk", s("rex"))
        .send()
        .await
        .unwrap();
    let restored = client
        .restore_table_to_point_in_time()
        .source_table_name("pets")
        .target_table_name("pets_now")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(restored.table_status.unwrap().as_str(), "CREATING");
    let summary = restored.restore_summary.unwrap();
    assert_eq!(
        summary.source_backup_arn, None,
        "a point-in-time restore names no backup"
    );
    assert_eq!(
        summary.source_table_arn.as_deref(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/pets")
    );
    assert!(summary.restore_in_progress);
    wait_active(&client, "pets_now").await;
    assert!(
        all_items(&client, "pets_now").await.contains_key("rex"),
        "a write just made is restorable"
    );
}

#[tokio::test]
async fn the_restore_summary_carries_the_requested_time() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    enable(&client, "pets").await;
    let at = instant().await;
    let summary = client
        .restore_table_to_point_in_time()
        .source_table_name("pets")
        .target_table_name("pets_then")
        .restore_date_time(at)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap()
        .restore_summary
        .unwrap();
    assert_eq!(summary.restore_date_time.to_millis().unwrap(), at.to_millis().unwrap());
}

#[tokio::test]
async fn restoring_a_table_without_pitr_is_point_in_time_recovery_unavailable() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    let (code, message) = error_of(
        client
            .restore_table_to_point_in_time()
            .source_table_name("pets")
            .target_table_name("pets2")
            .use_latest_restorable_time(true)
            .send()
            .await,
    );
    assert_eq!(code, "PointInTimeRecoveryUnavailableException");
    assert_eq!(message, "Point in time recovery is not enabled for table 'pets'");
    enable(&client, "pets").await;
    client
        .restore_table_to_point_in_time()
        .source_table_name("pets")
        .target_table_name("pets2")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_time_before_the_window_is_invalid_restore_time() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    enable(&client, "pets").await;
    let (code, message) = error_of(
        client
            .restore_table_to_point_in_time()
            .source_table_name("pets")
            .target_table_name("pets2")
            .restore_date_time(DateTime::from_secs(1_000_000_000))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidRestoreTimeException");
    assert!(
        message.starts_with("RestoreDateTime '2001-09-09T01:46:40.000Z' must be within EarliestRestorableDateTime '"),
        "{message}"
    );
    assert!(message.contains("' and LatestRestorableDateTime '"), "{message}");
}

#[tokio::test]
async fn exactly_one_restore_time_must_be_given() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    enable(&client, "pets").await;
    let (code, message) = error_of(
        client
            .restore_table_to_point_in_time()
            .source_table_name("pets")
            .target_table_name("pets2")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both"
    );
    let (code, message) = error_of(
        client
            .restore_table_to_point_in_time()
            .source_table_name("pets")
            .target_table_name("pets2")
            .use_latest_restorable_time(true)
            .restore_date_time(DateTime::from(std::time::SystemTime::now()))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.starts_with(
            "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for point-in-time restore request."
        ),
        "{message}"
    );
}

#[tokio::test]
async fn exactly_one_source_must_be_named() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    enable(&client, "pets").await;
    let (code, message) = error_of(
        client
            .restore_table_to_point_in_time()
            .source_table_name("pets")
            .source_table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/pets")
            .target_table_name("pets2")
            .use_latest_restorable_time(true)
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(message, "Must provide exactly one of: sourceTableArn, sourceTableName");
    client
        .restore_table_to_point_in_time()
        .source_table_arn("arn:aws:dynamodb:us-east-1:000000000000:table/pets")
        .target_table_name("pets2")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_restore_onto_an_existing_table_is_table_already_exists() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    enable(&client, "pets").await;
    let (code, message) = error_of(
        client
            .restore_table_to_point_in_time()
            .source_table_name("pets")
            .target_table_name("pets")
            .use_latest_restorable_time(true)
            .send()
            .await,
    );
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("TableAlreadyExistsException", "Table already exists: pets")
    );
}

#[tokio::test]
async fn disabling_drops_the_history_and_re_enabling_opens_a_new_window() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pets", None).await;
    enable(&client, "pets").await;
    let old = instant().await;
    client
        .update_continuous_backups()
        .table_name("pets")
        .point_in_time_recovery_specification(spec(false, None))
        .send()
        .await
        .unwrap();
    enable(&client, "pets").await;
    let (code, _) = error_of(
        client
            .restore_table_to_point_in_time()
            .source_table_name("pets")
            .target_table_name("pets2")
            .restore_date_time(old)
            .send()
            .await,
    );
    assert_eq!(code, "InvalidRestoreTimeException", "a time before re-enabling is gone");
}
