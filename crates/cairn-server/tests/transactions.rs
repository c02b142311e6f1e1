//! Transactions through the AWS SDK: all-or-nothing semantics, cancellation reasons,
//! idempotency, and proofs under concurrency on the embedded backend.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ConditionCheck, Get, Put, ReturnValuesOnConditionCheckFailure, TransactGetItem,
    TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use cairn_storage::{Durability, EmbeddedStorage};
use common::{create_table, error_of, s, TestServer};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

fn n(v: i64) -> Av {
    Av::N(v.to_string())
}
fn key(pk: &str) -> HashMap<String, Av> {
    [("pk".to_string(), s(pk))].into()
}

fn put(table: &str, pk: &str, balance: i64) -> TransactWriteItem {
    let mut item = key(pk);
    item.insert("balance".into(), n(balance));
    TransactWriteItem::builder()
        .put(Put::builder().table_name(table).set_item(Some(item)).build().unwrap())
        .build()
}

fn transfer_leg(table: &str, pk: &str, delta: i64, guard: bool) -> TransactWriteItem {
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(key(pk)))
        .update_expression("SET balance = balance + :delta")
        .expression_attribute_values(":delta", n(delta));
    if guard {
        update = update
            .condition_expression("balance >= :amount")
            .expression_attribute_values(":amount", n(-delta));
    }
    TransactWriteItem::builder().update(update.build().unwrap()).build()
}

async fn balance(client: &Client, table: &str, pk: &str) -> Option<i64> {
    let item = client
        .get_item()
        .table_name(table)
        .set_key(Some(key(pk)))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item?;
    match item.get("balance") {
        Some(Av::N(v)) => v.parse().ok(),
        _ => None,
    }
}

#[tokio::test]
async fn all_or_nothing_with_reasons_in_request_order() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "bank", None).await;
    client
        .transact_write_items()
        .transact_items(put("bank", "a", 10))
        .transact_items(put("bank", "b", 0))
        .send()
        .await
        .unwrap();

    let result = client
        .transact_write_items()
        .transact_items(transfer_leg("bank", "b", 5, false))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("bank")
                        .set_key(Some(key("a")))
                        .update_expression("SET balance = balance - :x")
                        .condition_expression("balance >= :x")
                        .expression_attribute_values(":x", n(50))
                        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    let error = result.expect_err("overdraft must cancel").into_service_error();
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(
        cancelled,
    ) = error
    else {
        panic!("expected TransactionCanceledException, got {error:?}");
    };
    assert_eq!(
        cancelled.message(),
        Some("Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]")
    );
    let reasons = cancelled.cancellation_reasons();
    assert_eq!(reasons[0].code(), Some("None"));
    assert_eq!(reasons[1].code(), Some("ConditionalCheckFailed"));
    assert_eq!(reasons[1].item().and_then(|i| i.get("balance")), Some(&n(10)));
    assert_eq!(
        balance(&client, "bank", "b").await,
        Some(0),
        "the passing leg was not applied"
    );

    let (_, message) = error_of(
        client
            .transact_write_items()
            .transact_items(put("bank", "a", 1))
            .transact_items(transfer_leg("bank", "a", 1, false))
            .send()
            .await,
    );
    assert_eq!(
        message,
        "Transaction request cannot include multiple operations on one item"
    );
    let (code, _) = error_of(
        client
            .transact_write_items()
            .transact_items(put("nope_table", "a", 1))
            .send()
            .await,
    );
    assert_eq!(code, "ResourceNotFoundException");

    let got = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("bank")
                        .set_key(Some(key("a")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name("bank")
                        .set_key(Some(key("zz")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let responses = got.responses();
    assert_eq!(responses[0].item().and_then(|i| i.get("balance")), Some(&n(10)));
    assert!(responses[1].item().is_none());
}

#[tokio::test]
async fn client_request_tokens_make_retries_idempotent() {
    let server = TestServer::start().await;
    let client = server.client();
    create_table(&client, "bank", None).await;
    client
        .put_item()
        .table_name("bank")
        .set_item(Some(key("a")))
        .item("balance", n(0))
        .send()
        .await
        .unwrap();
    for _ in 0..3 {
        client
            .transact_write_items()
            .client_request_token("token-1")
            .transact_items(transfer_leg("bank", "a", 1, false))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        balance(&client, "bank", "a").await,
        Some(1),
        "the same token applied once"
    );
    let (code, _) = error_of(
        client
            .transact_write_items()
            .client_request_token("token-1")
            .transact_items(transfer_leg("bank", "a", 2, false))
            .send()
            .await,
    );
    assert_eq!(code, "IdempotentParameterMismatchException");
    let check = TransactWriteItem::builder()
        .condition_check(
            ConditionCheck::builder()
                .table_name("bank")
                .set_key(Some(key("a")))
                .condition_expression("balance = :one")
                .expression_attribute_values(":one", n(1))
                .build()
                .unwrap(),
        )
        .build();
    client
        .transact_write_items()
        .transact_items(check)
        .transact_items(put("bank", "b", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(
        balance(&client, "bank", "b").await,
        Some(1),
        "a passing ConditionCheck lets the rest apply"
    );
    let (code, _) = error_of(
        client
            .transact_write_items()
            .transact_items(transfer_leg("bank", "nobody", 1, false))
            .send()
            .await,
    );
    assert_eq!(
        code, "TransactionCanceledException",
        "arithmetic on a missing attribute cancels the transaction"
    );
}

/// 32 clients move random amounts between 100 accounts with TransactWriteItems
/// (condition: balance >= amount) while a reader takes TransactGetItems snapshots of
/// all 100 accounts. The total never changes in any snapshot (no torn transfer is
/// ever visible), no balance goes negative, and the final state equals the initial
/// state plus exactly the transfers reported as successful.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transfers_keep_the_books_balanced() {
    const ACCOUNTS: usize = 100;
    const CLIENTS: usize = 32;
    const ROUNDS: usize = 40;
    const START: i64 = 100;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(Arc::new(
        EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap(),
    ))
    .await;
    let client = server.client();
    create_table(&client, "bank", None).await;
    for chunk in (0..ACCOUNTS).collect::<Vec<_>>().chunks(25) {
        let mut request = client.transact_write_items();
        for i in chunk {
            request = request.transact_items(put("bank", &format!("acct{i}"), START));
        }
        request.send().await.unwrap();
    }
    let expected: Arc<Vec<AtomicUsize>> =
        Arc::new((0..ACCOUNTS).map(|_| AtomicUsize::new(START as usize * 1000)).collect());
    let successes = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let (client, done) = (server.client(), done.clone());
        tokio::spawn(async move {
            let mut snapshots = 0;
            while !done.load(Ordering::SeqCst) || snapshots == 0 {
                let mut request = client.transact_get_items();
                for i in 0..ACCOUNTS {
                    request = request.transact_items(
                        TransactGetItem::builder()
                            .get(
                                Get::builder()
                                    .table_name("bank")
                                    .set_key(Some(key(&format!("acct{i}"))))
                                    .build()
                                    .unwrap(),
                            )
                            .build(),
                    );
                }
                let Ok(out) = request.send().await else { continue };
                let balances: Vec<i64> = out
                    .responses()
                    .iter()
                    .map(|r| match r.item().and_then(|i| i.get("balance")) {
                        Some(Av::N(v)) => v.parse().unwrap(),
                        other => panic!("missing balance: {other:?}"),
                    })
                    .collect();
                assert_eq!(
                    balances.iter().sum::<i64>(),
                    START * ACCOUNTS as i64,
                    "a snapshot saw a torn transfer"
                );
                assert!(balances.iter().all(|b| *b >= 0), "a balance went negative");
                snapshots += 1;
            }
            snapshots
        })
    };

    let workers: Vec<_> = (0..CLIENTS)
        .map(|w| {
            let (client, expected, successes) = (server.client(), expected.clone(), successes.clone());
            tokio::spawn(async move {
                let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (w as u64 + 1);
                let mut next = move |bound: u64| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed % bound
                };
                for _ in 0..ROUNDS {
                    let from = next(ACCOUNTS as u64) as usize;
                    let to = (from + 1 + next(ACCOUNTS as u64 - 1) as usize) % ACCOUNTS;
                    let amount = 1 + next(60) as i64;
                    let result = client
                        .transact_write_items()
                        .transact_items(transfer_leg("bank", &format!("acct{from}"), -amount, true))
                        .transact_items(transfer_leg("bank", &format!("acct{to}"), amount, false))
                        .send()
                        .await;
                    match result {
                        Ok(_) => {
                            successes.fetch_add(1, Ordering::SeqCst);
                            expected[from].fetch_sub(amount as usize, Ordering::SeqCst);
                            expected[to].fetch_add(amount as usize, Ordering::SeqCst);
                        }
                        Err(e) => {
                            let service = e.into_service_error();
                            assert!(
                                service.is_transaction_canceled_exception(),
                                "unexpected error {service:?}"
                            );
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let snapshots = reader.await.unwrap();
    assert!(snapshots > 0);
    assert!(
        successes.load(Ordering::SeqCst) > CLIENTS * ROUNDS / 4,
        "too few transfers succeeded to prove anything"
    );
    let mut total = 0;
    for i in 0..ACCOUNTS {
        let actual = balance(&client, "bank", &format!("acct{i}")).await.unwrap();
        let wanted = expected[i].load(Ordering::SeqCst) as i64 - START * 1000 + START;
        assert_eq!(
            actual, wanted,
            "account {i} does not reflect exactly the reported transfers"
        );
        total += actual;
    }
    assert_eq!(total, START * ACCOUNTS as i64);
}
