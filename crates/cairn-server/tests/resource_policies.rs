//! PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy and CreateTable's
//! ResourcePolicy: revision ids, ExpectedRevisionId, DynamoDB's messages, and the
//! policy evaluated together with identity policies (either may allow; an explicit
//! deny in either wins).

mod common;

use common::{call, call_as, principal_context};
use serde_json::{json, Value};

const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/shared";
const ALICE: &str = "arn:aws:iam::000000000000:user/alice";

fn engine() -> cairn_engine::Engine {
    let engine = common::memory_engine();
    common::create_simple_table(&engine, "shared");
    engine
}

fn statement(effect: &str, action: &str) -> Value {
    json!({"Effect": effect, "Principal": {"AWS": ALICE}, "Action": action, "Resource": TABLE_ARN})
}

fn policy(statements: Vec<Value>) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn put(engine: &cairn_engine::Engine, document: &str) -> Result<Value, (String, String)> {
    call(
        engine,
        "PutResourcePolicy",
        json!({"ResourceArn": TABLE_ARN, "Policy": document}),
    )
}

#[test]
fn put_then_get_returns_the_document_and_its_revision() {
    let engine = engine();
    let document = policy(vec![statement("Allow", "dynamodb:GetItem")]);
    let revision = put(&engine, &document).unwrap()["RevisionId"]
        .as_str()
        .unwrap()
        .to_string();
    let got = call(&engine, "GetResourcePolicy", json!({"ResourceArn": TABLE_ARN})).unwrap();
    assert_eq!(got["Policy"], document.as_str());
    assert_eq!(got["RevisionId"], revision.as_str());
}

#[test]
fn each_put_makes_a_new_revision() {
    let engine = engine();
    let first = put(&engine, &policy(vec![statement("Allow", "dynamodb:GetItem")])).unwrap()["RevisionId"].clone();
    let second = put(&engine, &policy(vec![statement("Allow", "dynamodb:PutItem")])).unwrap()["RevisionId"].clone();
    assert_ne!(first, second);
}

#[test]
fn get_without_a_policy_is_policy_not_found() {
    let engine = engine();
    assert_eq!(
        call(&engine, "GetResourcePolicy", json!({"ResourceArn": TABLE_ARN})).unwrap_err(),
        (
            "PolicyNotFoundException".to_string(),
            format!("Resource-based policy not found for the provided ResourceArn: {TABLE_ARN}")
        )
    );
}

#[test]
fn delete_without_a_policy_succeeds_with_an_empty_answer() {
    let engine = engine();
    assert_eq!(
        call(&engine, "DeleteResourcePolicy", json!({"ResourceArn": TABLE_ARN})).unwrap(),
        json!({})
    );
}

#[test]
fn delete_removes_the_policy_and_names_its_revision() {
    let engine = engine();
    let revision = put(&engine, &policy(vec![statement("Allow", "dynamodb:GetItem")])).unwrap()["RevisionId"].clone();
    let deleted = call(&engine, "DeleteResourcePolicy", json!({"ResourceArn": TABLE_ARN})).unwrap();
    assert_eq!(deleted["RevisionId"], revision);
    assert_eq!(
        call(&engine, "GetResourcePolicy", json!({"ResourceArn": TABLE_ARN}))
            .unwrap_err()
            .0,
        "PolicyNotFoundException"
    );
}

#[test]
fn a_stale_expected_revision_is_refused_and_changes_nothing() {
    let engine = engine();
    let document = policy(vec![statement("Allow", "dynamodb:GetItem")]);
    let revision = put(&engine, &document).unwrap()["RevisionId"]
        .as_str()
        .unwrap()
        .to_string();
    let stale = call(
        &engine,
        "PutResourcePolicy",
        json!({"ResourceArn": TABLE_ARN, "Policy": policy(vec![statement("Allow", "dynamodb:*")]), "ExpectedRevisionId": "123"}),
    )
    .unwrap_err();
    assert_eq!(stale.0, "PolicyNotFoundException");
    assert_eq!(
        stale.1,
        format!("Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id 123, but the policy associated to target table shared has revision id {revision}.")
    );
    let got = call(&engine, "GetResourcePolicy", json!({"ResourceArn": TABLE_ARN})).unwrap();
    assert_eq!(got["Policy"], document.as_str());
    // The current revision is accepted.
    call(
        &engine,
        "PutResourcePolicy",
        json!({"ResourceArn": TABLE_ARN, "Policy": policy(vec![statement("Allow", "dynamodb:*")]), "ExpectedRevisionId": revision}),
    )
    .unwrap();
}

#[test]
fn an_expected_revision_without_a_policy_is_refused() {
    let engine = engine();
    let e = call(
        &engine,
        "DeleteResourcePolicy",
        json!({"ResourceArn": TABLE_ARN, "ExpectedRevisionId": "42"}),
    )
    .unwrap_err();
    assert_eq!(e.0, "PolicyNotFoundException");
    assert!(
        e.1.ends_with("Requested update for policy with revision id 42, but table shared has no associated policy."),
        "{}",
        e.1
    );
}

#[test]
fn malformed_documents_get_dynamodbs_messages() {
    let engine = engine();
    let cases = [
        ("{not json", "One or more parameter values were invalid: Invalid policy document: This policy contains invalid Json"),
        ("{\"Version\": \"2012-10-17\"}", "One or more parameter values were invalid: Invalid policy document: Could not parse the policy: Statement is empty!"),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"dynamodb:GetItem\", \"Resource\": \"*\"}]}",
            "One or more parameter values were invalid: Invalid principal in policy document.",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"dynamodb:GetItem\"}]}",
            "One or more parameter values were invalid: Invalid policy document: Missing required field Resource",
        ),
    ];
    for (document, message) in cases {
        assert_eq!(
            put(&engine, document).unwrap_err(),
            ("ValidationException".to_string(), message.to_string()),
            "{document}"
        );
    }
    assert!(put(&engine, &policy(vec![statement("Allow", "dynamodb:GetItem")])).is_ok());
}

#[test]
fn a_policy_over_20_kb_is_refused() {
    let engine = engine();
    let padded = format!(
        "{}{}",
        policy(vec![statement("Allow", "dynamodb:GetItem")]),
        " ".repeat(20 * 1024)
    );
    assert_eq!(
        put(&engine, &padded).unwrap_err(),
        (
            "ValidationException".to_string(),
            "One or more parameter values were invalid: Maximum policy size of 20480 bytes exceeded".to_string()
        )
    );
}

#[test]
fn a_missing_table_is_resource_not_found() {
    let engine = engine();
    let e = call(
        &engine,
        "PutResourcePolicy",
        json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/absent", "Policy": policy(vec![statement("Allow", "dynamodb:GetItem")])}),
    )
    .unwrap_err();
    assert_eq!(e.0, "ResourceNotFoundException");
}

#[test]
fn a_resource_policy_alone_can_allow() {
    let engine = engine();
    let alice = principal_context("alice", Some(json!([])));
    let get = json!({"TableName": "shared", "Key": {"pk": {"S": "a"}}});
    assert_eq!(
        call_as(&engine, &alice, "DynamoDB_20120810.GetItem", get.clone())
            .unwrap_err()
            .0,
        "AccessDeniedException"
    );
    put(&engine, &policy(vec![statement("Allow", "dynamodb:GetItem")])).unwrap();
    call_as(&engine, &alice, "DynamoDB_20120810.GetItem", get).unwrap();
    // It allows what it lists, to whom it names.
    let bob = principal_context("bob", Some(json!([])));
    assert_eq!(
        call_as(
            &engine,
            &bob,
            "DynamoDB_20120810.GetItem",
            json!({"TableName": "shared", "Key": {"pk": {"S": "a"}}})
        )
        .unwrap_err()
        .0,
        "AccessDeniedException"
    );
}

#[test]
fn an_explicit_deny_in_the_resource_policy_beats_an_identity_allow() {
    let engine = engine();
    put(&engine, &policy(vec![statement("Deny", "dynamodb:DeleteItem")])).unwrap();
    let alice = principal_context("alice", None);
    let e = call_as(
        &engine,
        &alice,
        "DynamoDB_20120810.DeleteItem",
        json!({"TableName": "shared", "Key": {"pk": {"S": "a"}}}),
    )
    .unwrap_err();
    assert_eq!(
        e,
        (
            "AccessDeniedException".to_string(),
            format!("User: {ALICE} is not authorized to perform: dynamodb:DeleteItem on resource: {TABLE_ARN} with an explicit deny in a resource-based policy")
        )
    );
    call_as(
        &engine,
        &alice,
        "DynamoDB_20120810.PutItem",
        json!({"TableName": "shared", "Item": {"pk": {"S": "a"}}}),
    )
    .unwrap();
}

#[test]
fn a_policy_that_locks_its_author_out_needs_confirmation() {
    let engine = engine();
    let alice = principal_context("alice", None);
    let lockout = policy(vec![statement("Deny", "dynamodb:PutResourcePolicy")]);
    let e = call_as(
        &engine,
        &alice,
        "DynamoDB_20120810.PutResourcePolicy",
        json!({"ResourceArn": TABLE_ARN, "Policy": lockout}),
    )
    .unwrap_err();
    assert_eq!(
        e,
        (
            "AccessDeniedException".to_string(),
            "The new resource policy will not allow you to update the resource policy in the future.".to_string()
        )
    );
    call_as(
        &engine,
        &alice,
        "DynamoDB_20120810.PutResourcePolicy",
        json!({"ResourceArn": TABLE_ARN, "Policy": lockout, "ConfirmRemoveSelfResourceAccess": true}),
    )
    .unwrap();
}

#[test]
fn create_table_attaches_its_resource_policy() {
    let engine = common::memory_engine();
    let document = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem",
        "Resource": "arn:aws:dynamodb:us-east-1:000000000000:table/withpolicy"}]})
    .to_string();
    call(
        &engine,
        "CreateTable",
        json!({
            "TableName": "withpolicy",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "ResourcePolicy": document
        }),
    )
    .unwrap();
    let got = call(
        &engine,
        "GetResourcePolicy",
        json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/withpolicy"}),
    )
    .unwrap();
    assert_eq!(got["Policy"], document.as_str());
}

#[test]
fn create_table_refuses_a_malformed_resource_policy_and_creates_nothing() {
    let engine = common::memory_engine();
    let e = call(
        &engine,
        "CreateTable",
        json!({
            "TableName": "badpolicy",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "ResourcePolicy": "nope"
        }),
    )
    .unwrap_err();
    assert_eq!(
        e.1,
        "One or more parameter values were invalid: Invalid policy document: This policy contains invalid Json"
    );
    assert_eq!(call(&engine, "ListTables", json!({})).unwrap()["TableNames"], json!([]));
}

#[test]
fn a_stream_has_its_own_policy() {
    let engine = common::memory_engine();
    call(
        &engine,
        "CreateTable",
        json!({
            "TableName": "streamed",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}
        }),
    )
    .unwrap();
    let stream = call(&engine, "DescribeTable", json!({"TableName": "streamed"})).unwrap()["Table"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string();
    let document = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "dynamodb:DescribeStream", "Resource": stream}]}).to_string();
    call(
        &engine,
        "PutResourcePolicy",
        json!({"ResourceArn": stream, "Policy": document}),
    )
    .unwrap();
    let alice = principal_context("alice", Some(json!([])));
    call_as(
        &engine,
        &alice,
        "DynamoDBStreams_20120810.DescribeStream",
        json!({"StreamArn": stream}),
    )
    .unwrap();
    assert_eq!(
        call(
            &engine,
            "GetResourcePolicy",
            json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/streamed"})
        )
        .unwrap_err()
        .0,
        "PolicyNotFoundException"
    );
}

#[test]
fn another_accounts_or_longer_spelling_of_the_arn_cannot_remove_a_protective_policy() {
    let engine = engine();
    put(
        &engine,
        &policy(vec![statement("Deny", "dynamodb:DeleteResourcePolicy")]),
    )
    .unwrap();
    let alice = principal_context("alice", None);
    for spelling in [
        "arn:aws:dynamodb:us-east-1:999999999999:table/shared".to_string(),
        format!("{TABLE_ARN}/x"),
        format!("{TABLE_ARN}/x/stream/y"),
    ] {
        let result = call_as(
            &engine,
            &alice,
            "DynamoDB_20120810.DeleteResourcePolicy",
            json!({"ResourceArn": spelling}),
        );
        assert!(result.is_err(), "{spelling}");
        assert!(
            call(&engine, "GetResourcePolicy", json!({"ResourceArn": TABLE_ARN})).is_ok(),
            "{spelling} removed it"
        );
    }
    let e = call_as(
        &engine,
        &alice,
        "DynamoDB_20120810.DeleteResourcePolicy",
        json!({"ResourceArn": TABLE_ARN}),
    )
    .unwrap_err();
    assert_eq!(e.0, "AccessDeniedException");
}
