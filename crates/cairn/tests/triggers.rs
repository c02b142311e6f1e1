//! `cairn serve --trigger`: a table's stream records delivered, Lambda-style, to a
//! command or a URL — in order, at least once, retried, dead-lettered, and resumed
//! from the checkpoint after a kill.

mod support;

use aws_sdk_dynamodb::types::{AttributeValue as Av, StreamViewType};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{client, free_port, wait_ready};

fn serve(port: u16, data: Option<&Path>, triggers: &[String]) -> Child {
    serve_with(port, data, triggers, &[])
}

/// `serve` with further flags (`--virtual-clock`, ...).
fn serve_with(port: u16, data: Option<&Path>, triggers: &[String], extra: &[&str]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.args(["serve", "--port", &port.to_string()]).args(extra);
    match data {
        Some(dir) => command.arg("--data-dir").arg(dir),
        None => command.arg("--in-memory"),
    };
    for t in triggers {
        command.args(["--trigger", t]);
    }
    command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

async fn create_orders(c: &aws_sdk_dynamodb::Client) {
    // After a restart on the same data directory the table is already there.
    let exists = c.describe_table().table_name("orders").send().await.is_ok();
    if !exists {
        support::pair::create_table(c, "orders", Some(StreamViewType::NewAndOldImages)).await;
    }
}

async fn put(c: &aws_sdk_dynamodb::Client, pk: &str) {
    c.put_item()
        .table_name("orders")
        .item("pk", Av::S(pk.into()))
        .send()
        .await
        .unwrap();
}

/// Every record delivered so far to a file each batch was appended to, one event
/// (`{"Records": [...]}`) per line.
fn delivered(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .flat_map(|l| {
            let event: Value = serde_json::from_str(l).unwrap();
            event["Records"].as_array().unwrap().clone()
        })
        .collect()
}

fn wait_for(file: &Path, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let records = delivered(file);
        if records.len() >= count {
            return records;
        }
        assert!(
            Instant::now() < deadline,
            "only {} records delivered: {records:?}",
            records.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `cairn clock advance BY` against the server on `port`.
fn advance_clock(port: u16, by: &str) {
    let moved = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "clock",
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "advance",
            by,
        ])
        .output()
        .unwrap();
    assert!(moved.status.success(), "{}", String::from_utf8_lossy(&moved.stderr));
}

fn keys(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap().to_string())
        .collect()
}

/// A command appending each event to `file` on a line of its own.
fn appender(file: &Path) -> String {
    format!("cat >> {0} && echo >> {0}", file.display())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_delivers_each_change_in_order_in_lambdas_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let port = free_port();
    let mut server = serve(port, None, &[format!("table=orders,exec={}", appender(&out))]);
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    for pk in ["a", "b", "c"] {
        put(&c, pk).await;
    }
    c.update_item()
        .table_name("orders")
        .key("pk", Av::S("a".into()))
        .update_expression("SET n = :n")
        .expression_attribute_values(":n", Av::N("1".into()))
        .send()
        .await
        .unwrap();
    c.delete_item()
        .table_name("orders")
        .key("pk", Av::S("b".into()))
        .send()
        .await
        .unwrap();
    let records = wait_for(&out, 5);
    let names: Vec<&str> = records.iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["INSERT", "INSERT", "INSERT", "MODIFY", "REMOVE"]);
    assert_eq!(keys(&records), ["a", "b", "c", "a", "b"]);
    let modify = &records[3];
    assert_eq!(modify["eventSource"], "aws:dynamodb");
    assert!(modify["eventSourceARN"]
        .as_str()
        .unwrap()
        .contains(":table/orders/stream/"));
    assert_eq!(modify["dynamodb"]["NewImage"]["n"]["N"], "1");
    assert!(modify["dynamodb"]["OldImage"].get("n").is_none());
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_trigger_is_retried_and_delivers_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let count = dir.path().join("calls");
    // Fails its first two calls, then appends.
    let script = dir.path().join("flaky.sh");
    std::fs::write(
        &script,
        format!(
            "n=$(cat {c} 2>/dev/null || echo 0); echo $((n+1)) > {c}; [ $n -ge 2 ] || {{ cat >/dev/null; exit 1; }}; {a}",
            c = count.display(),
            a = appender(&out)
        ),
    )
    .unwrap();
    let port = free_port();
    let mut server = serve(
        port,
        None,
        &[format!("table=orders,exec=sh {},retries=5", script.display())],
    );
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    for pk in ["a", "b", "c", "d"] {
        put(&c, pk).await;
    }
    let records = wait_for(&out, 4);
    // At least once, in order: every key, none out of order.
    let keys = keys(&records);
    let mut seen: Vec<String> = keys.clone();
    seen.dedup();
    assert_eq!(seen, ["a", "b", "c", "d"], "{keys:?}");
    let calls: u32 = std::fs::read_to_string(&count).unwrap().trim().parse().unwrap();
    assert!(calls >= 3, "two failures then a success: {calls}");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_that_keeps_failing_goes_to_the_dead_letter_file() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dead.jsonl");
    let port = free_port();
    let mut server = serve(
        port,
        None,
        &[format!(
            "table=orders,exec=cat >/dev/null; exit 3,retries=1,dlq={}",
            dlq.display()
        )],
    );
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    put(&c, "doomed").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dlq.exists() {
        assert!(Instant::now() < deadline, "nothing dead-lettered");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    let dead = delivered(&dlq);
    assert_eq!(keys(&dead), ["doomed"]);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_server_resumes_its_trigger_from_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("events.jsonl");
    let trigger = format!("table=orders,exec={}", appender(&out));
    let port = free_port();
    let mut server = serve(port, Some(&data), std::slice::from_ref(&trigger));
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    put(&c, "before-1").await;
    put(&c, "before-2").await;
    wait_for(&out, 2);
    // The checkpoint is written after the delivery: wait for it before the kill.
    let checkpoint = data.join("triggers").join("orders.checkpoint.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&checkpoint)
        .unwrap_or_default()
        .contains("after")
    {
        assert!(Instant::now() < deadline, "no checkpoint written");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let port = free_port();
    let mut server = serve(port, Some(&data), &[trigger]);
    let c = client(port);
    wait_ready(&c).await;
    put(&c, "after").await;
    let records = wait_for(&out, 3);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(keys(&delivered(&out)), ["before-1", "before-2", "after"], "{records:?}");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_url_trigger_posts_the_event() {
    let hook = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_port = hook.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for stream in hook.incoming() {
            use std::io::{BufRead, BufReader, Read, Write};
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            tx.send(String::from_utf8(body).unwrap()).unwrap();
        }
    });
    let port = free_port();
    let mut server = serve(
        port,
        None,
        &[format!("table=orders,url=http://127.0.0.1:{hook_port}/hook")],
    );
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    put(&c, "posted").await;
    let body = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["Records"][0]["eventName"], "INSERT");
    assert_eq!(event["Records"][0]["dynamodb"]["Keys"]["pk"]["S"], "posted");
    server.kill().unwrap();
    server.wait().unwrap();
}

fn replay(port: u16, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "replay",
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--table",
            "orders",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replays_of_the_same_window_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(port, None, &[]);
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    for pk in ["a", "b", "c", "d", "e"] {
        put(&c, pk).await;
    }
    let (first, second) = (dir.path().join("first.jsonl"), dir.path().join("second.jsonl"));
    replay(
        port,
        &["--from", "2000-01-01T00:00:00Z", "--out", first.to_str().unwrap()],
    );
    replay(
        port,
        &["--from", "2000-01-01T00:00:00Z", "--out", second.to_str().unwrap()],
    );
    let bytes = std::fs::read(&first).unwrap();
    assert_eq!(bytes, std::fs::read(&second).unwrap());
    let records: Vec<Value> = String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(keys(&records), ["a", "b", "c", "d", "e"]);
    // A window with nothing in it replays nothing.
    let later = dir.path().join("later.jsonl");
    replay(
        port,
        &["--from", "2999-01-01T00:00:00Z", "--out", later.to_str().unwrap()],
    );
    assert!(std::fs::read(&later).unwrap().is_empty());
    // Replayed to a command, batch by batch, in the same order.
    let out = dir.path().join("events.jsonl");
    replay(
        port,
        &[
            "--from",
            "2000-01-01T00:00:00Z",
            "--trigger",
            &format!("exec={},batch=2", appender(&out)),
        ],
    );
    assert_eq!(keys(&delivered(&out)), ["a", "b", "c", "d", "e"]);
    assert_eq!(
        std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .count(),
        3
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filter_delivers_only_matching_records_and_checkpoints_past_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("events.jsonl");
    let trigger = format!(
        r#"table=orders,exec={},filter={{"eventName": ["INSERT"], "dynamodb": {{"Keys": {{"pk": {{"S": [{{"prefix": "keep"}}]}}}}}}}}"#,
        appender(&out)
    );
    let port = free_port();
    let mut server = serve(port, Some(&data), std::slice::from_ref(&trigger));
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    for pk in ["keep1", "drop1", "keep2"] {
        put(&c, pk).await;
    }
    // A MODIFY of a kept key is filtered out too.
    put(&c, "keep1").await;
    assert_eq!(keys(&wait_for(&out, 2)), ["keep1", "keep2"]);
    std::thread::sleep(Duration::from_millis(500));
    server.kill().unwrap();
    server.wait().unwrap();

    // Restarted: nothing is delivered again, filtered or not; new matches are.
    let port = free_port();
    let mut server = serve(port, Some(&data), &[trigger]);
    let c = client(port);
    wait_ready(&c).await;
    put(&c, "drop2").await;
    put(&c, "keep3").await;
    let records = wait_for(&out, 3);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(keys(&delivered(&out)), ["keep1", "keep2", "keep3"], "{records:?}");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_older_than_max_age_is_dead_lettered_instead_of_retried() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dead.jsonl");
    let port = free_port();
    // Without max_age_s this batch would be retried 10,000 times.
    let trigger = format!(
        "table=orders,exec=cat >/dev/null; exit 3,retries=10000,max_age_s=60,dlq={}",
        dlq.display()
    );
    let mut server = serve_with(port, None, &[trigger], &["--virtual-clock"]);
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    put(&c, "stale").await;
    std::thread::sleep(Duration::from_millis(500));
    assert!(!dlq.exists(), "dead-lettered before it was 60 s old");
    advance_clock(port, "2m");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !dlq.exists() {
        assert!(Instant::now() < deadline, "the stale batch was never dead-lettered");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(keys(&delivered(&dlq)), ["stale"]);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn advancing_the_clock_expires_a_ttl_item_and_the_trigger_sees_its_remove() {
    use aws_sdk_dynamodb::types::TimeToLiveSpecification;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let port = free_port();
    let trigger = format!(
        r#"table=orders,exec={},filter={{"eventName": ["REMOVE"]}}"#,
        appender(&out)
    );
    let mut server = serve_with(
        port,
        None,
        &[trigger],
        &["--virtual-clock", "--ttl-sweep-interval-ms", "50"],
    );
    let c = client(port);
    wait_ready(&c).await;
    create_orders(&c).await;
    c.update_time_to_live()
        .table_name("orders")
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
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    c.put_item()
        .table_name("orders")
        .item("pk", Av::S("o1".into()))
        .item("expires", Av::N(in_an_hour.to_string()))
        .send()
        .await
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(delivered(&out).is_empty(), "nothing has expired yet");
    advance_clock(port, "2h");
    let records = wait_for(&out, 1);
    assert_eq!(keys(&records), ["o1"]);
    assert_eq!(records[0]["eventName"], "REMOVE");
    // A TTL deletion is DynamoDB's own: Lambda sees it by its userIdentity.
    assert_eq!(records[0]["userIdentity"]["principalId"], "dynamodb.amazonaws.com");
    assert_eq!(records[0]["userIdentity"]["type"], "Service");
    server.kill().unwrap();
    server.wait().unwrap();
}
