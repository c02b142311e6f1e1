//! TagResource and UntagResource rules with AWS's messages (issue 13, area 6),
//! as probed against DynamoDB in 2026.

mod common;

use common::{call, memory_engine};
use serde_json::{json, Value};

const ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/tagged";

fn engine() -> cairn_engine::Engine {
    let engine = memory_engine();
    common::create_simple_table(&engine, "tagged");
    engine
}

fn tag(engine: &cairn_engine::Engine, tags: Value) -> Result<Value, (String, String)> {
    call(engine, "TagResource", json!({"ResourceArn": ARN, "Tags": tags}))
}

fn refused(result: Result<Value, (String, String)>) -> String {
    let (kind, message) = result.expect_err("should be refused");
    assert_eq!(kind, "ValidationException", "{message}");
    message
}

#[test]
fn an_empty_tag_list_is_refused() {
    let engine = engine();
    assert_eq!(
        refused(tag(&engine, json!([]))),
        "Atleast one Tag needs to be provided as Input."
    );
    let untag = call(&engine, "UntagResource", json!({"ResourceArn": ARN, "TagKeys": []}));
    assert_eq!(refused(untag), "Atleast one Tag Key needs to be provided as Input.");
}

#[test]
fn tag_keys_and_values_use_the_allowed_characters() {
    let engine = engine();
    assert_eq!(
        refused(tag(&engine, json!([{"Key": "bad#char", "Value": "v"}]))),
        "The Tag Key provided is invalid, Key: bad#char"
    );
    assert_eq!(
        refused(tag(&engine, json!([{"Key": "ok", "Value": "no;semicolons"}]))),
        "The Tag Value provided is invalid, Value: no;semicolons"
    );
    tag(
        &engine,
        json!([{"Key": "team name+/=._:@", "Value": "Ünïcode 42"}, {"Key": "empty", "Value": ""}]),
    )
    .unwrap();
    let listed = call(&engine, "ListTagsOfResource", json!({"ResourceArn": ARN})).unwrap();
    assert_eq!(listed["Tags"].as_array().unwrap().len(), 2);
}

#[test]
fn the_aws_prefix_is_reserved() {
    let engine = engine();
    assert_eq!(
        refused(tag(&engine, json!([{"Key": "AWS:owner", "Value": "v"}]))),
        "Tag Key cannot be prefixed with aws:, Key: AWS:owner"
    );
    let untag = call(
        &engine,
        "UntagResource",
        json!({"ResourceArn": ARN, "TagKeys": ["aws:x"]}),
    );
    assert_eq!(refused(untag), "Tag Key cannot be prefixed with aws:, Key: aws:x");
}

#[test]
fn a_key_may_appear_once_per_request() {
    let engine = engine();
    assert_eq!(
        refused(tag(
            &engine,
            json!([{"Key": "dup", "Value": "a"}, {"Key": "dup", "Value": "b"}])
        )),
        "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup"
    );
}

#[test]
fn a_resource_holds_at_most_50_tags() {
    let engine = engine();
    let fifty: Vec<Value> = (0..50).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect();
    tag(&engine, json!(fifty)).unwrap();
    // Overwriting existing keys keeps the count at 50.
    tag(&engine, json!([{"Key": "k0", "Value": "w"}])).unwrap();
    assert_eq!(
        refused(tag(&engine, json!([{"Key": "k50", "Value": "v"}]))),
        "Number of Tags exceed the current limit for the provided ResourceArn"
    );
}

#[test]
fn malformed_resource_arns_are_refused_with_their_own_messages() {
    let engine = engine();
    let on = |arn: &str| call(&engine, "ListTagsOfResource", json!({"ResourceArn": arn}));
    assert_eq!(
        refused(on("not-a-valid-arn")),
        "One or more parameter values were invalid: ARNs must start with 'arn:': not-a-valid-arn"
    );
    let index = format!("{ARN}/index/by_x");
    assert_eq!(
        refused(on(&index)),
        format!("One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {index}")
    );
}
