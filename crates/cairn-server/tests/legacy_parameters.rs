//! The legacy parameters (Expected, ConditionalOperator, KeyConditions, QueryFilter,
//! ScanFilter, AttributesToGet) validated as DynamoDB validates them (issue 13,
//! area 3). Messages recorded against DynamoDB where on record; the rest follow
//! their neighbours' wording and say so in the engine.

mod common;

use common::{call, memory_engine};
use serde_json::{json, Value};

fn engine() -> cairn_engine::Engine {
    let engine = memory_engine();
    call(
        &engine,
        "CreateTable",
        json!({"TableName": "legacy",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
               "BillingMode": "PAY_PER_REQUEST"}),
    )
    .unwrap();
    call(&engine, "PutItem", json!({"TableName": "legacy", "Item": {"pk": {"S": "k"}, "sk": {"N": "1"}, "a": {"N": "5"}, "s": {"S": "abc"}}})).unwrap();
    engine
}

fn delete_expecting(engine: &cairn_engine::Engine, expected: Value) -> Result<Value, (String, String)> {
    call(
        engine,
        "DeleteItem",
        json!({"TableName": "legacy", "Key": {"pk": {"S": "k"}, "sk": {"N": "1"}}, "Expected": expected}),
    )
}

fn refused(result: Result<Value, (String, String)>) -> String {
    let (kind, message) = result.expect_err("the request should be refused");
    assert_eq!(kind, "ValidationException", "{message}");
    message
}

const ENVELOPE: &str = "1 validation error detected: One or more parameter values were invalid: ";

#[test]
fn expected_exists_true_needs_a_value() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(&engine, json!({"a": {"Exists": true}}))),
        format!("{ENVELOPE}Value must be provided when Exists is true for Attribute: a")
    );
}

#[test]
fn expected_exists_false_refuses_a_value() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"Exists": false, "Value": {"N": "5"}}})
        )),
        format!("{ENVELOPE}Value cannot be used when Exists is false for Attribute: a")
    );
    let failed = delete_expecting(&engine, json!({"a": {"Exists": false}})).unwrap_err();
    assert_eq!(failed.0, "ConditionalCheckFailedException");
}

#[test]
fn expected_value_and_attribute_value_list_cannot_be_used_together() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"Value": {"N": "5"}, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "5"}]}})
        )),
        format!("{ENVELOPE}Value and AttributeValueList cannot be used together for Attribute: a")
    );
}

#[test]
fn a_comparison_operator_needs_a_value_or_list() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(&engine, json!({"a": {"ComparisonOperator": "EQ"}}))),
        format!("{ENVELOPE}Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a")
    );
}

#[test]
fn exists_and_comparison_operator_cannot_be_used_together() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"Exists": true, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "5"}]}})
        )),
        format!("{ENVELOPE}Exists and ComparisonOperator cannot be used together for Attribute: a")
    );
}

#[test]
fn a_value_with_a_comparison_operator_is_accepted() {
    let engine = engine();
    delete_expecting(&engine, json!({"a": {"Value": {"N": "5"}, "ComparisonOperator": "EQ"}})).unwrap();
}

#[test]
fn between_takes_exactly_two_values() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}]}})
        )),
        format!("{ENVELOPE}Invalid number of argument(s) for the BETWEEN ComparisonOperator")
    );
    delete_expecting(
        &engine,
        json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "9"}]}}),
    )
    .unwrap();
}

#[test]
fn null_takes_no_values_and_in_takes_at_least_one() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"ComparisonOperator": "NULL", "AttributeValueList": [{"N": "1"}]}})
        )),
        format!("{ENVELOPE}Invalid number of argument(s) for the NULL ComparisonOperator")
    );
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"ComparisonOperator": "IN", "AttributeValueList": []}})
        )),
        format!("{ENVELOPE}Invalid number of argument(s) for the IN ComparisonOperator")
    );
    delete_expecting(&engine, json!({"a": {"ComparisonOperator": "NOT_NULL"}})).unwrap();
}

#[test]
fn between_bounds_must_be_in_order() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "9"}, {"N": "1"}]}})
        )),
        format!(
            "{ENVELOPE}The BETWEEN condition was provided a range where the lower bound is bigger than the upper bound"
        )
    );
}

#[test]
fn operators_refuse_value_types_they_cannot_compare() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"M": {}}, {"M": {}}]}})
        )),
        format!("{ENVELOPE}ComparisonOperator BETWEEN is not valid for M AttributeValue type")
    );
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}})
        )),
        format!("{ENVELOPE}ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type")
    );
    assert_eq!(
        refused(delete_expecting(
            &engine,
            json!({"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["x"]}]}})
        )),
        format!("{ENVELOPE}ComparisonOperator LT is not valid for SS AttributeValue type")
    );
    delete_expecting(
        &engine,
        json!({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ab"}]}}),
    )
    .unwrap();
}

#[test]
fn operator_names_are_case_sensitive_and_checked_against_the_enum() {
    let engine = engine();
    assert_eq!(
        refused(delete_expecting(&engine, json!({"a": {"ComparisonOperator": "eq", "AttributeValueList": [{"N": "5"}]}}))),
        "1 validation error detected: Value 'eq' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [EQ, NE, IN, LE, LT, GE, GT, BETWEEN, NOT_NULL, NULL, CONTAINS, NOT_CONTAINS, BEGINS_WITH]"
    );
}

#[test]
fn conditional_operator_needs_two_or_more_entries() {
    let engine = engine();
    let message = "ConditionalOperator can only be used when Filter or Expected has two or more elements";
    let scan = call(
        &engine,
        "Scan",
        json!({"TableName": "legacy", "ScanFilter": {"a": {"ComparisonOperator": "NOT_NULL"}}, "ConditionalOperator": "AND"}),
    );
    assert_eq!(refused(scan), message);
    let without_expected = call(
        &engine,
        "DeleteItem",
        json!({"TableName": "legacy", "Key": {"pk": {"S": "k"}, "sk": {"N": "1"}}, "ConditionalOperator": "OR"}),
    );
    assert_eq!(refused(without_expected), message);
    let two = call(
        &engine,
        "Scan",
        json!({"TableName": "legacy", "ScanFilter": {"a": {"ComparisonOperator": "NOT_NULL"}, "s": {"ComparisonOperator": "NULL"}}, "ConditionalOperator": "OR"}),
    )
    .unwrap();
    assert_eq!(two["Count"], 1);
}

#[test]
fn legacy_filter_errors_come_without_the_envelope() {
    let engine = engine();
    let scan = call(
        &engine,
        "Scan",
        json!({"TableName": "legacy", "ScanFilter": {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}]}}}),
    );
    assert_eq!(
        refused(scan),
        "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"
    );
}

#[test]
fn query_filter_cannot_name_a_key_attribute() {
    let engine = engine();
    let query = |filter: Value| {
        call(
            &engine,
            "Query",
            json!({"TableName": "legacy", "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "k"}]}},
                   "QueryFilter": filter}),
        )
    };
    assert_eq!(
        refused(query(json!({"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}}))),
        "One or more parameter values were invalid: QueryFilter can only contain non-key attributes: Primary key attribute: sk"
    );
    assert_eq!(
        query(json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "5"}]}})).unwrap()["Count"],
        1
    );
}

#[test]
fn empty_attributes_to_get_fails_the_length_constraint() {
    let engine = engine();
    for operation in ["Scan", "GetItem"] {
        let mut body = json!({"TableName": "legacy", "AttributesToGet": []});
        if operation == "GetItem" {
            body["Key"] = json!({"pk": {"S": "k"}, "sk": {"N": "1"}});
        }
        assert_eq!(
            refused(call(&engine, operation, body)),
            "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "{operation}"
        );
    }
}

#[test]
fn legacy_and_expression_parameters_cannot_be_mixed() {
    let engine = engine();
    let scan = call(
        &engine,
        "Scan",
        json!({"TableName": "legacy", "AttributesToGet": ["a"], "ProjectionExpression": "a"}),
    );
    assert_eq!(
        refused(scan),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
    );
}

#[test]
fn key_conditions_with_a_projection_expression_is_allowed() {
    let engine = engine();
    let out = call(
        &engine,
        "Query",
        json!({"TableName": "legacy", "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "k"}]}},
               "ProjectionExpression": "a"}),
    );
    assert_eq!(out.unwrap()["Items"], json!([{"a": {"N": "5"}}]));
}

#[test]
fn key_conditions_with_a_key_condition_expression_is_refused() {
    let engine = engine();
    let out = call(
        &engine,
        "Query",
        json!({"TableName": "legacy", "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "k"}]}},
               "KeyConditionExpression": "pk = :k", "ExpressionAttributeValues": {":k": {"S": "k"}}}),
    );
    assert_eq!(
        refused(out),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"
    );
}
