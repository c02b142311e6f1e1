//! Secondary indexes through the AWS SDK: sparse GSIs and LSIs maintained by every
//! write, online GSI creation, multi-attribute GSI keys, and index capacity.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeyType, LocalSecondaryIndex, Projection, ProjectionType,
    ScalarAttributeType, Select,
};
use common::{attr, create_table, error_of, key_element, n, s, TestServer};

#[tokio::test]
async fn sparse_gsi_and_lsi_are_maintained_with_every_write() {
    let server = TestServer::start().await;
    let client = server.client();
    client
        .create_table()
        .table_name("orders")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("sk", ScalarAttributeType::S))
        .attribute_definitions(attr("status", ScalarAttributeType::S))
        .attribute_definitions(attr("total", ScalarAttributeType::N))
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_status")
                .key_schema(key_element("status", KeyType::Hash))
                .key_schema(key_element("total", KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_total")
                .key_schema(key_element("pk", KeyType::Hash))
                .key_schema(key_element("total", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .non_key_attributes("note")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let put = |sk: &str, status: Option<&str>, total: &str| {
        let mut r = client
            .put_item()
            .table_name("orders")
            .item("pk", s("cust"))
            .item("sk", s(sk))
            .item("total", n(total))
            .item("note", s("n"))
            .item("extra", s("e"));
        if let Some(st) = status {
            r = r.item("status", s(st));
        }
        r.send()
    };
    put("o1", Some("open"), "30").await.unwrap();
    put("o2", Some("open"), "10").await.unwrap();
    put("o3", None, "20").await.unwrap(); // no status: absent from the GSI
    let open = client
        .query()
        .table_name("orders")
        .index_name("by_status")
        .key_condition_expression("#s = :open")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":open", s("open"))
        .send()
        .await
        .unwrap();
    let sks: Vec<&Av> = open.items().iter().map(|i| &i["sk"]).collect();
    assert_eq!(sks, vec![&s("o2"), &s("o1")], "ordered by the index sort key");
    assert!(
        open.items().iter().all(|i| i.len() == 4 && !i.contains_key("note")),
        "KEYS_ONLY projects table and index keys"
    );

    // Moving an item out of the index and changing its sort key updates the index.
    client
        .update_item()
        .table_name("orders")
        .key("pk", s("cust"))
        .key("sk", s("o1"))
        .update_expression("REMOVE #s")
        .expression_attribute_names("#s", "status")
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name("orders")
        .key("pk", s("cust"))
        .key("sk", s("o2"))
        .update_expression("SET #t = :t")
        .expression_attribute_names("#t", "total")
        .expression_attribute_values(":t", n("99"))
        .send()
        .await
        .unwrap();
    let open = client
        .scan()
        .table_name("orders")
        .index_name("by_status")
        .send()
        .await
        .unwrap();
    assert_eq!(open.count(), 1);
    assert_eq!(open.items()[0]["total"], n("99"));

    let by_total = client
        .query()
        .table_name("orders")
        .index_name("by_total")
        .key_condition_expression("pk = :c")
        .expression_attribute_values(":c", s("cust"))
        .send()
        .await
        .unwrap();
    let totals: Vec<&Av> = by_total.items().iter().map(|i| &i["total"]).collect();
    assert_eq!(totals, vec![&n("20"), &n("30"), &n("99")]);
    assert!(
        by_total
            .items()
            .iter()
            .all(|i| i.contains_key("note") && !i.contains_key("extra")),
        "INCLUDE projects the named attributes"
    );
    let last = by_total.last_evaluated_key();
    assert!(last.is_none());
    let full = client
        .query()
        .table_name("orders")
        .index_name("by_total")
        .key_condition_expression("pk = :c")
        .expression_attribute_values(":c", s("cust"))
        .select(Select::AllAttributes)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert!(
        full.items()[0].contains_key("extra"),
        "an LSI can fetch every attribute from the table"
    );
    assert_eq!(
        full.last_evaluated_key().unwrap().len(),
        3,
        "an index LastEvaluatedKey carries table and index keys"
    );

    client
        .delete_item()
        .table_name("orders")
        .key("pk", s("cust"))
        .key("sk", s("o2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .scan()
            .table_name("orders")
            .index_name("by_status")
            .send()
            .await
            .unwrap()
            .count(),
        0
    );
    let (_, message) = error_of(
        client
            .query()
            .table_name("orders")
            .index_name("by_status")
            .key_condition_expression("#s = :o")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":o", s("open"))
            .consistent_read(true)
            .send()
            .await,
    );
    assert_eq!(
        message,
        "Consistent reads are not supported on global secondary indexes"
    );
}

#[tokio::test]
async fn a_gsi_added_later_is_backfilled_online() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "late", None).await;
    for i in 0..600 {
        client
            .put_item()
            .table_name("late")
            .item("pk", s(&format!("k{i}")))
            .item("color", s(if i % 3 == 0 { "red" } else { "blue" }))
            .send()
            .await
            .unwrap();
    }
    client
        .update_table()
        .table_name("late")
        .attribute_definitions(attr("color", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_color")
                        .key_schema(key_element("color", KeyType::Hash))
                        .projection(Projection::builder().projection_type(ProjectionType::All).build())
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let described = client
        .describe_table()
        .table_name("late")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let index = &described.global_secondary_indexes()[0];
    assert_eq!(index.index_status(), Some(&IndexStatus::Creating));
    assert_eq!(index.backfilling(), Some(true));
    // Writes during the backfill are indexed too.
    client
        .put_item()
        .table_name("late")
        .item("pk", s("during"))
        .item("color", s("red"))
        .send()
        .await
        .unwrap();
    for _ in 0..200 {
        let table = client
            .describe_table()
            .table_name("late")
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        if table.global_secondary_indexes()[0].index_status() == Some(&IndexStatus::Active) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let red = client
        .query()
        .table_name("late")
        .index_name("by_color")
        .key_condition_expression("color = :r")
        .expression_attribute_values(":r", s("red"))
        .send()
        .await
        .unwrap();
    assert_eq!(red.count(), 201);
}

#[tokio::test]
async fn index_writes_and_reads_are_charged_to_the_index() {
    use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
    let server = TestServer::start().await;
    let client = server.client();
    client
        .create_table()
        .table_name("charged")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_g")
                .key_schema(key_element("g", KeyType::Hash))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let put = |g: &str| {
        client
            .put_item()
            .table_name("charged")
            .item("pk", s("k"))
            .item("g", s(g))
            .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
            .send()
    };
    let first = put("a").await.unwrap().consumed_capacity.unwrap();
    assert_eq!(
        first.capacity_units(),
        Some(2.0),
        "one unit for the item, one for the new index entry"
    );
    assert_eq!(first.table().and_then(|t| t.capacity_units()), Some(1.0));
    assert_eq!(
        first.global_secondary_indexes().unwrap()["by_g"].capacity_units(),
        Some(1.0)
    );
    let moved = put("b").await.unwrap().consumed_capacity.unwrap();
    assert_eq!(
        moved.capacity_units(),
        Some(3.0),
        "a changed index key deletes one entry and writes another"
    );
    let untouched = client
        .put_item()
        .table_name("charged")
        .item("pk", s("other"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap()
        .consumed_capacity
        .unwrap();
    assert_eq!(
        untouched.capacity_units(),
        Some(1.0),
        "an item outside a sparse index costs the index nothing"
    );
    let read = client
        .query()
        .table_name("charged")
        .index_name("by_g")
        .key_condition_expression("g = :b")
        .expression_attribute_values(":b", s("b"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap()
        .consumed_capacity
        .unwrap();
    assert_eq!(
        read.global_secondary_indexes().unwrap()["by_g"].capacity_units(),
        Some(0.5)
    );
    assert_eq!(read.table().and_then(|t| t.capacity_units()), Some(0.0));
}

#[tokio::test]
async fn multi_attribute_gsi_keys_partition_and_sort_by_several_attributes() {
    let server = TestServer::start().await;
    let client = server.client();
    client
        .create_table()
        .table_name("matches")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("id", ScalarAttributeType::S))
        .attribute_definitions(attr("tournament", ScalarAttributeType::S))
        .attribute_definitions(attr("region", ScalarAttributeType::S))
        .attribute_definitions(attr("round", ScalarAttributeType::N))
        .attribute_definitions(attr("bracket", ScalarAttributeType::S))
        .key_schema(key_element("id", KeyType::Hash))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by_event")
                .key_schema(key_element("tournament", KeyType::Hash))
                .key_schema(key_element("region", KeyType::Hash))
                .key_schema(key_element("round", KeyType::Range))
                .key_schema(key_element("bracket", KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let described = client
        .describe_table()
        .table_name("matches")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(described.global_secondary_indexes()[0].key_schema().len(), 4);
    let rows = [
        ("m1", "winter", "eu", "2", "upper"),
        ("m2", "winter", "eu", "1", "lower"),
        ("m3", "winter", "eu", "1", "upper"),
        ("m4", "winter", "na", "1", "upper"),
        ("m5", "summer", "eu", "1", "upper"),
    ];
    for (id, t, r, round, b) in rows {
        client
            .put_item()
            .table_name("matches")
            .item("id", s(id))
            .item("tournament", s(t))
            .item("region", s(r))
            .item("round", n(round))
            .item("bracket", s(b))
            .send()
            .await
            .unwrap();
    }
    // Missing one key attribute: not in the index.
    client
        .put_item()
        .table_name("matches")
        .item("id", s("m6"))
        .item("tournament", s("winter"))
        .item("round", n("1"))
        .item("bracket", s("upper"))
        .send()
        .await
        .unwrap();

    let query = |condition: &str, values: Vec<(&str, Av)>| {
        let mut q = client
            .query()
            .table_name("matches")
            .index_name("by_event")
            .key_condition_expression(condition)
            .expression_attribute_names("#r", "region");
        for (k, v) in values {
            q = q.expression_attribute_values(k, v);
        }
        q
    };
    let ids = |out: &aws_sdk_dynamodb::operation::query::QueryOutput| -> Vec<String> {
        out.items().iter().map(|i| i["id"].as_s().unwrap().clone()).collect()
    };
    let all = query(
        "tournament = :t AND #r = :r",
        vec![(":t", s("winter")), (":r", s("eu"))],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(ids(&all), vec!["m2", "m3", "m1"], "ordered by round, then bracket");
    let round_one = client
        .query()
        .table_name("matches")
        .index_name("by_event")
        .key_condition_expression("tournament = :t AND #r = :r AND round = :one AND begins_with(bracket, :u)")
        .expression_attribute_names("#r", "region")
        .expression_attribute_values(":t", s("winter"))
        .expression_attribute_values(":r", s("eu"))
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":u", s("up"))
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&round_one), vec!["m3"]);
    let paged = client
        .query()
        .table_name("matches")
        .index_name("by_event")
        .key_condition_expression("tournament = :t AND #r = :r AND round >= :one")
        .expression_attribute_names("#r", "region")
        .expression_attribute_values(":t", s("winter"))
        .expression_attribute_values(":r", s("eu"))
        .expression_attribute_values(":one", n("1"))
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        paged.last_evaluated_key().unwrap().len(),
        5,
        "table key plus all four index key attributes"
    );

    let (_, message) = error_of(
        client
            .query()
            .table_name("matches")
            .index_name("by_event")
            .key_condition_expression("tournament = :t")
            .expression_attribute_values(":t", s("winter"))
            .send()
            .await,
    );
    assert_eq!(message, "Query condition missed key schema element: region");
    let (code, _) = error_of(
        client
            .query()
            .table_name("matches")
            .index_name("by_event")
            .key_condition_expression("tournament = :t AND #r = :r AND bracket = :b")
            .expression_attribute_names("#r", "region")
            .expression_attribute_values(":t", s("winter"))
            .expression_attribute_values(":r", s("eu"))
            .expression_attribute_values(":b", s("upper"))
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException", "a sort attribute cannot be skipped");
    let scanned = client
        .scan()
        .table_name("matches")
        .index_name("by_event")
        .send()
        .await
        .unwrap();
    assert_eq!(scanned.count(), 5, "an item missing a key attribute is not indexed");
}
