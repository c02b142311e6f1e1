//! Test snapshots (`cairn snapshot save|restore|reset`, `Engine::snapshot_*`): a
//! restored server equals the saved one in tables, items, indexes and streams, on the
//! in-memory and the embedded backends; names are checked; a store shared with other
//! servers refuses.

mod common;

use cairn_engine::{Engine, EngineConfig};
use cairn_storage::{EmbeddedStorage, MemoryStorage, Storage};
use common::call;
use serde_json::{json, Value};
use std::sync::Arc;

fn create_orders(engine: &Engine) {
    call(
        engine,
        "CreateTable",
        json!({
            "TableName": "orders",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "S"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{
                "IndexName": "by-status",
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}
            }],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
}

fn put(engine: &Engine, table: &str, pk: &str, status: &str) {
    call(
        engine,
        "PutItem",
        json!({"TableName": table, "Item": {"pk": {"S": pk}, "status": {"S": status}}}),
    )
    .unwrap();
}

/// Everything a client can see of the server: tables, items, index entries and
/// the number of stream records.
fn visible_state(engine: &Engine) -> Value {
    let tables = call(engine, "ListTables", json!({})).unwrap()["TableNames"].clone();
    let mut state = json!({"tables": tables});
    for name in tables.as_array().unwrap() {
        let name = name.as_str().unwrap();
        let mut items = call(engine, "Scan", json!({"TableName": name})).unwrap()["Items"].clone();
        items
            .as_array_mut()
            .unwrap()
            .sort_by_key(|i| i["pk"]["S"].as_str().unwrap_or_default().to_string());
        state[name] = json!({"items": items});
        let described = call(engine, "DescribeTable", json!({"TableName": name})).unwrap();
        if described["Table"]["GlobalSecondaryIndexes"].is_array() {
            let open = call(
                engine,
                "Query",
                json!({"TableName": name, "IndexName": "by-status",
                       "KeyConditionExpression": "#s = :s",
                       "ExpressionAttributeNames": {"#s": "status"},
                       "ExpressionAttributeValues": {":s": {"S": "open"}}}),
            )
            .unwrap();
            state[name]["open"] = open["Count"].clone();
        }
        if let Some(arn) = described["Table"]["LatestStreamArn"].as_str() {
            state[name]["streamRecords"] = json!(stream_records(engine, arn));
        }
    }
    state
}

fn stream_records(engine: &Engine, arn: &str) -> usize {
    let stream = common::call_streams(engine, "DescribeStream", json!({"StreamArn": arn})).unwrap();
    let mut count = 0;
    for shard in stream["StreamDescription"]["Shards"].as_array().unwrap() {
        let iterator = common::call_streams(
            engine,
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .unwrap();
        let records = common::call_streams(
            engine,
            "GetRecords",
            json!({"ShardIterator": iterator["ShardIterator"]}),
        )
        .unwrap();
        count += records["Records"].as_array().unwrap().len();
    }
    count
}

/// Saves a fixture, changes every kind of state, restores, and compares.
fn restore_after_writes_equals_the_saved_state(engine: &Engine) {
    create_orders(engine);
    put(engine, "orders", "o1", "open");
    put(engine, "orders", "o2", "shipped");
    let saved = visible_state(engine);
    let info = engine.snapshot_save("fixture").unwrap();
    assert_eq!((info.name.as_str(), info.tables), ("fixture", 1));

    put(engine, "orders", "o1", "shipped");
    put(engine, "orders", "o3", "open");
    call(
        engine,
        "DeleteItem",
        json!({"TableName": "orders", "Key": {"pk": {"S": "o2"}}}),
    )
    .unwrap();
    common::create_simple_table(engine, "later");
    put(engine, "later", "x", "open");
    assert_ne!(visible_state(engine), saved);

    engine.snapshot_restore("fixture").unwrap();
    assert_eq!(visible_state(engine), saved);
    // The restored server takes writes, and the table created after the save is
    // gone for good: its name can be created again.
    put(engine, "orders", "o4", "open");
    common::create_simple_table(engine, "later");
    // The snapshot stays: restoring it again gives the same state.
    engine.snapshot_restore("fixture").unwrap();
    assert_eq!(visible_state(engine), saved);
}

#[test]
fn a_snapshot_restored_after_writes_equals_the_saved_state_in_memory() {
    restore_after_writes_equals_the_saved_state(&common::memory_engine());
}

#[test]
fn a_snapshot_restored_after_writes_equals_the_saved_state_on_the_embedded_backend() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(EmbeddedStorage::open(dir.path(), Default::default()).unwrap());
    let engine = Engine::new(storage, EngineConfig::default()).unwrap();
    restore_after_writes_equals_the_saved_state(&engine);
}

#[test]
fn a_restored_embedded_store_stays_restored_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let expected = {
        let storage = Arc::new(EmbeddedStorage::open(dir.path(), Default::default()).unwrap());
        let engine = Engine::new(storage, EngineConfig::default()).unwrap();
        create_orders(&engine);
        put(&engine, "orders", "o1", "open");
        engine.snapshot_save("one-item").unwrap();
        put(&engine, "orders", "o2", "open");
        engine.snapshot_restore("one-item").unwrap();
        visible_state(&engine)
    };
    let storage = Arc::new(EmbeddedStorage::open(dir.path(), Default::default()).unwrap());
    let engine = Engine::new(storage, EngineConfig::default()).unwrap();
    assert_eq!(visible_state(&engine), expected);
    assert_eq!(expected["orders"]["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_table_deleted_after_the_save_comes_back_with_its_items() {
    let engine = common::memory_engine();
    create_orders(&engine);
    put(&engine, "orders", "o1", "open");
    engine.snapshot_save("before-delete").unwrap();
    call(&engine, "DeleteTable", json!({"TableName": "orders"})).unwrap();
    let (kind, _) = call(&engine, "DescribeTable", json!({"TableName": "orders"})).unwrap_err();
    assert_eq!(kind, "ResourceNotFoundException");
    engine.snapshot_restore("before-delete").unwrap();
    let got = call(
        &engine,
        "GetItem",
        json!({"TableName": "orders", "Key": {"pk": {"S": "o1"}}}),
    )
    .unwrap();
    assert_eq!(got["Item"]["status"]["S"], "open");
}

#[test]
fn reset_leaves_no_tables_and_keeps_the_saved_snapshots() {
    let engine = common::memory_engine();
    create_orders(&engine);
    put(&engine, "orders", "o1", "open");
    engine.snapshot_save("full").unwrap();
    engine.snapshot_reset().unwrap();
    assert_eq!(call(&engine, "ListTables", json!({})).unwrap()["TableNames"], json!([]));
    // A fresh server again: the same table can be created.
    create_orders(&engine);
    engine.snapshot_restore("full").unwrap();
    assert_eq!(visible_state(&engine)["orders"]["items"].as_array().unwrap().len(), 1);
}

#[test]
fn an_idempotency_token_used_after_the_save_is_forgotten_by_the_restore() {
    let engine = common::memory_engine();
    common::create_simple_table(&engine, "things");
    engine.snapshot_save("empty-table").unwrap();
    let transact = |value: &str| {
        call(
            &engine,
            "TransactWriteItems",
            json!({"ClientRequestToken": "token-1",
                   "TransactItems": [{"Put": {"TableName": "things", "Item": {"pk": {"S": "k"}, "v": {"S": value}}}}]}),
        )
    };
    transact("first").unwrap();
    let (kind, _) = transact("other").unwrap_err();
    assert_eq!(kind, "IdempotentParameterMismatchException");
    engine.snapshot_restore("empty-table").unwrap();
    // The call the token remembers never happened in the restored state.
    transact("other").unwrap();
    let got = call(
        &engine,
        "GetItem",
        json!({"TableName": "things", "Key": {"pk": {"S": "k"}}}),
    )
    .unwrap();
    assert_eq!(got["Item"]["v"]["S"], "other");
}

#[test]
fn restoring_an_unknown_snapshot_is_refused_and_changes_nothing() {
    let engine = common::memory_engine();
    common::create_simple_table(&engine, "things");
    let e = engine.snapshot_restore("nope").unwrap_err();
    assert_eq!(
        (e.kind.name(), e.message.as_str()),
        ("ValidationException", "No snapshot named nope")
    );
    assert_eq!(
        call(&engine, "ListTables", json!({})).unwrap()["TableNames"],
        json!(["things"])
    );
    engine.snapshot_save("nope").unwrap();
    engine.snapshot_restore("nope").unwrap();
}

#[test]
fn snapshot_names_are_letters_digits_dots_dashes_and_underscores() {
    let engine = common::memory_engine();
    for bad in ["", "a/b", "with space", "x?y", &"n".repeat(256)] {
        let e = engine.snapshot_save(bad).unwrap_err();
        assert_eq!(e.kind.name(), "ValidationException", "{bad:?}");
        assert!(e.message.starts_with("Invalid snapshot name"), "{}", e.message);
    }
    engine
        .snapshot_save(&format!("Fixture_1.v-2{}", "n".repeat(242)))
        .unwrap();
    assert_eq!(engine.snapshot_list().len(), 1);
}

#[test]
fn deleting_a_snapshot_forgets_it() {
    let engine = common::memory_engine();
    engine.snapshot_save("a").unwrap();
    engine.snapshot_save("b").unwrap();
    engine.snapshot_delete("a").unwrap();
    let names: Vec<String> = engine.snapshot_list().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["b"]);
    let e = engine.snapshot_delete("a").unwrap_err();
    assert_eq!(e.message, "No snapshot named a");
}

#[test]
fn saving_under_an_existing_name_replaces_it() {
    let engine = common::memory_engine();
    engine.snapshot_save("s").unwrap();
    common::create_simple_table(&engine, "things");
    engine.snapshot_save("s").unwrap();
    engine.snapshot_reset().unwrap();
    engine.snapshot_restore("s").unwrap();
    assert_eq!(
        call(&engine, "ListTables", json!({})).unwrap()["TableNames"],
        json!(["things"])
    );
    assert_eq!(engine.snapshot_list().len(), 1);
}

#[test]
fn at_most_a_hundred_snapshots_are_kept() {
    let engine = common::memory_engine();
    for i in 0..cairn_engine::snapshots::MAX_SNAPSHOTS {
        engine.snapshot_save(&format!("s{i}")).unwrap();
    }
    let e = engine.snapshot_save("one-more").unwrap_err();
    assert_eq!(e.message, "At most 100 snapshots are kept: delete one first");
    // Replacing one is still allowed.
    engine.snapshot_save("s0").unwrap();
}

/// A memory store that says it is shared with other servers, as PostgreSQL does.
struct SharedMemory(MemoryStorage);

impl Storage for SharedMemory {
    fn get(&self, key: &[u8]) -> cairn_storage::StorageResult<Option<Vec<u8>>> {
        self.0.get(key)
    }
    fn scan(
        &self,
        range: &cairn_storage::ScanRange,
        limit: usize,
    ) -> cairn_storage::StorageResult<Vec<cairn_storage::KeyValue>> {
        self.0.scan(range, limit)
    }
    fn begin(&self) -> cairn_storage::StorageResult<Box<dyn cairn_storage::Transaction + '_>> {
        self.0.begin()
    }
    fn snapshot(&self) -> cairn_storage::StorageResult<Box<dyn cairn_storage::Snapshot>> {
        self.0.snapshot()
    }
    fn shared(&self) -> bool {
        true
    }
}

#[test]
fn a_store_shared_with_other_servers_has_no_snapshots() {
    let engine = Engine::new(Arc::new(SharedMemory(MemoryStorage::new())), EngineConfig::default()).unwrap();
    let e = engine.snapshot_save("s").unwrap_err();
    assert_eq!(e.kind.name(), "ValidationException");
    assert!(
        e.message
            .starts_with("Snapshots need the in-memory or the embedded backend"),
        "{}",
        e.message
    );
    assert!(engine.snapshot_reset().is_err());
    assert!(engine.snapshot_list().is_empty());
}

#[test]
fn concurrent_restores_each_leave_a_whole_saved_state() {
    let engine = Arc::new(common::memory_engine());
    common::create_simple_table(&engine, "things");
    put(&engine, "things", "a", "one");
    engine.snapshot_save("one").unwrap();
    put(&engine, "things", "b", "two");
    engine.snapshot_save("two").unwrap();
    engine.snapshot_restore("one").unwrap();
    let one = visible_state(&engine);
    engine.snapshot_restore("two").unwrap();
    let two = visible_state(&engine);
    assert_ne!(one, two);
    let workers: Vec<_> = ["one", "two", "one", "two"]
        .into_iter()
        .map(|name| {
            let engine = engine.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    engine.snapshot_restore(name).unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let end = visible_state(&engine);
    assert!(end == one || end == two, "{end}");
    // Background work starts again after the restores.
    common::create_simple_table(&engine, "more");
}
