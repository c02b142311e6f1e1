//! PartiQL spends and reports capacity as the item API does: a SELECT as a Query or
//! Scan of what it read, a write as PutItem/UpdateItem/DeleteItem, a transaction twice
//! over; and with `--enforce-capacity` it is throttled like any other request.

mod common;

use cairn_engine::Engine;
use common::call;
use serde_json::{json, Value};

fn engine(enforce: bool) -> Engine {
    common::stopped_clock_engine(enforce)
}

fn statement(engine: &Engine, text: &str, extra: Value) -> Result<Value, (String, String)> {
    let mut body = json!({"Statement": text, "ReturnConsumedCapacity": "TOTAL"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    call(engine, "ExecuteStatement", body)
}

#[test]
fn a_partiql_insert_reports_its_write_units() {
    let e = engine(false);
    common::create_simple_table(&e, "pq_ins");
    let out = statement(&e, "INSERT INTO pq_ins VALUE {'pk': 'a', 'v': 1}", json!({})).unwrap();
    assert_eq!(
        out["ConsumedCapacity"],
        json!({"TableName": "pq_ins", "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0})
    );
    // Without ReturnConsumedCapacity nothing is reported.
    let out = call(
        &e,
        "ExecuteStatement",
        json!({"Statement": "DELETE FROM pq_ins WHERE pk = 'a'"}),
    )
    .unwrap();
    assert!(out.get("ConsumedCapacity").is_none());
}

#[test]
fn a_partiql_select_reports_read_units_halved_unless_consistent() {
    let e = engine(false);
    common::create_simple_table(&e, "pq_sel");
    statement(&e, "INSERT INTO pq_sel VALUE {'pk': 'a'}", json!({})).unwrap();
    let eventual = statement(&e, "SELECT * FROM pq_sel WHERE pk = 'a'", json!({})).unwrap();
    assert_eq!(eventual["ConsumedCapacity"]["CapacityUnits"], json!(0.5));
    assert_eq!(eventual["Items"].as_array().unwrap().len(), 1);
    let strong = statement(
        &e,
        "SELECT * FROM pq_sel WHERE pk = 'a'",
        json!({"ConsistentRead": true}),
    )
    .unwrap();
    assert_eq!(
        strong["ConsumedCapacity"],
        json!({"TableName": "pq_sel", "CapacityUnits": 1.0, "ReadCapacityUnits": 1.0})
    );
}

#[test]
fn batch_execute_statement_reports_capacity_per_table() {
    let e = engine(false);
    common::create_simple_table(&e, "pq_b1");
    common::create_simple_table(&e, "pq_b2");
    let out = call(
        &e,
        "BatchExecuteStatement",
        json!({"ReturnConsumedCapacity": "TOTAL", "Statements": [
            {"Statement": "INSERT INTO pq_b1 VALUE {'pk': 'a'}"},
            {"Statement": "INSERT INTO pq_b1 VALUE {'pk': 'b'}"},
            {"Statement": "INSERT INTO pq_b2 VALUE {'pk': 'c'}"}
        ]}),
    )
    .unwrap();
    assert_eq!(
        out["ConsumedCapacity"],
        json!([
            {"TableName": "pq_b1", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
            {"TableName": "pq_b2", "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}
        ])
    );
}

#[test]
fn execute_transaction_writes_cost_two_units_per_item() {
    let e = engine(false);
    common::create_simple_table(&e, "pq_tx");
    let out = call(
        &e,
        "ExecuteTransaction",
        json!({"ReturnConsumedCapacity": "TOTAL", "TransactStatements": [
            {"Statement": "INSERT INTO pq_tx VALUE {'pk': 'a'}"},
            {"Statement": "INSERT INTO pq_tx VALUE {'pk': 'b'}"}
        ]}),
    )
    .unwrap();
    assert_eq!(
        out["ConsumedCapacity"],
        json!([{"TableName": "pq_tx", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}])
    );
}

#[test]
fn partiql_is_throttled_on_an_exhausted_provisioned_table() {
    let e = engine(true);
    call(
        &e,
        "CreateTable",
        json!({"TableName": "pq_thr",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "BillingMode": "PROVISIONED",
               "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 1}}),
    )
    .unwrap();
    // 300 write units of burst.
    for i in 0..300 {
        statement(&e, &format!("INSERT INTO pq_thr VALUE {{'pk': 'k{i}'}}"), json!({})).unwrap();
    }
    let (kind, message) = statement(&e, "INSERT INTO pq_thr VALUE {'pk': 'late'}", json!({})).unwrap_err();
    assert_eq!(kind, "ProvisionedThroughputExceededException");
    assert_eq!(
        message,
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
    );
    // Reads have their own capacity.
    statement(&e, "SELECT * FROM pq_thr WHERE pk = 'k1'", json!({})).unwrap();
}

#[test]
fn a_throttled_statement_of_a_batch_reports_throttling_error() {
    let e = engine(true);
    call(
        &e,
        "CreateTable",
        json!({"TableName": "pq_bthr",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "BillingMode": "PAY_PER_REQUEST",
               "OnDemandThroughput": {"MaxWriteRequestUnits": 1}}),
    )
    .unwrap();
    let out = call(
        &e,
        "BatchExecuteStatement",
        json!({"Statements": [
            {"Statement": "INSERT INTO pq_bthr VALUE {'pk': 'a'}"},
            {"Statement": "INSERT INTO pq_bthr VALUE {'pk': 'b'}"}
        ]}),
    )
    .unwrap();
    assert!(out["Responses"][0].get("Error").is_none(), "{out}");
    assert_eq!(out["Responses"][1]["Error"]["Code"], "ThrottlingError");
    assert_eq!(
        out["Responses"][1]["Error"]["Message"],
        "Throughput exceeds the maximum OnDemandThroughput configured on table or index"
    );
}

#[test]
fn partiql_return_consumed_capacity_must_be_a_known_value() {
    let e = engine(false);
    common::create_simple_table(&e, "pq_rcc");
    let error = call(
        &e,
        "ExecuteStatement",
        json!({"Statement": "SELECT * FROM pq_rcc", "ReturnConsumedCapacity": "ALL"}),
    )
    .unwrap_err();
    assert_eq!(
        error,
        (
            "ValidationException".to_string(),
            "1 validation error detected: Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]".to_string()
        )
    );
    statement(&e, "SELECT * FROM pq_rcc", json!({"ReturnConsumedCapacity": "INDEXES"})).unwrap();
}

#[test]
fn a_throttled_read_transaction_is_cancelled_with_the_reason_on_its_statement() {
    let e = engine(true);
    call(
        &e,
        "CreateTable",
        json!({"TableName": "pq_rtx",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "BillingMode": "PAY_PER_REQUEST",
               "OnDemandThroughput": {"MaxReadRequestUnits": 1}}),
    )
    .unwrap();
    let transaction = || {
        call(
            &e,
            "ExecuteTransaction",
            json!({"TransactStatements": [
                {"Statement": "SELECT * FROM pq_rtx WHERE pk = 'a'"},
                {"Statement": "SELECT * FROM pq_rtx WHERE pk = 'b'"}
            ]}),
        )
    };
    // One read unit a second: the first statement takes it (two units: a
    // transaction's read), the second is refused.
    let (kind, message) = transaction().unwrap_err();
    assert_eq!(kind, "TransactionCanceledException");
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ThrottlingError]"
    );
}
