//! A Query must cost what it costs on DynamoDB: it reads one partition, never the
//! table. 100,000 items in 1,000 partitions; the storage reads a Query performs are
//! counted (not timed).

use cairn_engine::{Engine, EngineConfig, RequestContext};
use cairn_storage::{KeyValue, MemoryStorage, ScanRange, Storage, StorageResult, Transaction};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A backend wrapper that counts every key-value pair handed to the engine.
struct CountingStorage {
    inner: MemoryStorage,
    pairs_read: AtomicUsize,
}

impl Storage for CountingStorage {
    fn get(&self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        let value = self.inner.get(key)?;
        self.pairs_read
            .fetch_add(usize::from(value.is_some()), Ordering::SeqCst);
        Ok(value)
    }

    fn scan(&self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        let pairs = self.inner.scan(range, limit)?;
        self.pairs_read.fetch_add(pairs.len(), Ordering::SeqCst);
        Ok(pairs)
    }

    fn begin(&self) -> StorageResult<Box<dyn Transaction + '_>> {
        self.inner.begin()
    }

    fn snapshot(&self) -> StorageResult<Box<dyn cairn_storage::Snapshot>> {
        self.inner.snapshot()
    }
}

fn input<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap()
}

#[test]
fn query_reads_only_its_partition() {
    const PARTITIONS: usize = 1_000;
    const PER_PARTITION: usize = 100;
    let storage = Arc::new(CountingStorage {
        inner: MemoryStorage::new(),
        pairs_read: AtomicUsize::new(0),
    });
    let engine = Engine::new(storage.clone(), EngineConfig::default()).unwrap();
    let ctx = RequestContext::default();
    engine
        .create_table(
            &ctx,
            input(json!({
                "TableName": "events",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "BillingMode": "PAY_PER_REQUEST"
            })),
        )
        .unwrap();
    for p in 0..PARTITIONS {
        for chunk in (0..PER_PARTITION).collect::<Vec<_>>().chunks(25) {
            let requests: Vec<_> = chunk
                .iter()
                .map(|s| json!({"PutRequest": {"Item": {"pk": {"S": format!("p{p}")}, "sk": {"N": s.to_string()}, "v": {"S": "x"}}}}))
                .collect();
            engine
                .batch_write_item(
                    &RequestContext::default(),
                    input(json!({"RequestItems": {"events": requests}})),
                )
                .unwrap();
        }
    }

    storage.pairs_read.store(0, Ordering::SeqCst);
    let out = engine
        .query(
            &RequestContext::default(),
            input(json!({
                "TableName": "events",
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": "p417"}}
            })),
        )
        .unwrap();
    assert_eq!(out.count, PER_PARTITION);
    let read = storage.pairs_read.load(Ordering::SeqCst);
    assert_eq!(read, PER_PARTITION, "a Query of one partition read {read} pairs");

    storage.pairs_read.store(0, Ordering::SeqCst);
    let out = engine
        .query(
            &RequestContext::default(),
            input(json!({
                "TableName": "events",
                "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
                "ExpressionAttributeValues": {":p": {"S": "p9"}, ":a": {"N": "10"}, ":b": {"N": "19"}}
            })),
        )
        .unwrap();
    assert_eq!(out.count, 10);
    assert_eq!(
        storage.pairs_read.load(Ordering::SeqCst),
        10,
        "a sort-key range reads only that range"
    );
}
