//! `cairn explain` (POST /_cairn/explain): a read request's access path, items read
//! against returned, units and on-demand price, run without side effects.

mod common;

use cairn_engine::{Engine, RequestContext};
use cairn_server::admin::explain::explain;
use common::call;
use serde_json::{json, Value};

fn engine(enforce: bool) -> Engine {
    common::stopped_clock_engine(enforce)
}

fn explained(engine: &Engine, operation: &str, body: Value) -> Result<Value, (String, String)> {
    let target = format!("DynamoDB_20120810.{operation}");
    let bytes = serde_json::to_vec(&body).unwrap();
    explain(engine, &RequestContext::default(), Some(&target), &bytes)
        .map(|e| serde_json::to_value(e).unwrap())
        .map_err(|e| (e.kind.name().to_string(), e.message))
}

/// Table `orders` keyed (pk, sk): customer c1 with 12 orders, c2 with 1.
fn orders(engine: &Engine) {
    call(
        engine,
        "CreateTable",
        json!({"TableName": "orders",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
               "BillingMode": "PAY_PER_REQUEST"}),
    )
    .unwrap();
    for (pk, n) in [("c1", 12), ("c2", 1)] {
        for i in 0..n {
            call(
                engine,
                "PutItem",
                json!({"TableName": "orders", "Item": {"pk": {"S": pk}, "sk": {"S": format!("o{i:02}")},
                       "status": {"S": if pk == "c1" && i == 0 { "open" } else { "closed" }}}}),
            )
            .unwrap();
        }
    }
}

#[test]
fn a_query_is_explained_as_one_partition_with_its_units_and_price() {
    let e = engine(false);
    orders(&e);
    let out = explained(
        &e,
        "Query",
        json!({"TableName": "orders", "KeyConditionExpression": "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "c1"}}, "ConsistentRead": true}),
    )
    .unwrap();
    assert_eq!(out["access"], "Query reads one partition of table orders");
    assert_eq!(out["partitions"], json!(["c1"]));
    assert_eq!(out["itemsRead"], 12);
    assert_eq!(out["itemsReturned"], 12);
    assert_eq!(out["readUnits"], json!(1.0));
    // us-east-1: $0.125 per million read request units.
    assert_eq!(out["perMillionRequestsUsd"], json!(0.125));
    assert!(out.get("warning").is_none());
}

#[test]
fn a_filtered_scan_is_explained_as_every_partition_with_a_warning() {
    let e = engine(false);
    orders(&e);
    let out = explained(
        &e,
        "Scan",
        json!({"TableName": "orders", "FilterExpression": "#s = :o",
               "ExpressionAttributeNames": {"#s": "status"},
               "ExpressionAttributeValues": {":o": {"S": "open"}}}),
    )
    .unwrap();
    assert_eq!(out["access"], "Scan reads every partition of table orders");
    assert_eq!(out["partitions"], json!([]));
    assert_eq!(out["itemsRead"], 13);
    assert_eq!(out["itemsReturned"], 1);
    assert_eq!(
        out["warning"],
        "reads 13 items to return 1: a key condition or an index that holds only what is asked for would read less"
    );
}

#[test]
fn a_get_item_is_explained_as_one_key() {
    let e = engine(false);
    orders(&e);
    let out = explained(
        &e,
        "GetItem",
        json!({"TableName": "orders", "Key": {"pk": {"S": "c2"}, "sk": {"S": "o00"}}}),
    )
    .unwrap();
    assert_eq!(out["access"], "GetItem reads one item of table orders by its key");
    assert_eq!(out["partitions"], json!(["c2"]));
    assert_eq!(out["itemsRead"], 1);
    assert_eq!(out["itemsReturned"], 1);
    assert_eq!(out["readUnits"], json!(0.5));
}

#[test]
fn only_read_requests_can_be_explained() {
    let e = engine(false);
    orders(&e);
    let error = explained(
        &e,
        "PutItem",
        json!({"TableName": "orders", "Item": {"pk": {"S": "c3"}, "sk": {"S": "x"}}}),
    )
    .unwrap_err();
    assert_eq!(
        error,
        (
            "ValidationException".to_string(),
            "Only read requests can be explained (GetItem, BatchGetItem, Query, Scan, TransactGetItems), not PutItem"
                .to_string()
        )
    );
    // Nothing was written.
    let got = call(
        &e,
        "GetItem",
        json!({"TableName": "orders", "Key": {"pk": {"S": "c3"}, "sk": {"S": "x"}}}),
    )
    .unwrap();
    assert!(got.get("Item").is_none());
}

#[test]
fn an_invalid_read_is_refused_with_dynamodbs_error() {
    let e = engine(false);
    orders(&e);
    let error = explained(
        &e,
        "Query",
        json!({"TableName": "missing", "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "c1"}}}),
    )
    .unwrap_err();
    assert_eq!(error.0, "ResourceNotFoundException");
}

#[test]
fn explaining_charges_nothing_records_nothing_and_is_never_throttled() {
    let e = engine(true);
    call(
        &e,
        "CreateTable",
        json!({"TableName": "tiny",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "BillingMode": "PROVISIONED",
               "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
    )
    .unwrap();
    call(&e, "PutItem", json!({"TableName": "tiny", "Item": {"pk": {"S": "a"}}})).unwrap();
    let before = serde_json::to_value(e.cost_report(3600.0)).unwrap();
    // 300 read units of burst; 1,000 consistent explains would spend them thrice.
    for _ in 0..1000 {
        explained(
            &e,
            "GetItem",
            json!({"TableName": "tiny", "Key": {"pk": {"S": "a"}}, "ConsistentRead": true}),
        )
        .unwrap();
    }
    assert_eq!(serde_json::to_value(e.cost_report(3600.0)).unwrap(), before);
    call(
        &e,
        "GetItem",
        json!({"TableName": "tiny", "Key": {"pk": {"S": "a"}}, "ConsistentRead": true}),
    )
    .unwrap();
}
