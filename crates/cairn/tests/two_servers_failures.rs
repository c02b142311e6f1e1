//! Two Cairn servers over one PostgreSQL schema: catalog changes made through one
//! are followed by the other, a server killed under load loses nothing, and the
//! background work moves to the survivor. (Items, transactions, streams and tokens:
//! two_servers.rs.)

mod support;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use std::time::{Duration, Instant};
use support::pair::{create_table, holds_background, pair, pair_with, put};
use support::{all_stream_records, status};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn catalog_changes_through_one_server_show_through_the_other() {
    let Some((a, b)) = pair("catalog").await else { return };
    create_table(&a.client, "sessions", None).await;
    put(&b.client, "sessions", "s1", &[("owner", Av::S("ann".into()))]).await;

    a.client
        .update_time_to_live()
        .table_name("sessions")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ttl = b
        .client
        .describe_time_to_live()
        .table_name("sessions")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description.unwrap().attribute_name.as_deref(),
        Some("expires"),
        "B sees TTL enabled through A"
    );

    // A GSI added through A: B's next writes maintain it and B can query it.
    a.client
        .update_table()
        .table_name("sessions")
        .attribute_definitions(string_attribute("owner"))
        .global_secondary_index_updates(new_index("by_owner", "owner"))
        .send()
        .await
        .unwrap();
    for i in 0..20 {
        put(
            &b.client,
            "sessions",
            &format!("during{i}"),
            &[("owner", Av::S("ann".into()))],
        )
        .await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let table = b
            .client
            .describe_table()
            .table_name("sessions")
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let index = table.global_secondary_indexes.unwrap_or_default();
        if index.first().and_then(|i| i.index_status.as_ref()).map(|s| s.as_str()) == Some("ACTIVE") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the index never became ACTIVE as seen from B"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found = b
        .client
        .query()
        .table_name("sessions")
        .index_name("by_owner")
        .key_condition_expression("#o = :o")
        .expression_attribute_names("#o", "owner")
        .expression_attribute_values(":o", Av::S("ann".into()))
        .send()
        .await
        .unwrap()
        .count;
    assert_eq!(found, 21, "the backfilled item and the 20 written through B meanwhile");

    // Tags and deletion.
    let arn = b
        .client
        .describe_table()
        .table_name("sessions")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .table_arn
        .unwrap();
    a.client
        .tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("team")
                .value("web")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let tags = b
        .client
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags.unwrap_or_default().len(),
        1,
        "B lists the tag added through A"
    );
    a.client.delete_table().table_name("sessions").send().await.unwrap();
    let e = b
        .client
        .put_item()
        .table_name("sessions")
        .item("pk", Av::S("late".into()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        e.is_resource_not_found_exception(),
        "a write through B to a table deleted through A is refused: {e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_server_killed_mid_load_loses_no_acknowledged_write_and_the_other_keeps_serving() {
    let Some((mut a, b)) = pair("kill").await else { return };
    create_table(&a.client, "events", None).await;
    let mut writers = Vec::new();
    for w in 0..8 {
        let client = if w % 2 == 0 { a.client.clone() } else { b.client.clone() };
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut failures = 0;
            for i in 0..400 {
                let id = format!("w{w}-{i}");
                let result = client
                    .put_item()
                    .table_name("events")
                    .item("pk", Av::S(id.clone()))
                    .item("n", Av::N(i.to_string()))
                    .send()
                    .await;
                match result {
                    Ok(_) => acknowledged.push(id),
                    Err(_) => {
                        failures += 1;
                        if failures > 3 {
                            break;
                        }
                    }
                }
            }
            (w, acknowledged)
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let mut from_b = 0;
    let mut all = Vec::new();
    for writer in writers {
        let (w, acknowledged) = writer.await.unwrap();
        if w % 2 == 1 {
            from_b += acknowledged.len();
            assert_eq!(
                acknowledged.len(),
                400,
                "writer {w} on the surviving server never failed"
            );
        }
        all.extend(acknowledged);
    }
    assert_eq!(from_b, 4 * 400);
    for id in &all {
        let item = b
            .client
            .get_item()
            .table_name("events")
            .key("pk", Av::S(id.clone()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item;
        assert!(item.is_some(), "acknowledged write {id} was lost");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ttl_sweeper_runs_on_exactly_one_server_and_moves_when_it_dies() {
    let Some((a, b)) = pair("ttl").await else { return };
    create_table(&a.client, "cache", Some(StreamViewType::KeysOnly)).await;
    a.client
        .update_time_to_live()
        .table_name("cache")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (status_a, status_b) = (status(a.port), status(b.port));
    assert_eq!(status_a["sharedStorage"], true);
    assert_ne!(status_a["serverId"], status_b["serverId"]);
    // Over two seconds of 200 ms sweeps, never both holders, and one of them is.
    let mut seen_holder = false;
    for _ in 0..20 {
        let (on_a, on_b) = (holds_background(a.port), holds_background(b.port));
        assert!(!(on_a && on_b), "both servers hold the background lease");
        seen_holder |= on_a || on_b;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen_holder, "one server holds the background lease");
    let past = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 60)
        .to_string();
    for i in 0..10 {
        put(
            &a.client,
            "cache",
            &format!("old{i}"),
            &[("expires", Av::N(past.clone()))],
        )
        .await;
    }
    wait_until_gone(&b.client, "old").await;

    // Kill the holder: the other server takes the lease and the work over.
    let (mut holder, survivor) = if holds_background(a.port) { (a, b) } else { (b, a) };
    holder.child.kill().unwrap();
    holder.child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !holds_background(survivor.port) {
        assert!(
            Instant::now() < deadline,
            "the surviving server never took the lease over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for i in 0..10 {
        put(
            &survivor.client,
            "cache",
            &format!("later{i}"),
            &[("expires", Av::N(past.clone()))],
        )
        .await;
    }
    wait_until_gone(&survivor.client, "later").await;

    // Each expired item was deleted once: one REMOVE record each.
    let arn = survivor
        .client
        .describe_table()
        .table_name("cache")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .latest_stream_arn
        .unwrap();
    let removes: Vec<String> = all_stream_records(survivor.port, &arn)
        .iter()
        .filter(|r| r["eventName"] == "REMOVE")
        .map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(removes.len(), 20, "{removes:?}");
    let mut unique = removes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 20, "no item was swept twice");
    drop(holder);
}

/// Waits until no item whose key starts with `prefix` is left.
async fn wait_until_gone(client: &Client, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = client
            .scan()
            .table_name("cache")
            .consistent_read(true)
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", Av::S(prefix.into()))
            .send()
            .await
            .unwrap()
            .count;
        if left == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{left} expired {prefix}* items were never swept"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_through_a_server_that_has_not_seen_a_schema_change_still_follow_it() {
    // B never polls the catalog during the test: only its writes' own check can
    // tell it about the index and the stream added through A.
    let Some((a, b)) = pair_with("stale", &["--catalog-poll-interval-ms", "600000"]).await else {
        return;
    };
    create_table(&a.client, "people", None).await;
    put(&b.client, "people", "first", &[("team", Av::S("red".into()))]).await;
    a.client
        .update_table()
        .table_name("people")
        .attribute_definitions(string_attribute("team"))
        .global_secondary_index_updates(new_index("by_team", "team"))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let table = loop {
        let table = a
            .client
            .describe_table()
            .table_name("people")
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        if table.table_status.as_ref().map(|s| s.as_str()) == Some("ACTIVE") {
            break table;
        }
        assert!(Instant::now() < deadline, "the index never became ACTIVE");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for i in 0..20 {
        put(
            &b.client,
            "people",
            &format!("after{i}"),
            &[("team", Av::S("red".into()))],
        )
        .await;
    }
    let indexed = a
        .client
        .query()
        .table_name("people")
        .index_name("by_team")
        .key_condition_expression("team = :t")
        .expression_attribute_values(":t", Av::S("red".into()))
        .send()
        .await
        .unwrap()
        .count;
    assert_eq!(indexed, 21, "B's writes after the index existed are in it");
    let keys: Vec<String> = all_stream_records(a.port, &table.latest_stream_arn.unwrap())
        .iter()
        .map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        keys,
        (0..20).map(|i| format!("after{i}")).collect::<Vec<_>>(),
        "B's writes after the stream was enabled are in it, in order"
    );
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap()
}

/// UpdateTable's request to add a GSI on the string attribute `attribute`.
fn new_index(index: &str, attribute: &str) -> GlobalSecondaryIndexUpdate {
    GlobalSecondaryIndexUpdate::builder()
        .create(
            aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                .index_name(index)
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(attribute)
                        .key_type(KeyType::Hash)
                        .build()
                        .unwrap(),
                )
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .build()
}
