//! Two Cairn servers over one PostgreSQL schema: every DynamoDB guarantee holds across
//! them. Each test starts two real `cairn serve --postgres` processes on a fresh
//! schema (scripts/with-postgres provides the database; without one the tests are
//! skipped unless CAIRN_REQUIRE_POSTGRES is set, as in CI).

mod support;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType,
    Projection, ProjectionType, ReturnValue, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{all_stream_records, client, free_port, postgres_url, status, wait_ready};

/// One server of a pair, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    client: Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(url: &str, schema: &str, extra: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--postgres",
            url,
            "--postgres-schema",
            schema,
        ])
        .args(["--ttl-sweep-interval-ms", "200"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = client(port);
    wait_ready(&client).await;
    Server { child, port, client }
}

/// Two servers on a fresh schema, or None when no database is available. B reaches
/// the database over TLS when the test database offers it (`--postgres-ca-cert`).
async fn pair(name: &str) -> Option<(Server, Server)> {
    pair_with(name, &[]).await
}

/// `pair`, with extra flags for B.
async fn pair_with(name: &str, b_flags: &[&str]) -> Option<(Server, Server)> {
    let url = postgres_url()?;
    let schema = format!("two_{name}_{}", std::process::id());
    let a = serve(&url, &schema, &[]).await;
    let mut flags: Vec<String> = b_flags.iter().map(|f| f.to_string()).collect();
    if let Ok(ca) = std::env::var("CAIRN_TEST_POSTGRES_CA") {
        flags.extend(["--postgres-ca-cert".to_string(), ca]);
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let b = serve(&url, &schema, &flags).await;
    Some((a, b))
}

async fn create_table(client: &Client, name: &str, stream: Option<StreamViewType>) {
    let mut request = client
        .create_table()
        .table_name(name)
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
        );
    if let Some(view) = stream {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(view)
                .build()
                .unwrap(),
        );
    }
    request.send().await.unwrap();
}

async fn put(client: &Client, table: &str, pk: &str, attributes: &[(&str, Av)]) {
    let mut request = client.put_item().table_name(table).item("pk", Av::S(pk.into()));
    for (name, value) in attributes {
        request = request.item(*name, value.clone());
    }
    request.send().await.unwrap();
}

async fn number_of(client: &Client, table: &str, pk: &str, attribute: &str) -> Option<i64> {
    let item = client
        .get_item()
        .table_name(table)
        .key("pk", Av::S(pk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item?;
    item.get(attribute)?.as_n().ok()?.parse().ok()
}

fn code_of<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or_default().to_string()
}

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
async fn catalog_changes_through_one_server_show_through_the_other() {
    let Some((a, b)) = pair("catalog").await else { return };
    create_table(&a.client, "sessions", None).await;
    put(&b.client, "sessions", "s1", &[("owner", Av::S("ann".into()))]).await;

    a.client
        .update_time_to_live()
        .table_name("sessions")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ttl = b
        .client
        .describe_time_to_live()
        .table_name("sessions")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description.unwrap().attribute_name.as_deref(),
        Some("expires"),
        "B sees TTL enabled through A"
    );

    // A GSI added through A: B's next writes maintain it and B can query it.
    a.client
        .update_table()
        .table_name("sessions")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("owner")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_owner")
                        .key_schema(
                            KeySchemaElement::builder()
                                .attribute_name("owner")
                                .key_type(KeyType::Hash)
                                .build()
                                .unwrap(),
                        )
                        .projection(Projection::builder().projection_type(ProjectionType::All).build())
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..20 {
        put(
            &b.client,
            "sessions",
            &format!("during{i}"),
            &[("owner", Av::S("ann".into()))],
        )
        .await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let table = b
            .client
            .describe_table()
            .table_name("sessions")
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let index = table.global_secondary_indexes.unwrap_or_default();
        if index.first().and_then(|i| i.index_status.as_ref()).map(|s| s.as_str()) == Some("ACTIVE") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the index never became ACTIVE as seen from B"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let found = b
        .client
        .query()
        .table_name("sessions")
        .index_name("by_owner")
        .key_condition_expression("#o = :o")
        .expression_attribute_names("#o", "owner")
        .expression_attribute_values(":o", Av::S("ann".into()))
        .send()
        .await
        .unwrap()
        .count;
    assert_eq!(found, 21, "the backfilled item and the 20 written through B meanwhile");

    // Tags and deletion.
    let arn = b
        .client
        .describe_table()
        .table_name("sessions")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .table_arn
        .unwrap();
    a.client
        .tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("team")
                .value("web")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let tags = b
        .client
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags.unwrap_or_default().len(),
        1,
        "B lists the tag added through A"
    );
    a.client.delete_table().table_name("sessions").send().await.unwrap();
    let e = b
        .client
        .put_item()
        .table_name("sessions")
        .item("pk", Av::S("late".into()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        e.is_resource_not_found_exception(),
        "a write through B to a table deleted through A is refused: {e:?}"
    );
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
async fn one_server_killed_mid_load_loses_no_acknowledged_write_and_the_other_keeps_serving() {
    let Some((mut a, b)) = pair("kill").await else { return };
    create_table(&a.client, "events", None).await;
    let mut writers = Vec::new();
    for w in 0..8 {
        let client = if w % 2 == 0 { a.client.clone() } else { b.client.clone() };
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut failures = 0;
            for i in 0..400 {
                let id = format!("w{w}-{i}");
                let result = client
                    .put_item()
                    .table_name("events")
                    .item("pk", Av::S(id.clone()))
                    .item("n", Av::N(i.to_string()))
                    .send()
                    .await;
                match result {
                    Ok(_) => acknowledged.push(id),
                    Err(_) => {
                        failures += 1;
                        if failures > 3 {
                            break;
                        }
                    }
                }
            }
            (w, acknowledged)
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let mut from_b = 0;
    let mut all = Vec::new();
    for writer in writers {
        let (w, acknowledged) = writer.await.unwrap();
        if w % 2 == 1 {
            from_b += acknowledged.len();
            assert_eq!(
                acknowledged.len(),
                400,
                "writer {w} on the surviving server never failed"
            );
        }
        all.extend(acknowledged);
    }
    assert_eq!(from_b, 4 * 400);
    for id in &all {
        let item = b
            .client
            .get_item()
            .table_name("events")
            .key("pk", Av::S(id.clone()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item;
        assert!(item.is_some(), "acknowledged write {id} was lost");
    }
}

/// Whether the server on `port` holds the background lease now.
fn holds_background(port: u16) -> bool {
    status(port)["leases"]
        .as_array()
        .is_some_and(|l| l.iter().any(|n| n == "background"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ttl_sweeper_runs_on_exactly_one_server_and_moves_when_it_dies() {
    let Some((a, b)) = pair("ttl").await else { return };
    create_table(&a.client, "cache", Some(StreamViewType::KeysOnly)).await;
    a.client
        .update_time_to_live()
        .table_name("cache")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (status_a, status_b) = (status(a.port), status(b.port));
    assert_eq!(status_a["sharedStorage"], true);
    assert_ne!(status_a["serverId"], status_b["serverId"]);
    // Over two seconds of 200 ms sweeps, never both holders, and one of them is.
    let mut seen_holder = false;
    for _ in 0..20 {
        let (on_a, on_b) = (holds_background(a.port), holds_background(b.port));
        assert!(!(on_a && on_b), "both servers hold the background lease");
        seen_holder |= on_a || on_b;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen_holder, "one server holds the background lease");
    let past = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 60)
        .to_string();
    for i in 0..10 {
        put(
            &a.client,
            "cache",
            &format!("old{i}"),
            &[("expires", Av::N(past.clone()))],
        )
        .await;
    }
    wait_until_gone(&b.client, "old").await;

    // Kill the holder: the other server takes the lease and the work over.
    let (mut holder, survivor) = if holds_background(a.port) { (a, b) } else { (b, a) };
    holder.child.kill().unwrap();
    holder.child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !holds_background(survivor.port) {
        assert!(
            Instant::now() < deadline,
            "the surviving server never took the lease over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for i in 0..10 {
        put(
            &survivor.client,
            "cache",
            &format!("later{i}"),
            &[("expires", Av::N(past.clone()))],
        )
        .await;
    }
    wait_until_gone(&survivor.client, "later").await;

    // Each expired item was deleted once: one REMOVE record each.
    let arn = survivor
        .client
        .describe_table()
        .table_name("cache")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .latest_stream_arn
        .unwrap();
    let removes: Vec<String> = all_stream_records(survivor.port, &arn)
        .iter()
        .filter(|r| r["eventName"] == "REMOVE")
        .map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(removes.len(), 20, "{removes:?}");
    let mut unique = removes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 20, "no item was swept twice");
    drop(holder);
}

/// Waits until no item whose key starts with `prefix` is left.
async fn wait_until_gone(client: &Client, prefix: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = client
            .scan()
            .table_name("cache")
            .consistent_read(true)
            .filter_expression("begins_with(pk, :p)")
            .expression_attribute_values(":p", Av::S(prefix.into()))
            .send()
            .await
            .unwrap()
            .count;
        if left == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{left} expired {prefix}* items were never swept"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_through_a_server_that_has_not_seen_a_schema_change_still_follow_it() {
    // B never polls the catalog during the test: only its writes' own check can
    // tell it about the index and the stream added through A.
    let Some((a, b)) = pair_with("stale", &["--catalog-poll-interval-ms", "600000"]).await else {
        return;
    };
    create_table(&a.client, "people", None).await;
    put(&b.client, "people", "first", &[("team", Av::S("red".into()))]).await;
    a.client
        .update_table()
        .table_name("people")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("team")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_team")
                        .key_schema(
                            KeySchemaElement::builder()
                                .attribute_name("team")
                                .key_type(KeyType::Hash)
                                .build()
                                .unwrap(),
                        )
                        .projection(Projection::builder().projection_type(ProjectionType::All).build())
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let table = loop {
        let table = a
            .client
            .describe_table()
            .table_name("people")
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        if table.table_status.as_ref().map(|s| s.as_str()) == Some("ACTIVE") {
            break table;
        }
        assert!(Instant::now() < deadline, "the index never became ACTIVE");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for i in 0..20 {
        put(
            &b.client,
            "people",
            &format!("after{i}"),
            &[("team", Av::S("red".into()))],
        )
        .await;
    }
    let indexed = a
        .client
        .query()
        .table_name("people")
        .index_name("by_team")
        .key_condition_expression("team = :t")
        .expression_attribute_values(":t", Av::S("red".into()))
        .send()
        .await
        .unwrap()
        .count;
    assert_eq!(indexed, 21, "B's writes after the index existed are in it");
    let keys: Vec<String> = all_stream_records(a.port, &table.latest_stream_arn.unwrap())
        .iter()
        .map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        keys,
        (0..20).map(|i| format!("after{i}")).collect::<Vec<_>>(),
        "B's writes after the stream was enabled are in it, in order"
    );
}
