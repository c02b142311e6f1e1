//! Item limits (nesting depth, attribute names, size) hold on the item about to be
//! stored, whichever request builds it: PutItem, every update action, list_append,
//! PartiQL, batches and transactions. A refused write changes nothing and the table
//! stays readable (issue 12: such writes used to brick the table).

mod common;

use common::{call, create_simple_table, memory_engine};
use serde_json::{json, Value};

const NESTING: &str =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

/// `wraps` single-key maps around a string: DynamoDB accepts 31 and refuses 32.
fn deep_map(wraps: usize) -> Value {
    (0..wraps).fold(json!({"S": "leaf"}), |inner, _| json!({"M": {"n": inner}}))
}

fn deep_list(wraps: usize) -> Value {
    (0..wraps).fold(json!({"NULL": true}), |inner, _| json!({"L": [inner]}))
}

fn get(engine: &cairn_engine::Engine, pk: &str) -> Value {
    call(engine, "GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": pk}}})).unwrap()
}

fn table() -> cairn_engine::Engine {
    let engine = memory_engine();
    create_simple_table(&engine, "tbl");
    engine
}

fn assert_validation(result: Result<Value, (String, String)>, message: &str) {
    let (kind, text) = result.expect_err("the request should be refused");
    assert_eq!(kind, "ValidationException");
    assert_eq!(text, message);
}

#[test]
fn put_item_accepts_thirty_one_nested_maps_and_refuses_thirty_two() {
    let engine = table();
    call(
        &engine,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "ok"}, "d": deep_map(31)}}),
    )
    .unwrap();
    assert!(get(&engine, "ok")["Item"]["d"].is_object());
    let refused = call(
        &engine,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "no"}, "d": deep_map(32)}}),
    );
    assert_validation(refused, NESTING);
    assert!(get(&engine, "no").get("Item").is_none());
}

#[test]
fn update_set_of_a_nested_path_cannot_push_an_item_past_the_depth_limit() {
    let engine = table();
    call(
        &engine,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}, "a": {"M": {"b": {"M": {}}}}}}),
    )
    .unwrap();
    // a (0) . b (1) . c (2) holding 29 wraps: the leaf sits at depth 31, the deepest allowed.
    let set = |wraps| {
        call(
            &engine,
            "UpdateItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}}, "UpdateExpression": "SET a.b.c = :deep",
                   "ExpressionAttributeValues": {":deep": deep_map(wraps)}}),
        )
    };
    assert_validation(set(30), NESTING);
    assert!(get(&engine, "k")["Item"]["a"]["M"]["b"]["M"]
        .as_object()
        .unwrap()
        .is_empty());
    set(29).unwrap();
    assert!(get(&engine, "k")["Item"]["a"]["M"]["b"]["M"]["c"].is_object());
}

#[test]
fn list_append_cannot_build_an_item_past_the_depth_limit() {
    let engine = table();
    call(
        &engine,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}, "a": {"M": {"l": {"L": []}}}}}),
    )
    .unwrap();
    let append = |wraps| {
        call(
            &engine,
            "UpdateItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}}, "UpdateExpression": "SET a.l = list_append(a.l, :v)",
                   "ExpressionAttributeValues": {":v": {"L": [deep_list(wraps)]}}}),
        )
    };
    // In :v the leaf sits at depth wraps + 1 (allowed for 30); appended under a.l it
    // sits one level deeper, past the limit.
    assert_validation(append(30), NESTING);
    append(29).unwrap();
    assert_eq!(
        get(&engine, "k")["Item"]["a"]["M"]["l"]["L"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn transact_update_cannot_store_an_item_past_the_depth_limit() {
    let engine = table();
    call(
        &engine,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}, "a": {"M": {}}}}),
    )
    .unwrap();
    let update = |wraps| {
        call(
            &engine,
            "TransactWriteItems",
            json!({"TransactItems": [{"Update": {"TableName": "tbl", "Key": {"pk": {"S": "k"}},
                   "UpdateExpression": "SET a.x = :deep", "ExpressionAttributeValues": {":deep": deep_map(wraps)}}}]}),
        )
    };
    assert_validation(update(31), NESTING);
    update(30).unwrap();
}

#[test]
fn partiql_insert_cannot_store_an_item_past_the_depth_limit() {
    let engine = table();
    let literal = |wraps: usize| format!("{}'leaf'{}", "{'n': ".repeat(wraps), "}".repeat(wraps));
    let insert = |pk: &str, wraps| {
        let statement = format!("INSERT INTO tbl VALUE {{'pk': '{pk}', 'd': {}}}", literal(wraps));
        call(&engine, "ExecuteStatement", json!({"Statement": statement}))
    };
    assert_validation(insert("no", 32), NESTING);
    assert!(get(&engine, "no").get("Item").is_none());
    insert("ok", 31).unwrap();
    assert!(get(&engine, "ok")["Item"]["d"].is_object());
}

#[test]
fn a_refused_deep_write_leaves_the_table_fully_usable() {
    let engine = table();
    call(
        &engine,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}, "a": {"M": {}}}}),
    )
    .unwrap();
    let _ = call(
        &engine,
        "UpdateItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}}, "UpdateExpression": "SET a.b = :deep",
               "ExpressionAttributeValues": {":deep": deep_map(31)}}),
    );
    assert_eq!(call(&engine, "Scan", json!({"TableName": "tbl"})).unwrap()["Count"], 1);
    call(&engine, "DescribeTable", json!({"TableName": "tbl"})).unwrap();
    call(
        &engine,
        "DeleteItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}}}),
    )
    .unwrap();
    call(&engine, "DeleteTable", json!({"TableName": "tbl"})).unwrap();
}

#[test]
fn empty_attribute_names_are_refused_at_the_top_and_inside_maps() {
    let engine = table();
    let put = |item: Value| call(&engine, "PutItem", json!({"TableName": "tbl", "Item": item}));
    assert_validation(put(json!({"pk": {"S": "k"}, "": {"S": "v"}})), "Empty attribute name");
    assert_validation(
        put(json!({"pk": {"S": "k"}, "m": {"M": {"": {"S": "v"}}}})),
        "Empty attribute name",
    );
    put(json!({"pk": {"S": "k"}, "m": {"M": {"x": {"S": "v"}}}})).unwrap();
}

#[test]
fn update_cannot_create_an_empty_attribute_name() {
    let engine = table();
    call(
        &engine,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}}}),
    )
    .unwrap();
    let refused = call(
        &engine,
        "UpdateItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}}, "UpdateExpression": "SET m = :m",
               "ExpressionAttributeValues": {":m": {"M": {"": {"N": "1"}}}}}),
    );
    assert_validation(refused, "Empty attribute name");
    assert!(get(&engine, "k")["Item"].get("m").is_none());
}

#[test]
fn attribute_names_longer_than_65535_bytes_are_refused() {
    let engine = table();
    let put = |name: String| {
        call(
            &engine,
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}, name: {"S": "v"}}}),
        )
    };
    assert_validation(
        put("n".repeat(65536)),
        "1 validation error detected: Attribute name is too large, must be less than 65536 bytes",
    );
    put("n".repeat(65535)).unwrap();
}

#[test]
fn expression_attribute_names_with_a_malformed_key_are_refused() {
    let engine = table();
    let get_with = |names: Value| {
        call(
            &engine,
            "GetItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}}, "ProjectionExpression": "#a", "ExpressionAttributeNames": names}),
        )
    };
    assert_validation(
        get_with(json!({"#a": "x", "#b-c": "y"})),
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"#b-c\"",
    );
    assert_validation(
        get_with(json!({"#a": "x", "b": "y"})),
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"b\"",
    );
    get_with(json!({"#a": "x"})).unwrap();
}

#[test]
fn expression_attribute_names_with_an_empty_value_are_refused() {
    let engine = table();
    let update = |name: &str| {
        call(
            &engine,
            "UpdateItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}}, "UpdateExpression": "SET #a = :v",
                   "ExpressionAttributeNames": {"#a": name}, "ExpressionAttributeValues": {":v": {"N": "1"}}}),
        )
    };
    assert_validation(
        update(""),
        "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a",
    );
    assert!(get(&engine, "k").get("Item").is_none());
    update("a").unwrap();
}
