//! Two Cairn servers over one PostgreSQL schema: every DynamoDB guarantee on items,
//! transactions, streams and tokens holds across them. Each test starts two real
//! `cairn serve --postgres` processes on a fresh schema (scripts/with-postgres
//! provides the database; without one the tests are skipped unless
//! CAIRN_REQUIRE_POSTGRES is set, as in CI). Catalog changes and failures:
//! two_servers_failures.rs.

mod support;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType, StreamViewType, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use support::all_stream_records;
use support::pair::{code_of, create_table, number_of, pair, put};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_table_created_through_one_server_is_usable_through_the_other_at_once() {
    let Some((a, b)) = pair("create").await else { return };
    create_table(&a.client, "pets", None).await;
    // No wait: B has never heard of the table.
    put(&b.client, "pets", "rex", &[("kind", Av::S("dog".into()))]).await;
    let item = a
        .client
        .get_item()
        .table_name("pets")
        .key("pk", Av::S("rex".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("written through B, read through A");
    assert_eq!(item["kind"], Av::S("dog".into()));
    let tables = b
        .client
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names
        .unwrap_or_default();
    assert_eq!(tables, vec!["pets".to_string()]);
    let e = b
        .client
        .create_table()
        .table_name("pets")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_in_use_exception(), "{e:?}");
    assert_eq!(e.meta().message(), Some("Table already exists: pets"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conditional_decrements_split_across_two_servers_lose_no_update() {
    let Some((a, b)) = pair("decrement").await else { return };
    create_table(&a.client, "stock", None).await;
    const ITEMS: usize = 4;
    const START: i64 = 50;
    for i in 0..ITEMS {
        put(
            &a.client,
            "stock",
            &format!("sku{i}"),
            &[("n", Av::N(START.to_string()))],
        )
        .await;
    }
    // 32 clients, half on each server, decrement while the count stays positive.
    let mut workers = Vec::new();
    for w in 0..32 {
        let client = if w % 2 == 0 { a.client.clone() } else { b.client.clone() };
        workers.push(tokio::spawn(async move {
            let mut taken = [0i64; ITEMS];
            for round in 0..40 {
                let i = (w + round) % ITEMS;
                let result = client
                    .update_item()
                    .table_name("stock")
                    .key("pk", Av::S(format!("sku{i}")))
                    .update_expression("SET n = n - :one")
                    .condition_expression("n > :zero")
                    .expression_attribute_values(":one", Av::N("1".into()))
                    .expression_attribute_values(":zero", Av::N("0".into()))
                    .send()
                    .await;
                match result {
                    Ok(_) => taken[i] += 1,
                    Err(e) => {
                        let e = e.into_service_error();
                        assert!(e.is_conditional_check_failed_exception(), "{e:?}");
                    }
                }
            }
            taken
        }));
    }
    let mut taken = [0i64; ITEMS];
    for w in workers {
        for (total, mine) in taken.iter_mut().zip(w.await.unwrap()) {
            *total += mine;
        }
    }
    for (i, taken) in taken.iter().enumerate() {
        let left = number_of(&b.client, "stock", &format!("sku{i}"), "n").await.unwrap();
        assert_eq!(left, START - taken, "sku{i}: every acknowledged decrement applied once");
        assert_eq!(left, 0, "sku{i}: 320 attempts drain 50 units");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_transfers_through_two_servers_keep_the_total() {
    let Some((a, b)) = pair("bank").await else { return };
    create_table(&a.client, "accounts", None).await;
    const ACCOUNTS: usize = 6;
    for i in 0..ACCOUNTS {
        put(
            &a.client,
            "accounts",
            &format!("acct{i}"),
            &[("balance", Av::N("100".into()))],
        )
        .await;
    }
    let mut workers = Vec::new();
    for w in 0..16usize {
        let client = if w % 2 == 0 { a.client.clone() } else { b.client.clone() };
        workers.push(tokio::spawn(async move {
            let mut done = 0;
            for round in 0..25usize {
                let from = (w * 7 + round * 3) % ACCOUNTS;
                let to = (from + 1 + round % (ACCOUNTS - 1)) % ACCOUNTS;
                let amount = Av::N(((w + round) % 30 + 1).to_string());
                let debit = Update::builder()
                    .table_name("accounts")
                    .key("pk", Av::S(format!("acct{from}")))
                    .update_expression("SET balance = balance - :x")
                    .condition_expression("balance >= :x")
                    .expression_attribute_values(":x", amount.clone())
                    .build()
                    .unwrap();
                let credit = Update::builder()
                    .table_name("accounts")
                    .key("pk", Av::S(format!("acct{to}")))
                    .update_expression("SET balance = balance + :x")
                    .expression_attribute_values(":x", amount)
                    .build()
                    .unwrap();
                let result = client
                    .transact_write_items()
                    .transact_items(TransactWriteItem::builder().update(debit).build())
                    .transact_items(TransactWriteItem::builder().update(credit).build())
                    .send()
                    .await;
                match result {
                    Ok(_) => done += 1,
                    Err(e) => {
                        let e = e.into_service_error();
                        assert!(e.is_transaction_canceled_exception(), "{e:?}");
                    }
                }
            }
            done
        }));
    }
    let mut transfers = 0;
    for w in workers {
        transfers += w.await.unwrap();
    }
    assert!(transfers > 0, "some transfers went through");
    let mut total = 0;
    for i in 0..ACCOUNTS {
        let balance = number_of(&b.client, "accounts", &format!("acct{i}"), "balance")
            .await
            .unwrap();
        assert!(balance >= 0, "acct{i} went negative: {balance}");
        total += balance;
    }
    assert_eq!(total, 100 * ACCOUNTS as i64, "money is neither created nor destroyed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_read_through_one_server_holds_every_change_through_both_in_order() {
    let Some((a, b)) = pair("stream").await else { return };
    create_table(&a.client, "orders", Some(StreamViewType::NewImage)).await;
    // Eight writers, four per server, each updating its own item 25 times with an
    // increasing version.
    let mut workers = Vec::new();
    for w in 0..8 {
        let client = if w % 2 == 0 { a.client.clone() } else { b.client.clone() };
        workers.push(tokio::spawn(async move {
            for version in 0..25 {
                put(
                    &client,
                    "orders",
                    &format!("order{w}"),
                    &[("version", Av::N(version.to_string()))],
                )
                .await;
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let arn = b
        .client
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .latest_stream_arn
        .unwrap();
    let records = all_stream_records(b.port, &arn);
    assert_eq!(records.len(), 8 * 25, "one record per change, none lost or doubled");
    let sequences: Vec<u128> = records
        .iter()
        .map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers strictly increase whichever server wrote the change"
    );
    for w in 0..8 {
        let versions: Vec<i64> = records
            .iter()
            .filter(|r| r["dynamodb"]["Keys"]["pk"]["S"] == format!("order{w}").as_str())
            .map(|r| {
                r["dynamodb"]["NewImage"]["version"]["N"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            versions,
            (0..25).collect::<Vec<_>>(),
            "order{w}: its changes in the order made"
        );
    }
    // The same through A.
    assert_eq!(all_stream_records(a.port, &arn), records);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_request_token_is_honoured_across_servers() {
    let Some((a, b)) = pair("token").await else { return };
    create_table(&a.client, "counters", None).await;
    let add = |client: &Client, by: &str| {
        client
            .transact_write_items()
            .client_request_token("token-1")
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name("counters")
                            .key("pk", Av::S("c".into()))
                            .update_expression("ADD n :by")
                            .expression_attribute_values(":by", Av::N(by.into()))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
    };
    add(&a.client, "1").send().await.unwrap();
    add(&b.client, "1")
        .send()
        .await
        .expect("the same call retried through B succeeds");
    assert_eq!(
        number_of(&a.client, "counters", "c", "n").await,
        Some(1),
        "applied once"
    );
    let e = add(&b.client, "2").send().await.unwrap_err();
    assert_eq!(code_of(&e.into_service_error()), "IdempotentParameterMismatchException");
    // Another token is another call.
    let mut other = add(&b.client, "1");
    other = other.client_request_token("token-2");
    other.send().await.unwrap();
    assert_eq!(number_of(&a.client, "counters", "c", "n").await, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_through_one_server_is_read_through_the_other_with_consistent_read() {
    let Some((a, b)) = pair("read").await else { return };
    create_table(&a.client, "profiles", None).await;
    for version in 0..20 {
        let writer = if version % 2 == 0 { &a.client } else { &b.client };
        let reader = if version % 2 == 0 { &b.client } else { &a.client };
        let old = writer
            .update_item()
            .table_name("profiles")
            .key("pk", Av::S("ann".into()))
            .update_expression("SET v = :v")
            .expression_attribute_values(":v", Av::N(version.to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .unwrap()
            .attributes;
        if version > 0 {
            assert_eq!(
                old.and_then(|o| o.get("v").cloned()),
                Some(Av::N((version - 1).to_string())),
                "each update saw the one before, made through the other server"
            );
        }
        assert_eq!(number_of(reader, "profiles", "ann", "v").await, Some(version));
    }
}
