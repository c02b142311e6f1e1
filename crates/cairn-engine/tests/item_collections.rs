//! The item-collection limit of tables with local secondary indexes, with a small
//! limit standing in for DynamoDB's 10 GB.

use cairn_engine::{Engine, EngineConfig, RequestContext};
use cairn_model::ErrorKind;
use cairn_storage::MemoryStorage;
use serde_json::{json, Value};
use std::sync::Arc;

fn input<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

#[test]
fn a_collection_cannot_grow_past_the_limit_but_may_shrink() {
    let config = EngineConfig {
        item_collection_limit_bytes: 3_000,
        ..EngineConfig::default()
    };
    let engine = Engine::new(Arc::new(MemoryStorage::new()), config).unwrap();
    engine
        .create_table(
            &RequestContext::default(),
            input(json!({
                "TableName": "events",
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                    {"AttributeName": "at", "AttributeType": "N"}
                ],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "LocalSecondaryIndexes": [{
                    "IndexName": "by_time",
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"}
                }],
                "BillingMode": "PAY_PER_REQUEST"
            })),
        )
        .unwrap();
    let put = |pk: &str, sk: &str| {
        engine.put_item(
            &RequestContext::default(),
            input(json!({
                "TableName": "events",
                "Item": {"pk": {"S": pk}, "sk": {"S": sk}, "at": {"N": "1"}, "blob": {"S": "x".repeat(500)}},
                "ReturnItemCollectionMetrics": "SIZE"
            })),
        )
    };
    // Each item costs about 1 KB: itself plus its LSI entry.
    let first = put("p", "a").unwrap();
    let metrics = first.item_collection_metrics.unwrap();
    assert_eq!(metrics.size_estimate_range_gb, [0.0, 1.0]);
    put("p", "b").unwrap();
    let error = put("p", "c").unwrap_err();
    assert_eq!(error.kind, ErrorKind::ItemCollectionSizeLimitExceeded);
    put("q", "a").unwrap(); // another partition is another collection
    engine
        .delete_item(
            &RequestContext::default(),
            input(json!({"TableName": "events", "Key": {"pk": {"S": "p"}, "sk": {"S": "a"}}})),
        )
        .unwrap();
    put("p", "c").expect("deleting made room");
    let got = engine
        .get_item(
            &RequestContext::default(),
            input(json!({"TableName": "events", "Key": {"pk": {"S": "p"}, "sk": {"S": "c"}}})),
        )
        .unwrap();
    assert!(got.item.is_some());
}
