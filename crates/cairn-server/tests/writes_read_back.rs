//! Property: whatever way an item is built — PutItem, every UpdateItem action
//! (SET with paths and list_append, REMOVE, ADD, DELETE), PartiQL INSERT and UPDATE,
//! TransactWriteItems, BatchWriteItem — a write that succeeds can always be read
//! back, and a write that fails is a client error, never a 500. Values are generated
//! up to and past the depth and size limits, with odd attribute names, so that the
//! one write path's limit checks are what stands between them and storage.

mod common;

use common::{call, memory_engine};
use proptest::prelude::*;
use serde_json::{json, Value};

fn names() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-c]",
        1 => Just(String::new()),
        1 => "[a-z#:. ]{1,6}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z]{0,8}".prop_map(|s| json!({"S": s})),
        (-1000i64..1000).prop_map(|n| json!({"N": n.to_string()})),
        any::<bool>().prop_map(|b| json!({"BOOL": b})),
        Just(json!({"NULL": true})),
        prop::collection::btree_set("[a-z]{1,3}", 1..4).prop_map(|s| json!({"SS": s})),
        prop::collection::btree_set(0u32..50, 1..4)
            .prop_map(|s| json!({"NS": s.iter().map(|n| n.to_string()).collect::<Vec<_>>()})),
        Just(json!({"B": "AAE="})),
    ]
}

/// A value, or a chain of `depth` single-element maps and lists around one, to reach
/// past the nesting limit.
fn value() -> impl Strategy<Value = Value> {
    let tree = scalar().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|l| json!({"L": l})),
            prop::collection::btree_map(names(), inner, 0..4).prop_map(|m| json!({"M": m})),
        ]
    });
    let deep = (tree.clone(), 25usize..36, any::<bool>()).prop_map(|(leaf, depth, lists)| {
        (0..depth).fold(leaf, |v, _| {
            if lists {
                json!({"L": [v]})
            } else {
                json!({"M": {"a": v}})
            }
        })
    });
    prop_oneof![4 => tree, 1 => deep]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-c]".prop_map(|n| format!(".{n}")),
            (0u8..3).prop_map(|i| format!("[{i}]"))
        ],
        0..4,
    )
    .prop_map(|rest| format!("a{}", rest.concat()))
}

#[derive(Debug, Clone)]
enum Write {
    Put(Value),
    Set(String, Value),
    Append(String, Value),
    Remove(String),
    Add(String, Value),
    Delete(String, Value),
    PartiqlInsert(Value),
    PartiqlUpdate(String, Value),
    TransactPut(Value),
    TransactUpdate(String, Value),
    BatchPut(Value),
}

fn item_map() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(names(), value(), 0..4).prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        item_map().prop_map(Write::Put),
        (path(), value()).prop_map(|(p, v)| Write::Set(p, v)),
        (path(), value()).prop_map(|(p, v)| Write::Append(p, json!({"L": [v]}))),
        path().prop_map(Write::Remove),
        (path(), scalar()).prop_map(|(p, v)| Write::Add(p, v)),
        (path(), scalar()).prop_map(|(p, v)| Write::Delete(p, v)),
        item_map().prop_map(Write::PartiqlInsert),
        (path(), value()).prop_map(|(p, v)| Write::PartiqlUpdate(p, v)),
        item_map().prop_map(Write::TransactPut),
        (path(), value()).prop_map(|(p, v)| Write::TransactUpdate(p, v)),
        item_map().prop_map(Write::BatchPut),
    ]
}

/// A generated attribute value as a PartiQL literal.
fn literal(v: &Value) -> String {
    let (kind, inner) = v.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "S" => format!("'{}'", inner.as_str().unwrap()),
        "N" => inner.as_str().unwrap().to_string(),
        "BOOL" => inner.to_string(),
        "NULL" => "NULL".into(),
        "L" => format!(
            "[{}]",
            inner
                .as_array()
                .unwrap()
                .iter()
                .map(literal)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "M" => format!(
            "{{{}}}",
            inner
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("'{k}': {}", literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "SS" => format!(
            "<<{}>>",
            inner
                .as_array()
                .unwrap()
                .iter()
                .map(|s| format!("'{}'", s.as_str().unwrap()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "NS" => format!(
            "<<{}>>",
            inner
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "'b'".into(),
    }
}

fn with_key(item: &Value) -> Value {
    let mut item = item.clone();
    item["pk"] = json!({"S": "k"});
    item
}

fn update(path: &str, expression: &str, value: Value) -> Value {
    json!({"TableName": "prop", "Key": {"pk": {"S": "k"}}, "UpdateExpression": expression.replace("P", path),
           "ExpressionAttributeValues": {":v": value}})
}

fn run(engine: &cairn_engine::Engine, write: &Write) -> Result<Value, (String, String)> {
    match write {
        Write::Put(item) => call(engine, "PutItem", json!({"TableName": "prop", "Item": with_key(item)})),
        Write::Set(p, v) => call(engine, "UpdateItem", update(p, "SET P = :v", v.clone())),
        Write::Append(p, v) => call(
            engine,
            "UpdateItem",
            update(p, "SET P = list_append(if_not_exists(P, :v), :v)", v.clone()),
        ),
        Write::Remove(p) => call(
            engine,
            "UpdateItem",
            json!({"TableName": "prop", "Key": {"pk": {"S": "k"}}, "UpdateExpression": format!("REMOVE {p}")}),
        ),
        Write::Add(p, v) => call(engine, "UpdateItem", update(p, "ADD P :v", v.clone())),
        Write::Delete(p, v) => call(engine, "UpdateItem", update(p, "DELETE P :v", v.clone())),
        Write::PartiqlInsert(item) => {
            call(
                engine,
                "DeleteItem",
                json!({"TableName": "prop", "Key": {"pk": {"S": "k"}}}),
            )
            .unwrap();
            let fields: Vec<String> = with_key(item)
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("'{k}': {}", literal(v)))
                .collect();
            call(
                engine,
                "ExecuteStatement",
                json!({"Statement": format!("INSERT INTO prop VALUE {{{}}}", fields.join(", "))}),
            )
        }
        Write::PartiqlUpdate(p, v) => call(
            engine,
            "ExecuteStatement",
            json!({"Statement": format!("UPDATE prop SET {p} = {} WHERE pk = 'k'", literal(v))}),
        ),
        Write::TransactPut(item) => call(
            engine,
            "TransactWriteItems",
            json!({"TransactItems": [{"Put": {"TableName": "prop", "Item": with_key(item)}}]}),
        ),
        Write::TransactUpdate(p, v) => call(
            engine,
            "TransactWriteItems",
            json!({"TransactItems": [{"Update": update(p, "SET P = :v", v.clone())}]}),
        ),
        Write::BatchPut(item) => call(
            engine,
            "BatchWriteItem",
            json!({"RequestItems": {"prop": [{"PutRequest": {"Item": with_key(item)}}]}}),
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_successful_write_can_be_read_back(writes in prop::collection::vec(write(), 1..8)) {
        let engine = memory_engine();
        common::create_simple_table(&engine, "prop");
        for w in &writes {
            if let Err((kind, message)) = run(&engine, w) {
                prop_assert_ne!(kind.as_str(), "InternalServerError", "{:?}: {}", w, message);
            }
            let read = call(&engine, "GetItem", json!({"TableName": "prop", "Key": {"pk": {"S": "k"}}}));
            prop_assert!(read.is_ok(), "after {:?}: {:?}", w, read);
            let scan = call(&engine, "Scan", json!({"TableName": "prop"}));
            prop_assert!(scan.is_ok(), "after {:?}: {:?}", w, scan);
        }
        let report = engine.check(false).unwrap();
        prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}
