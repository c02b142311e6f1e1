//! Vector-index helpers the vector tests share: an index `emb` on `v`, tables keyed
//! by `pk` (S), puts and searches through the engine.

use super::call;
use cairn_engine::Engine;
use serde_json::{json, Value};

pub fn vector(values: &[f32]) -> Value {
    json!({"L": values.iter().map(|v| json!({"N": v.to_string()})).collect::<Vec<_>>()})
}

pub fn search_vector(values: &[f32]) -> Value {
    json!(values.iter().map(|v| json!({"N": v.to_string()})).collect::<Vec<_>>())
}

pub fn index(dims: i64, schema: Option<Value>) -> Value {
    let mut index = json!({"IndexName": "emb", "VectorAttribute": {"AttributeName": "v"}, "Dimensions": dims,
                           "DistanceFunction": "EUCLIDEAN", "Projection": {"ProjectionType": "ALL"}});
    if let Some(schema) = schema {
        index["SearchSchema"] = schema;
    }
    index
}

pub fn create(engine: &Engine, name: &str, definitions: Value, indexes: Value) -> Result<Value, (String, String)> {
    let mut defs = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
    defs.extend(definitions.as_array().cloned().unwrap_or_default());
    call(
        engine,
        "CreateTable",
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": defs,
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "VectorIndexes": indexes}),
    )
}

pub fn put(engine: &Engine, table: &str, pk: &str, v: &[f32], extra: Value) -> Result<Value, (String, String)> {
    let mut item = json!({"pk": {"S": pk}, "v": vector(v)});
    for (k, val) in extra.as_object().cloned().unwrap_or_default() {
        item[k] = val;
    }
    call(engine, "PutItem", json!({"TableName": table, "Item": item}))
}

pub fn search(engine: &Engine, table: &str, query: &[f32], k: i64, extra: Value) -> Result<Value, (String, String)> {
    let mut request = json!({"TableName": table, "IndexName": "emb", "SearchVector": search_vector(query), "TopK": k});
    for (key, val) in extra.as_object().cloned().unwrap_or_default() {
        request[key] = val;
    }
    call(engine, "SearchVectors", request)
}

pub fn keys(result: &Value) -> Vec<String> {
    result["SearchResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Item"]["pk"]["S"].as_str().unwrap().to_string())
        .collect()
}

pub fn invalid(detail: &str) -> (String, String) {
    (
        "ValidationException".to_string(),
        format!("One or more parameter values were invalid: {detail}"),
    )
}
