//! Multi-attribute GSI keys (DynamoDB, November 2025): schema rules at CreateTable and
//! UpdateTable, the schema echoed as given, and Query's rules for the key attributes
//! (issue 13, area 2). Messages as recorded against DynamoDB in 2026.

mod common;

use common::{call, memory_engine};
use serde_json::{json, Value};

fn definitions() -> Value {
    json!(["pk", "h1", "h2", "a", "b", "c", "d", "e"]
        .iter()
        .map(|n| json!({"AttributeName": n, "AttributeType": "S"}))
        .collect::<Vec<_>>())
}

fn key(elements: &[(&str, &str)]) -> Value {
    json!(elements
        .iter()
        .map(|(n, t)| json!({"AttributeName": n, "KeyType": t}))
        .collect::<Vec<_>>())
}

fn create(engine: &cairn_engine::Engine, gsi_key: Value) -> Result<Value, (String, String)> {
    // Only the attributes the keys use may be defined.
    let mut used: Vec<String> = vec!["pk".into()];
    for e in gsi_key.as_array().unwrap() {
        let n = e["AttributeName"].as_str().unwrap().to_string();
        if !used.contains(&n) {
            used.push(n);
        }
    }
    let defs: Vec<Value> = definitions()
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| used.iter().any(|u| u == d["AttributeName"].as_str().unwrap()))
        .cloned()
        .collect();
    call(
        engine,
        "CreateTable",
        json!({"TableName": "multi", "AttributeDefinitions": defs,
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
               "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": gsi_key, "Projection": {"ProjectionType": "ALL"}}]}),
    )
}

fn refused(result: Result<Value, (String, String)>) -> String {
    let (kind, message) = result.expect_err("should be refused");
    assert_eq!(kind, "ValidationException", "{message}");
    message
}

#[test]
fn two_hash_attributes_make_a_multi_attribute_partition_key() {
    let engine = memory_engine();
    create(&engine, key(&[("h1", "HASH"), ("h2", "HASH")])).unwrap();
    let table = call(&engine, "DescribeTable", json!({"TableName": "multi"})).unwrap();
    assert_eq!(
        table["Table"]["GlobalSecondaryIndexes"][0]["KeySchema"],
        key(&[("h1", "HASH"), ("h2", "HASH")])
    );
}

#[test]
fn four_hash_and_four_range_attributes_are_echoed_in_order() {
    let engine = memory_engine();
    let schema = key(&[
        ("h1", "HASH"),
        ("h2", "HASH"),
        ("a", "HASH"),
        ("b", "HASH"),
        ("c", "RANGE"),
        ("d", "RANGE"),
        ("e", "RANGE"),
        ("pk", "RANGE"),
    ]);
    create(&engine, schema.clone()).unwrap();
    let table = call(&engine, "DescribeTable", json!({"TableName": "multi"})).unwrap();
    assert_eq!(table["Table"]["GlobalSecondaryIndexes"][0]["KeySchema"], schema);
}

#[test]
fn hash_attributes_must_precede_range_attributes() {
    let engine = memory_engine();
    assert_eq!(
        refused(create(&engine, key(&[("h1", "HASH"), ("a", "RANGE"), ("h2", "HASH")]))),
        "One or more parameter values were invalid: All HASH key attributes must precede RANGE key attributes in the KeySchema"
    );
    assert_eq!(
        refused(create(&engine, key(&[("a", "RANGE"), ("h1", "HASH"), ("h2", "HASH")]))),
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
    );
}

#[test]
fn at_most_four_hash_and_four_range_attributes() {
    let engine = memory_engine();
    assert_eq!(
        refused(create(&engine, key(&[("h1", "HASH"), ("h2", "HASH"), ("a", "HASH"), ("b", "HASH"), ("c", "HASH")]))),
        "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number of HASH key attributes"
    );
    assert_eq!(
        refused(create(&engine, key(&[("h1", "HASH"), ("a", "RANGE"), ("b", "RANGE"), ("c", "RANGE"), ("d", "RANGE"), ("e", "RANGE")]))),
        "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number of RANGE key attributes"
    );
}

#[test]
fn a_key_attribute_may_appear_only_once() {
    let engine = memory_engine();
    assert_eq!(
        refused(create(&engine, key(&[("h1", "HASH"), ("a", "RANGE"), ("a", "RANGE")]))),
        "The KeySchema contains multiple key attributes with the same name"
    );
}

#[test]
fn the_tables_own_key_attribute_may_be_part_of_an_index_key() {
    let engine = memory_engine();
    create(&engine, key(&[("h1", "HASH"), ("a", "RANGE"), ("pk", "RANGE")])).unwrap();
}

/// A table whose GSI is keyed (h1) / (a, b, c), with two items in partition x.
fn ranged() -> cairn_engine::Engine {
    let engine = memory_engine();
    create(
        &engine,
        key(&[("h1", "HASH"), ("a", "RANGE"), ("b", "RANGE"), ("c", "RANGE")]),
    )
    .unwrap();
    for (pk, b) in [("1", "p"), ("2", "q")] {
        call(&engine, "PutItem", json!({"TableName": "multi", "Item": {"pk": {"S": pk}, "h1": {"S": "x"}, "a": {"S": "A"}, "b": {"S": b}, "c": {"S": "C"}}})).unwrap();
    }
    engine
}

fn query(engine: &cairn_engine::Engine, condition: &str) -> Result<Value, (String, String)> {
    let values: serde_json::Map<String, Value> = [(":h", "x"), (":a", "A"), (":b", "p"), (":c", "C")]
        .into_iter()
        .filter(|(k, _)| condition.contains(k))
        .map(|(k, v)| (k.to_string(), json!({"S": v})))
        .collect();
    call(
        engine,
        "Query",
        json!({"TableName": "multi", "IndexName": "gsi", "KeyConditionExpression": condition, "ExpressionAttributeValues": values}),
    )
}

#[test]
fn a_gap_in_the_range_attributes_is_refused_naming_it() {
    let engine = ranged();
    assert_eq!(
        refused(query(&engine, "h1 = :h AND a = :a AND c = :c")),
        "RANGE key attributes b must have equality conditions specified in the query because a condition is present on key attribute c"
    );
    assert_eq!(
        refused(query(&engine, "h1 = :h AND b = :b")),
        "RANGE key attributes a must have equality conditions specified in the query because a condition is present on key attribute b"
    );
    assert_eq!(query(&engine, "h1 = :h AND a = :a AND b = :b").unwrap()["Count"], 1);
}

#[test]
fn an_inequality_must_be_the_last_range_condition() {
    let engine = ranged();
    assert_eq!(
        refused(query(&engine, "h1 = :h AND a = :a AND b > :b AND c = :c")),
        "RANGE key attributes b must have equality conditions specified in the query because a condition is present on key attribute c"
    );
    assert_eq!(query(&engine, "h1 = :h AND a = :a AND b >= :b").unwrap()["Count"], 2);
}

#[test]
fn more_conditions_than_key_attributes_are_refused() {
    let engine = ranged();
    let out = call(
        &engine,
        "Query",
        json!({"TableName": "multi", "KeyConditionExpression": "pk = :p AND h1 = :h",
               "ExpressionAttributeValues": {":p": {"S": "1"}, ":h": {"S": "x"}}}),
    );
    assert_eq!(
        refused(out),
        "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)"
    );
}
