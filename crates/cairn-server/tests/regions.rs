//! Regions are namespaces, as in DynamoDB: the region a request is signed for picks
//! which tables it sees. The same name in two regions is two tables, each with its
//! own items, streams, tags and quota (issue 12).

mod common;

use common::TestServer;

async fn create(client: &aws_sdk_dynamodb::Client, name: &str) {
    common::create_table(client, name, None).await;
}

async fn put(client: &aws_sdk_dynamodb::Client, table: &str, pk: &str) {
    client
        .put_item()
        .table_name(table)
        .item("pk", common::s(pk))
        .send()
        .await
        .unwrap();
}

/// Whether the item with key `pk` is in `table` as `client`'s region sees it.
async fn holds(client: &aws_sdk_dynamodb::Client, table: &str, pk: &str) -> bool {
    let got = client
        .get_item()
        .table_name(table)
        .key("pk", common::s(pk))
        .send()
        .await
        .unwrap();
    got.item.is_some()
}

#[tokio::test]
async fn the_same_table_name_in_two_regions_is_two_tables() {
    let server = TestServer::start().await;
    let east = server.client_in("us-east-1");
    let west = server.client_in("eu-west-1");
    create(&east, "orders").await;
    create(&west, "orders").await;
    put(&east, "orders", "east-only").await;
    assert!(!holds(&west, "orders", "east-only").await);
    assert!(holds(&east, "orders", "east-only").await);
}

#[tokio::test]
async fn a_table_is_not_found_from_another_region() {
    let server = TestServer::start().await;
    let east = server.client_in("us-east-1");
    let west = server.client_in("eu-west-1");
    create(&east, "ledger").await;
    let (code, message) = common::error_of(west.describe_table().table_name("ledger").send().await);
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(message, "Requested resource not found: Table: ledger not found");
    let (code, _) = common::error_of(
        west.put_item()
            .table_name("ledger")
            .item("pk", common::s("x"))
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    east.describe_table().table_name("ledger").send().await.unwrap();
}

#[tokio::test]
async fn list_tables_shows_only_the_callers_region() {
    let server = TestServer::start().await;
    let east = server.client_in("us-east-1");
    let west = server.client_in("eu-west-1");
    create(&east, "alpha").await;
    create(&west, "beta").await;
    assert_eq!(east.list_tables().send().await.unwrap().table_names(), ["alpha"]);
    assert_eq!(west.list_tables().send().await.unwrap().table_names(), ["beta"]);
}

#[tokio::test]
async fn deleting_a_table_in_one_region_leaves_its_namesake_elsewhere() {
    let server = TestServer::start().await;
    let east = server.client_in("us-east-1");
    let west = server.client_in("eu-west-1");
    create(&east, "shared").await;
    create(&west, "shared").await;
    put(&west, "shared", "w").await;
    east.delete_table().table_name("shared").send().await.unwrap();
    assert!(holds(&west, "shared", "w").await);
    let (code, _) = common::error_of(east.describe_table().table_name("shared").send().await);
    assert_eq!(code, "ResourceNotFoundException");
}
