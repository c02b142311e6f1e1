//! The cost ledger after a scripted workload equals a hand computation, and the
//! scan-amplification report names the scan. On a clock the test moves.

mod common;

use cairn_engine::{Engine, EngineConfig, ManualClock};
use common::call;
use serde_json::json;
use std::sync::Arc;

/// An engine that started two hours ago (reports never reach before a server's start).
fn setup() -> (Engine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(1_900_000_000.0));
    let engine = Engine::with_clock(common::test_storage(), EngineConfig::default(), clock.clone()).unwrap();
    clock.advance(7200.0);
    (engine, clock)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn the_ledger_prices_what_each_table_and_operation_consumed() {
    let (engine, clock) = setup();
    common::create_simple_table(&engine, "orders");
    // 10 puts of small items: 1 write unit each. 4 strongly consistent gets: 1 read
    // unit each. 2 eventually consistent gets: half a unit each.
    for i in 0..10 {
        call(
            &engine,
            "PutItem",
            json!({"TableName": "orders", "Item": {"pk": {"S": format!("k{i}")}}}),
        )
        .unwrap();
    }
    for consistent in [true, true, true, true, false, false] {
        call(
            &engine,
            "GetItem",
            json!({"TableName": "orders", "Key": {"pk": {"S": "k1"}}, "ConsistentRead": consistent}),
        )
        .unwrap();
    }
    clock.advance(30.0);
    let report = serde_json::to_value(engine.cost_report(3600.0)).unwrap();
    assert_eq!(report["hours"], 1.0);
    let orders = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "orders")
        .unwrap()
        .clone();
    assert_eq!(orders["requests"], 16);
    assert_eq!(orders["writeUnits"], 10.0);
    assert_eq!(orders["readUnits"], 5.0);
    // $0.625 per million write units, $0.125 per million read units.
    let expected = 10.0 / 1e6 * 0.625 + 5.0 / 1e6 * 0.125;
    assert!(close(orders["onDemandCost"].as_f64().unwrap(), expected), "{orders}");
    // On demand, the provisioned figure is the average rate provisioned for the hour.
    let provisioned = 5.0 / 3600.0 * 0.00013 + 10.0 / 3600.0 * 0.00065;
    assert!(
        close(orders["provisionedCost"].as_f64().unwrap(), provisioned),
        "{orders}"
    );
    let ops: Vec<(String, u64)> = orders["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["operation"].as_str().unwrap().to_string(),
                o["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ops, [("GetItem".to_string(), 6), ("PutItem".to_string(), 10)]);
    assert!(close(
        orders["projectedMonthlyOnDemand"].as_f64().unwrap(),
        (expected + orders["storageCost"].as_f64().unwrap()) * 730.0
    ));
    // An hour later the period holds nothing of it.
    clock.advance(3600.0);
    let later = serde_json::to_value(engine.cost_report(3600.0)).unwrap();
    let orders = later["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "orders")
        .unwrap()
        .clone();
    assert_eq!(orders["requests"], 0);
}

#[test]
fn a_provisioned_table_costs_its_capacity_for_the_period() {
    let (engine, _clock) = setup();
    call(
        &engine,
        "CreateTable",
        json!({"TableName": "steady", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 5}}),
    )
    .unwrap();
    let report = serde_json::to_value(engine.cost_report(7200.0)).unwrap();
    let steady = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "steady")
        .unwrap()
        .clone();
    assert_eq!(steady["billingMode"], "PROVISIONED");
    assert!(
        close(
            steady["provisionedCost"].as_f64().unwrap(),
            (10.0 * 0.00013 + 5.0 * 0.00065) * 2.0
        ),
        "{steady}"
    );
    assert!(close(steady["onDemandCost"].as_f64().unwrap(), 0.0));
}

#[test]
fn a_report_does_not_reach_before_the_server_started() {
    let clock = Arc::new(ManualClock::new(1_900_000_000.0));
    let engine = Engine::with_clock(common::test_storage(), EngineConfig::default(), clock.clone()).unwrap();
    clock.advance(600.0);
    let report = serde_json::to_value(engine.cost_report(86_400.0)).unwrap();
    assert!(close(report["hours"].as_f64().unwrap(), 600.0 / 3600.0), "{report}");
}

#[test]
fn a_scan_that_returns_few_of_the_items_it_reads_is_reported_as_amplified() {
    let (engine, _clock) = setup();
    common::create_simple_table(&engine, "events");
    for i in 0..50 {
        call(
            &engine,
            "PutItem",
            json!({"TableName": "events", "Item": {"pk": {"S": format!("e{i:02}")}, "kind": {"S": if i < 2 { "rare" } else { "common" }}}}),
        )
        .unwrap();
    }
    let out = call(
        &engine,
        "Scan",
        json!({"TableName": "events", "FilterExpression": "kind = :k", "ExpressionAttributeValues": {":k": {"S": "rare"}},
               "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    assert_eq!(out["Count"], 2);
    assert_eq!(out["ScannedCount"], 50);
    let units = out["ConsumedCapacity"]["CapacityUnits"].as_f64().unwrap();
    // A Query that returns what it reads is not amplification.
    call(
        &engine,
        "Query",
        json!({"TableName": "events", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "e01"}}}),
    )
    .unwrap();
    let report = serde_json::to_value(engine.cost_report(3600.0)).unwrap();
    let amplified = report["scanAmplification"].as_array().unwrap();
    assert_eq!(amplified.len(), 1, "{amplified:?}");
    assert_eq!(amplified[0]["shape"], "Scan events with FilterExpression");
    assert_eq!(amplified[0]["itemsRead"], 50);
    assert_eq!(amplified[0]["itemsReturned"], 2);
    assert_eq!(amplified[0]["ratio"], 25.0);
    assert_eq!(amplified[0]["readUnits"], units);
    assert!(close(
        amplified[0]["onDemandCost"].as_f64().unwrap(),
        units / 1e6 * 0.125
    ));
}
