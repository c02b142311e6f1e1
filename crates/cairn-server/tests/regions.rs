//! Regions are namespaces, as in DynamoDB: the region a request is signed for picks
//! which tables it sees. The same name in two regions is two tables, each with its
//! own items, streams, tags and quota (issue 12).

mod common;

use common::TestServer;

async fn create(client: &aws_sdk_dynamodb::Client, name: &str) {
    common::create_table(client, name, None).await;
}

#[tokio::test]
async fn the_same_table_name_in_two_regions_is_two_tables() {
    let server = TestServer::start().await;
    let east = server.client_in("us-east-1");
    let west = server.client_in("eu-west-1");
    create(&east, "orders").await;
    create(&west, "orders").await;
    east.put_item()
        .table_name("orders")
        .item("pk", common::s("east-only"))
        .send()
        .await
        .unwrap();
    let in_west = west
        .get_item()
        .table_name("orders")
        .key("pk", common::s("east-only"))
        .send()
        .await
        .unwrap();
    assert!(in_west.item.is_none());
    let in_east = east
        .get_item()
        .table_name("orders")
        .key("pk", common::s("east-only"))
        .send()
        .await
        .unwrap();
    assert!(in_east.item.is_some());
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
    west.put_item()
        .table_name("shared")
        .item("pk", common::s("w"))
        .send()
        .await
        .unwrap();
    east.delete_table().table_name("shared").send().await.unwrap();
    let kept = west
        .get_item()
        .table_name("shared")
        .key("pk", common::s("w"))
        .send()
        .await
        .unwrap();
    assert!(kept.item.is_some());
    let (code, _) = common::error_of(east.describe_table().table_name("shared").send().await);
    assert_eq!(code, "ResourceNotFoundException");
}
