//! PartiQL through the AWS SDK.

mod common;

use aws_sdk_dynamodb::types::{AttributeValue as Av, ParameterizedStatement};
use common::{create_table, error_of, TestServer};

#[tokio::test]
async fn statements_read_and_write_like_their_api_counterparts() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "pqt", None).await;
    let run = |statement: &str| client.execute_statement().statement(statement).send();
    // `data` is a reserved word in expressions, but not in PartiQL.
    run("INSERT INTO \"pqt\" VALUE {'pk': 'a', 'data': 'one', 'n': 1}")
        .await
        .unwrap();
    client
        .execute_statement()
        .statement("INSERT INTO pqt VALUE {'pk': ?, 'data': ?}")
        .parameters(Av::S("b".into()))
        .parameters(Av::S("two".into()))
        .send()
        .await
        .unwrap();
    let (code, _) = error_of(run("INSERT INTO pqt VALUE {'pk': 'a', 'data': 'again'}").await);
    assert_eq!(code, "DuplicateItemException");
    run("UPDATE pqt SET data = 'uno' REMOVE n WHERE pk = 'a'")
        .await
        .unwrap();
    let rows = run("SELECT pk, data FROM pqt WHERE pk = 'a'")
        .await
        .unwrap()
        .items
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get("data"), Some(&Av::S("uno".into())));
    assert!(!rows[0].contains_key("n"));
    let all = run("SELECT * FROM pqt WHERE data <> 'zzz'")
        .await
        .unwrap()
        .items
        .unwrap();
    assert_eq!(all.len(), 2);
    run("DELETE FROM pqt WHERE pk = 'b'").await.unwrap();
    assert!(client
        .get_item()
        .table_name("pqt")
        .key("pk", Av::S("b".into()))
        .send()
        .await
        .unwrap()
        .item
        .is_none());

    let statement = |s: &str| ParameterizedStatement::builder().statement(s).build().unwrap();
    let (code, _) = error_of(
        client
            .execute_transaction()
            .transact_statements(statement("INSERT INTO pqt VALUE {'pk': 'c'}"))
            .transact_statements(statement("INSERT INTO pqt VALUE {'pk': 'a'}"))
            .send()
            .await,
    );
    assert_eq!(code, "TransactionCanceledException");
    assert!(
        client
            .get_item()
            .table_name("pqt")
            .key("pk", Av::S("c".into()))
            .send()
            .await
            .unwrap()
            .item
            .is_none(),
        "rolled back"
    );
    let (code, _) = error_of(run("SELECTT * FROMM pqt").await);
    assert_eq!(code, "ValidationException");
}
