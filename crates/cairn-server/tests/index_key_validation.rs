//! Secondary-index key attributes obey the index's rules on every write path: the
//! declared type, not empty, at most 2,048 bytes (partition) or 1,024 bytes (sort).
//! Messages as DynamoDB answers them (recorded June 2026); violations name the
//! alphabetically first index holding the attribute. Issue 13, area 1.

mod common;

use common::{call, memory_engine};
use serde_json::{json, Value};

/// `indexed`: `lsi1sk` (S) is the sort key of LSI `lsi1` and the partition key of
/// GSIs `gsi1` and `gsi2`; `bidx` (B) is the partition key of GSI `gsib`; `only_lsi`
/// (S) is the sort key of LSI `lsi2` alone.
fn engine() -> cairn_engine::Engine {
    let engine = memory_engine();
    let gsi = |name: &str, attr: &str| json!({"IndexName": name, "KeySchema": [{"AttributeName": attr, "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}});
    let lsi = |name: &str, attr: &str| {
        json!({"IndexName": name, "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": attr, "KeyType": "RANGE"}],
               "Projection": {"ProjectionType": "KEYS_ONLY"}})
    };
    call(
        &engine,
        "CreateTable",
        json!({
            "TableName": "indexed",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "lsi1sk", "AttributeType": "S"}, {"AttributeName": "bidx", "AttributeType": "B"},
                {"AttributeName": "only_lsi", "AttributeType": "S"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "GlobalSecondaryIndexes": [gsi("gsi2", "lsi1sk"), gsi("gsi1", "lsi1sk"), gsi("gsib", "bidx")],
            "LocalSecondaryIndexes": [lsi("lsi1", "lsi1sk"), lsi("lsi2", "only_lsi")],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .unwrap();
    engine
}

fn item(attr: &str, value: Value) -> Value {
    json!({"pk": {"S": "p"}, "sk": {"S": "s"}, attr: value})
}

fn put(engine: &cairn_engine::Engine, item: Value) -> Result<Value, (String, String)> {
    call(engine, "PutItem", json!({"TableName": "indexed", "Item": item}))
}

fn update(engine: &cairn_engine::Engine, expression: &str, value: Value) -> Result<Value, (String, String)> {
    call(
        engine,
        "UpdateItem",
        json!({"TableName": "indexed", "Key": {"pk": {"S": "p"}, "sk": {"S": "s"}}, "UpdateExpression": expression,
               "ExpressionAttributeValues": {":v": value}}),
    )
}

fn stored(engine: &cairn_engine::Engine) -> Option<Value> {
    let got = call(
        engine,
        "GetItem",
        json!({"TableName": "indexed", "Key": {"pk": {"S": "p"}, "sk": {"S": "s"}}}),
    )
    .unwrap();
    got.get("Item").cloned()
}

fn refused(result: Result<Value, (String, String)>) -> String {
    let (kind, message) = result.expect_err("the write should be refused");
    assert_eq!(kind, "ValidationException", "{message}");
    message
}

const MISMATCH_N: &str = "One or more parameter values were invalid: Type mismatch for Index Key lsi1sk Expected: S Actual: N IndexName: gsi1";
const EMPTY_S_PUT: &str = "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: gsi1, IndexKey: lsi1sk";
const EMPTY_B_UPDATE: &str = "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty binary value.";

#[test]
fn put_item_with_an_index_key_of_the_wrong_type_is_refused() {
    let engine = engine();
    assert_eq!(refused(put(&engine, item("lsi1sk", json!({"N": "1"})))), MISMATCH_N);
    assert!(stored(&engine).is_none());
    put(&engine, item("lsi1sk", json!({"S": "x"}))).unwrap();
}

#[test]
fn put_item_with_a_list_as_an_index_key_is_refused() {
    let engine = engine();
    assert_eq!(
        refused(put(&engine, item("lsi1sk", json!({"L": []})))),
        MISMATCH_N.replace("Actual: N", "Actual: L")
    );
}

#[test]
fn put_item_with_an_empty_string_index_key_is_refused() {
    let engine = engine();
    assert_eq!(refused(put(&engine, item("lsi1sk", json!({"S": ""})))), EMPTY_S_PUT);
}

#[test]
fn put_item_with_an_empty_binary_index_key_is_refused() {
    let engine = engine();
    assert_eq!(
        refused(put(&engine, item("bidx", json!({"B": ""})))),
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty binary value. IndexName: gsib, IndexKey: bidx"
    );
    put(&engine, item("bidx", json!({"B": "AQ=="}))).unwrap();
}

#[test]
fn an_item_without_the_index_attributes_is_accepted_and_left_out_of_the_index() {
    let engine = engine();
    put(
        &engine,
        json!({"pk": {"S": "p"}, "sk": {"S": "s"}, "other": {"N": "1"}}),
    )
    .unwrap();
    let scan = call(&engine, "Scan", json!({"TableName": "indexed", "IndexName": "gsi1"})).unwrap();
    assert_eq!(scan["Count"], 0);
}

#[test]
fn a_gsi_partition_key_over_2048_bytes_is_refused() {
    let engine = engine();
    assert_eq!(
        refused(put(&engine, item("lsi1sk", json!({"S": "x".repeat(2049)})))),
        "One or more parameter values were invalid: Size limit exceeded for Index Key lsi1sk Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: gsi1"
    );
}

#[test]
fn an_lsi_sort_key_over_1024_bytes_is_refused_naming_the_lsi() {
    let engine = engine();
    assert_eq!(
        refused(put(&engine, item("only_lsi", json!({"S": "x".repeat(1025)})))),
        "One or more parameter values were invalid: Size limit exceeded for Index Key only_lsi Actual Size: 1025 bytes Max Size: 1024 bytes IndexName: lsi2"
    );
    put(&engine, item("only_lsi", json!({"S": "x".repeat(1024)}))).unwrap();
}

#[test]
fn update_item_setting_an_index_key_to_the_wrong_type_is_refused() {
    let engine = engine();
    put(&engine, item("lsi1sk", json!({"S": "x"}))).unwrap();
    assert_eq!(
        refused(update(&engine, "SET lsi1sk = :v", json!({"N": "1"}))),
        MISMATCH_N
    );
    assert_eq!(stored(&engine).unwrap()["lsi1sk"], json!({"S": "x"}));
    update(&engine, "SET lsi1sk = :v", json!({"S": "y"})).unwrap();
}

#[test]
fn update_item_turning_an_index_key_into_a_map_is_refused() {
    let engine = engine();
    assert_eq!(
        refused(update(&engine, "SET lsi1sk = :v", json!({"M": {"a": {"S": "x"}}}))),
        MISMATCH_N.replace("Actual: N", "Actual: M")
    );
    assert!(stored(&engine).is_none());
}

#[test]
fn update_item_setting_an_index_key_to_an_empty_value_uses_the_update_wording() {
    let engine = engine();
    assert_eq!(
        refused(update(&engine, "SET bidx = :v", json!({"B": ""}))),
        EMPTY_B_UPDATE
    );
    assert_eq!(
        refused(update(&engine, "SET lsi1sk = :v", json!({"S": ""}))),
        EMPTY_B_UPDATE.replace("binary", "string")
    );
}

#[test]
fn an_update_that_leaves_index_keys_alone_is_accepted() {
    let engine = engine();
    put(&engine, item("lsi1sk", json!({"S": "x"}))).unwrap();
    update(&engine, "SET extra = :v", json!({"N": "5"})).unwrap();
}

#[test]
fn batch_write_item_with_one_bad_index_key_refuses_the_whole_batch() {
    let engine = engine();
    let result = call(
        &engine,
        "BatchWriteItem",
        json!({"RequestItems": {"indexed": [
            {"PutRequest": {"Item": {"pk": {"S": "ok"}, "sk": {"S": "s"}}}},
            {"PutRequest": {"Item": item("lsi1sk", json!({"N": "1"}))}}
        ]}}),
    );
    assert_eq!(refused(result), MISMATCH_N);
    let scan = call(&engine, "Scan", json!({"TableName": "indexed"})).unwrap();
    assert_eq!(scan["Count"], 0);
}

fn transact(engine: &cairn_engine::Engine, action: Value) -> Result<Value, (String, String)> {
    call(engine, "TransactWriteItems", json!({"TransactItems": [action]}))
}

#[test]
fn a_transaction_writing_an_index_key_of_the_wrong_type_is_cancelled_with_a_validation_reason() {
    let engine = engine();
    let put_action = json!({"Put": {"TableName": "indexed", "Item": item("lsi1sk", json!({"N": "1"}))}});
    let (kind, message) = transact(&engine, put_action).unwrap_err();
    assert_eq!(kind, "TransactionCanceledException");
    assert_eq!(
        message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [ValidationError]"
    );
    let update_action = json!({"Update": {"TableName": "indexed", "Key": {"pk": {"S": "p"}, "sk": {"S": "s"}},
        "UpdateExpression": "SET lsi1sk = :v", "ExpressionAttributeValues": {":v": {"L": []}}}});
    assert_eq!(
        transact(&engine, update_action).unwrap_err().0,
        "TransactionCanceledException"
    );
    transact(
        &engine,
        json!({"Put": {"TableName": "indexed", "Item": item("lsi1sk", json!({"S": "x"}))}}),
    )
    .unwrap();
}

#[test]
fn a_transaction_writing_an_empty_index_key_is_refused_outright() {
    let engine = engine();
    let put_action = json!({"Put": {"TableName": "indexed", "Item": item("lsi1sk", json!({"S": ""}))}});
    assert_eq!(refused(transact(&engine, put_action)), EMPTY_S_PUT);
    let update_action = json!({"Update": {"TableName": "indexed", "Key": {"pk": {"S": "p"}, "sk": {"S": "s"}},
        "UpdateExpression": "SET bidx = :v", "ExpressionAttributeValues": {":v": {"B": ""}}}});
    assert_eq!(refused(transact(&engine, update_action)), EMPTY_B_UPDATE);
    assert!(stored(&engine).is_none());
}

#[test]
fn partiql_insert_and_update_check_index_keys() {
    let engine = engine();
    let run = |statement: &str| call(&engine, "ExecuteStatement", json!({"Statement": statement}));
    assert_eq!(
        refused(run("INSERT INTO indexed VALUE {'pk': 'p', 'sk': 's', 'lsi1sk': 1}")),
        MISMATCH_N
    );
    run("INSERT INTO indexed VALUE {'pk': 'p', 'sk': 's', 'lsi1sk': 'x'}").unwrap();
    assert_eq!(
        refused(run("UPDATE indexed SET lsi1sk = '' WHERE pk = 'p' AND sk = 's'")),
        EMPTY_B_UPDATE.replace("binary", "string")
    );
    run("UPDATE indexed SET lsi1sk = 'y' WHERE pk = 'p' AND sk = 's'").unwrap();
}

#[test]
fn an_online_backfill_leaves_out_items_that_break_the_new_index_and_finishes() {
    let engine = engine();
    for (sk, h) in [
        ("good", json!({"S": "x"})),
        ("number", json!({"N": "1"})),
        ("empty", json!({"S": ""})),
    ] {
        put(&engine, json!({"pk": {"S": "p"}, "sk": {"S": sk}, "h": h})).unwrap();
    }
    call(
        &engine,
        "UpdateTable",
        json!({"TableName": "indexed", "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "S"}],
               "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by_h", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
                                                            "Projection": {"ProjectionType": "ALL"}}}]}),
    )
    .unwrap();
    common::wait_for_index(&engine, "indexed", "by_h");
    assert_eq!(
        call(&engine, "Scan", json!({"TableName": "indexed", "IndexName": "by_h"})).unwrap()["Count"],
        1
    );
    assert_eq!(
        call(&engine, "Scan", json!({"TableName": "indexed"})).unwrap()["Count"],
        3
    );
    assert!(engine.check(false).unwrap().problems.is_empty());
}
