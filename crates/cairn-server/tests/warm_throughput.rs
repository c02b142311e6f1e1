//! WarmThroughput: described for every table and GSI (12,000 reads and 4,000 writes a
//! second to start, raised by provisioned capacity or a request), raised by
//! CreateTable and UpdateTable; a table's never lowered, a GSI's may be.

mod common;

use common::{call, memory_engine};
use serde_json::{json, Value};

fn create(engine: &cairn_engine::Engine, name: &str, extra: Value) -> Value {
    let mut body = json!({"TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(engine, "CreateTable", body).unwrap()
}

fn describe(engine: &cairn_engine::Engine, name: &str) -> Value {
    call(engine, "DescribeTable", json!({"TableName": name})).unwrap()["Table"].clone()
}

#[test]
fn a_new_on_demand_table_and_its_gsi_start_at_12000_reads_and_4000_writes() {
    let e = memory_engine();
    create(&e, "fresh", json!({}));
    let table = describe(&e, "fresh");
    assert_eq!(
        table["WarmThroughput"],
        json!({"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"})
    );
    assert_eq!(
        table["GlobalSecondaryIndexes"][0]["WarmThroughput"],
        json!({"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"})
    );
}

#[test]
fn provisioned_capacity_above_the_defaults_raises_warm_throughput() {
    let e = memory_engine();
    let mut gsi = json!({"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"},
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}});
    create(
        &e,
        "big",
        json!({"BillingMode": "PROVISIONED",
               "ProvisionedThroughput": {"ReadCapacityUnits": 20000, "WriteCapacityUnits": 10},
               "GlobalSecondaryIndexes": [gsi.take()]}),
    );
    let table = describe(&e, "big");
    assert_eq!(table["WarmThroughput"]["ReadUnitsPerSecond"], 20000);
    assert_eq!(table["WarmThroughput"]["WriteUnitsPerSecond"], 4000);
}

#[test]
fn create_table_with_warm_throughput_describes_it() {
    let e = memory_engine();
    let out = create(
        &e,
        "prewarmed",
        json!({"WarmThroughput": {"ReadUnitsPerSecond": 50000, "WriteUnitsPerSecond": 15000}}),
    );
    assert_eq!(out["TableDescription"]["WarmThroughput"]["ReadUnitsPerSecond"], 50000);
    let table = describe(&e, "prewarmed");
    assert_eq!(
        table["WarmThroughput"],
        json!({"ReadUnitsPerSecond": 50000, "WriteUnitsPerSecond": 15000, "Status": "ACTIVE"})
    );
}

#[test]
fn update_table_with_only_warm_throughput_raises_it() {
    let e = memory_engine();
    create(&e, "raise", json!({}));
    let out = call(
        &e,
        "UpdateTable",
        json!({"TableName": "raise", "WarmThroughput": {"ReadUnitsPerSecond": 30000}}),
    )
    .unwrap();
    assert_eq!(
        out["TableDescription"]["WarmThroughput"],
        json!({"ReadUnitsPerSecond": 30000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"})
    );
}

#[test]
fn a_table_warm_throughput_cannot_be_lowered() {
    let e = memory_engine();
    create(
        &e,
        "nodown",
        json!({"WarmThroughput": {"ReadUnitsPerSecond": 50000, "WriteUnitsPerSecond": 15000}}),
    );
    let (kind, message) = call(
        &e,
        "UpdateTable",
        json!({"TableName": "nodown", "WarmThroughput": {"ReadUnitsPerSecond": 20000}}),
    )
    .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        "The table's warm throughput cannot be decreased: current ReadUnitsPerSecond 50000, WriteUnitsPerSecond 15000"
    );
    assert_eq!(describe(&e, "nodown")["WarmThroughput"]["ReadUnitsPerSecond"], 50000);
    call(
        &e,
        "UpdateTable",
        json!({"TableName": "nodown", "WarmThroughput": {"ReadUnitsPerSecond": 60000}}),
    )
    .unwrap();
}

#[test]
fn a_gsi_warm_throughput_may_be_raised_and_lowered() {
    let e = memory_engine();
    create(&e, "gsiwarm", json!({}));
    let update = |read: i64| {
        call(
            &e,
            "UpdateTable",
            json!({"TableName": "gsiwarm", "GlobalSecondaryIndexUpdates": [
                {"Update": {"IndexName": "byG", "WarmThroughput": {"ReadUnitsPerSecond": read}}}]}),
        )
    };
    update(40000).unwrap();
    assert_eq!(
        describe(&e, "gsiwarm")["GlobalSecondaryIndexes"][0]["WarmThroughput"]["ReadUnitsPerSecond"],
        40000
    );
    update(20000).unwrap();
    assert_eq!(
        describe(&e, "gsiwarm")["GlobalSecondaryIndexes"][0]["WarmThroughput"]["ReadUnitsPerSecond"],
        20000
    );
}
