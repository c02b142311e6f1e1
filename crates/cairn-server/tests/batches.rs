//! BatchGetItem and BatchWriteItem through the AWS SDK.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, DeleteRequest, KeysAndAttributes, PutRequest, ReturnConsumedCapacity, WriteRequest,
};
use common::{create_table, error_of, TestServer};
use std::collections::HashMap;

fn key(pk: &str) -> HashMap<String, Av> {
    [("pk".to_string(), Av::S(pk.to_string()))].into()
}

fn put(pk: &str, v: &str) -> WriteRequest {
    let mut item = key(pk);
    item.insert("v".into(), Av::S(v.into()));
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
        .build()
}

fn delete(pk: &str) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(DeleteRequest::builder().set_key(Some(key(pk))).build().unwrap())
        .build()
}

#[tokio::test]
async fn batch_write_then_batch_get_across_tables() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "tab_a", None).await;
    create_table(&client, "tab_b", None).await;
    client
        .put_item()
        .table_name("tab_b")
        .set_item(Some(key("old")))
        .send()
        .await
        .unwrap();
    let written = client
        .batch_write_item()
        .request_items("tab_a", (0..20).map(|i| put(&format!("k{i}"), "x")).collect())
        .request_items("tab_b", vec![put("new", "y"), delete("old")])
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert!(written.unprocessed_items.unwrap_or_default().is_empty());
    let capacities = written.consumed_capacity.unwrap();
    let for_a = capacities.iter().find(|c| c.table_name() == Some("tab_a")).unwrap();
    assert_eq!(for_a.capacity_units(), Some(20.0));

    let read = client
        .batch_get_item()
        .request_items(
            "tab_a",
            KeysAndAttributes::builder()
                .set_keys(Some((0..30).map(|i| key(&format!("k{i}"))).collect()))
                .projection_expression("pk")
                .build()
                .unwrap(),
        )
        .request_items(
            "tab_b",
            KeysAndAttributes::builder()
                .keys(key("new"))
                .keys(key("old"))
                .consistent_read(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let responses = read.responses.unwrap();
    assert_eq!(responses["tab_a"].len(), 20);
    assert!(responses["tab_a"]
        .iter()
        .all(|item| item.len() == 1 && item.contains_key("pk")));
    assert_eq!(responses["tab_b"].len(), 1);
    assert_eq!(responses["tab_b"][0]["v"], Av::S("y".into()));
    assert!(read.unprocessed_keys.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn batch_limits_and_duplicates_are_rejected_before_any_write() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "tbl", None).await;
    let (_, message) = error_of(
        client
            .batch_write_item()
            .request_items("tbl", (0..26).map(|i| put(&format!("k{i}"), "x")).collect())
            .send()
            .await,
    );
    assert!(
        message.contains("Member must have length less than or equal to 25"),
        "{message}"
    );
    let (_, message) = error_of(
        client
            .batch_write_item()
            .request_items("tbl", vec![put("a", "1"), put("b", "1"), delete("a")])
            .send()
            .await,
    );
    assert_eq!(message, "Provided list of item keys contains duplicates");
    let (code, _) = error_of(
        client
            .batch_write_item()
            .request_items("tbl", vec![put("c", "1")])
            .request_items("nope", vec![put("a", "1")])
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");
    let (_, message) = error_of(
        client
            .batch_get_item()
            .request_items(
                "tbl",
                KeysAndAttributes::builder()
                    .set_keys(Some((0..101).map(|i| key(&format!("k{i}"))).collect()))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
    );
    assert_eq!(message, "1 validation error detected: Value at 'RequestItems.tbl.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100");
    let (_, message) = error_of(
        client
            .batch_get_item()
            .request_items(
                "tbl",
                KeysAndAttributes::builder()
                    .keys(key("a"))
                    .keys(key("a"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
    );
    assert_eq!(message, "Provided list of item keys contains duplicates");
    for pk in ["a", "b", "c"] {
        let got = client
            .get_item()
            .table_name("tbl")
            .set_key(Some(key(pk)))
            .send()
            .await
            .unwrap();
        assert!(got.item.is_none(), "no write of a rejected batch was applied ({pk})");
    }
}
