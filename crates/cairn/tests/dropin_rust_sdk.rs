//! The AWS SDK for Rust, unchanged, against `cairn dynamodb-local`: the pet-tracking
//! scenario every client library in tests/dropin runs — single-table design, a GSI by
//! species, a paginated begins_with query, optimistic locking on a version attribute,
//! transactions (one cancelled), a batch of 200 writes, number round trips, and a
//! conditional failure recognised by its error type.

mod support;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, PutRequest, ScalarAttributeType, TransactWriteItem,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;
use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::time::Duration;

const TABLE: &str = "pets_rust_sdk";

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: &str) -> Av {
    Av::N(v.to_string())
}

fn key(pk: &str, sk: &str) -> HashMap<String, Av> {
    HashMap::from([("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))])
}

fn pet(user: &str, id: u32, species: &str) -> HashMap<String, Av> {
    let mut item = key(&format!("USER#{user}"), &format!("PET#{id:04}"));
    item.insert("name".into(), s(&format!("pet {id}")));
    item.insert("species".into(), s(species));
    item.insert("weight".into(), n("3.25"));
    item.insert("version".into(), n("1"));
    item
}

async fn create_table(c: &Client) {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let element = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    c.create_table()
        .table_name(TABLE)
        .attribute_definitions(attribute("PK"))
        .attribute_definitions(attribute("SK"))
        .attribute_definitions(attribute("species"))
        .key_schema(element("PK", KeyType::Hash))
        .key_schema(element("SK", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("bySpecies")
                .key_schema(element("species", KeyType::Hash))
                .key_schema(element("SK", KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    c.wait_until_table_exists()
        .table_name(TABLE)
        .wait(Duration::from_secs(30))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pet_tracking_scenario_runs_unchanged_on_the_aws_sdk_for_rust() {
    let port = support::free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["dynamodb-local", "-inMemory", "-port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = support::client(port);
    support::wait_ready(&c).await;
    create_table(&c).await;

    // A profile and a batch of 200 pets (BatchWriteItem takes 25 at a time).
    let mut profile = key("USER#ada", "PROFILE");
    profile.insert("email".into(), s("ada@example.com"));
    c.put_item()
        .table_name(TABLE)
        .set_item(Some(profile))
        .send()
        .await
        .unwrap();
    let pets: Vec<_> = (0..200)
        .map(|i| pet("ada", i, if i % 4 == 0 { "cat" } else { "dog" }))
        .collect();
    for chunk in pets.chunks(25) {
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item.clone())).build().unwrap())
                    .build()
            })
            .collect();
        while !requests.is_empty() {
            let out = c
                .batch_write_item()
                .request_items(TABLE, requests)
                .send()
                .await
                .unwrap();
            requests = out
                .unprocessed_items()
                .and_then(|u| u.get(TABLE))
                .cloned()
                .unwrap_or_default();
        }
    }

    // begins_with on the sort key, 25 a page, through the SDK's paginator.
    let pages: Vec<_> = c
        .query()
        .table_name(TABLE)
        .key_condition_expression("PK = :pk AND begins_with(SK, :pet)")
        .expression_attribute_values(":pk", s("USER#ada"))
        .expression_attribute_values(":pet", s("PET#"))
        .limit(25)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let keys: Vec<String> = pages
        .iter()
        .flat_map(|p| p.items())
        .map(|i| i["SK"].as_s().unwrap().clone())
        .collect();
    assert_eq!(keys.len(), 200);
    assert_eq!(
        keys.iter().collect::<HashSet<_>>().len(),
        200,
        "no duplicates across pages"
    );
    assert!(pages.len() >= 8);

    // The GSI by species.
    let cats = c
        .query()
        .table_name(TABLE)
        .index_name("bySpecies")
        .key_condition_expression("species = :s")
        .expression_attribute_values(":s", s("cat"))
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(cats.count(), 50);

    // Numbers come back exactly (in DynamoDB's canonical form).
    let mut numbers = key("USER#ada", "NUMBERS");
    for (name, value) in [
        ("a", "3.25"),
        ("b", "0.1"),
        ("c", "12345678901234567890.5"),
        ("d", "-1E-130"),
    ] {
        numbers.insert(name.to_string(), n(value));
    }
    c.put_item()
        .table_name(TABLE)
        .set_item(Some(numbers))
        .send()
        .await
        .unwrap();
    let read = c
        .get_item()
        .table_name(TABLE)
        .set_key(Some(key("USER#ada", "NUMBERS")))
        .send()
        .await
        .unwrap();
    let item = read.item().unwrap();
    assert_eq!(item["a"].as_n().unwrap(), "3.25");
    assert_eq!(item["b"].as_n().unwrap(), "0.1");
    assert_eq!(item["c"].as_n().unwrap(), "12345678901234567890.5");
    // DynamoDB answers numbers in plain notation, never with an exponent.
    assert_eq!(item["d"].as_n().unwrap(), &format!("-0.{}1", "0".repeat(129)));

    // Optimistic locking: the current version wins, a stale one fails by name.
    let bump = |expected: &'static str| {
        c.update_item()
            .table_name(TABLE)
            .set_key(Some(key("USER#ada", "PET#0001")))
            .update_expression("SET #n = :name, version = version + :one")
            .condition_expression("version = :expected")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":name", s("Rex"))
            .expression_attribute_values(":one", n("1"))
            .expression_attribute_values(":expected", n(expected))
            .send()
    };
    bump("1").await.unwrap();
    let stale = bump("1").await.unwrap_err().into_service_error();
    assert!(stale.is_conditional_check_failed_exception(), "{stale:?}");
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&stale),
        Some("ConditionalCheckFailedException")
    );

    // A transaction: adopt pet 2 (new owner must exist).
    let mut grace = key("USER#grace", "PROFILE");
    grace.insert("email".into(), s("grace@example.com"));
    c.put_item()
        .table_name(TABLE)
        .set_item(Some(grace))
        .send()
        .await
        .unwrap();
    let adopt = |new_owner: &str| {
        c.transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(TABLE)
                            .set_item(Some(pet(new_owner, 2, "dog")))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(TABLE)
                            .set_key(Some(key("USER#ada", "PET#0002")))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(
                        ConditionCheck::builder()
                            .table_name(TABLE)
                            .set_key(Some(key(&format!("USER#{new_owner}"), "PROFILE")))
                            .condition_expression("attribute_exists(PK)")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
    };
    adopt("grace").await.unwrap();
    let moved = c
        .get_item()
        .table_name(TABLE)
        .set_key(Some(key("USER#grace", "PET#0002")))
        .send()
        .await
        .unwrap();
    assert!(moved.item().is_some());
    // Nobody named "nobody": cancelled, with a reason per item.
    let cancelled = adopt("nobody").await.unwrap_err().into_service_error();
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) =
        cancelled
    else {
        panic!("expected TransactionCanceledException, got {cancelled:?}");
    };
    let codes: Vec<_> = e
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or_default())
        .collect();
    assert_eq!(codes, ["None", "None", "ConditionalCheckFailed"]);

    c.delete_table().table_name(TABLE).send().await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
}
