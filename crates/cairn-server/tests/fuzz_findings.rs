//! Requests the fuzzers found that once crashed a handler, each with the nearest valid
//! request that must still succeed.

mod common;

use common::{call, create_simple_table, memory_engine};
use serde_json::json;

/// fuzz target `requests`, December 2026: a GSI Create action without a KeySchema
/// indexed into an empty schema.
#[test]
fn update_table_gsi_create_without_key_schema_fails_the_model_constraint() {
    let engine = memory_engine();
    create_simple_table(&engine, "fuzz");
    let create = |key_schema: Option<serde_json::Value>| {
        let mut index = json!({"IndexName": "by_h", "Projection": {"ProjectionType": "ALL"}});
        if let Some(schema) = key_schema {
            index["KeySchema"] = schema;
        }
        call(
            &engine,
            "UpdateTable",
            json!({"TableName": "fuzz", "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "N"}],
                   "GlobalSecondaryIndexUpdates": [{"Create": index}]}),
        )
    };
    assert_eq!(
        create(None).unwrap_err(),
        (
            "ValidationException".to_string(),
            "1 validation error detected: Value null at 'globalSecondaryIndexUpdates.1.member.create.keySchema' failed to satisfy constraint: Member must not be null".to_string()
        )
    );
    let (kind, message) = create(Some(json!([]))).unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert!(message.contains("'globalSecondaryIndexUpdates.1.member.create.keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1"), "{message}");
    create(Some(json!([{"AttributeName": "h", "KeyType": "HASH"}]))).unwrap();
}
