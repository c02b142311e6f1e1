//! Query and Scan parameters as DynamoDB checks them (issue 13, area 5):
//! ExclusiveStartKey against the schema, the query's partition and the scan's segment;
//! Select's rules; capacity of a filtered read counts what was read.

mod common;

use common::{call, memory_engine};
use serde_json::{json, Value};

/// `paged`: pk (S) + sk (N), 10 items in each of partitions a and b.
fn engine() -> cairn_engine::Engine {
    let engine = memory_engine();
    call(
        &engine,
        "CreateTable",
        json!({"TableName": "paged",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
               "BillingMode": "PAY_PER_REQUEST"}),
    )
    .unwrap();
    for pk in ["a", "b"] {
        for sk in 0..10 {
            call(&engine, "PutItem", json!({"TableName": "paged", "Item": {"pk": {"S": pk}, "sk": {"N": sk.to_string()}, "v": {"S": "x".repeat(100)}}})).unwrap();
        }
    }
    engine
}

fn query(engine: &cairn_engine::Engine, extra: Value) -> Result<Value, (String, String)> {
    let mut body = json!({"TableName": "paged", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    call(engine, "Query", body)
}

fn scan(engine: &cairn_engine::Engine, extra: Value) -> Result<Value, (String, String)> {
    let mut body = json!({"TableName": "paged"});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    call(engine, "Scan", body)
}

fn validation(result: Result<Value, (String, String)>) -> String {
    let (kind, message) = result.expect_err("the read should be refused");
    assert_eq!(kind, "ValidationException", "{message}");
    message
}

#[test]
fn a_query_start_key_that_does_not_match_the_schema_is_invalid() {
    let engine = engine();
    assert_eq!(
        validation(query(&engine, json!({"ExclusiveStartKey": {"pk": {"S": "a"}}}))),
        "The provided starting key is invalid"
    );
    assert_eq!(
        validation(query(
            &engine,
            json!({"ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"S": "1"}}})
        )),
        "The provided starting key is invalid"
    );
    let first = query(&engine, json!({"Limit": 3})).unwrap();
    let next = query(
        &engine,
        json!({"Limit": 3, "ExclusiveStartKey": first["LastEvaluatedKey"]}),
    )
    .unwrap();
    assert_eq!(next["Items"][0]["sk"]["N"], "3");
}

#[test]
fn a_scan_start_key_that_does_not_match_the_schema_is_invalid() {
    let engine = engine();
    assert_eq!(
        validation(scan(&engine, json!({"ExclusiveStartKey": {"bad": {"S": "a"}}}))),
        "The provided starting key is invalid: The provided key element does not match the schema"
    );
}

#[test]
fn a_query_start_key_from_another_partition_is_outside_the_query() {
    let engine = engine();
    assert_eq!(
        validation(query(
            &engine,
            json!({"ExclusiveStartKey": {"pk": {"S": "b"}, "sk": {"N": "1"}}})
        )),
        "The provided starting key is outside query boundaries based on provided condition"
    );
    query(
        &engine,
        json!({"ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
    )
    .unwrap();
}

#[test]
fn a_parallel_scan_start_key_from_another_segment_is_invalid() {
    let engine = engine();
    // Find which of two segments holds partition a.
    let segment_of_a = (0..2)
        .find(|s| {
            let page = scan(&engine, json!({"Segment": s, "TotalSegments": 2})).unwrap();
            page["Items"].as_array().unwrap().iter().any(|i| i["pk"]["S"] == "a")
        })
        .unwrap();
    let other = 1 - segment_of_a;
    let key_of_a = json!({"pk": {"S": "a"}, "sk": {"N": "1"}});
    assert_eq!(
        validation(scan(&engine, json!({"Segment": other, "TotalSegments": 2, "ExclusiveStartKey": key_of_a}))),
        format!("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: {other}")
    );
    scan(
        &engine,
        json!({"Segment": segment_of_a, "TotalSegments": 2, "ExclusiveStartKey": key_of_a}),
    )
    .unwrap();
}

#[test]
fn select_specific_attributes_needs_a_projection_worded_per_operation() {
    let engine = engine();
    let message = "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES";
    assert_eq!(
        validation(query(&engine, json!({"Select": "SPECIFIC_ATTRIBUTES"}))),
        format!("1 validation error detected: {message}")
    );
    assert_eq!(
        validation(scan(&engine, json!({"Select": "SPECIFIC_ATTRIBUTES"}))),
        message
    );
    query(
        &engine,
        json!({"Select": "SPECIFIC_ATTRIBUTES", "ProjectionExpression": "sk"}),
    )
    .unwrap();
}

#[test]
fn select_count_or_all_attributes_refuse_a_projection() {
    let engine = engine();
    assert_eq!(
        validation(query(&engine, json!({"Select": "COUNT", "ProjectionExpression": "sk"}))),
        "One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get only the Count"
    );
    assert_eq!(
        validation(scan(&engine, json!({"Select": "ALL_ATTRIBUTES", "AttributesToGet": ["sk"]}))),
        "One or more parameter values were invalid: Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES"
    );
    assert_eq!(query(&engine, json!({"Select": "COUNT"})).unwrap()["Count"], 10);
}

#[test]
fn select_all_projected_attributes_needs_an_index_and_no_projection() {
    let engine = engine();
    assert_eq!(
        validation(scan(&engine, json!({"Select": "ALL_PROJECTED_ATTRIBUTES"}))),
        "One or more parameter values were invalid: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
    );
    assert_eq!(
        validation(query(&engine, json!({"Select": "ALL_PROJECTED_ATTRIBUTES", "ProjectionExpression": "sk"}))),
        "One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get ALL_PROJECTED_ATTRIBUTES"
    );
}

#[test]
fn a_filtered_scan_consumes_capacity_for_what_it_read() {
    let engine = engine();
    let all = scan(&engine, json!({"ReturnConsumedCapacity": "TOTAL"})).unwrap();
    let none = scan(
        &engine,
        json!({"ReturnConsumedCapacity": "TOTAL", "FilterExpression": "v = :nothing", "ExpressionAttributeValues": {":nothing": {"S": "no"}}}),
    )
    .unwrap();
    assert_eq!(none["Count"], 0);
    assert_eq!(none["ScannedCount"], 20);
    assert!(all["ConsumedCapacity"]["CapacityUnits"].as_f64().unwrap() > 0.0);
    assert_eq!(
        none["ConsumedCapacity"]["CapacityUnits"],
        all["ConsumedCapacity"]["CapacityUnits"]
    );
}

#[test]
fn a_filter_is_validated_even_when_the_partition_is_empty() {
    let engine = engine();
    let (kind, message) = call(
        &engine,
        "Query",
        json!({"TableName": "paged", "KeyConditionExpression": "pk = :p", "FilterExpression": "#missing = :p",
               "ExpressionAttributeValues": {":p": {"S": "nobody"}}}),
    )
    .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #missing"
    );
}
