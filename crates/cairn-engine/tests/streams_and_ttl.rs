//! Streams and TTL driven through the engine with a clock the test moves.

use cairn_engine::{Engine, EngineConfig, ManualClock, RequestContext};
use cairn_model::ErrorKind;
use cairn_storage::MemoryStorage;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const START: f64 = 1_800_000_000.0;

fn input<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn setup(shard_interval: Duration) -> (Engine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let config = EngineConfig {
        stream_shard_interval: shard_interval,
        ..EngineConfig::default()
    };
    let engine = Engine::with_clock(Arc::new(MemoryStorage::new()), config, clock.clone()).unwrap();
    (engine, clock)
}

/// Every request of these tests comes from one region, where their tables live.
fn ctx() -> RequestContext {
    RequestContext {
        region: "eu-north-1".into(),
        ..RequestContext::default()
    }
}

fn create(engine: &Engine, name: &str, view: &str) -> String {
    let ctx = ctx();
    engine
        .create_table(
            &ctx,
            input(json!({
                "TableName": name,
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "color", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by_color", "KeySchema": [{"AttributeName": "color", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamEnabled": true, "StreamViewType": view}
            })),
        )
        .unwrap();
    let table = engine
        .describe_table(&ctx, input(json!({"TableName": name})))
        .unwrap()
        .table;
    table.latest_stream_arn.unwrap()
}

/// Every record of the stream's shards, in order, as JSON values.
fn read_all(engine: &Engine, arn: &str) -> Vec<Value> {
    let description = engine
        .describe_stream(input(json!({"StreamArn": arn})))
        .unwrap()
        .stream_description;
    let mut records = Vec::new();
    for shard in description.shards {
        let mut iterator = engine
            .get_shard_iterator(input(
                json!({"StreamArn": arn, "ShardId": shard.shard_id, "ShardIteratorType": "TRIM_HORIZON"}),
            ))
            .unwrap()
            .shard_iterator;
        loop {
            let page = engine
                .get_records(input(json!({"ShardIterator": iterator, "Limit": 2})))
                .unwrap();
            let empty = page.records.is_empty();
            records.extend(
                page.records
                    .iter()
                    .map(|r| serde_json::from_str::<Value>(r.get()).unwrap()),
            );
            match page.next_shard_iterator {
                Some(next) if !empty => iterator = next,
                _ => break,
            }
        }
    }
    records
}

fn put(engine: &Engine, table: &str, item: Value) {
    engine
        .put_item(&ctx(), input(json!({"TableName": table, "Item": item})))
        .unwrap();
}

#[test]
fn a_mixed_workload_yields_one_ordered_record_per_change() {
    let (engine, clock) = setup(Duration::from_secs(3600));
    let arn = create(&engine, "orders", "NEW_AND_OLD_IMAGES");
    put(&engine, "orders", json!({"pk": {"S": "a"}, "v": {"N": "1"}}));
    engine
        .update_item(&ctx(), input(json!({"TableName": "orders", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = v + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}})))
        .unwrap();
    put(&engine, "orders", json!({"pk": {"S": "a"}, "v": {"N": "2"}})); // no change: no record
    engine
        .delete_item(
            &ctx(),
            input(json!({"TableName": "orders", "Key": {"pk": {"S": "nobody"}}})),
        )
        .unwrap(); // nothing deleted
    engine
        .transact_write_items(
            &ctx(),
            input(json!({"TransactItems": [
                {"Put": {"TableName": "orders", "Item": {"pk": {"S": "t1"}}}},
                {"Delete": {"TableName": "orders", "Key": {"pk": {"S": "a"}}}}
            ]})),
        )
        .unwrap();
    engine
        .batch_write_item(&ctx(), input(json!({"RequestItems": {"orders": [{"PutRequest": {"Item": {"pk": {"S": "b1"}, "color": {"S": "red"}, "ttl": {"N": (START - 10.0).to_string()}}}}]}})))
        .unwrap();
    engine
        .update_time_to_live(
            &ctx(),
            input(json!({"TableName": "orders", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ttl"}})),
        )
        .unwrap();
    // Expired but not yet swept: still readable, still indexed.
    let got = engine
        .get_item(
            &ctx(),
            input(json!({"TableName": "orders", "Key": {"pk": {"S": "b1"}}})),
        )
        .unwrap();
    assert!(got.item.is_some());
    clock.advance(1.0);
    assert_eq!(engine.sweep_expired_items().unwrap(), 1);
    let got = engine
        .get_item(
            &ctx(),
            input(json!({"TableName": "orders", "Key": {"pk": {"S": "b1"}}})),
        )
        .unwrap();
    assert!(got.item.is_none());
    let red = engine
        .query(&ctx(), input(json!({"TableName": "orders", "IndexName": "by_color", "KeyConditionExpression": "color = :r", "ExpressionAttributeValues": {":r": {"S": "red"}}})))
        .unwrap();
    assert_eq!(red.count, 0, "TTL deletion maintains indexes");

    let records = read_all(&engine, &arn);
    let summary: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            (
                r["eventName"].as_str().unwrap().to_string(),
                r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("INSERT", "a"),
        ("MODIFY", "a"),
        ("INSERT", "t1"),
        ("REMOVE", "a"),
        ("INSERT", "b1"),
        ("REMOVE", "b1"),
    ];
    assert_eq!(
        summary,
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    let modify = &records[1]["dynamodb"];
    assert_eq!(modify["OldImage"]["v"], json!({"N": "1"}));
    assert_eq!(modify["NewImage"]["v"], json!({"N": "2"}));
    assert_eq!(records[0]["awsRegion"], "eu-north-1");
    assert_eq!(records[0]["eventSource"], "aws:dynamodb");
    let ttl_removal = &records[5];
    assert_eq!(
        ttl_removal["userIdentity"],
        json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
    );
    assert!(
        records[3]["userIdentity"].is_null(),
        "only TTL deletions carry the service identity"
    );
    let sequences: Vec<u128> = records
        .iter()
        .map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase: {sequences:?}"
    );
}

#[test]
fn view_types_choose_the_images() {
    let (engine, _) = setup(Duration::from_secs(3600));
    for (table, view, has_new, has_old) in [
        ("k", "KEYS_ONLY", false, false),
        ("n", "NEW_IMAGE", true, false),
        ("o", "OLD_IMAGE", false, true),
    ] {
        let arn = create(&engine, &format!("view_{table}"), view);
        put(
            &engine,
            &format!("view_{table}"),
            json!({"pk": {"S": "x"}, "v": {"N": "1"}}),
        );
        put(
            &engine,
            &format!("view_{table}"),
            json!({"pk": {"S": "x"}, "v": {"N": "2"}}),
        );
        let records = read_all(&engine, &arn);
        let modify = &records[1]["dynamodb"];
        assert_eq!(modify["StreamViewType"], view);
        assert_eq!(modify["NewImage"].is_object(), has_new, "{view}");
        assert_eq!(modify["OldImage"].is_object(), has_old, "{view}");
        assert_eq!(modify["Keys"], json!({"pk": {"S": "x"}}));
    }
}

#[test]
fn shards_roll_over_iterators_expire_and_streams_can_be_replaced() {
    let (engine, clock) = setup(Duration::from_secs(60));
    let arn = create(&engine, "rolling", "KEYS_ONLY");
    put(&engine, "rolling", json!({"pk": {"S": "first"}}));
    clock.advance(61.0);
    put(&engine, "rolling", json!({"pk": {"S": "second"}}));
    let shards = engine
        .describe_stream(input(json!({"StreamArn": arn})))
        .unwrap()
        .stream_description
        .shards;
    assert_eq!(shards.len(), 2);
    assert_eq!(shards[1].parent_shard_id.as_deref(), Some(shards[0].shard_id.as_str()));
    assert!(
        shards[0].sequence_number_range.ending_sequence_number.is_some(),
        "the old shard is closed"
    );
    assert!(
        shards[1].sequence_number_range.ending_sequence_number.is_none(),
        "the current shard is open"
    );
    assert_eq!(read_all(&engine, &arn).len(), 2);

    let iterator = engine
        .get_shard_iterator(input(
            json!({"StreamArn": arn, "ShardId": shards[1].shard_id, "ShardIteratorType": "LATEST"}),
        ))
        .unwrap()
        .shard_iterator;
    clock.advance(901.0);
    let error = engine
        .get_records(input(json!({"ShardIterator": iterator})))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ExpiredIterator);

    engine
        .update_table(
            &ctx(),
            input(json!({"TableName": "rolling", "StreamSpecification": {"StreamEnabled": false}})),
        )
        .unwrap();
    engine
        .update_table(&ctx(), input(json!({"TableName": "rolling", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}})))
        .unwrap();
    let streams = engine
        .list_streams(&ctx(), input(json!({"TableName": "rolling"})))
        .unwrap()
        .streams;
    assert_eq!(streams.len(), 2, "the old stream stays listed");
    assert_ne!(streams[0].stream_arn, streams[1].stream_arn);
    let old = engine
        .describe_stream(input(json!({"StreamArn": arn})))
        .unwrap()
        .stream_description;
    assert_eq!(old.stream_status, "DISABLED");
    assert_eq!(read_all(&engine, &arn).len(), 2, "the old stream stays readable");
}

#[test]
fn retention_trims_whole_expired_shards() {
    let clock = Arc::new(ManualClock::new(START));
    let config = EngineConfig {
        stream_shard_interval: Duration::from_secs(60),
        stream_retention: Duration::from_secs(3600),
        ..EngineConfig::default()
    };
    let engine = Engine::with_clock(Arc::new(MemoryStorage::new()), config, clock.clone()).unwrap();
    let arn = create(&engine, "kept", "KEYS_ONLY");
    put(&engine, "kept", json!({"pk": {"S": "old"}}));
    let first_shard = engine
        .describe_stream(input(json!({"StreamArn": arn})))
        .unwrap()
        .stream_description
        .shards[0]
        .shard_id
        .clone();
    let iterator = engine
        .get_shard_iterator(input(
            json!({"StreamArn": arn, "ShardId": first_shard, "ShardIteratorType": "TRIM_HORIZON"}),
        ))
        .unwrap()
        .shard_iterator;
    clock.advance(1800.0);
    assert_eq!(
        engine.trim_streams().unwrap(),
        0,
        "nothing is older than the retention yet"
    );
    clock.advance(1900.0);
    put(&engine, "kept", json!({"pk": {"S": "new"}}));
    assert!(engine.trim_streams().unwrap() > 0);
    let records = read_all(&engine, &arn);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["dynamodb"]["Keys"]["pk"]["S"], "new");
    let shards = engine
        .describe_stream(input(json!({"StreamArn": arn})))
        .unwrap()
        .stream_description
        .shards;
    assert!(
        shards.iter().all(|s| s.shard_id != first_shard),
        "trimmed shards are no longer listed"
    );
    let error = engine
        .get_records(input(json!({"ShardIterator": iterator})))
        .unwrap_err();
    assert_eq!(
        error.kind,
        ErrorKind::ExpiredIterator,
        "an iterator older than 15 minutes has expired first"
    );
    let error = engine
        .get_shard_iterator(input(
            json!({"StreamArn": arn, "ShardId": first_shard, "ShardIteratorType": "TRIM_HORIZON"}),
        ))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::TrimmedDataAccess);
}

/// Writers racing on one item in the durable store: the item's stream records come
/// in the order the writes happened (each NEW_IMAGE's counter one more than the
/// record before it), as DynamoDB orders the records of one item.
#[test]
fn concurrent_updates_of_one_item_stream_in_write_order() {
    let dir = tempfile::tempdir().unwrap();
    let storage = cairn_storage::EmbeddedStorage::open(dir.path(), cairn_storage::Durability::Journal).unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let engine = Engine::with_clock(Arc::new(storage), EngineConfig::default(), clock).unwrap();
    let arn = create(&engine, "counted", "NEW_IMAGE");
    put(&engine, "counted", json!({"pk": {"S": "a"}, "n": {"N": "0"}}));
    let (threads, updates) = (4, 300);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..updates {
                    engine
                        .update_item(
                            &ctx(),
                            input(json!({
                                "TableName": "counted",
                                "Key": {"pk": {"S": "a"}},
                                "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}}
                            })),
                        )
                        .unwrap();
                }
            });
        }
    });
    let counters: Vec<u64> = read_all(&engine, &arn)
        .iter()
        .map(|r| r["dynamodb"]["NewImage"]["n"]["N"].as_str().unwrap().parse().unwrap())
        .collect();
    let expected: Vec<u64> = (0..=(threads * updates) as u64).collect();
    assert_eq!(expected.len(), counters.len());
    let first_out_of_order = counters.windows(2).position(|w| w[1] != w[0] + 1);
    assert_eq!(None, first_out_of_order, "records out of write order");
    assert_eq!(expected, counters);
}
