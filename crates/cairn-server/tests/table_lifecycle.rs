//! Control plane through the AWS SDK: create, describe, list with paging, update,
//! delete, and the validation DynamoDB applies on the way.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ProvisionedThroughput, ScalarAttributeType,
    TableStatus,
};
use common::{create_table, error_of, TestServer};

#[tokio::test]
async fn create_describe_and_delete_a_table() {
    let server = TestServer::start().await;
    let client = server.client_in("eu-west-1");
    let created = client
        .create_table()
        .table_name("orders")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
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
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(5)
                .write_capacity_units(7)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let description = created.table_description().unwrap();
    assert_eq!(description.table_status(), Some(&TableStatus::Creating));
    assert_eq!(
        description.table_arn(),
        Some("arn:aws:dynamodb:eu-west-1:000000000000:table/orders")
    );

    let table = client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.table_status(), Some(&TableStatus::Active));
    assert_eq!(table.key_schema().len(), 2);
    assert_eq!(table.item_count(), Some(0));
    assert_eq!(table.provisioned_throughput().unwrap().write_capacity_units(), Some(7));
    assert!(table.table_id().is_some_and(|id| id.len() == 36));
    assert!(table.creation_date_time().is_some());

    let (code, _) = error_of(
        client
            .create_table()
            .table_name("orders")
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
            .await,
    );
    assert_eq!(code, "ResourceInUseException");

    let deleted = client.delete_table().table_name("orders").send().await.unwrap();
    assert_eq!(
        deleted.table_description().unwrap().table_status(),
        Some(&TableStatus::Deleting)
    );
    let (code, _) = error_of(client.describe_table().table_name("orders").send().await);
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn list_tables_pages_in_name_order() {
    let server = TestServer::start().await;
    let client = server.client();
    for name in ["t-c", "t-a", "t-e", "t-b", "t-d"] {
        create_table(&client, name, None).await;
    }
    let first = client.list_tables().limit(2).send().await.unwrap();
    assert_eq!(first.table_names(), ["t-a", "t-b"]);
    assert_eq!(first.last_evaluated_table_name(), Some("t-b"));
    let rest = client
        .list_tables()
        .exclusive_start_table_name("t-b")
        .send()
        .await
        .unwrap();
    assert_eq!(rest.table_names(), ["t-c", "t-d", "t-e"]);
    assert_eq!(rest.last_evaluated_table_name(), None);
    let (code, message) = error_of(client.list_tables().limit(101).send().await);
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("Member must have value less than or equal to 100"),
        "{message}"
    );
}

#[tokio::test]
async fn table_names_and_key_schemas_are_validated_like_dynamodb() {
    let server = TestServer::start().await;
    let client = server.client();
    let attempt = |name: &str| {
        client
            .create_table()
            .table_name(name)
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
    };
    let (_, message) = error_of(attempt("ab").await);
    assert_eq!(message, "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3");
    let (_, message) = error_of(attempt("bad name!").await);
    assert!(
        message.ends_with("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
        "{message}"
    );

    let (code, message) = error_of(
        client
            .create_table()
            .table_name("unused_attr")
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("extra")
                    .attribute_type(ScalarAttributeType::N)
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
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(
        message.contains("does not exactly match number of attributes defined"),
        "{message}"
    );

    let (_, message) = error_of(
        client
            .create_table()
            .table_name("no_throughput")
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
            .await,
    );
    assert!(
        message.contains("must both be specified when BillingMode is PROVISIONED"),
        "{message}"
    );
    assert!(
        client.list_tables().send().await.unwrap().table_names().is_empty(),
        "failed creates leave nothing behind"
    );
}

#[tokio::test]
async fn update_table_switches_billing_and_guards_deletion() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "billing", None).await;
    let updated = client
        .update_table()
        .table_name("billing")
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(
            ProvisionedThroughput::builder()
                .read_capacity_units(3)
                .write_capacity_units(4)
                .build()
                .unwrap(),
        )
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap();
    let table = updated.table_description().unwrap();
    assert_eq!(table.provisioned_throughput().unwrap().read_capacity_units(), Some(3));
    assert_eq!(table.deletion_protection_enabled(), Some(true));

    let (code, _) = error_of(
        client
            .update_table()
            .table_name("billing")
            .provisioned_throughput(
                ProvisionedThroughput::builder()
                    .read_capacity_units(3)
                    .write_capacity_units(4)
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException", "an unchanged throughput is refused");

    let (code, message) = error_of(client.delete_table().table_name("billing").send().await);
    assert_eq!(code, "ValidationException");
    assert!(message.contains("protected against deletion"), "{message}");
    client
        .update_table()
        .table_name("billing")
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    client.delete_table().table_name("billing").send().await.unwrap();
}

#[tokio::test]
async fn tags_are_added_overwritten_listed_and_removed() {
    use aws_sdk_dynamodb::types::Tag;
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "tagged", None).await;
    let arn = client
        .describe_table()
        .table_name("tagged")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .table_arn
        .unwrap();
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "dev"))
        .tags(tag("team", "a"))
        .send()
        .await
        .unwrap();
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = client
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(tags, vec![tag("env", "prod")]);
    let (code, _) = error_of(
        client
            .tag_resource()
            .resource_arn("not-an-arn")
            .tags(tag("a", "b"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
}
