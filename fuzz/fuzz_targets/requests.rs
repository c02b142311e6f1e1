//! The whole request path without a socket: an operation name on the first line, the
//! request body after it, through the same `call_operation` the listener runs (routing,
//! JSON decoding, validation, the engine over memory storage). No input may panic or
//! hang, and a request whose body is well-formed JSON must never be answered 500
//! (call_operation turns a panic into a 500, so this catches panics too).
#![no_main]

use cairn_engine::{Engine, EngineConfig, RequestContext};
use cairn_model::ErrorKind;
use cairn_storage::MemoryStorage;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::sync::Arc;

/// Requests run against one engine for this many inputs, then a fresh one, so state
/// built by earlier inputs is exercised without growing without bound.
const INPUTS_PER_ENGINE: u32 = 2_000;

const SETUP: &[(&str, &str)] = &[
    (
        "CreateTable",
        r#"{"TableName":"fuzz","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"GlobalSecondaryIndexes":[{"IndexName":"by_g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}],"LocalSecondaryIndexes":[{"IndexName":"by_g_local","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"g","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"fuzz","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"x"},"m":{"M":{"l":{"L":[{"N":"1"},{"SS":["p"]}]}}}}}"#,
    ),
];

fn fresh_engine() -> Engine {
    let engine = Engine::new(Arc::new(MemoryStorage::new()), EngineConfig::default()).expect("engine");
    for (operation, body) in SETUP {
        let target = format!("DynamoDB_20120810.{operation}");
        cairn_server::call_operation(&engine, &RequestContext::default(), Some(&target), body.as_bytes())
            .expect("setup request");
    }
    engine
}

thread_local! {
    static ENGINE: RefCell<(Engine, u32)> = RefCell::new((fresh_engine(), 0));
}

fuzz_target!(|data: &[u8]| {
    let (first_line, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(operation) = std::str::from_utf8(first_line) else { return };
    let target = if operation.starts_with("DynamoDB") {
        operation.to_string()
    } else if matches!(operation, "DescribeStream" | "GetRecords" | "GetShardIterator" | "ListStreams") {
        format!("DynamoDBStreams_20120810.{operation}")
    } else {
        format!("DynamoDB_20120810.{operation}")
    };
    ENGINE.with(|cell| {
        let mut state = cell.borrow_mut();
        state.1 += 1;
        if state.1 > INPUTS_PER_ENGINE {
            *state = (fresh_engine(), 0);
        }
        let result = cairn_server::call_operation(&state.0, &RequestContext::default(), Some(&target), body);
        if let Err(error) = result {
            if error.kind == ErrorKind::InternalServerError && serde_json::from_slice::<serde_json::Value>(body).is_ok() {
                panic!("500 for a well-formed request to {target}: {}", error.message);
            }
        }
    });
});
