//! Vector indexes and SearchVectors, rule by rule: declaring (on-demand only, five per
//! table, SearchSchema in AttributeDefinitions), writing (a vector of the wrong size or
//! type refused, an item without one not indexed), searching (TopK, dimensions, HASH
//! required and equality only on it, Query/Scan refused; the condition grammar in
//! vector_search_conditions.rs), and the approximate graph of a large
//! partition (recall against brute force, deletes and inserts followed, rebuilt after a
//! restart). boto3 end to end: tests/clients/vectors_compat.py.

mod common;

use cairn_engine::{Engine, EngineConfig};
use cairn_storage::{EmbeddedStorage, MemoryStorage};
use common::call;
use common::vectors::{create, index, invalid, keys, put, search, vector};
use serde_json::json;
use std::sync::Arc;

#[test]
fn a_vector_index_needs_an_on_demand_table() {
    let engine = common::memory_engine();
    let provisioned = call(
        &engine,
        "CreateTable",
        json!({"TableName": "prov", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
               "VectorIndexes": [index(4, None)]}),
    );
    assert_eq!(
        provisioned.unwrap_err(),
        invalid("Vector indexes are supported only on tables that use on-demand capacity mode (PAY_PER_REQUEST)")
    );
    create(&engine, "ondemand", json!([]), json!([index(4, None)])).unwrap();
}

#[test]
fn a_table_has_at_most_five_vector_indexes() {
    let engine = common::memory_engine();
    let many = |n: usize| {
        json!((0..n)
            .map(|i| {
                let mut ix = index(4, None);
                ix["IndexName"] = json!(format!("emb{i}"));
                ix["VectorAttribute"]["AttributeName"] = json!(format!("v{i}"));
                ix
            })
            .collect::<Vec<_>>())
    };
    assert_eq!(
        create(&engine, "six", json!([]), many(6)).unwrap_err(),
        invalid("VectorIndex count exceeds the per-table limit of 5")
    );
    create(&engine, "five", json!([]), many(5)).unwrap();
}

#[test]
fn a_search_schema_attribute_must_be_in_attribute_definitions() {
    let engine = common::memory_engine();
    let schema = json!([{"AttributeName": "owner", "SearchSchemaElementType": "HASH"}]);
    assert_eq!(
        create(&engine, "pets", json!([]), json!([index(4, Some(schema.clone()))])).unwrap_err(),
        invalid("One element in SearchSchema is not defined in attribute definitions")
    );
    create(
        &engine,
        "pets",
        json!([{"AttributeName": "owner", "AttributeType": "S"}]),
        json!([index(4, Some(schema))]),
    )
    .unwrap();
}

#[test]
fn dimensions_are_between_1_and_4096() {
    let engine = common::memory_engine();
    assert_eq!(
        create(&engine, "wide", json!([]), json!([index(4097, None)])).unwrap_err(),
        invalid("Dimensions must be between 1 and 4096 for VectorIndex emb, got 4097")
    );
    create(&engine, "wide", json!([]), json!([index(4096, None)])).unwrap();
}

#[test]
fn a_vector_of_the_wrong_size_is_rejected_on_put() {
    let engine = common::memory_engine();
    create(&engine, "things", json!([]), json!([index(4, None)])).unwrap();
    assert_eq!(
        put(&engine, "things", "a", &[1.0, 2.0, 3.0], json!({})).unwrap_err(),
        invalid("Invalid size for parameter v, Expected: 4, Actual: 3. IndexName: emb")
    );
    put(&engine, "things", "a", &[1.0, 2.0, 3.0, 4.0], json!({})).unwrap();
}

#[test]
fn a_vector_that_is_not_a_list_of_numbers_is_rejected_on_put() {
    let engine = common::memory_engine();
    create(&engine, "things", json!([]), json!([index(2, None)])).unwrap();
    let bad = call(
        &engine,
        "PutItem",
        json!({"TableName": "things", "Item": {"pk": {"S": "a"}, "v": {"L": [{"N": "1"}, {"S": "x"}]}}}),
    );
    assert_eq!(
        bad.unwrap_err(),
        invalid("Invalid type for parameter v, Expected: a list (L) of numbers (N) that fit in 32-bit floating point. IndexName: emb")
    );
    put(&engine, "things", "a", &[1.0, 2.0], json!({})).unwrap();
}

#[test]
fn a_transaction_writing_a_bad_vector_is_cancelled() {
    let engine = common::memory_engine();
    create(&engine, "things", json!([]), json!([index(2, None)])).unwrap();
    let bad = call(
        &engine,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "things", "Item": {"pk": {"S": "a"}, "v": vector(&[1.0])}}}]}),
    );
    assert_eq!(bad.unwrap_err().0, "TransactionCanceledException");
    call(
        &engine,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "things", "Item": {"pk": {"S": "a"}, "v": vector(&[1.0, 0.0])}}}]}),
    )
    .unwrap();
}

#[test]
fn an_item_without_a_vector_is_stored_but_not_indexed() {
    let engine = common::memory_engine();
    create(&engine, "things", json!([]), json!([index(2, None)])).unwrap();
    call(
        &engine,
        "PutItem",
        json!({"TableName": "things", "Item": {"pk": {"S": "plain"}}}),
    )
    .unwrap();
    put(&engine, "things", "vec", &[1.0, 0.0], json!({})).unwrap();
    assert_eq!(
        keys(&search(&engine, "things", &[1.0, 0.0], 10, json!({})).unwrap()),
        ["vec"]
    );
}

#[test]
fn top_k_is_between_1_and_100() {
    let engine = common::memory_engine();
    create(&engine, "things", json!([]), json!([index(2, None)])).unwrap();
    for k in [0, 101] {
        assert_eq!(
            search(&engine, "things", &[1.0, 0.0], k, json!({})).unwrap_err(),
            (
                "ValidationException".to_string(),
                format!(
                    "Provided TopK value '{k}' is out of valid range. The value must be between 1 and 100 inclusive"
                )
            )
        );
    }
    search(&engine, "things", &[1.0, 0.0], 100, json!({})).unwrap();
}

#[test]
fn the_search_vector_has_the_index_dimensions() {
    let engine = common::memory_engine();
    create(&engine, "things", json!([]), json!([index(2, None)])).unwrap();
    assert_eq!(
        search(&engine, "things", &[1.0, 0.0, 0.0], 1, json!({})).unwrap_err(),
        (
            "ValidationException".to_string(),
            "Input search vector dimension 3 does not match vector index dimension 2".to_string()
        )
    );
    search(&engine, "things", &[1.0, 0.0], 1, json!({})).unwrap();
}

#[test]
fn a_search_needs_the_hash_value_when_the_schema_has_one_and_allows_only_equality() {
    let engine = common::memory_engine();
    let schema = json!([{"AttributeName": "owner", "SearchSchemaElementType": "HASH"}]);
    create(
        &engine,
        "pets",
        json!([{"AttributeName": "owner", "AttributeType": "S"}]),
        json!([index(2, Some(schema))]),
    )
    .unwrap();
    assert_eq!(
        search(&engine, "pets", &[1.0, 0.0], 1, json!({})).unwrap_err(),
        (
            "ValidationException".to_string(),
            "SearchConditionExpression must be provided when SearchSchema has a HASH key".to_string()
        )
    );
    let values = json!({":o": {"S": "ada"}});
    assert_eq!(
        search(&engine, "pets", &[1.0, 0.0], 1,
               json!({"SearchConditionExpression": "#o > :o", "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": values.clone()}))
        .unwrap_err(),
        (
            "ValidationException".to_string(),
            "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression".to_string()
        )
    );
    assert_eq!(
        search(&engine, "pets", &[1.0, 0.0], 1,
               json!({"SearchConditionExpression": "#o IN (:o)", "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": values.clone()}))
        .unwrap_err(),
        (
            "ValidationException".to_string(),
            "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression".to_string()
        )
    );
    search(&engine, "pets", &[1.0, 0.0], 1,
           json!({"SearchConditionExpression": "#o = :o", "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": values})).unwrap();
}

#[test]
fn query_and_scan_of_a_vector_index_are_refused() {
    let engine = common::memory_engine();
    create(&engine, "things", json!([]), json!([index(2, None)])).unwrap();
    let query = call(
        &engine,
        "Query",
        json!({"TableName": "things", "IndexName": "emb", "KeyConditionExpression": "pk = :p",
               "ExpressionAttributeValues": {":p": {"S": "a"}}}),
    );
    assert_eq!(
        query.unwrap_err(),
        (
            "ValidationException".to_string(),
            "Query operation not supported on this index type.".to_string()
        )
    );
    let scan = call(&engine, "Scan", json!({"TableName": "things", "IndexName": "emb"}));
    assert_eq!(
        scan.unwrap_err(),
        (
            "ValidationException".to_string(),
            "Scan operation not supported on this index type.".to_string()
        )
    );
    call(&engine, "Scan", json!({"TableName": "things"})).unwrap();
}

/// Deterministic pseudo-random vectors.
fn vectors(n: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            (0..dims)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 2000) as f32 / 1000.0 - 1.0
                })
                .collect()
        })
        .collect()
}

fn brute(data: &[Vec<f32>], query: &[f32], k: usize) -> Vec<String> {
    let mut scored: Vec<(f32, usize)> = data
        .iter()
        .enumerate()
        .map(|(i, v)| (v.iter().zip(query).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(), i))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored.iter().take(k).map(|(_, i)| format!("p{i}")).collect()
}

/// Partitions of 100 entries or more searched from memory: by the quantized scan.
fn graph_engine(storage: Arc<dyn cairn_storage::Storage>) -> Engine {
    let config = EngineConfig {
        vector_graph_threshold: 100,
        ..EngineConfig::default()
    };
    Engine::new(storage, config).unwrap()
}

/// The same, through an HNSW graph (as past `--vector-flat-max` entries).
fn hnsw_engine(storage: Arc<dyn cairn_storage::Storage>) -> Engine {
    let config = EngineConfig {
        vector_graph_threshold: 100,
        vector_flat_max: 0,
        ..EngineConfig::default()
    };
    Engine::new(storage, config).unwrap()
}

/// Searches until the partition's graph answers (fewer vectors examined than the
/// partition holds), at most 20 s.
fn wait_for_graph(engine: &Engine, query: &[f32], size: usize, dims: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let out = search(engine, "big", query, 10, json!({"ReturnConsumedCapacity": "TOTAL"})).unwrap();
        let bytes = out["ConsumedCapacity"]["VectorSearchRequestBytes"].as_f64().unwrap();
        if bytes < (size * dims * 4) as f64 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the graph was never built");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn recall(engine: &Engine, data: &[Vec<f32>], queries: &[Vec<f32>]) -> f64 {
    let mut found = 0;
    for q in queries {
        let got = keys(&search(engine, "big", q, 10, json!({})).unwrap());
        let want = brute(data, q, 10);
        found += got.iter().filter(|k| want.contains(k)).count();
    }
    found as f64 / (queries.len() * 10) as f64
}

#[test]
fn a_large_partition_is_searched_by_its_quantized_scan_with_exact_results_and_follows_writes() {
    large_partition_follows_writes(graph_engine(Arc::new(MemoryStorage::new())), 1.0);
}

#[test]
fn a_partition_past_the_flat_limit_is_searched_through_its_graph_with_high_recall_and_follows_writes() {
    large_partition_follows_writes(hnsw_engine(Arc::new(MemoryStorage::new())), 0.9);
}

fn large_partition_follows_writes(engine: Engine, least_recall: f64) {
    let (n, dims) = (2000, 16);
    let mut ix = index(dims as i64, None);
    ix["Projection"] = json!({"ProjectionType": "KEYS_ONLY"});
    create(&engine, "big", json!([]), json!([ix])).unwrap();
    let data = vectors(n, dims, 1);
    for (i, v) in data.iter().enumerate() {
        put(&engine, "big", &format!("p{i}"), v, json!({})).unwrap();
    }
    let queries = vectors(20, dims, 99);
    wait_for_graph(&engine, &queries[0], n, dims);
    let r = recall(&engine, &data, &queries);
    assert!(r >= least_recall, "recall@10 {r}");
    // A write after the graph was built is followed: an exact match comes first...
    put(&engine, "big", "exact", &queries[1], json!({})).unwrap();
    assert_eq!(
        keys(&search(&engine, "big", &queries[1], 1, json!({})).unwrap()),
        ["exact"]
    );
    // ...and a deleted item is never returned.
    call(
        &engine,
        "DeleteItem",
        json!({"TableName": "big", "Key": {"pk": {"S": "exact"}}}),
    )
    .unwrap();
    assert!(!keys(&search(&engine, "big", &queries[1], 10, json!({})).unwrap()).contains(&"exact".to_string()));
}

#[test]
fn vector_entries_survive_a_restart_and_the_graph_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let (n, dims) = (500, 8);
    let data = vectors(n, dims, 5);
    let queries = vectors(10, dims, 77);
    {
        let engine = graph_engine(Arc::new(EmbeddedStorage::open(dir.path(), Default::default()).unwrap()));
        create(&engine, "big", json!([]), json!([index(dims as i64, None)])).unwrap();
        for (i, v) in data.iter().enumerate() {
            put(&engine, "big", &format!("p{i}"), v, json!({})).unwrap();
        }
    }
    let engine = graph_engine(Arc::new(EmbeddedStorage::open(dir.path(), Default::default()).unwrap()));
    // Exact right away (no graph yet), then through the rebuilt graph.
    assert_eq!(
        keys(&search(&engine, "big", &queries[0], 10, json!({})).unwrap()),
        brute(&data, &queries[0], 10)
    );
    wait_for_graph(&engine, &queries[0], n, dims);
    assert!(recall(&engine, &data, &queries) >= 0.9);
}

fn pets(engine: &Engine) {
    let schema = json!([{"AttributeName": "owner", "SearchSchemaElementType": "HASH"}]);
    create(
        engine,
        "pets",
        json!([{"AttributeName": "owner", "AttributeType": "S"}]),
        json!([index(2, Some(schema))]),
    )
    .unwrap();
}

#[test]
fn a_hash_value_larger_than_a_key_may_be_is_rejected_on_put_and_in_a_search() {
    let engine = common::memory_engine();
    pets(&engine);
    let big = "o".repeat(2049);
    assert_eq!(
        put(&engine, "pets", "a", &[1.0, 0.0], json!({"owner": {"S": big}})).unwrap_err(),
        invalid("Size limit exceeded for Index Key owner Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: emb")
    );
    put(
        &engine,
        "pets",
        "a",
        &[1.0, 0.0],
        json!({"owner": {"S": "o".repeat(2048)}}),
    )
    .unwrap();
    let searched = search(
        &engine,
        "pets",
        &[1.0, 0.0],
        1,
        json!({
        "SearchConditionExpression": "#o = :o", "ExpressionAttributeNames": {"#o": "owner"},
        "ExpressionAttributeValues": {":o": {"S": "o".repeat(70_000)}}}),
    );
    assert_eq!(
        searched.unwrap_err(),
        (
            "ValidationException".to_string(),
            "Invalid SearchConditionExpression: The value of owner is larger than a key attribute may be (2048 bytes)"
                .to_string()
        )
    );
}

#[test]
fn a_search_value_of_another_type_than_its_attribute_is_rejected() {
    let engine = common::memory_engine();
    pets(&engine);
    let searched = search(
        &engine,
        "pets",
        &[1.0, 0.0],
        1,
        json!({
        "SearchConditionExpression": "#o = :o", "ExpressionAttributeNames": {"#o": "owner"},
        "ExpressionAttributeValues": {":o": {"N": "1"}}}),
    );
    assert_eq!(
        searched.unwrap_err(),
        (
            "ValidationException".to_string(),
            "Invalid SearchConditionExpression: Type mismatch for attribute owner: expected S, got N".to_string()
        )
    );
}

#[test]
fn a_table_whose_vector_index_is_being_created_cannot_be_deleted() {
    let engine = common::memory_engine();
    common::create_simple_table(&engine, "things");
    put(&engine, "things", "a", &[1.0, 0.0], json!({})).unwrap();
    call(
        &engine,
        "UpdateTable",
        json!({"TableName": "things", "VectorIndexUpdates": [{"Create": index(2, None)}]}),
    )
    .unwrap();
    // The backfill waits half a second before it starts: the index is CREATING now.
    assert_eq!(
        call(&engine, "DeleteTable", json!({"TableName": "things"})).unwrap_err(),
        (
            "ResourceInUseException".to_string(),
            "Cannot delete table while indexes are being created, updated, or deleted.".to_string()
        )
    );
}

#[test]
fn a_quantized_copy_grown_well_past_the_flat_limit_is_dropped_and_rebuilt_as_a_graph() {
    let dims = 8;
    let config = EngineConfig {
        vector_graph_threshold: 100,
        vector_flat_max: 400,
        ..EngineConfig::default()
    };
    let engine = Engine::new(Arc::new(MemoryStorage::new()), config).unwrap();
    create(&engine, "big", json!([]), json!([index(dims as i64, None)])).unwrap();
    let data = vectors(500, dims, 3);
    for (i, v) in data[..300].iter().enumerate() {
        put(&engine, "big", &format!("p{i}"), v, json!({})).unwrap();
    }
    let queries = vectors(10, dims, 41);
    wait_for_graph(&engine, &queries[0], 300, dims);
    // Up to 400 + 400/8 entries the quantized copy follows the writes...
    for (i, v) in data.iter().enumerate().take(450).skip(300) {
        put(&engine, "big", &format!("p{i}"), v, json!({})).unwrap();
    }
    let examined = |engine: &Engine| {
        let out = search(
            engine,
            "big",
            &queries[0],
            10,
            json!({"ReturnConsumedCapacity": "TOTAL"}),
        )
        .unwrap();
        out["ConsumedCapacity"]["VectorSearchRequestBytes"].as_f64().unwrap()
    };
    assert!(
        examined(&engine) < (450 * dims * 4) as f64,
        "still answered from memory"
    );
    // ...one more and it is dropped: the next search is exact (every entry examined)
    // and starts the graph build, after which answers come from memory again.
    put(&engine, "big", "p450", &data[450], json!({})).unwrap();
    assert!(
        examined(&engine) >= (451 * dims * 4) as f64,
        "answered exactly after the drop"
    );
    wait_for_graph(&engine, &queries[0], 451, dims);
    assert!(recall(&engine, &data[..451], &queries) >= 0.9);
}

/// A store that counts its range scans (the exact search path is one).
struct CountingStorage {
    inner: MemoryStorage,
    scans: std::sync::atomic::AtomicUsize,
}

impl cairn_storage::Storage for CountingStorage {
    fn get(&self, key: &[u8]) -> cairn_storage::StorageResult<Option<Vec<u8>>> {
        self.inner.get(key)
    }
    fn scan(
        &self,
        range: &cairn_storage::ScanRange,
        limit: usize,
    ) -> cairn_storage::StorageResult<Vec<cairn_storage::KeyValue>> {
        self.scans.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.scan(range, limit)
    }
    fn begin(&self) -> cairn_storage::StorageResult<Box<dyn cairn_storage::Transaction + '_>> {
        self.inner.begin()
    }
    fn snapshot(&self) -> cairn_storage::StorageResult<Box<dyn cairn_storage::Snapshot>> {
        self.inner.snapshot()
    }
}

#[test]
fn a_selective_filter_is_answered_from_the_quantized_scan_without_an_exact_pass() {
    let dims = 8;
    let storage = Arc::new(CountingStorage {
        inner: MemoryStorage::new(),
        scans: Default::default(),
    });
    let engine = graph_engine(storage.clone());
    let schema = json!([{"AttributeName": "team", "SearchSchemaElementType": "INLINE_FILTER"}]);
    create(
        &engine,
        "big",
        json!([{"AttributeName": "team", "AttributeType": "S"}]),
        json!([index(dims as i64, Some(schema))]),
    )
    .unwrap();
    let data = vectors(400, dims, 9);
    for (i, v) in data.iter().enumerate() {
        let team = if i % 100 == 7 { "rare" } else { "common" };
        put(&engine, "big", &format!("p{i}"), v, json!({"team": {"S": team}})).unwrap();
    }
    let queries = vectors(3, dims, 5);
    wait_for_graph(&engine, &queries[0], 400, dims);
    let scans = || storage.scans.load(std::sync::atomic::Ordering::SeqCst);
    // An unfiltered search answered from memory: no exact pass.
    let before = scans();
    search(&engine, "big", &queries[0], 10, json!({})).unwrap();
    let unfiltered = scans() - before;
    let before = scans();
    let out = search(
        &engine,
        "big",
        &queries[0],
        10,
        json!({"SearchConditionExpression": "team = :t", "ExpressionAttributeValues": {":t": {"S": "rare"}},
               "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    // All four matching entries, nearest first, having examined only them.
    let rare: Vec<Vec<f32>> = (0..4).map(|j| data[j * 100 + 7].clone()).collect();
    let expected: Vec<String> = brute(&rare, &queries[0], 4)
        .iter()
        .map(|k| format!("p{}", k[1..].parse::<usize>().unwrap() * 100 + 7))
        .collect();
    assert_eq!(keys(&out), expected);
    assert_eq!(
        scans() - before,
        unfiltered,
        "the filtered search also scanned the partition exactly"
    );
}

#[test]
fn a_partition_too_large_for_the_vector_memory_budget_is_searched_exactly_from_storage() {
    let dims = 8;
    let engine = |budget: u64| {
        let config = EngineConfig {
            vector_graph_threshold: 100,
            vector_memory_bytes: budget,
            ..EngineConfig::default()
        };
        Engine::new(Arc::new(MemoryStorage::new()), config).unwrap()
    };
    let data = vectors(300, dims, 8);
    let queries = vectors(5, dims, 81);
    let tight = engine(1024);
    create(&tight, "big", json!([]), json!([index(dims as i64, None)])).unwrap();
    for (i, v) in data.iter().enumerate() {
        put(&tight, "big", &format!("p{i}"), v, json!({})).unwrap();
    }
    for _ in 0..3 {
        for q in &queries {
            let out = search(&tight, "big", q, 10, json!({"ReturnConsumedCapacity": "TOTAL"})).unwrap();
            assert_eq!(keys(&out), brute(&data, q, 10));
            let bytes = out["ConsumedCapacity"]["VectorSearchRequestBytes"].as_f64().unwrap();
            assert!(bytes >= (300 * dims * 4) as f64, "every entry examined: {bytes}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(tight.vector_memory(), cairn_engine::VectorMemory::default());
    // With the default budget the same partition gets its in-memory copy.
    let roomy = engine(cairn_engine::DEFAULT_VECTOR_MEMORY_BYTES);
    create(&roomy, "big", json!([]), json!([index(dims as i64, None)])).unwrap();
    for (i, v) in data.iter().enumerate() {
        put(&roomy, "big", &format!("p{i}"), v, json!({})).unwrap();
    }
    wait_for_graph(&roomy, &queries[0], 300, dims);
    assert_eq!(roomy.vector_memory().ready, 1);
}
