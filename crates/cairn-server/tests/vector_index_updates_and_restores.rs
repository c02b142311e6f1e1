//! Vector indexes beyond declaring and searching: what a write reports it wrote into
//! each index (VectorWriteRequestBytes), UpdateTable's rules against the table's other
//! definitions, SearchVectors' expression-parameter rules, and backups, restores
//! and imports carrying the indexes (VectorIndexOverride).

mod common;

use common::call;
use common::vectors::{create, index, invalid, keys, put, search};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn vector_bytes(output: &Value) -> &Value {
    &output["ConsumedCapacity"]["VectorIndexes"]["emb"]["VectorWriteRequestBytes"]
}

#[test]
fn a_write_reports_the_bytes_it_wrote_into_each_vector_index_with_indexes() {
    let engine = common::memory_engine();
    create(&engine, "docs", json!([]), json!([index(300, None)])).unwrap();
    let v: Vec<Value> = (0..300).map(|i| json!({"N": i.to_string()})).collect();
    let item = json!({"pk": {"S": "a"}, "v": {"L": v}, "t": {"S": "hello"}});
    let written = call(
        &engine,
        "PutItem",
        json!({"TableName": "docs", "Item": item, "ReturnConsumedCapacity": "INDEXES"}),
    )
    .unwrap();
    // The vector (300 dimensions of 4 bytes) and the attributes the index keeps
    // (ALL: pk "a" = 3 bytes, t "hello" = 6 bytes).
    assert_eq!(vector_bytes(&written), &json!(1200.0 + 3.0 + 6.0), "{written}");
    // The same item again changes nothing in the index: no entry.
    let again = call(
        &engine,
        "PutItem",
        json!({"TableName": "docs", "Item": item, "ReturnConsumedCapacity": "INDEXES"}),
    )
    .unwrap();
    assert!(again["ConsumedCapacity"].get("VectorIndexes").is_none(), "{again}");
    // TOTAL reports no per-index detail.
    let total = call(
        &engine,
        "UpdateItem",
        json!({"TableName": "docs", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET t = :t",
               "ExpressionAttributeValues": {":t": {"S": "bye"}}, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    assert!(total["ConsumedCapacity"].get("VectorIndexes").is_none(), "{total}");
}

#[test]
fn a_vector_write_request_is_metered_at_one_kilobyte_at_least() {
    let engine = common::memory_engine();
    create(&engine, "docs", json!([]), json!([index(3, None)])).unwrap();
    let item = json!({"pk": {"S": "a"}, "v": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}});
    let written = call(
        &engine,
        "PutItem",
        json!({"TableName": "docs", "Item": item, "ReturnConsumedCapacity": "INDEXES"}),
    )
    .unwrap();
    // 12 bytes of vector and a 3-byte key, metered at 1,024.
    assert_eq!(vector_bytes(&written), &json!(1024.0), "{written}");
    // Bytes are not capacity units: the table's units are the item's.
    assert_eq!(written["ConsumedCapacity"]["CapacityUnits"], json!(1.0));
    // Removing the entry (the item's key, 3 bytes) is a write too.
    let deleted = call(
        &engine,
        "DeleteItem",
        json!({"TableName": "docs", "Key": {"pk": {"S": "a"}}, "ReturnConsumedCapacity": "INDEXES"}),
    )
    .unwrap();
    assert_eq!(vector_bytes(&deleted), &json!(1024.0), "{deleted}");
    // Above the minimum, a removal replicates the item's key: "pk" and 1,100 bytes.
    let long = "k".repeat(1100);
    call(
        &engine,
        "PutItem",
        json!({"TableName": "docs", "Item": {"pk": {"S": long}, "v": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}}}),
    )
    .unwrap();
    let deleted = call(
        &engine,
        "DeleteItem",
        json!({"TableName": "docs", "Key": {"pk": {"S": long}}, "ReturnConsumedCapacity": "INDEXES"}),
    )
    .unwrap();
    assert_eq!(vector_bytes(&deleted), &json!(2.0 + 1100.0), "{deleted}");
}

#[test]
fn the_one_kilobyte_minimum_applies_once_per_write_whatever_the_indexes_it_touches() {
    let engine = common::memory_engine();
    let second = json!({"IndexName": "emb2", "VectorAttribute": {"AttributeName": "w"}, "Dimensions": 2,
                        "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "KEYS_ONLY"}});
    create(&engine, "docs", json!([]), json!([index(3, None), second])).unwrap();
    let item = json!({"pk": {"S": "a"}, "v": {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]},
                      "w": {"L": [{"N": "1"}, {"N": "0"}]}});
    let written = call(
        &engine,
        "PutItem",
        json!({"TableName": "docs", "Item": item, "ReturnConsumedCapacity": "INDEXES"}),
    )
    .unwrap();
    let indexes = &written["ConsumedCapacity"]["VectorIndexes"];
    // emb2 keeps its vector and the key (8 + 3 bytes), emb its vector and the rest of
    // the item: together under 1 KB, so the first index named carries the rest.
    let first = indexes["emb"]["VectorWriteRequestBytes"].as_f64().unwrap();
    let other = indexes["emb2"]["VectorWriteRequestBytes"].as_f64().unwrap();
    assert_eq!(other, 11.0, "{written}");
    assert_eq!(first + other, 1024.0, "{written}");
}

#[test]
fn a_transaction_reports_vector_bytes_once_not_doubled() {
    let engine = common::memory_engine();
    create(&engine, "docs", json!([]), json!([index(300, None)])).unwrap();
    let v: Vec<Value> = (0..300).map(|i| json!({"N": i.to_string()})).collect();
    let written = call(
        &engine,
        "TransactWriteItems",
        json!({"TransactItems": [{"Put": {"TableName": "docs",
                "Item": {"pk": {"S": "a"}, "v": {"L": v.clone()}}}}],
               "ReturnConsumedCapacity": "INDEXES"}),
    )
    .unwrap();
    let entry = &written["ConsumedCapacity"][0];
    assert_eq!(
        entry["VectorIndexes"]["emb"]["VectorWriteRequestBytes"],
        json!(1200.0 + 3.0),
        "{written}"
    );
    // The table's units double (prepare and commit); the vector bytes do not.
    let plain = call(
        &engine,
        "PutItem",
        json!({"TableName": "docs", "Item": {"pk": {"S": "b"}, "v": {"L": v}}, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .unwrap();
    let units = plain["ConsumedCapacity"]["CapacityUnits"].as_f64().unwrap();
    assert_eq!(
        entry["CapacityUnits"].as_f64().unwrap(),
        2.0 * units,
        "{written} {plain}"
    );
}

fn table_with_team_index(engine: &cairn_engine::Engine) {
    call(
        engine,
        "CreateTable",
        json!({"TableName": "people", "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                        {"AttributeName": "team", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
               "GlobalSecondaryIndexes": [{"IndexName": "by_team",
                   "KeySchema": [{"AttributeName": "team", "KeyType": "HASH"}],
                   "Projection": {"ProjectionType": "ALL"}}]}),
    )
    .unwrap();
    common::wait_for_index(engine, "people", "by_team");
}

fn add_vector_index(
    engine: &cairn_engine::Engine,
    definitions: Value,
    vector_index: Value,
) -> Result<Value, (String, String)> {
    call(
        engine,
        "UpdateTable",
        json!({"TableName": "people", "AttributeDefinitions": definitions,
               "VectorIndexUpdates": [{"Create": vector_index}]}),
    )
}

#[test]
fn update_table_cannot_give_a_defined_attribute_another_type_for_a_search_schema() {
    let engine = common::memory_engine();
    table_with_team_index(&engine);
    let by_team = json!([{"AttributeName": "team", "SearchSchemaElementType": "HASH"}]);
    assert_eq!(
        add_vector_index(
            &engine,
            json!([{"AttributeName": "team", "AttributeType": "N"}]),
            index(2, Some(by_team.clone()))
        )
        .unwrap_err(),
        invalid("Cannot change the type of attribute team from S to N")
    );
    // The same type, or no definition at all (the table defines team), is accepted.
    add_vector_index(
        &engine,
        json!([{"AttributeName": "team", "AttributeType": "S"}]),
        index(2, Some(by_team)),
    )
    .unwrap();
    let described = call(&engine, "DescribeTable", json!({"TableName": "people"})).unwrap();
    let definitions = described["Table"]["AttributeDefinitions"].as_array().unwrap();
    assert_eq!(definitions.iter().filter(|d| d["AttributeName"] == "team").count(), 1);
}

#[test]
fn a_vector_attribute_cannot_be_the_key_of_a_secondary_index() {
    let engine = common::memory_engine();
    table_with_team_index(&engine);
    let mut on_team = index(2, None);
    on_team["VectorAttribute"]["AttributeName"] = json!("team");
    assert_eq!(
        add_vector_index(&engine, json!([]), on_team).unwrap_err(),
        invalid("The vector attribute team of index emb cannot be a key attribute of index by_team")
    );
    let mut on_pk = index(2, None);
    on_pk["VectorAttribute"]["AttributeName"] = json!("pk");
    assert_eq!(
        add_vector_index(&engine, json!([]), on_pk).unwrap_err(),
        invalid("The vector attribute pk of index emb cannot be a key attribute of the table")
    );
    add_vector_index(&engine, json!([]), index(2, None)).unwrap();
}

#[test]
fn search_placeholders_need_an_expression_and_may_not_be_empty() {
    let engine = common::memory_engine();
    create(&engine, "docs", json!([]), json!([index(2, None)])).unwrap();
    put(&engine, "docs", "a", &[1.0, 0.0], json!({"t": {"S": "x"}})).unwrap();
    let validation = |m: &str| ("ValidationException".to_string(), m.to_string());
    assert_eq!(
        search(&engine, "docs", &[1.0, 0.0], 1, json!({"ExpressionAttributeNames": {"#t": "t"}})).unwrap_err(),
        validation("ExpressionAttributeNames can only be specified when using expressions: SearchConditionExpression is null and ProjectionExpression is null")
    );
    assert_eq!(
        search(
            &engine,
            "docs",
            &[1.0, 0.0],
            1,
            json!({"ProjectionExpression": "t", "ExpressionAttributeNames": {}})
        )
        .unwrap_err(),
        validation("ExpressionAttributeNames must not be empty")
    );
    let found = search(
        &engine,
        "docs",
        &[1.0, 0.0],
        1,
        json!({"ProjectionExpression": "#t", "ExpressionAttributeNames": {"#t": "t"}}),
    )
    .unwrap();
    assert_eq!(found["SearchResults"][0]["Item"], json!({"t": {"S": "x"}}));
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what} did not happen");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A table `docs` with two vector indexes and three items, backed up: the backup's ARN.
fn backed_up_docs(engine: &cairn_engine::Engine) -> String {
    let mut other = index(2, None);
    other["IndexName"] = json!("emb_cosine");
    other["DistanceFunction"] = json!("COSINE");
    create(engine, "docs", json!([]), json!([index(2, None), other])).unwrap();
    for (pk, v) in [("a", [1.0, 0.0]), ("b", [0.0, 1.0]), ("c", [0.7, 0.7])] {
        put(engine, "docs", pk, &v, json!({})).unwrap();
    }
    let backup = call(
        engine,
        "CreateBackup",
        json!({"TableName": "docs", "BackupName": "docs-backup"}),
    )
    .unwrap();
    let arn = backup["BackupDetails"]["BackupArn"].as_str().unwrap().to_string();
    wait_until("the backup", || {
        call(engine, "DescribeBackup", json!({"BackupArn": arn})).unwrap()["BackupDescription"]["BackupDetails"]
            ["BackupStatus"]
            == "AVAILABLE"
    });
    arn
}

fn restore(engine: &cairn_engine::Engine, arn: &str, target: &str, extra: Value) -> Result<Value, (String, String)> {
    let mut request = json!({"BackupArn": arn, "TargetTableName": target});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        request[k] = v;
    }
    let restored = call(engine, "RestoreTableFromBackup", request)?;
    wait_until("the restore", || {
        call(engine, "DescribeTable", json!({"TableName": target})).unwrap()["Table"]["TableStatus"] == "ACTIVE"
    });
    Ok(restored)
}

fn vector_index_names(engine: &cairn_engine::Engine, table: &str) -> Vec<String> {
    let described = call(engine, "DescribeTable", json!({"TableName": table})).unwrap();
    described["Table"]["VectorIndexes"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|i| i["IndexName"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_restored_table_keeps_its_vector_indexes_and_their_entries() {
    let engine = common::memory_engine();
    let arn = backed_up_docs(&engine);
    let backup = call(&engine, "DescribeBackup", json!({"BackupArn": arn})).unwrap();
    let features = &backup["BackupDescription"]["SourceTableFeatureDetails"]["VectorIndexes"];
    assert_eq!(features[0]["IndexName"], "emb", "{backup}");
    assert_eq!(features[0]["Dimensions"], 2);
    restore(&engine, &arn, "docs_restored", json!({})).unwrap();
    assert_eq!(vector_index_names(&engine, "docs_restored"), ["emb", "emb_cosine"]);
    let found = search(&engine, "docs_restored", &[1.0, 0.1], 3, json!({})).unwrap();
    assert_eq!(keys(&found), ["a", "c", "b"]);
}

#[test]
fn a_vector_index_override_keeps_only_the_indexes_it_names() {
    let engine = common::memory_engine();
    let arn = backed_up_docs(&engine);
    restore(
        &engine,
        &arn,
        "only_emb",
        json!({"VectorIndexOverride": [index(2, None)]}),
    )
    .unwrap();
    assert_eq!(vector_index_names(&engine, "only_emb"), ["emb"]);
    assert_eq!(
        keys(&search(&engine, "only_emb", &[0.0, 1.0], 1, json!({})).unwrap()),
        ["b"]
    );
    restore(&engine, &arn, "none", json!({"VectorIndexOverride": []})).unwrap();
    assert!(vector_index_names(&engine, "none").is_empty());
}

#[test]
fn a_vector_index_override_that_matches_no_source_index_is_rejected() {
    let engine = common::memory_engine();
    let arn = backed_up_docs(&engine);
    let error = restore(&engine, &arn, "wrong", json!({"VectorIndexOverride": [index(3, None)]})).unwrap_err();
    assert_eq!(
        error,
        (
            "ValidationException".to_string(),
            "Invalid Request: Index emb does not match a secondary index that existed in the source table and cannot be created during the restore operation".to_string()
        )
    );
    assert!(
        call(&engine, "DescribeTable", json!({"TableName": "wrong"})).is_err(),
        "nothing created"
    );
}
