//! Expression rules as DynamoDB enforces them (issue 13, area 4). Messages recorded
//! against DynamoDB (2026) unless a comment says otherwise.

mod common;

use common::{call, memory_engine};
use serde_json::{json, Value};

fn engine() -> cairn_engine::Engine {
    let engine = memory_engine();
    common::create_simple_table(&engine, "exprs");
    call(
        &engine,
        "PutItem",
        json!({"TableName": "exprs", "Item": {"pk": {"S": "k"}, "data": {"S": "abc"}, "n": {"N": "5"},
               "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}}}),
    )
    .unwrap();
    engine
}

fn put_if(engine: &cairn_engine::Engine, condition: &str, values: Option<Value>) -> Result<Value, (String, String)> {
    let mut body = json!({"TableName": "exprs", "Item": {"pk": {"S": "k"}, "data": {"S": "abc"}, "n": {"N": "5"}},
                          "ConditionExpression": condition, "ExpressionAttributeNames": {"#d": "data"}});
    if let Some(v) = values {
        body["ExpressionAttributeValues"] = v;
    }
    if !condition.contains("#d") {
        body.as_object_mut().unwrap().remove("ExpressionAttributeNames");
    }
    call(engine, "PutItem", body)
}

fn update(engine: &cairn_engine::Engine, expression: &str, values: Value) -> Result<Value, (String, String)> {
    call(
        engine,
        "UpdateItem",
        json!({"TableName": "exprs", "Key": {"pk": {"S": "k"}}, "UpdateExpression": expression,
               "ExpressionAttributeValues": values, "ReturnValues": "ALL_NEW"}),
    )
}

fn refused(result: Result<Value, (String, String)>) -> String {
    let (kind, message) = result.expect_err("should be refused");
    assert_eq!(kind, "ValidationException", "{message}");
    message
}

#[test]
fn contains_needs_distinct_operands() {
    let engine = engine();
    assert_eq!(
        refused(put_if(&engine, "contains(#d, #d)", None)),
        "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [data]"
    );
    put_if(&engine, "contains(#d, :v)", Some(json!({":v": {"S": "b"}}))).unwrap();
}

#[test]
fn size_of_a_number_value_is_an_operand_type_error() {
    let engine = engine();
    assert_eq!(
        refused(put_if(&engine, "size(:v) > :v", Some(json!({":v": {"N": "1"}})))),
        "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"
    );
    put_if(&engine, "size(#d) = :v", Some(json!({":v": {"N": "3"}}))).unwrap();
}

#[test]
fn begins_with_a_number_is_an_operand_type_error() {
    let engine = engine();
    let scan = call(
        &engine,
        "Scan",
        json!({"TableName": "exprs", "FilterExpression": "begins_with(#d, :v)", "ExpressionAttributeNames": {"#d": "data"},
               "ExpressionAttributeValues": {":v": {"N": "1"}}}),
    );
    assert_eq!(
        refused(scan),
        "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"
    );
}

#[test]
fn redundant_parentheses_are_refused_and_single_ones_accepted() {
    let engine = engine();
    assert_eq!(
        refused(put_if(&engine, "((attribute_exists(pk)))", None)),
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    );
    assert_eq!(
        refused(put_if(
            &engine,
            "attribute_exists(pk) AND ((n = :v))",
            Some(json!({":v": {"N": "5"}}))
        )),
        "Invalid ConditionExpression: The expression has redundant parentheses;"
    );
    put_if(&engine, "(attribute_exists(pk))", None).unwrap();
    put_if(
        &engine,
        "(n = :v) AND (attribute_exists(pk) OR n = :v)",
        Some(json!({":v": {"N": "5"}})),
    )
    .unwrap();
}

#[test]
fn more_than_300_operators_are_refused() {
    let engine = engine();
    let chain = |count: usize| {
        (0..count)
            .map(|i| format!("n = :v{}", i % 2))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let values = json!({":v0": {"N": "1"}, ":v1": {"N": "5"}});
    // 151 comparisons and 150 ORs: 301 operators (and a 4 KB expression would allow
    // ~450, deep enough to overflow a naive recursive evaluator).
    assert_eq!(
        refused(put_if(&engine, &chain(151), Some(values.clone()))),
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
    );
    put_if(&engine, &chain(150), Some(values)).unwrap();
}

#[test]
fn an_expression_over_4_kb_is_refused() {
    let engine = engine();
    let padded = format!("attribute_exists(pk){}", " ".repeat(4096 - 20 + 1));
    assert_eq!(
        refused(put_if(&engine, &padded, None)),
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    );
    put_if(&engine, &padded[..4096], None).unwrap();
}

#[test]
fn set_past_the_end_of_a_list_appends_in_index_order() {
    let engine = engine();
    let out = update(
        &engine,
        "SET l[7] = :w, l[5] = :v",
        json!({":v": {"S": "x"}, ":w": {"S": "y"}}),
    )
    .unwrap();
    assert_eq!(
        out["Attributes"]["l"],
        json!({"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "x"}, {"S": "y"}]})
    );
}

#[test]
fn a_list_index_past_4294967294_is_refused() {
    let engine = engine();
    assert_eq!(
        refused(update(&engine, "SET l[4294967295] = :v", json!({":v": {"S": "x"}}))),
        "Invalid UpdateExpression: List index is not within the allowable range; index: [4294967295]"
    );
    update(&engine, "SET l[4294967294] = :v", json!({":v": {"S": "x"}})).unwrap();
}

#[test]
fn a_path_through_a_number_is_invalid_for_update() {
    let engine = engine();
    assert_eq!(
        refused(update(&engine, "SET n.b = :v", json!({":v": {"S": "x"}}))),
        "The document path provided in the update expression is invalid for update"
    );
}

#[test]
fn arithmetic_on_a_missing_attribute_is_refused() {
    let engine = engine();
    assert_eq!(
        refused(update(&engine, "SET m = nothere + :v", json!({":v": {"N": "1"}}))),
        "The provided expression refers to an attribute that does not exist in the item"
    );
    update(&engine, "SET m = n + :v", json!({":v": {"N": "1"}})).unwrap();
}

#[test]
fn arithmetic_overflow_and_lost_precision_are_refused() {
    let engine = engine();
    assert_eq!(
        refused(update(&engine, "SET m = :v + :v", json!({":v": {"N": "9.9E+125"}}))),
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    );
    assert_eq!(
        refused(update(
            &engine,
            "SET m = n + :v",
            json!({":v": {"N": "0.00000000000000000000000000000000000001"}})
        )),
        "Attempting to store more than 38 significant digits in a Number"
    );
}

#[test]
fn unknown_and_condition_functions_are_refused_in_updates() {
    let engine = engine();
    assert_eq!(
        refused(update(&engine, "SET x = foo(n)", json!({":v": {"N": "1"}}))),
        "Invalid UpdateExpression: Invalid function name; function: foo"
    );
}
