//! `--enforce-capacity`: provisioned tables and GSIs throttle beyond their capacity
//! (after 300 seconds of burst), on-demand tables beyond their OnDemandThroughput
//! maximums, with DynamoDB's errors and ThrottlingReasons. On a clock the test
//! moves: no sleeps.

mod common;

use cairn_engine::{Engine, EngineConfig, ManualClock};
use serde_json::{json, Value};
use std::sync::Arc;

struct Setup {
    engine: Engine,
    clock: Arc<ManualClock>,
}

fn setup(enforce: bool) -> Setup {
    let clock = Arc::new(ManualClock::new(1_900_000_000.0));
    let config = EngineConfig {
        enforce_capacity: enforce,
        ..EngineConfig::default()
    };
    let engine = Engine::with_clock(common::test_storage(), config, clock.clone()).unwrap();
    Setup { engine, clock }
}

/// A call's result, or its error type, message and extra body members.
fn call(engine: &Engine, operation: &str, body: Value) -> Result<Value, (String, String, Value)> {
    let bytes = serde_json::to_vec(&body).unwrap();
    let ctx = cairn_engine::RequestContext::default();
    match cairn_server::call_operation(engine, &ctx, Some(&format!("DynamoDB_20120810.{operation}")), &bytes) {
        Ok(out) => Ok(serde_json::from_slice(&out).unwrap()),
        Err(e) => {
            let extra: serde_json::Map<String, Value> = e
                .extra
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::from_str(v).unwrap()))
                .collect();
            Err((e.kind.name().to_string(), e.message, Value::Object(extra)))
        }
    }
}

fn create(engine: &Engine, name: &str, extra: Value) {
    let mut body = json!({"TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(engine, "CreateTable", body).unwrap();
}

fn provisioned(read: i64, write: i64) -> Value {
    json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": read, "WriteCapacityUnits": write}})
}

fn put(engine: &Engine, table: &str, pk: &str) -> Result<Value, (String, String, Value)> {
    call(
        engine,
        "PutItem",
        json!({"TableName": table, "Item": {"pk": {"S": pk}, "g": {"S": "x"}}}),
    )
}

/// Puts one-unit items until one is throttled; returns how many went through.
fn puts_until_throttled(engine: &Engine, table: &str, limit: usize) -> (usize, (String, String, Value)) {
    for i in 0..limit {
        if let Err(e) = put(engine, table, &format!("k{i}")) {
            return (i, e);
        }
    }
    panic!("{limit} puts and no throttling");
}

const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/";

#[test]
fn a_provisioned_table_takes_its_burst_then_throttles_writes() {
    let s = setup(true);
    create(&s.engine, "five", provisioned(5, 5));
    // 300 seconds of 5 units: 1,500 one-unit writes, then the bucket is empty.
    let (done, (code, message, extra)) = puts_until_throttled(&s.engine, "five", 5000);
    assert_eq!(done, 1500);
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert_eq!(
        message,
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
    );
    assert_eq!(
        extra,
        json!({"ThrottlingReasons": [{"reason": "TableWriteProvisionedThroughputExceeded", "resource": format!("{TABLE_ARN}five")}]})
    );
    // One second later, five more.
    s.clock.advance(1.0);
    for i in 0..5 {
        put(&s.engine, "five", &format!("later{i}")).unwrap();
    }
    let (code, _, _) = put(&s.engine, "five", "one-too-many").unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
}

#[test]
fn reads_throttle_on_read_capacity_and_eventually_consistent_reads_cost_half() {
    let s = setup(true);
    create(&s.engine, "reads", provisioned(1, 100));
    put(&s.engine, "reads", "a").unwrap();
    let get = |consistent: bool| {
        call(
            &s.engine,
            "GetItem",
            json!({"TableName": "reads", "Key": {"pk": {"S": "a"}}, "ConsistentRead": consistent}),
        )
    };
    // 300 read units of burst: 600 eventually consistent reads.
    let mut reads = 0;
    let error = loop {
        match get(false) {
            Ok(_) => reads += 1,
            Err(e) => break e,
        }
        assert!(reads <= 1000);
    };
    assert_eq!(reads, 600);
    assert_eq!(error.0, "ProvisionedThroughputExceededException");
    assert_eq!(
        error.2["ThrottlingReasons"][0]["reason"],
        "TableReadProvisionedThroughputExceeded"
    );
    // Writes have their own bucket.
    put(&s.engine, "reads", "b").unwrap();
    s.clock.advance(2.0);
    get(true).unwrap();
}

#[test]
fn a_gsi_short_of_write_capacity_holds_back_base_table_writes() {
    let s = setup(true);
    create(
        &s.engine,
        "indexed",
        json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 100, "WriteCapacityUnits": 100},
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
               "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                   "Projection": {"ProjectionType": "ALL"},
                   "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}]}),
    );
    // The index takes 300 one-unit writes of burst; the table has far more.
    let (done, (code, message, extra)) = puts_until_throttled(&s.engine, "indexed", 5000);
    assert_eq!(done, 300);
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert!(message.contains("one or more global secondary indexes"), "{message}");
    assert_eq!(
        extra["ThrottlingReasons"],
        json!([{"reason": "IndexWriteProvisionedThroughputExceeded", "resource": format!("{TABLE_ARN}indexed/index/by_g")}])
    );
    // A write the index does not see still needs the index to have room: DynamoDB
    // throttles the base table; reads of the table are not affected.
    call(
        &s.engine,
        "GetItem",
        json!({"TableName": "indexed", "Key": {"pk": {"S": "k1"}}}),
    )
    .unwrap();
}

#[test]
fn an_on_demand_table_throttles_beyond_its_maximum() {
    let s = setup(true);
    create(
        &s.engine,
        "capped",
        json!({"BillingMode": "PAY_PER_REQUEST", "OnDemandThroughput": {"MaxWriteRequestUnits": 5}}),
    );
    let (done, (code, message, extra)) = puts_until_throttled(&s.engine, "capped", 100);
    assert_eq!(done, 5);
    assert_eq!(code, "ThrottlingException");
    assert_eq!(
        message,
        "Throughput exceeds the maximum OnDemandThroughput configured on table or index"
    );
    assert_eq!(
        extra,
        json!({"throttlingReasons": [{"reason": "TableWriteMaxOnDemandThroughputExceeded", "resource": format!("{TABLE_ARN}capped")}]})
    );
    s.clock.advance(1.0);
    put(&s.engine, "capped", "again").unwrap();
}

#[test]
fn an_on_demand_table_without_maximums_is_never_throttled() {
    let s = setup(true);
    create(&s.engine, "free", json!({"BillingMode": "PAY_PER_REQUEST"}));
    for i in 0..2000 {
        put(&s.engine, "free", &format!("k{i}")).unwrap();
    }
}

#[test]
fn without_enforce_capacity_nothing_is_throttled() {
    let s = setup(false);
    create(&s.engine, "five", provisioned(1, 1));
    for i in 0..2000 {
        put(&s.engine, "five", &format!("k{i}")).unwrap();
    }
}

#[test]
fn a_batch_write_on_an_exhausted_table_is_throttled_whole() {
    let s = setup(true);
    create(&s.engine, "batch", provisioned(5, 1));
    puts_until_throttled(&s.engine, "batch", 1000);
    let (code, _, extra) = call(
        &s.engine,
        "BatchWriteItem",
        json!({"RequestItems": {"batch": [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}}]}}),
    )
    .unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert_eq!(
        extra["ThrottlingReasons"][0]["reason"],
        "TableWriteProvisionedThroughputExceeded"
    );
    s.clock.advance(10.0);
    call(
        &s.engine,
        "BatchWriteItem",
        json!({"RequestItems": {"batch": [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}}]}}),
    )
    .unwrap();
}

#[test]
fn a_raised_capacity_applies_at_once() {
    let s = setup(true);
    create(&s.engine, "grow", provisioned(1, 1));
    puts_until_throttled(&s.engine, "grow", 1000);
    call(
        &s.engine,
        "UpdateTable",
        json!({"TableName": "grow", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 100}}),
    )
    .unwrap();
    s.clock.advance(1.0);
    for i in 0..50 {
        put(&s.engine, "grow", &format!("after{i}")).unwrap();
    }
}

#[test]
fn a_query_of_a_gsi_spends_the_index_read_capacity_not_the_table() {
    let s = setup(true);
    create(
        &s.engine,
        "split",
        json!({"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 100},
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
               "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                   "Projection": {"ProjectionType": "ALL"},
                   "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 100}}]}),
    );
    put(&s.engine, "split", "a").unwrap();
    let get = || {
        call(
            &s.engine,
            "GetItem",
            json!({"TableName": "split", "Key": {"pk": {"S": "a"}}, "ConsistentRead": true}),
        )
    };
    let query = || {
        call(
            &s.engine,
            "Query",
            json!({"TableName": "split", "IndexName": "by_g", "KeyConditionExpression": "g = :g",
                   "ExpressionAttributeValues": {":g": {"S": "x"}}}),
        )
    };
    // The table's 300 read units of burst go to GetItem ...
    let mut gets = 0;
    while get().is_ok() {
        gets += 1;
        assert!(gets <= 400);
    }
    assert_eq!(gets, 300);
    // ... and the index still reads from its own.
    query().unwrap();
    // A Query of the table itself is the table's read.
    let (code, _, extra) = call(
        &s.engine,
        "Query",
        json!({"TableName": "split", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
    )
    .unwrap_err();
    assert_eq!(code, "ProvisionedThroughputExceededException");
    assert_eq!(
        extra["ThrottlingReasons"][0]["reason"],
        "TableReadProvisionedThroughputExceeded"
    );
    // Spend the index's burst too: then the index refuses, naming itself.
    let mut queries = 1;
    let error = loop {
        match query() {
            Ok(_) => queries += 1,
            Err(e) => break e,
        }
        assert!(queries <= 1000);
    };
    assert_eq!(error.0, "ProvisionedThroughputExceededException");
    assert_eq!(
        error.2["ThrottlingReasons"][0],
        json!({"reason": "IndexReadProvisionedThroughputExceeded", "resource": format!("{TABLE_ARN}split/index/by_g")})
    );
}
