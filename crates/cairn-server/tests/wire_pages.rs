//! Query and Scan pages over HTTP are written from the stored encoding straight to
//! JSON when they have no filter or projection (`cairn_model::render`); every page
//! must equal the one the engine builds from decoded items (`Engine::query`/`scan`),
//! byte sizes, limits and LastEvaluatedKey included.

mod common;

use cairn_engine::RequestContext;
use cairn_model::types::{QueryInput, ScanInput};
use common::{call, memory_engine};
use serde_json::{json, Value};

/// Table `mixed` (pk S, sk N) with items of every type; partition "p" holds 30 of
/// them, partition "q" 5; one in ten is ~390 KB so the 1 MB page limit is reached.
fn engine_with_mixed_items() -> cairn_engine::Engine {
    let engine = memory_engine();
    call(
        &engine,
        "CreateTable",
        json!({
            "TableName": "mixed",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
    let big = "x".repeat(390_000);
    for (pk, count) in [("p", 30), ("q", 5)] {
        for i in 0..count {
            let mut item = json!({
                "pk": {"S": pk}, "sk": {"N": format!("{}.5", i - 3)},
                "s": {"S": format!("quote \" backslash \\ newline \n tab \t é {i}")},
                "n": {"N": format!("-{i}.25E-3")}, "b": {"B": "AAEC/w=="},
                "t": {"BOOL": i % 2 == 0}, "z": {"NULL": true},
                "m": {"M": {"deep": {"L": [{"N": "1"}, {"S": "two"}, {"M": {}}]}}},
                "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AA==", "AQ=="]}
            });
            if i % 10 == 4 {
                item["big"] = json!({"S": big});
            }
            call(&engine, "PutItem", json!({"TableName": "mixed", "Item": item})).unwrap();
        }
    }
    engine
}

fn assert_same_query(engine: &cairn_engine::Engine, request: Value) {
    let wire = call(engine, "Query", request.clone()).unwrap();
    let input: QueryInput = serde_json::from_value(request.clone()).unwrap();
    let decoded = engine.query(&RequestContext::default(), input).unwrap();
    assert_eq!(wire, serde_json::to_value(&decoded).unwrap(), "Query {request}");
}

fn assert_same_scan(engine: &cairn_engine::Engine, request: Value) {
    let wire = call(engine, "Scan", request.clone()).unwrap();
    let input: ScanInput = serde_json::from_value(request.clone()).unwrap();
    let decoded = engine.scan(&RequestContext::default(), input).unwrap();
    assert_eq!(wire, serde_json::to_value(&decoded).unwrap(), "Scan {request}");
}

#[test]
fn a_query_page_over_http_equals_the_decoded_page() {
    let engine = engine_with_mixed_items();
    let values = json!({":p": {"S": "p"}});
    for extra in [
        json!({}),
        json!({"Limit": 7}),
        json!({"ScanIndexForward": false, "Limit": 3}),
        json!({"ReturnConsumedCapacity": "TOTAL"}),
        json!({"Select": "COUNT"}),
        json!({"FilterExpression": "t = :t", "ExpressionAttributeValues": {":p": {"S": "p"}, ":t": {"BOOL": true}}}),
        json!({"ProjectionExpression": "sk, m.deep[1]"}),
        json!({"ExclusiveStartKey": {"pk": {"S": "p"}, "sk": {"N": "4.5"}}, "Limit": 4}),
    ] {
        let mut request =
            json!({"TableName": "mixed", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": values});
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_same_query(&engine, request);
    }
}

#[test]
fn a_page_over_http_stops_at_one_megabyte_with_the_last_evaluated_key() {
    let engine = engine_with_mixed_items();
    let request = json!({"TableName": "mixed", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}});
    let wire = call(&engine, "Query", request.clone()).unwrap();
    assert!(wire["Count"].as_u64().unwrap() < 30, "{}", wire["Count"]);
    assert!(wire.get("LastEvaluatedKey").is_some());
    assert_same_query(&engine, request);
}

#[test]
fn a_scan_page_over_http_equals_the_decoded_page() {
    let engine = engine_with_mixed_items();
    for extra in [
        json!({}),
        json!({"Limit": 9}),
        json!({"Segment": 1, "TotalSegments": 2}),
        json!({"Select": "COUNT"}),
        json!({"ReturnConsumedCapacity": "INDEXES"}),
        json!({"FilterExpression": "pk = :q", "ExpressionAttributeValues": {":q": {"S": "q"}}}),
    ] {
        let mut request = json!({"TableName": "mixed"});
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        assert_same_scan(&engine, request);
    }
}

#[test]
fn an_empty_page_over_http_has_an_empty_items_array() {
    let engine = engine_with_mixed_items();
    let wire = call(
        &engine,
        "Query",
        json!({"TableName": "mixed", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "none"}}}),
    )
    .unwrap();
    assert_eq!(wire, json!({"Items": [], "Count": 0, "ScannedCount": 0}));
}
