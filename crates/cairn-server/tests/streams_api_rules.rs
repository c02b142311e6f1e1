//! The DynamoDB Streams API's answers and errors as DynamoDB gives them (issue 13,
//! area 7): StartingSequenceNumber on every shard, ShardFilter, closed streams ending
//! their iterators, and the recorded messages for malformed ARNs, unknown streams
//! and unknown shards.

mod common;

use cairn_engine::{Engine, EngineConfig, ManualClock};
use cairn_storage::MemoryStorage;
use common::{call, call_streams};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// An engine on a clock the test moves, with shards rolling over every 100 s.
fn engine() -> (Engine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_800_000_000.0));
    let config = EngineConfig {
        stream_shard_interval: Duration::from_secs(100),
        ..EngineConfig::default()
    };
    let engine = Engine::with_clock(Arc::new(MemoryStorage::new()), config, clock.clone()).unwrap();
    (engine, clock)
}

fn streamed(engine: &Engine) -> String {
    call(
        engine,
        "CreateTable",
        json!({"TableName": "changes", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
               "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}}),
    )
    .unwrap()["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string()
}

fn put(engine: &Engine, pk: &str) {
    call(
        engine,
        "PutItem",
        json!({"TableName": "changes", "Item": {"pk": {"S": pk}}}),
    )
    .unwrap();
}

fn shards(engine: &Engine, arn: &str, filter: Option<Value>) -> Vec<Value> {
    let mut body = json!({"StreamArn": arn});
    if let Some(f) = filter {
        body["ShardFilter"] = f;
    }
    call_streams(engine, "DescribeStream", body).unwrap()["StreamDescription"]["Shards"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_shard_has_a_starting_sequence_number_even_before_its_first_record() {
    let (engine, _) = engine();
    let arn = streamed(&engine);
    let listed = shards(&engine, &arn, None);
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0]["SequenceNumberRange"]["StartingSequenceNumber"].is_string(),
        "{listed:?}"
    );
    assert!(listed[0]["SequenceNumberRange"].get("EndingSequenceNumber").is_none());
}

#[test]
fn a_shard_filter_lists_the_children_of_a_shard() {
    let (engine, clock) = engine();
    let arn = streamed(&engine);
    put(&engine, "a");
    clock.advance(150.0);
    put(&engine, "b");
    let all = shards(&engine, &arn, None);
    assert_eq!(all.len(), 2);
    let children = shards(
        &engine,
        &arn,
        Some(json!({"Type": "CHILD_SHARDS", "ShardId": all[0]["ShardId"]})),
    );
    assert_eq!(children.len(), 1);
    assert_eq!(children[0]["ShardId"], all[1]["ShardId"]);
    assert_eq!(children[0]["ParentShardId"], all[0]["ShardId"]);
    let none = shards(
        &engine,
        &arn,
        Some(json!({"Type": "CHILD_SHARDS", "ShardId": all[1]["ShardId"]})),
    );
    assert!(none.is_empty());
}

#[test]
fn a_shard_filter_of_another_type_fails_the_enum_constraint() {
    let (engine, _) = engine();
    let arn = streamed(&engine);
    let (kind, message) = call_streams(
        &engine,
        "DescribeStream",
        json!({"StreamArn": arn, "ShardFilter": {"Type": "PARENT_SHARDS"}}),
    )
    .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        "1 validation error detected: Value 'PARENT_SHARDS' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: [CHILD_SHARDS]"
    );
}

#[test]
fn a_disabled_streams_iterator_ends_once_read_to_the_end() {
    let (engine, _) = engine();
    let arn = streamed(&engine);
    put(&engine, "a");
    call(
        &engine,
        "UpdateTable",
        json!({"TableName": "changes", "StreamSpecification": {"StreamEnabled": false}}),
    )
    .unwrap();
    let shard = shards(&engine, &arn, None)[0]["ShardId"].clone();
    let iterator = call_streams(
        &engine,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .unwrap()["ShardIterator"]
        .clone();
    let page = call_streams(&engine, "GetRecords", json!({"ShardIterator": iterator})).unwrap();
    assert_eq!(page["Records"].as_array().unwrap().len(), 1);
    assert!(page.get("NextShardIterator").is_none(), "{page}");
}

#[test]
fn an_open_streams_iterator_continues() {
    let (engine, _) = engine();
    let arn = streamed(&engine);
    put(&engine, "a");
    let shard = shards(&engine, &arn, None)[0]["ShardId"].clone();
    let iterator = call_streams(
        &engine,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .unwrap()["ShardIterator"]
        .clone();
    let page = call_streams(&engine, "GetRecords", json!({"ShardIterator": iterator})).unwrap();
    assert!(page["NextShardIterator"].is_string());
}

#[test]
fn a_malformed_stream_arn_is_invalid() {
    let (engine, _) = engine();
    let (kind, message) = call_streams(&engine, "DescribeStream", json!({"StreamArn": "fake-stream"})).unwrap_err();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("ValidationException", "Invalid StreamArn")
    );
}

#[test]
fn an_unknown_stream_is_not_found() {
    let (engine, _) = engine();
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/absent/stream/2026-01-01T00:00:00.000";
    let (kind, message) = call_streams(&engine, "DescribeStream", json!({"StreamArn": arn})).unwrap_err();
    assert_eq!(kind, "ResourceNotFoundException");
    assert_eq!(
        message,
        format!("Requested resource not found: Stream: {arn} not found")
    );
}

#[test]
fn an_unknown_shard_does_not_exist() {
    let (engine, _) = engine();
    let arn = streamed(&engine);
    let (kind, message) = call_streams(
        &engine,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": "shardId-00000000000000000000-00000000", "ShardIteratorType": "LATEST"}),
    )
    .unwrap_err();
    assert_eq!(kind, "ResourceNotFoundException");
    assert_eq!(message, "Requested resource not found: Shard does not exist");
}
