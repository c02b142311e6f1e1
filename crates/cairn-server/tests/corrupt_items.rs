//! One stored item that cannot be decoded fails only the requests that need it: the
//! error names its key, the rest of the table stays readable and writable, the table
//! can still be described and deleted, background workers skip it, and
//! `Engine::check` finds it (with index and counter inconsistencies) and repairs
//! them. Before issue 12 such an item made every request on its table answer 500.

mod common;

use cairn_engine::{Engine, EngineConfig};
use cairn_model::codec::decode_item;
use cairn_model::AttributeValue;
use cairn_storage::{MemoryStorage, ScanRange, Storage};
use common::call;
use serde_json::{json, Value};
use std::sync::Arc;

/// A table `things` (hash key pk, GSI `by_g` on g) with items a, b, c; then b's
/// stored bytes are replaced by garbage.
fn store_with_a_corrupt_item() -> (Engine, Arc<MemoryStorage>) {
    let storage = Arc::new(MemoryStorage::new());
    let engine = Engine::new(storage.clone(), EngineConfig::default()).unwrap();
    call(
        &engine,
        "CreateTable",
        json!({
            "TableName": "things",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
    for pk in ["a", "b", "c"] {
        call(
            &engine,
            "PutItem",
            json!({"TableName": "things", "Item": {"pk": {"S": pk}, "g": {"S": "G"}}}),
        )
        .unwrap();
    }
    overwrite_item(storage.as_ref(), "b", &[1, 0xFF, 0xFF]);
    (engine, storage)
}

/// Replaces the stored bytes of the item whose pk is `pk`.
fn overwrite_item(storage: &dyn Storage, pk: &str, bytes: &[u8]) {
    let items = storage.scan(&ScanRange::prefix(b"i"), usize::MAX).unwrap();
    let (key, _) = items
        .iter()
        .find(|(_, v)| decode_item(v).is_some_and(|i| i.get("pk") == Some(&AttributeValue::S(pk.into()))))
        .expect("the item is stored");
    let mut tx = storage.begin().unwrap();
    tx.put(key, bytes);
    tx.commit().unwrap();
}

/// How many entries a Query of the GSI's one partition returns.
fn count_in_index(engine: &Engine) -> Value {
    call(
        engine,
        "Query",
        json!({"TableName": "things", "IndexName": "by_g", "KeyConditionExpression": "g = :g",
               "ExpressionAttributeValues": {":g": {"S": "G"}}}),
    )
    .unwrap()["Count"]
        .clone()
}

fn get(engine: &Engine, pk: &str) -> Result<Value, (String, String)> {
    call(
        engine,
        "GetItem",
        json!({"TableName": "things", "Key": {"pk": {"S": pk}}}),
    )
}

#[test]
fn reading_an_undecodable_item_names_its_key() {
    let (engine, _) = store_with_a_corrupt_item();
    let (kind, message) = get(&engine, "b").unwrap_err();
    assert_eq!(kind, "InternalServerError");
    assert!(message.contains(r#"{"pk":{"S":"b"}}"#), "{message}");
    assert!(message.contains("table things"), "{message}");
    assert_eq!(get(&engine, "a").unwrap()["Item"]["pk"]["S"], "a");
}

#[test]
fn scans_and_queries_return_the_other_items() {
    let (engine, _) = store_with_a_corrupt_item();
    let scan = call(&engine, "Scan", json!({"TableName": "things"})).unwrap();
    assert_eq!(scan["Count"], 2);
    // The index entry of b decodes (it was written before the item broke).
    assert_eq!(count_in_index(&engine), 3);
}

#[test]
fn writes_over_an_undecodable_item_are_refused_with_its_key_and_others_proceed() {
    let (engine, _) = store_with_a_corrupt_item();
    let put = |pk: &str| {
        call(
            &engine,
            "PutItem",
            json!({"TableName": "things", "Item": {"pk": {"S": pk}}}),
        )
    };
    let (kind, message) = put("b").unwrap_err();
    assert_eq!(kind, "InternalServerError");
    assert!(message.contains(r#"{"pk":{"S":"b"}}"#), "{message}");
    put("a").unwrap();
    put("d").unwrap();
}

#[test]
fn the_table_can_still_be_described_updated_and_deleted() {
    let (engine, _) = store_with_a_corrupt_item();
    let described = call(&engine, "DescribeTable", json!({"TableName": "things"})).unwrap();
    assert_eq!(described["Table"]["ItemCount"], 3);
    call(
        &engine,
        "UpdateTable",
        json!({"TableName": "things", "DeletionProtectionEnabled": false}),
    )
    .unwrap();
    call(&engine, "DeleteTable", json!({"TableName": "things"})).unwrap();
}

#[test]
fn the_ttl_sweeper_skips_an_undecodable_item_and_deletes_the_expired_ones() {
    let (engine, _) = store_with_a_corrupt_item();
    call(
        &engine,
        "UpdateTimeToLive",
        json!({"TableName": "things", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}),
    )
    .unwrap();
    let an_hour_ago = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600)
        .to_string();
    call(
        &engine,
        "PutItem",
        json!({"TableName": "things", "Item": {"pk": {"S": "c"}, "exp": {"N": an_hour_ago}}}),
    )
    .unwrap();
    assert_eq!(engine.sweep_expired_items().unwrap(), 1);
    assert!(get(&engine, "c").unwrap().get("Item").is_none());
}

#[test]
fn a_new_index_backfill_skips_an_undecodable_item_and_finishes() {
    let (engine, _) = store_with_a_corrupt_item();
    call(
        &engine,
        "UpdateTable",
        json!({"TableName": "things", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by_pk", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                                            "Projection": {"ProjectionType": "KEYS_ONLY"}}}]}),
    )
    .unwrap();
    common::wait_for_index(&engine, "things", "by_pk");
    let scan = call(&engine, "Scan", json!({"TableName": "things", "IndexName": "by_pk"})).unwrap();
    assert_eq!(scan["Count"], 2);
}

#[test]
fn check_reports_an_undecodable_item_and_repair_removes_it_and_its_index_entry() {
    let (engine, _) = store_with_a_corrupt_item();
    let report = engine.check(false).unwrap();
    let kinds: Vec<_> = report.problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        vec![
            cairn_engine::check::ProblemKind::UndecodableItem,
            cairn_engine::check::ProblemKind::IndexEntryWithoutItem
        ]
    );
    assert!(report.problems[0].detail.contains(r#"{"pk":{"S":"b"}}"#));
    assert_eq!(report.problems[0].raw.as_ref().unwrap().1, vec![1, 0xFF, 0xFF]);
    assert_eq!(report.repaired, 0);
    assert_eq!(engine.check(true).unwrap().repaired, 2);
    assert!(engine.check(false).unwrap().problems.is_empty());
    assert!(get(&engine, "b").unwrap().get("Item").is_none());
    assert_eq!(count_in_index(&engine), 2);
}

#[test]
fn check_finds_and_rebuilds_missing_and_stale_index_entries() {
    let (engine, storage) = store_with_a_corrupt_item();
    engine.check(true).unwrap();
    let entries = storage.scan(&ScanRange::prefix(b"x"), usize::MAX).unwrap();
    assert_eq!(entries.len(), 2);
    let mut tx = storage.begin().unwrap();
    tx.delete(&entries[0].0);
    tx.put(&entries[1].0, &cairn_model::codec::encode_item(&Default::default()));
    tx.commit().unwrap();
    let kinds: Vec<_> = engine.check(false).unwrap().problems.iter().map(|p| p.kind).collect();
    use cairn_engine::check::ProblemKind::{IndexEntryWithoutItem, MissingIndexEntry, StaleIndexEntry};
    // The emptied entry is stale for its item, and names no item of its own.
    assert_eq!(kinds, vec![MissingIndexEntry, StaleIndexEntry, IndexEntryWithoutItem]);
    engine.check(true).unwrap();
    assert!(engine.check(false).unwrap().problems.is_empty());
    assert_eq!(storage.scan(&ScanRange::prefix(b"x"), usize::MAX).unwrap(), entries);
}

#[test]
fn a_clean_store_checks_clean() {
    let engine = common::memory_engine();
    common::create_simple_table(&engine, "tidy");
    call(
        &engine,
        "PutItem",
        json!({"TableName": "tidy", "Item": {"pk": {"S": "x"}}}),
    )
    .unwrap();
    let report = engine.check(false).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.tables, report.items), (1, 1));
}
