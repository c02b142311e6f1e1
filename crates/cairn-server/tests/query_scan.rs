//! Query and Scan through the AWS SDK: key conditions and sort order, paging,
//! 1 MB pages, filters and parallel scans.

mod common;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue as Av, ScalarAttributeType, Select};
use aws_sdk_dynamodb::Client;
use common::{create_table, error_of, n, s, TestServer};
use std::collections::{HashMap, HashSet};

async fn query_sks(client: &Client, table: &str, condition: &str, values: &[(&str, Av)], forward: bool) -> Vec<Av> {
    let mut request = client
        .query()
        .table_name(table)
        .key_condition_expression(condition)
        .scan_index_forward(forward);
    for (k, v) in values {
        request = request.expression_attribute_values(*k, v.clone());
    }
    request
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .map(|i| i["sk"].clone())
        .collect()
}

#[tokio::test]
async fn sort_keys_order_numerically_and_by_bytes() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "nums", Some(ScalarAttributeType::N)).await;
    let numbers = ["-100", "-1.5", "0", "0.001", "2", "10", "100", "1E+20"];
    for v in numbers {
        client
            .put_item()
            .table_name("nums")
            .item("pk", s("p"))
            .item("sk", n(v))
            .send()
            .await
            .unwrap();
    }
    client
        .put_item()
        .table_name("nums")
        .item("pk", s("other"))
        .item("sk", n("5"))
        .send()
        .await
        .unwrap();
    let forward = query_sks(&client, "nums", "pk = :p", &[(":p", s("p"))], true).await;
    let canonical = ["-100", "-1.5", "0", "0.001", "2", "10", "100", "100000000000000000000"];
    assert_eq!(forward, canonical.iter().map(|v| n(v)).collect::<Vec<_>>());
    let backward = query_sks(&client, "nums", "pk = :p", &[(":p", s("p"))], false).await;
    assert_eq!(backward, canonical.iter().rev().map(|v| n(v)).collect::<Vec<_>>());
    let between = query_sks(
        &client,
        "nums",
        "pk = :p AND sk BETWEEN :a AND :b",
        &[(":p", s("p")), (":a", n("0")), (":b", n("10"))],
        true,
    )
    .await;
    assert_eq!(
        between,
        ["0", "0.001", "2", "10"].iter().map(|v| n(v)).collect::<Vec<_>>()
    );
    let below = query_sks(
        &client,
        "nums",
        "pk = :p AND sk < :z",
        &[(":p", s("p")), (":z", n("0"))],
        true,
    )
    .await;
    assert_eq!(below, vec![n("-100"), n("-1.5")]);

    create_table(&client, "strs", Some(ScalarAttributeType::S)).await;
    for v in ["b", "a", "ab", "B", "é", "a\u{0}"] {
        client
            .put_item()
            .table_name("strs")
            .item("pk", s("p"))
            .item("sk", s(v))
            .send()
            .await
            .unwrap();
    }
    let sorted = query_sks(&client, "strs", "pk = :p", &[(":p", s("p"))], true).await;
    assert_eq!(
        sorted,
        ["B", "a", "a\u{0}", "ab", "b", "é"]
            .iter()
            .map(|v| s(v))
            .collect::<Vec<_>>()
    );
    let prefixed = query_sks(
        &client,
        "strs",
        "pk = :p AND begins_with(sk, :a)",
        &[(":p", s("p")), (":a", s("a"))],
        true,
    )
    .await;
    assert_eq!(prefixed, vec![s("a"), s("a\u{0}"), s("ab")]);

    create_table(&client, "bins", Some(ScalarAttributeType::B)).await;
    for v in [vec![0x80u8], vec![0x01], vec![0x01, 0x00], vec![0xFF]] {
        client
            .put_item()
            .table_name("bins")
            .item("pk", s("p"))
            .item("sk", Av::B(Blob::new(v)))
            .send()
            .await
            .unwrap();
    }
    let bins = query_sks(&client, "bins", "pk = :p", &[(":p", s("p"))], true).await;
    let expected: Vec<Av> = [vec![0x01u8], vec![0x01, 0x00], vec![0x80], vec![0xFF]]
        .into_iter()
        .map(|b| Av::B(Blob::new(b)))
        .collect();
    assert_eq!(bins, expected, "binary sorts by unsigned bytes");
}

#[tokio::test]
async fn limit_paging_and_filters_count_what_was_read() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pages", Some(ScalarAttributeType::N)).await;
    for i in 0..25 {
        client
            .put_item()
            .table_name("pages")
            .item("pk", s("p"))
            .item("sk", n(&i.to_string()))
            .item("even", Av::Bool(i % 2 == 0))
            .send()
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut start: Option<HashMap<String, Av>> = None;
    let mut pages = 0;
    loop {
        let out = client
            .query()
            .table_name("pages")
            .key_condition_expression("pk = :p")
            .filter_expression("even = :t")
            .expression_attribute_values(":p", s("p"))
            .expression_attribute_values(":t", Av::Bool(true))
            .limit(10)
            .set_exclusive_start_key(start.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.scanned_count() <= 10, "Limit bounds items read, not items returned");
        seen.extend(out.items().iter().map(|i| i["sk"].clone()));
        match out.last_evaluated_key() {
            Some(k) => {
                assert_eq!(k.len(), 2, "a table's LastEvaluatedKey is its key");
                start = Some(k.clone());
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        (0..25)
            .filter(|i| i % 2 == 0)
            .map(|i| n(&i.to_string()))
            .collect::<Vec<_>>()
    );

    let count = client
        .query()
        .table_name("pages")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .select(Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!((count.count(), count.scanned_count()), (25, 25));
    assert!(count.items.is_none());

    let (_, message) = error_of(
        client
            .query()
            .table_name("pages")
            .key_condition_expression("sk = :s")
            .expression_attribute_values(":s", n("1"))
            .send()
            .await,
    );
    assert_eq!(message, "Query condition missed key schema element: pk");
    let (_, message) = error_of(
        client
            .query()
            .table_name("pages")
            .key_condition_expression("pk = :p")
            .filter_expression("sk > :s")
            .expression_attribute_values(":p", s("p"))
            .expression_attribute_values(":s", n("1"))
            .send()
            .await,
    );
    assert_eq!(
        message,
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    );
}

#[tokio::test]
async fn a_page_stops_after_one_megabyte_read() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "big", Some(ScalarAttributeType::N)).await;
    let payload = "x".repeat(100 * 1024);
    for i in 0..15 {
        client
            .put_item()
            .table_name("big")
            .item("pk", s("p"))
            .item("sk", n(&i.to_string()))
            .item("v", s(&payload))
            .send()
            .await
            .unwrap();
    }
    let first = client
        .query()
        .table_name("big")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .unwrap();
    assert!(
        first.count() < 15 && first.count() >= 10,
        "{} items in the first page",
        first.count()
    );
    assert!(first.last_evaluated_key().is_some());
    let scan = client.scan().table_name("big").send().await.unwrap();
    assert_eq!(scan.count(), first.count(), "Scan pages by the same 1 MB rule");
}

#[tokio::test]
async fn parallel_scan_segments_are_disjoint_and_complete() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "wide", None).await;
    for i in 0..300 {
        client
            .put_item()
            .table_name("wide")
            .item("pk", s(&format!("item-{i}")))
            .send()
            .await
            .unwrap();
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for segment in 0..7 {
        let out = client
            .scan()
            .table_name("wide")
            .segment(segment)
            .total_segments(7)
            .send()
            .await
            .unwrap();
        for item in out.items() {
            total += 1;
            seen.insert(item["pk"].as_s().unwrap().clone());
        }
    }
    assert_eq!((total, seen.len()), (300, 300));
    let (_, message) = error_of(
        client
            .scan()
            .table_name("wide")
            .segment(7)
            .total_segments(7)
            .send()
            .await,
    );
    assert_eq!(message, "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 7 is not less than TotalSegments: 7");
}
