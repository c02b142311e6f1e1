//! Cairn inside your own process: no server, no sockets. The engine takes the same
//! requests DynamoDB does (typed, or from DynamoDB JSON through serde) and answers
//! with DynamoDB's results and errors.
//!
//!     cargo run --release -p cairn-engine --example embedded            # in memory
//!     cargo run --release -p cairn-engine --example embedded -- ./data  # durable, in ./data
//!
//! The durable store (`EmbeddedStorage`) keeps every acknowledged write across a
//! crash; `MemoryStorage` keeps nothing when the process ends.

use cairn_engine::{Engine, EngineConfig, RequestContext};
use cairn_model::types::{CreateTableInput, GetItemInput, PutItemInput, QueryInput};
use cairn_storage::{Durability, EmbeddedStorage, MemoryStorage, Storage};
use serde_json::json;
use std::sync::Arc;

/// A request from DynamoDB JSON, as an SDK would send it.
fn request<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> T {
    serde_json::from_value(body).expect("a well-formed request")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let storage: Arc<dyn Storage> = match std::env::args().nth(1) {
        Some(dir) => Arc::new(EmbeddedStorage::open(std::path::Path::new(&dir), Durability::Journal)?),
        None => Arc::new(MemoryStorage::new()),
    };
    let engine = Engine::new(storage, EngineConfig::default())?;
    // Who is asking, and in which region: tables are per region, as on DynamoDB.
    let ctx = RequestContext::default();

    let create: CreateTableInput = request(json!({
        "TableName": "orders", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "customer", "AttributeType": "S"},
                                 {"AttributeName": "order", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"},
                      {"AttributeName": "order", "KeyType": "RANGE"}]
    }));
    match engine.create_table(&ctx, create) {
        Ok(_) => println!("created table orders"),
        // A durable store run twice: the table is there from the first run.
        Err(e) if e.kind.name() == "ResourceInUseException" => println!("table orders exists"),
        Err(e) => return Err(e.into()),
    }

    for order in 1..=3 {
        let put: PutItemInput = request(json!({
            "TableName": "orders",
            "Item": {"customer": {"S": "ada"}, "order": {"N": order.to_string()},
                     "total": {"N": format!("{}.50", order * 10)}}
        }));
        engine.put_item(&ctx, put)?;
    }

    let get: GetItemInput = request(json!({
        "TableName": "orders", "Key": {"customer": {"S": "ada"}, "order": {"N": "2"}}
    }));
    let item = engine.get_item(&ctx, get)?.item;
    println!("GetItem: {}", serde_json::to_string(&item)?);

    let query: QueryInput = request(json!({
        "TableName": "orders",
        "KeyConditionExpression": "customer = :c AND #o >= :from",
        "ExpressionAttributeNames": {"#o": "order"},
        "ExpressionAttributeValues": {":c": {"S": "ada"}, ":from": {"N": "2"}},
        "ScanIndexForward": false
    }));
    let page = engine.query(&ctx, query)?;
    println!(
        "Query: {} items, newest first: {}",
        page.count,
        serde_json::to_string(&page.items)?
    );

    // Errors are DynamoDB's: type and message.
    let bad: PutItemInput = request(json!({"TableName": "orders", "Item": {"customer": {"S": "ada"}}}));
    let error = engine.put_item(&ctx, bad).unwrap_err();
    println!("PutItem without the sort key: {}: {}", error.kind.name(), error.message);
    Ok(())
}
