//! Conditional writes and UpdateItem through the AWS SDK: optimistic locking, atomic
//! counters, idempotent creates, every ReturnValues mode, legacy parameters, and a
//! concurrency proof that conditional decrements never lose or double-apply.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValue as Av, AttributeValueUpdate, ExpectedAttributeValue, ReturnValue,
    ReturnValuesOnConditionCheckFailure,
};
use cairn_storage::{Durability, EmbeddedStorage};
use common::{create_table, error_of, n, s, TestServer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[tokio::test]
async fn idempotent_create_and_optimistic_locking() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "accounts", None).await;
    let create = || {
        client
            .put_item()
            .table_name("accounts")
            .item("pk", s("acct"))
            .item("version", n("1"))
            .condition_expression("attribute_not_exists(pk)")
    };
    create().send().await.unwrap();
    let (code, message) = error_of(create().send().await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ConditionalCheckFailedException", "The conditional request failed")
    );

    let bump = |expected: &str| {
        client
            .update_item()
            .table_name("accounts")
            .key("pk", s("acct"))
            .update_expression("SET version = version + :one")
            .condition_expression("version = :expected")
            .expression_attribute_values(":one", n("1"))
            .expression_attribute_values(":expected", n(expected))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    };
    let updated = bump("1").send().await.unwrap();
    assert_eq!(updated.attributes.unwrap(), [("version".to_string(), n("2"))].into());
    let failure = bump("1").send().await.expect_err("stale version must fail");
    let failure = failure.into_service_error();
    let aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(failed) = failure
    else {
        panic!("expected ConditionalCheckFailedException, got {failure:?}");
    };
    assert_eq!(
        failed.item().unwrap().get("version"),
        Some(&n("2")),
        "ALL_OLD returns the current item"
    );
}

#[tokio::test]
async fn update_item_return_values_and_upsert() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "items", None).await;
    let created = client
        .update_item()
        .table_name("items")
        .key("pk", s("new"))
        .update_expression("SET tags = :tags, #c = if_not_exists(#c, :zero) ADD hits :one")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":tags", Av::Ss(vec!["a".into()]))
        .expression_attribute_values(":zero", n("0"))
        .expression_attribute_values(":one", n("1"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let all_new = created.attributes.unwrap();
    assert_eq!(all_new.get("pk"), Some(&s("new")), "an upsert includes the key");
    assert_eq!(all_new.get("hits"), Some(&n("1")));
    assert_eq!(all_new.get("count"), Some(&n("0")));

    let old = client
        .update_item()
        .table_name("items")
        .key("pk", s("new"))
        .update_expression("REMOVE hits DELETE tags :a")
        .expression_attribute_values(":a", Av::Ss(vec!["a".into()]))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(old.len(), 2);
    assert_eq!(old.get("hits"), Some(&n("1")));
    let now = client
        .get_item()
        .table_name("items")
        .key("pk", s("new"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(!now.contains_key("tags"), "deleting every element removes the set");

    let (_, message) = error_of(
        client
            .update_item()
            .table_name("items")
            .key("pk", s("new"))
            .update_expression("SET pk = :v")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
    );
    assert_eq!(
        message,
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    );
    let (_, message) = error_of(
        client
            .update_item()
            .table_name("items")
            .key("pk", s("new"))
            .update_expression("SET a = :v")
            .expression_attribute_values(":v", s("x"))
            .expression_attribute_values(":unused", s("y"))
            .send()
            .await,
    );
    assert_eq!(
        message,
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    );
}

#[tokio::test]
async fn failed_conditions_leave_no_ghost_items() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "ghosts", None).await;
    let (code, _) = error_of(
        client
            .update_item()
            .table_name("ghosts")
            .key("pk", s("nobody"))
            .update_expression("SET a = :v")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":v", s("x"))
            .send()
            .await,
    );
    assert_eq!(code, "ConditionalCheckFailedException");
    let (code, _) = error_of(
        client
            .delete_item()
            .table_name("ghosts")
            .key("pk", s("nobody"))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await,
    );
    assert_eq!(code, "ConditionalCheckFailedException");
    assert!(client
        .get_item()
        .table_name("ghosts")
        .key("pk", s("nobody"))
        .send()
        .await
        .unwrap()
        .item
        .is_none());
}

#[tokio::test]
async fn legacy_expected_and_attribute_updates() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "legacy", None).await;
    client
        .put_item()
        .table_name("legacy")
        .item("pk", s("k"))
        .item("status", s("open"))
        .item("n", n("5"))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name("legacy")
        .key("pk", s("k"))
        .attribute_updates(
            "n",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Add)
                .value(n("10"))
                .build(),
        )
        .attribute_updates(
            "status",
            AttributeValueUpdate::builder().action(AttributeAction::Delete).build(),
        )
        .expected("status", ExpectedAttributeValue::builder().value(s("open")).build())
        .send()
        .await
        .unwrap();
    let item = client
        .get_item()
        .table_name("legacy")
        .key("pk", s("k"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item.get("n"), Some(&n("15")));
    assert!(!item.contains_key("status"));
    let (code, _) = error_of(
        client
            .put_item()
            .table_name("legacy")
            .item("pk", s("k"))
            .expected("pk", ExpectedAttributeValue::builder().exists(false).build())
            .send()
            .await,
    );
    assert_eq!(code, "ConditionalCheckFailedException");
    let (_, message) = error_of(
        client
            .put_item()
            .table_name("legacy")
            .item("pk", s("k"))
            .expected("pk", ExpectedAttributeValue::builder().exists(false).build())
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await,
    );
    assert_eq!(message, "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}");
}

/// 32 clients each try 100 conditional decrements (`n > 0`) of one counter that
/// starts at 2000: exactly 2000 succeed, 1200 fail the condition, and the counter
/// ends at exactly zero. Run on the embedded backend, where concurrent writers
/// really conflict and are retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conditional_decrements_are_exact() {
    const CLIENTS: usize = 32;
    const ATTEMPTS: usize = 100;
    const START: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap());
    let server = TestServer::start_with(storage).await;
    let client = server.client();
    create_table(&client, "counter", None).await;
    client
        .put_item()
        .table_name("counter")
        .item("pk", s("c"))
        .item("n", n(&START.to_string()))
        .send()
        .await
        .unwrap();
    let succeeded = Arc::new(AtomicUsize::new(0));
    let rejected = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, succeeded, rejected) = (server.client(), succeeded.clone(), rejected.clone());
            tokio::spawn(async move {
                for _ in 0..ATTEMPTS {
                    let result = client
                        .update_item()
                        .table_name("counter")
                        .key("pk", s("c"))
                        .update_expression("SET n = n - :one")
                        .condition_expression("n > :zero")
                        .expression_attribute_values(":one", n("1"))
                        .expression_attribute_values(":zero", n("0"))
                        .send()
                        .await;
                    match result {
                        Ok(_) => succeeded.fetch_add(1, Ordering::SeqCst),
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
                        {
                            rejected.fetch_add(1, Ordering::SeqCst)
                        }
                        Err(e) => panic!("unexpected error: {e:?}"),
                    };
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let item = client
        .get_item()
        .table_name("counter")
        .key("pk", s("c"))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item.get("n"), Some(&n("0")));
    assert_eq!(succeeded.load(Ordering::SeqCst), START);
    assert_eq!(rejected.load(Ordering::SeqCst), CLIENTS * ATTEMPTS - START);
}
