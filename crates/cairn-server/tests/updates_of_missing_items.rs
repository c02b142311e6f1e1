//! An update that only removes attributes changes nothing on an item that does not
//! exist: DynamoDB creates no item and writes no stream record (issue 13, area 7).
//! Any other action still creates the item.

mod common;

use common::{call, call_streams, memory_engine};
use serde_json::{json, Value};

fn streamed_table(engine: &cairn_engine::Engine) -> String {
    call(
        engine,
        "CreateTable",
        json!({"TableName": "events", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
               "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}}),
    )
    .unwrap()["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string()
}

fn records(engine: &cairn_engine::Engine, arn: &str) -> Vec<Value> {
    let stream = call_streams(engine, "DescribeStream", json!({"StreamArn": arn})).unwrap();
    let mut out = Vec::new();
    for shard in stream["StreamDescription"]["Shards"].as_array().unwrap() {
        let iterator = call_streams(
            engine,
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .unwrap()["ShardIterator"]
            .clone();
        let got = call_streams(engine, "GetRecords", json!({"ShardIterator": iterator})).unwrap();
        out.extend(got["Records"].as_array().unwrap().iter().cloned());
    }
    out
}

fn item(engine: &cairn_engine::Engine, pk: &str) -> Option<Value> {
    call(
        engine,
        "GetItem",
        json!({"TableName": "events", "Key": {"pk": {"S": pk}}}),
    )
    .unwrap()
    .get("Item")
    .cloned()
}

#[test]
fn update_item_removing_attributes_of_a_missing_item_creates_nothing_and_writes_no_record() {
    let engine = memory_engine();
    let arn = streamed_table(&engine);
    let out = call(
        &engine,
        "UpdateItem",
        json!({"TableName": "events", "Key": {"pk": {"S": "ghost"}}, "UpdateExpression": "REMOVE a, b", "ReturnValues": "ALL_NEW"}),
    )
    .unwrap();
    assert!(out.get("Attributes").is_none());
    assert!(item(&engine, "ghost").is_none());
    assert!(records(&engine, &arn).is_empty());

    call(
        &engine,
        "UpdateItem",
        json!({"TableName": "events", "Key": {"pk": {"S": "real"}}, "UpdateExpression": "REMOVE a SET b = :b",
                                       "ExpressionAttributeValues": {":b": {"N": "1"}}}),
    )
    .unwrap();
    assert!(item(&engine, "real").is_some());
    let written = records(&engine, &arn);
    assert_eq!(written.len(), 1);
    assert_eq!(written[0]["eventName"], "INSERT");
}

#[test]
fn a_transaction_removing_attributes_of_a_missing_item_creates_nothing() {
    let engine = memory_engine();
    let arn = streamed_table(&engine);
    call(
        &engine,
        "TransactWriteItems",
        json!({"TransactItems": [{"Update": {"TableName": "events", "Key": {"pk": {"S": "ghost"}}, "UpdateExpression": "REMOVE a"}}]}),
    )
    .unwrap();
    assert!(item(&engine, "ghost").is_none());
    assert!(records(&engine, &arn).is_empty());
}

#[test]
fn update_item_without_actions_on_a_missing_item_still_creates_it() {
    let engine = memory_engine();
    streamed_table(&engine);
    call(
        &engine,
        "UpdateItem",
        json!({"TableName": "events", "Key": {"pk": {"S": "bare"}}}),
    )
    .unwrap();
    assert_eq!(item(&engine, "bare"), Some(json!({"pk": {"S": "bare"}})));
}
