//! PartiQL statements are bounded before they are parsed: at most 8,192 characters,
//! and nested literals no deeper than an item may be. A deeply nested literal used to
//! overflow the stack and abort the process (issue 12).

mod common;

use common::{call, create_simple_table, memory_engine};
use serde_json::json;

const NESTING: &str =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

fn run(engine: &cairn_engine::Engine, statement: &str) -> Result<serde_json::Value, (String, String)> {
    call(engine, "ExecuteStatement", json!({"Statement": statement}))
}

#[test]
fn a_deeply_nested_list_literal_in_a_where_clause_is_refused_not_a_crash() {
    let engine = memory_engine();
    create_simple_table(&engine, "xyz");
    let deep = format!(
        "SELECT * FROM \"xyz\" WHERE pk = {}1{}",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    assert_eq!(
        run(&engine, &deep).unwrap_err(),
        ("ValidationException".into(), NESTING.into())
    );
    run(&engine, "SELECT * FROM \"xyz\" WHERE pk = 'a' AND m = {'k': [[1]]}").unwrap();
}

#[test]
fn a_deeply_nested_map_literal_in_an_insert_is_refused_not_a_crash() {
    let engine = memory_engine();
    create_simple_table(&engine, "xyz");
    let deep = format!(
        "INSERT INTO \"xyz\" VALUE {{'pk': 'a', 'd': {}1{}}}",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    assert_eq!(run(&engine, &deep).unwrap_err().1, NESTING);
    let maps = format!(
        "INSERT INTO \"xyz\" VALUE {{'pk': 'a', 'd': {}1{}}}",
        "{'a': ".repeat(600),
        "}".repeat(600)
    );
    assert_eq!(run(&engine, &maps).unwrap_err().1, NESTING);
    run(&engine, "INSERT INTO \"xyz\" VALUE {'pk': 'a', 'd': [[{'e': 1}]]}").unwrap();
}

#[test]
fn a_deeply_nested_in_list_is_refused_not_a_crash() {
    let engine = memory_engine();
    create_simple_table(&engine, "xyz");
    let deep = format!(
        "SELECT * FROM \"xyz\" WHERE pk IN [{}'a'{}]",
        "[".repeat(2000),
        "]".repeat(2000)
    );
    assert_eq!(run(&engine, &deep).unwrap_err().1, NESTING);
    run(&engine, "SELECT * FROM \"xyz\" WHERE pk IN ['a', 'b']").unwrap();
}

#[test]
fn statements_longer_than_8192_characters_are_refused() {
    let engine = memory_engine();
    create_simple_table(&engine, "xyz");
    let base = "SELECT * FROM \"xyz\" WHERE pk = 'a'";
    let exactly = format!("{base}{}", " ".repeat(8192 - base.len()));
    run(&engine, &exactly).unwrap();
    let over = format!("{exactly} ");
    let (kind, message) = run(&engine, &over).unwrap_err();
    assert_eq!(kind, "ValidationException");
    assert_eq!(
        message,
        format!("1 validation error detected: Value '{over}' at 'statement' failed to satisfy constraint: Member must have length less than or equal to 8192")
    );
}

#[test]
fn batch_and_transaction_statements_have_the_same_length_limit() {
    let engine = memory_engine();
    create_simple_table(&engine, "xyz");
    let over = format!("SELECT * FROM \"xyz\" WHERE pk = 'a'{}", " ".repeat(8192));
    let batch = call(
        &engine,
        "BatchExecuteStatement",
        json!({"Statements": [{"Statement": over}]}),
    )
    .unwrap_err();
    assert!(batch.1.contains("at 'statements.1.member.statement' failed to satisfy constraint: Member must have length less than or equal to 8192"), "{}", batch.1);
    let transaction = call(
        &engine,
        "ExecuteTransaction",
        json!({"TransactStatements": [{"Statement": over}]}),
    )
    .unwrap_err();
    assert!(
        transaction
            .1
            .contains("at 'transactStatements.1.member.statement' failed to satisfy constraint"),
        "{}",
        transaction.1
    );
    call(
        &engine,
        "BatchExecuteStatement",
        json!({"Statements": [{"Statement": "SELECT * FROM \"xyz\" WHERE pk = 'a'"}]}),
    )
    .unwrap();
}
