//! More of the PartiQL language DynamoDB documents (issue 13, area 9): arithmetic,
//! list_append, set_add and set_delete in SET; IS [NOT] MISSING and type checks;
//! RETURNING on UPDATE and DELETE; ORDER BY on the sort key; and errors phrased in
//! PartiQL's terms, never in those of Cairn's internal translation.

mod common;

use common::{call, memory_engine};
use serde_json::{json, Value};

fn engine() -> cairn_engine::Engine {
    let engine = memory_engine();
    call(
        &engine,
        "CreateTable",
        json!({"TableName": "walkers",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
               "BillingMode": "PAY_PER_REQUEST"}),
    )
    .unwrap();
    for sk in 1..=3 {
        run(
            &engine,
            &format!(
                "INSERT INTO walkers VALUE {{'pk': 'dog', 'sk': {sk}, 'walks': 10, 'tags': <<'a', 'b'>>, 'log': [1]}}"
            ),
        )
        .unwrap();
    }
    engine
}

fn run(engine: &cairn_engine::Engine, statement: &str) -> Result<Value, (String, String)> {
    call(engine, "ExecuteStatement", json!({"Statement": statement}))
}

fn item(engine: &cairn_engine::Engine, sk: u32) -> Value {
    call(
        engine,
        "GetItem",
        json!({"TableName": "walkers", "Key": {"pk": {"S": "dog"}, "sk": {"N": sk.to_string()}}}),
    )
    .unwrap()["Item"]
        .clone()
}

#[test]
fn set_does_arithmetic() {
    let engine = engine();
    run(
        &engine,
        "UPDATE walkers SET walks = walks + 1 WHERE pk = 'dog' AND sk = 1",
    )
    .unwrap();
    assert_eq!(item(&engine, 1)["walks"], json!({"N": "11"}));
    run(
        &engine,
        "UPDATE walkers SET walks = walks - 3 WHERE pk = 'dog' AND sk = 1",
    )
    .unwrap();
    assert_eq!(item(&engine, 1)["walks"], json!({"N": "8"}));
}

#[test]
fn set_appends_to_lists_and_adds_or_deletes_set_members() {
    let engine = engine();
    run(
        &engine,
        "UPDATE walkers SET log = list_append(log, [2, 3]) WHERE pk = 'dog' AND sk = 1",
    )
    .unwrap();
    assert_eq!(
        item(&engine, 1)["log"],
        json!({"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]})
    );
    run(
        &engine,
        "UPDATE walkers SET tags = set_add(tags, <<'c'>>) WHERE pk = 'dog' AND sk = 1",
    )
    .unwrap();
    assert_eq!(item(&engine, 1)["tags"], json!({"SS": ["a", "b", "c"]}));
    run(
        &engine,
        "UPDATE walkers SET tags = SET_DELETE(tags, <<'a'>>) WHERE pk = 'dog' AND sk = 1",
    )
    .unwrap();
    assert_eq!(item(&engine, 1)["tags"], json!({"SS": ["b", "c"]}));
}

#[test]
fn set_add_must_name_the_attribute_it_assigns() {
    let engine = engine();
    let (kind, message) = run(
        &engine,
        "UPDATE walkers SET tags = set_add(other, <<'c'>>) WHERE pk = 'dog' AND sk = 1",
    )
    .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert!(
        message.contains("The first argument to SET_ADD must equal the assignment value"),
        "{message}"
    );
}

#[test]
fn is_missing_and_is_not_missing_test_presence() {
    let engine = engine();
    run(&engine, "UPDATE walkers SET extra = 'x' WHERE pk = 'dog' AND sk = 2").unwrap();
    let missing = run(&engine, "SELECT sk FROM walkers WHERE pk = 'dog' AND extra IS MISSING").unwrap();
    assert_eq!(missing["Items"].as_array().unwrap().len(), 2);
    let present = run(
        &engine,
        "SELECT sk FROM walkers WHERE pk = 'dog' AND extra IS NOT MISSING",
    )
    .unwrap();
    assert_eq!(present["Items"], json!([{"sk": {"N": "2"}}]));
}

#[test]
fn is_type_checks_test_the_attribute_type() {
    let engine = engine();
    let strings = run(&engine, "SELECT sk FROM walkers WHERE pk = 'dog' AND walks IS STRING").unwrap();
    assert!(strings["Items"].as_array().unwrap().is_empty());
    let numbers = run(
        &engine,
        "SELECT sk FROM walkers WHERE pk = 'dog' AND walks IS NOT STRING",
    )
    .unwrap();
    assert_eq!(numbers["Items"].as_array().unwrap().len(), 3);
    let (kind, message) = run(&engine, "SELECT sk FROM walkers WHERE pk = 'dog' AND walks IS FOO").unwrap_err();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "ValidationException",
            "Statement wasn't well formed, can't be processed: Expected type name"
        )
    );
}

#[test]
fn update_returning_all_new_and_modified_old() {
    let engine = engine();
    let all_new = run(
        &engine,
        "UPDATE walkers SET walks = 12 WHERE pk = 'dog' AND sk = 1 RETURNING ALL NEW *",
    )
    .unwrap();
    assert_eq!(all_new["Items"][0]["walks"], json!({"N": "12"}));
    assert_eq!(all_new["Items"][0]["pk"], json!({"S": "dog"}));
    let modified_old = run(
        &engine,
        "UPDATE walkers SET walks = 13 WHERE pk = 'dog' AND sk = 1 RETURNING MODIFIED OLD *",
    )
    .unwrap();
    assert_eq!(modified_old["Items"], json!([{"walks": {"N": "12"}}]));
    let plain = run(&engine, "UPDATE walkers SET walks = 14 WHERE pk = 'dog' AND sk = 1").unwrap();
    assert_eq!(plain["Items"], json!([]));
}

#[test]
fn delete_returns_only_all_old() {
    let engine = engine();
    let old = run(
        &engine,
        "DELETE FROM walkers WHERE pk = 'dog' AND sk = 3 RETURNING ALL OLD *",
    )
    .unwrap();
    assert_eq!(old["Items"][0]["sk"], json!({"N": "3"}));
    let (kind, message) = run(
        &engine,
        "DELETE FROM walkers WHERE pk = 'dog' AND sk = 2 RETURNING MODIFIED OLD *",
    )
    .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        "Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in DELETE statements."
    );
    let gone = run(
        &engine,
        "DELETE FROM walkers WHERE pk = 'dog' AND sk = 9 RETURNING ALL OLD *",
    )
    .unwrap();
    assert_eq!(gone["Items"], json!([]));
}

#[test]
fn execute_transaction_refuses_returning() {
    let engine = engine();
    let (kind, message) = call(
        &engine,
        "ExecuteTransaction",
        json!({"TransactStatements": [{"Statement": "UPDATE walkers SET walks = 1 WHERE pk = 'dog' AND sk = 1 RETURNING ALL NEW *"}]}),
    )
    .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction."
    );
}

#[test]
fn order_by_the_sort_key_ascending_or_descending() {
    let engine = engine();
    let sks = |statement: &str| -> Vec<String> {
        run(&engine, statement).unwrap()["Items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sk"]["N"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        sks("SELECT sk FROM walkers WHERE pk = 'dog' ORDER BY sk DESC"),
        ["3", "2", "1"]
    );
    assert_eq!(
        sks("SELECT sk FROM walkers WHERE pk = 'dog' ORDER BY sk ASC"),
        ["1", "2", "3"]
    );
}

#[test]
fn errors_never_show_the_internal_translation() {
    let engine = engine();
    let (kind, message) = run(
        &engine,
        "SELECT * FROM walkers WHERE pk = 'dog' AND size(walks) > 1 AND contains(walks, walks)",
    )
    .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert!(
        message.starts_with("Statement wasn't well formed, can't be processed: "),
        "{message}"
    );
    assert!(
        !message.contains("#n") && !message.contains("ConditionExpression"),
        "{message}"
    );
    assert!(message.contains("walks"), "{message}");
}

#[test]
fn select_pages_with_limit_and_next_token() {
    let engine = engine();
    let page = |token: Option<&Value>| {
        let mut body = json!({"Statement": "SELECT sk FROM walkers WHERE pk = 'dog'", "Limit": 2});
        if let Some(t) = token {
            body["NextToken"] = t.clone();
        }
        call(&engine, "ExecuteStatement", body).unwrap()
    };
    let first = page(None);
    assert_eq!(first["Items"], json!([{"sk": {"N": "1"}}, {"sk": {"N": "2"}}]));
    let token = first["NextToken"].clone();
    assert!(token.is_string());
    let second = page(Some(&token));
    assert_eq!(second["Items"], json!([{"sk": {"N": "3"}}]));
    assert!(second.get("NextToken").is_none());
    let all = run(&engine, "SELECT sk FROM walkers WHERE pk = 'dog'").unwrap();
    assert_eq!(all["Items"].as_array().unwrap().len(), 3);
    assert!(all.get("NextToken").is_none());
}

#[test]
fn a_next_token_resumes_only_its_own_statement() {
    let engine = engine();
    let first = call(
        &engine,
        "ExecuteStatement",
        json!({"Statement": "SELECT sk FROM walkers WHERE pk = 'dog'", "Limit": 1}),
    )
    .unwrap();
    let (kind, message) = call(
        &engine,
        "ExecuteStatement",
        json!({"Statement": "SELECT * FROM walkers WHERE pk = 'dog'", "NextToken": first["NextToken"]}),
    )
    .unwrap_err();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("ValidationException", "NextToken does not match request")
    );
}

#[test]
fn a_descending_select_pages_backwards() {
    let engine = engine();
    let first = call(
        &engine,
        "ExecuteStatement",
        json!({"Statement": "SELECT sk FROM walkers WHERE pk = 'dog' ORDER BY sk DESC", "Limit": 2}),
    )
    .unwrap();
    assert_eq!(first["Items"], json!([{"sk": {"N": "3"}}, {"sk": {"N": "2"}}]));
    let second = call(
        &engine,
        "ExecuteStatement",
        json!({"Statement": "SELECT sk FROM walkers WHERE pk = 'dog' ORDER BY sk DESC", "Limit": 2, "NextToken": first["NextToken"]}),
    )
    .unwrap();
    assert_eq!(second["Items"], json!([{"sk": {"N": "1"}}]));
}

fn transaction(engine: &cairn_engine::Engine, statements: &[&str]) -> Result<Value, (String, String)> {
    let list: Vec<Value> = statements.iter().map(|s| json!({"Statement": s})).collect();
    call(engine, "ExecuteTransaction", json!({"TransactStatements": list}))
}

#[test]
fn exists_checks_a_condition_inside_a_transaction() {
    let engine = engine();
    transaction(
        &engine,
        &[
            "EXISTS(SELECT * FROM walkers WHERE pk = 'dog' AND sk = 1 AND walks = 10)",
            "UPDATE walkers SET walks = 20 WHERE pk = 'dog' AND sk = 2",
        ],
    )
    .unwrap();
    assert_eq!(item(&engine, 2)["walks"], json!({"N": "20"}));
    let (kind, _) = transaction(
        &engine,
        &[
            "EXISTS(SELECT * FROM walkers WHERE pk = 'dog' AND sk = 1 AND walks = 99)",
            "UPDATE walkers SET walks = 30 WHERE pk = 'dog' AND sk = 2",
        ],
    )
    .unwrap_err();
    assert_eq!(kind, "TransactionCanceledException");
    assert_eq!(item(&engine, 2)["walks"], json!({"N": "20"}));
}

#[test]
fn exists_needs_a_condition_beyond_the_key() {
    let engine = engine();
    let (kind, message) = transaction(
        &engine,
        &[
            "EXISTS(SELECT * FROM walkers WHERE pk = 'dog' AND sk = 1)",
            "UPDATE walkers SET walks = 1 WHERE pk = 'dog' AND sk = 2",
        ],
    )
    .unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert_eq!(message, "Validation failed in TransactStatements[0]: EXISTS() must contain a single item read with additional condition");
}
