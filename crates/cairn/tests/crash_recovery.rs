//! Durability: kill -9 the server in the middle of a write load, restart it on the
//! same data directory, and check that every acknowledged write is there, intact.

mod support;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, KeySchemaElement, KeyType, Put, ScalarAttributeType,
    TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{all_stream_records, client, free_port, wait_ready};

const WRITERS: usize = 8;
const ROUNDS: usize = 3;

fn start(data_dir: &Path, port: u16, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--port", &port.to_string(), "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The table every crash test writes to: string key `pk`, on demand, optionally
/// with a KEYS_ONLY stream.
async fn create_crash_table(client: &Client, with_stream: bool) {
    use aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType};
    let mut request = client
        .create_table()
        .table_name("crash")
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
    if with_stream {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        );
    }
    request.send().await.unwrap();
}

fn value_for(id: &str) -> String {
    format!("payload-of-{id}-{}", "x".repeat(100))
}

/// Writes items until the server dies; returns the ids whose PutItem was acknowledged.
async fn write_until_killed(client: Client, writer: usize, round: usize) -> Vec<String> {
    let mut acknowledged = Vec::new();
    for i in 0.. {
        let id = format!("r{round}-w{writer}-{i}");
        let result = client
            .put_item()
            .table_name("crash")
            .item("pk", Av::S(id.clone()))
            .item("v", Av::S(value_for(&id)))
            .item("n", Av::N(i.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => acknowledged.push(id),
            Err(_) => break,
        }
    }
    acknowledged
}

async fn crash_rounds(extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut all_acknowledged: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let port = free_port();
        let mut server = start(dir.path(), port, extra);
        let client = client(port);
        wait_ready(&client).await;
        if round == 0 {
            create_crash_table(&client, false).await;
        }
        // Everything acknowledged in earlier rounds survived the earlier kills.
        for id in &all_acknowledged {
            let item = client
                .get_item()
                .table_name("crash")
                .key("pk", Av::S(id.clone()))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item;
            let item = item.unwrap_or_else(|| panic!("acknowledged write {id} was lost"));
            assert_eq!(item.get("v"), Some(&Av::S(value_for(id))), "item {id} is corrupt");
        }
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (client, acknowledged) = (client.clone(), acknowledged.clone());
                tokio::spawn(async move {
                    let ids = write_until_killed(client, w, round).await;
                    acknowledged.lock().unwrap().extend(ids);
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(700)).await;
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(
            acknowledged.len() > 50,
            "the load wrote too little to prove anything: {}",
            acknowledged.len()
        );
        all_acknowledged.extend(acknowledged);
    }
    let port = free_port();
    let mut server = start(dir.path(), port, extra);
    let client = client(port);
    wait_ready(&client).await;
    for id in &all_acknowledged {
        let item = client
            .get_item()
            .table_name("crash")
            .key("pk", Av::S(id.clone()))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item;
        assert!(
            item.is_some_and(|i| i.get("v") == Some(&Av::S(value_for(id)))),
            "acknowledged write {id} was lost or corrupt"
        );
    }
    let table = client
        .describe_table()
        .table_name("crash")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(table.item_count().unwrap() as usize >= all_acknowledged.len());
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    crash_rounds(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9_with_fsync() {
    crash_rounds(&["--sync"]).await;
}

/// The same kill -9 rounds with PostgreSQL as the store (scripts/with-postgres sets
/// the URL; the data directory is then unused).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9_on_postgres() {
    let Some(url) = support::postgres_url() else {
        return;
    };
    let schema = format!("crash_{}", std::process::id());
    crash_rounds(&["--postgres", &url, "--postgres-schema", &schema]).await;
}

/// Items of one transaction: all present or all absent after any crash.
const PARTS: [&str; 3] = ["a", "b", "c"];

async fn transactions_until_killed(client: Client, writer: usize, attempted: Arc<Mutex<Vec<String>>>) -> Vec<String> {
    let mut acknowledged = Vec::new();
    for i in 0.. {
        let id = format!("tx-w{writer}-{i}");
        attempted.lock().unwrap().push(id.clone());
        let mut request = client.transact_write_items();
        for part in PARTS {
            let put = Put::builder()
                .table_name("crash")
                .item("pk", Av::S(format!("{id}-{part}")))
                .item("v", Av::S(value_for(&id)))
                .build()
                .unwrap();
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
        }
        match request.send().await {
            Ok(_) => acknowledged.push(id),
            Err(_) => break,
        }
    }
    acknowledged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transactions_are_all_or_nothing_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port, &[]);
    let client = client(port);
    wait_ready(&client).await;
    create_crash_table(&client, false).await;
    let attempted = Arc::new(Mutex::new(Vec::new()));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (client, attempted, acknowledged) = (client.clone(), attempted.clone(), acknowledged.clone());
            tokio::spawn(async move {
                let ids = transactions_until_killed(client, w, attempted).await;
                acknowledged.lock().unwrap().extend(ids);
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let port = free_port();
    let mut server = start(dir.path(), port, &[]);
    let client = self::client(port);
    wait_ready(&client).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "too few transactions to prove anything: {}",
        acknowledged.len()
    );
    for id in attempted.lock().unwrap().iter() {
        let mut present = 0;
        for part in PARTS {
            let item = client
                .get_item()
                .table_name("crash")
                .key("pk", Av::S(format!("{id}-{part}")))
                .send()
                .await
                .unwrap()
                .item;
            present += usize::from(item.is_some());
        }
        assert!(
            present == 0 || present == PARTS.len(),
            "transaction {id} is torn: {present} of {} items",
            PARTS.len()
        );
        if acknowledged.contains(id) {
            assert_eq!(present, PARTS.len(), "acknowledged transaction {id} was lost");
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_records_are_neither_lost_nor_duplicated_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port, &[]);
    let client = client(port);
    wait_ready(&client).await;
    create_crash_table(&client, true).await;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(write_until_killed(client.clone(), w, 0)))
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }

    let port = free_port();
    let mut server = start(dir.path(), port, &[]);
    let client = self::client(port);
    wait_ready(&client).await;
    // More writes after the restart: their sequence numbers must continue upwards.
    for i in 0..5 {
        client
            .put_item()
            .table_name("crash")
            .item("pk", Av::S(format!("after-{i}")))
            .send()
            .await
            .unwrap();
    }
    let arn = client
        .describe_table()
        .table_name("crash")
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .latest_stream_arn
        .unwrap();
    let mut keys = Vec::new();
    let mut sequences: Vec<u128> = Vec::new();
    for r in all_stream_records(port, &arn) {
        keys.push(r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap().to_string());
        sequences.push(r["dynamodb"]["SequenceNumber"].as_str().unwrap().parse().unwrap());
    }
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers must keep increasing"
    );
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "a stream record was duplicated");
    for id in &acknowledged {
        assert!(keys.contains(id), "the record of acknowledged write {id} was lost");
    }
    let after: Vec<&String> = keys.iter().filter(|k| k.starts_with("after-")).collect();
    assert_eq!(after.len(), 5);
    // Every record matches an item that exists: no record without its change.
    for key in &keys {
        let item = client
            .get_item()
            .table_name("crash")
            .key("pk", Av::S(key.clone()))
            .send()
            .await
            .unwrap()
            .item;
        assert!(item.is_some(), "record for {key} exists but its item does not");
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
