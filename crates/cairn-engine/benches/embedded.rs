//! The engine called in-process (no HTTP): GetItem, PutItem and a 20-item Query on
//! memory storage, and GetItem / PutItem on the durable embedded store. Figures for
//! docs/embedded.md:
//!
//!     cargo bench -p cairn-engine --bench embedded
//!
//! Items are ~200 bytes, 10,000 of them (500 partitions × 20), like ../shared/bench.

use cairn_engine::{Engine, EngineConfig, RequestContext};
use cairn_model::types::{GetItemInput, PutItemInput, QueryInput};
use cairn_storage::{Durability, EmbeddedStorage, MemoryStorage, Storage};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;

const PARTITIONS: usize = 500;
const PER_PARTITION: usize = 20;

fn request<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> T {
    serde_json::from_value(body).expect("a well-formed request")
}

fn put_request(pk: usize, sk: usize) -> PutItemInput {
    request(json!({"TableName": "bench", "Item": {
        "pk": {"S": format!("p{pk:05}")}, "sk": {"S": format!("s{sk:03}")},
        "payload": {"S": "x".repeat(150)}, "n": {"N": sk.to_string()}}}))
}

fn loaded(storage: Arc<dyn Storage>) -> Engine {
    let engine = Engine::new(storage, EngineConfig::default()).unwrap();
    let ctx = RequestContext::default();
    engine
        .create_table(
            &ctx,
            request(json!({"TableName": "bench", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}]})),
        )
        .unwrap();
    for pk in 0..PARTITIONS {
        for sk in 0..PER_PARTITION {
            engine.put_item(&ctx, put_request(pk, sk)).unwrap();
        }
    }
    engine
}

fn get_request(i: usize) -> GetItemInput {
    request(json!({"TableName": "bench", "Key": {
        "pk": {"S": format!("p{:05}", i % PARTITIONS)}, "sk": {"S": format!("s{:03}", i % PER_PARTITION)}}}))
}

fn bench_engine(c: &mut Criterion, name: &str, engine: &Engine) {
    let ctx = RequestContext::default();
    // Requests are built outside the timed section: the figure is the engine's.
    let gets: Vec<GetItemInput> = (0..1024).map(|i| get_request(i * 7919)).collect();
    let mut i = 0;
    c.bench_function(&format!("{name}/GetItem"), |b| {
        b.iter_batched(
            || {
                i += 1;
                gets[i % gets.len()].clone()
            },
            |input| black_box(engine.get_item(&ctx, input).unwrap()),
            BatchSize::SmallInput,
        )
    });
    let mut n = 0usize;
    c.bench_function(&format!("{name}/PutItem"), |b| {
        b.iter_batched(
            || {
                n += 1;
                put_request(PARTITIONS + n / PER_PARTITION, n % PER_PARTITION)
            },
            |input| black_box(engine.put_item(&ctx, input).unwrap()),
            BatchSize::SmallInput,
        )
    });
    let queries: Vec<QueryInput> = (0..64)
        .map(|p| {
            request(json!({"TableName": "bench", "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": format!("p{:05}", p * 7)}}}))
        })
        .collect();
    let mut q = 0;
    c.bench_function(&format!("{name}/Query20"), |b| {
        b.iter_batched(
            || {
                q += 1;
                queries[q % queries.len()].clone()
            },
            |input| {
                let page = engine.query(&ctx, input).unwrap();
                assert_eq!(page.count, PER_PARTITION);
                black_box(page)
            },
            BatchSize::SmallInput,
        )
    });
}

fn embedded(c: &mut Criterion) {
    let memory = loaded(Arc::new(MemoryStorage::new()));
    bench_engine(c, "memory", &memory);
    let dir = tempfile::tempdir().unwrap();
    let durable = loaded(Arc::new(
        EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap(),
    ));
    bench_engine(c, "durable", &durable);
}

criterion_group!(benches, embedded);
criterion_main!(benches);
