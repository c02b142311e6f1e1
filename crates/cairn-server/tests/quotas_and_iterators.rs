//! The table quota answers LimitExceededException as DynamoDB does, and shard
//! iterators are authenticated by the server: a client that edits one (its expiry,
//! shard, position or stream ARN) gets "Invalid ShardIterator" (issue 12).

mod common;

use cairn_engine::{Engine, EngineConfig};
use cairn_storage::MemoryStorage;
use common::{call, call_streams, create_simple_table};
use serde_json::{json, Value};
use std::sync::Arc;

#[test]
fn creating_a_table_past_the_quota_is_refused_with_limit_exceeded() {
    let config = EngineConfig {
        max_tables: 2,
        ..EngineConfig::default()
    };
    let engine = Engine::new(Arc::new(MemoryStorage::new()), config).unwrap();
    create_simple_table(&engine, "first");
    create_simple_table(&engine, "second");
    let body = json!({
        "TableName": "third",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    let (kind, message) = call(&engine, "CreateTable", body.clone()).unwrap_err();
    assert_eq!(kind, "LimitExceededException");
    assert_eq!(
        message,
        "Subscriber limit exceeded: There is a limit of 2 tables per subscriber"
    );
    call(&engine, "DeleteTable", json!({"TableName": "first"})).unwrap();
    call(&engine, "CreateTable", body).unwrap();
}

#[test]
fn the_default_quota_is_dynamodbs_2500_tables() {
    assert_eq!(EngineConfig::default().max_tables, 2500);
}

/// A table with a stream and one record; the iterator of its first shard.
fn iterator(engine: &Engine) -> String {
    call(
        engine,
        "CreateTable",
        json!({
            "TableName": "streamed",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}
        }),
    )
    .unwrap();
    call(
        engine,
        "PutItem",
        json!({"TableName": "streamed", "Item": {"pk": {"S": "a"}}}),
    )
    .unwrap();
    let arn = call(engine, "DescribeTable", json!({"TableName": "streamed"})).unwrap()["Table"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string();
    let stream = call_streams(engine, "DescribeStream", json!({"StreamArn": arn})).unwrap();
    let shard = stream["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = call_streams(
        engine,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .unwrap();
    answer["ShardIterator"].as_str().unwrap().to_string()
}

fn get_records(engine: &Engine, iterator: &str) -> Result<Value, (String, String)> {
    call_streams(engine, "GetRecords", json!({"ShardIterator": iterator}))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The iterator's readable part, edited by `edit`, with the original signature.
fn tampered(iterator: &str, edit: impl Fn(&str) -> String) -> String {
    let (text, tag) = iterator.split_once('.').unwrap();
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    let edited = edit(std::str::from_utf8(&bytes).unwrap());
    format!("{}.{tag}", hex(edited.as_bytes()))
}

#[test]
fn a_genuine_iterator_reads_the_stream() {
    let engine = common::memory_engine();
    let iterator = iterator(&engine);
    assert_eq!(
        get_records(&engine, &iterator).unwrap()["Records"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn an_iterator_with_a_forged_issue_time_is_invalid() {
    let engine = common::memory_engine();
    let genuine = iterator(&engine);
    let forged = tampered(&genuine, |text| {
        let (rest, _) = text.rsplit_once('|').unwrap();
        format!("{rest}|99999999999")
    });
    assert_eq!(
        get_records(&engine, &forged).unwrap_err(),
        ("ValidationException".to_string(), "Invalid ShardIterator".to_string())
    );
}

#[test]
fn an_iterator_pointing_at_another_region_or_position_is_invalid() {
    let engine = common::memory_engine();
    let genuine = iterator(&engine);
    for forged in [
        tampered(&genuine, |text| text.replace("us-east-1", "eu-west-1")),
        tampered(&genuine, |text| {
            let parts: Vec<&str> = text.rsplitn(4, '|').collect();
            format!("{}|{}|12345|{}", parts[3], parts[2], parts[0])
        }),
    ] {
        assert_ne!(forged, genuine);
        assert_eq!(get_records(&engine, &forged).unwrap_err().1, "Invalid ShardIterator");
    }
}

#[test]
fn iterators_from_another_store_are_invalid() {
    let first = common::memory_engine();
    let second = common::memory_engine();
    let from_first = iterator(&first);
    iterator(&second);
    assert_eq!(
        get_records(&second, &from_first).unwrap_err().1,
        "Invalid ShardIterator"
    );
}

#[test]
fn an_iterator_longer_than_2048_characters_fails_the_length_constraint() {
    let engine = common::memory_engine();
    let long = "a".repeat(2049);
    let (kind, message) = get_records(&engine, &long).unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert!(
        message.ends_with(
            "at 'shardIterator' failed to satisfy constraint: Member must have length less than or equal to 2048"
        ),
        "{message}"
    );
}
