//! Any text as a PartiQL statement, executed by the engine against a table with a
//! sort key and indexes: translating and running it must never panic, hang or answer
//! 500 (a deeply nested literal once overflowed the stack and aborted the process).
#![no_main]

use cairn_engine::{Engine, EngineConfig, RequestContext};
use cairn_model::types::ExecuteStatementInput;
use cairn_model::ErrorKind;
use cairn_storage::MemoryStorage;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let engine = Engine::new(Arc::new(MemoryStorage::new()), EngineConfig::default()).expect("engine");
        let table = r#"{"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"GlobalSecondaryIndexes":[{"IndexName":"by_g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}],"BillingMode":"PAY_PER_REQUEST"}"#;
        engine
            .create_table(&RequestContext::default(), serde_json::from_str(table).expect("json"))
            .expect("table");
        engine
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let input = ExecuteStatementInput {
        statement: Some(text.to_string()),
        ..Default::default()
    };
    if let Err(error) = engine().execute_statement(&RequestContext::default(), input) {
        assert_ne!(error.kind, ErrorKind::InternalServerError, "{text}: {}", error.message);
    }
});
