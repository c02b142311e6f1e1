//! On-demand backups through the AWS SDK: CreateBackup, DescribeBackup, ListBackups,
//! DeleteBackup and RestoreTableFromBackup, one rule per test.

mod common;

use aws_sdk_dynamodb::types::{BackupStatus, BackupTypeFilter};
use common::tables::{backup, create_indexed_table, put, wait_available};
use common::{create_table, error_of, TestServer};

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
