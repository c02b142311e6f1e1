//! Fine-grained access control end to end, over HTTP with SDK-signed requests: alice
//! may read and write only items whose partition key is her user name, and only the
//! attributes `pk`, `title` and `email` — the policy AWS's developer guide shows.

mod common;

use aws_sdk_dynamodb::types::Select;
use aws_sdk_dynamodb::Client;
use common::{error_of, s, TestServer};
use serde_json::json;

const TABLE: &str = "profiles";

async fn start() -> (TestServer, Client, Client) {
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        "Resource": format!("arn:aws:dynamodb:us-east-1:000000000000:table/{TABLE}"),
        "Condition": {
            "ForAllValues:StringEquals": {
                "dynamodb:LeadingKeys": ["${aws:username}"],
                "dynamodb:Attributes": ["pk", "title", "email"]
            },
            "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
        }
    }]});
    let server = TestServer::start_secured(json!({"principals": [
        {"name": "admin", "access_key_id": "AKIAADMIN", "secret_access_key": "admin-secret"},
        {"name": "alice", "access_key_id": "AKIAALICE", "secret_access_key": "alice-secret", "policies": [policy]}
    ]}))
    .await;
    let admin = server.client_as("AKIAADMIN", "admin-secret", None, "us-east-1");
    common::create_table(&admin, TABLE, None).await;
    for who in ["alice", "bob"] {
        admin
            .put_item()
            .table_name(TABLE)
            .item("pk", s(who))
            .item("title", s("engineer"))
            .item("salary", s("secret"))
            .send()
            .await
            .unwrap();
    }
    let alice = server.client_as("AKIAALICE", "alice-secret", None, "us-east-1");
    (server, admin, alice)
}

fn denied(code: &str, message: &str, action: &str) {
    assert_eq!(code, "AccessDeniedException", "{message}");
    assert_eq!(
        message,
        format!("User: arn:aws:iam::000000000000:user/alice is not authorized to perform: dynamodb:{action} on resource: arn:aws:dynamodb:us-east-1:000000000000:table/{TABLE} because no identity-based policy allows the dynamodb:{action} action")
    );
}

#[tokio::test]
async fn alice_reads_allowed_attributes_of_her_own_item() {
    let (_server, _, alice) = start().await;
    let got = alice
        .get_item()
        .table_name(TABLE)
        .key("pk", s("alice"))
        .projection_expression("pk, title")
        .send()
        .await
        .unwrap();
    let item = got.item.unwrap();
    assert_eq!(item.get("title"), Some(&s("engineer")));
    assert!(!item.contains_key("salary"));
}

#[tokio::test]
async fn alice_cannot_read_bobs_item() {
    let (_server, _, alice) = start().await;
    let (code, message) = error_of(
        alice
            .get_item()
            .table_name(TABLE)
            .key("pk", s("bob"))
            .projection_expression("title")
            .send()
            .await,
    );
    denied(&code, &message, "GetItem");
}

#[tokio::test]
async fn alice_cannot_read_whole_items() {
    let (_server, _, alice) = start().await;
    let (code, message) = error_of(alice.get_item().table_name(TABLE).key("pk", s("alice")).send().await);
    denied(&code, &message, "GetItem");
}

#[tokio::test]
async fn alice_cannot_project_a_forbidden_attribute() {
    let (_server, _, alice) = start().await;
    let (code, message) = error_of(
        alice
            .get_item()
            .table_name(TABLE)
            .key("pk", s("alice"))
            .projection_expression("title, salary")
            .send()
            .await,
    );
    denied(&code, &message, "GetItem");
}

#[tokio::test]
async fn alice_queries_her_partition_with_specific_attributes() {
    let (_server, _, alice) = start().await;
    let page = alice
        .query()
        .table_name(TABLE)
        .key_condition_expression("pk = :me")
        .expression_attribute_values(":me", s("alice"))
        .select(Select::SpecificAttributes)
        .projection_expression("pk, title")
        .send()
        .await
        .unwrap();
    assert_eq!(page.count, 1);
    let (code, message) = error_of(
        alice
            .query()
            .table_name(TABLE)
            .key_condition_expression("pk = :other")
            .expression_attribute_values(":other", s("bob"))
            .projection_expression("pk, title")
            .send()
            .await,
    );
    denied(&code, &message, "Query");
}

#[tokio::test]
async fn alice_cannot_scan() {
    let (_server, _, alice) = start().await;
    let (code, message) = error_of(alice.scan().table_name(TABLE).projection_expression("pk").send().await);
    denied(&code, &message, "Scan");
}

#[tokio::test]
async fn alice_writes_only_allowed_attributes_of_her_own_item() {
    let (_server, admin, alice) = start().await;
    alice
        .put_item()
        .table_name(TABLE)
        .item("pk", s("alice"))
        .item("email", s("alice@example.com"))
        .send()
        .await
        .unwrap();
    let (code, message) = error_of(
        alice
            .put_item()
            .table_name(TABLE)
            .item("pk", s("alice"))
            .item("salary", s("a million"))
            .send()
            .await,
    );
    denied(&code, &message, "PutItem");
    let (code, message) = error_of(
        alice
            .put_item()
            .table_name(TABLE)
            .item("pk", s("bob"))
            .item("title", s("fired"))
            .send()
            .await,
    );
    denied(&code, &message, "PutItem");
    let bob = admin
        .get_item()
        .table_name(TABLE)
        .key("pk", s("bob"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        bob.get("title"),
        Some(&s("engineer")),
        "the denied write changed nothing"
    );
    let own = admin
        .get_item()
        .table_name(TABLE)
        .key("pk", s("alice"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(own.get("email"), Some(&s("alice@example.com")));
    assert!(!own.contains_key("salary"));
}
