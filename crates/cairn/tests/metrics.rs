//! `--metrics-addr`: after a known workload, the Prometheus scrape (parsed as
//! Prometheus text) holds the counts and capacity sums the responses reported.

mod support;

use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnConsumedCapacity};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{client, free_port, wait_ready};

/// Prometheus text format: `name{label="v",...} value` per line; comments skipped.
fn parse(text: &str) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap();
                let labels = body
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once("=\"").unwrap();
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
            None => (series.to_string(), BTreeMap::new()),
        };
        out.insert((name, labels), value.parse::<f64>().unwrap());
    }
    out
}

fn scrape(port: u16) -> String {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            write!(
                s,
                "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).unwrap();
            return reply.split_once("\r\n\r\n").unwrap().1.to_string();
        }
        assert!(Instant::now() < deadline, "no metrics listener");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn scraped_metrics_equal_what_the_responses_reported() {
    let (port, metrics_port) = (free_port(), free_port());
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--in-memory", "--port", &port.to_string()])
        .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "metered", None).await;
    let mut write_units = 0.0;
    for i in 0..10 {
        let out = c
            .put_item()
            .table_name("metered")
            .item("pk", Av::S(format!("k{i}")))
            .item("pad", Av::S("x".repeat(1500 * (i % 3))))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap();
        write_units += out.consumed_capacity().unwrap().capacity_units().unwrap();
    }
    let mut read_units = 0.0;
    for i in 0..6 {
        let out = c
            .get_item()
            .table_name("metered")
            .key("pk", Av::S(format!("k{i}")))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .unwrap();
        read_units += out.consumed_capacity().unwrap().capacity_units().unwrap();
    }
    let failed = c
        .put_item()
        .table_name("metered")
        .item("pk", Av::S("k1".into()))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    assert!(failed.is_err());
    let missing = c
        .get_item()
        .table_name("nope")
        .key("pk", Av::S("x".into()))
        .send()
        .await;
    assert!(missing.is_err());

    let scraped = parse(&scrape(metrics_port));
    let get = |name: &str, pairs: &[(&str, &str)]| scraped.get(&(name.to_string(), labels(pairs))).copied();
    assert_eq!(
        get(
            "ConsumedWriteCapacityUnits",
            &[("Operation", "PutItem"), ("TableName", "metered")]
        ),
        // The refused conditional put of k1 (a 1,500-byte pad: 2 units) is charged too.
        Some(write_units + 2.0),
        "{scraped:?}"
    );
    assert_eq!(
        get(
            "ConsumedReadCapacityUnits",
            &[("Operation", "GetItem"), ("TableName", "metered")]
        ),
        Some(read_units)
    );
    assert_eq!(
        get(
            "SuccessfulRequestLatency_count",
            &[("Operation", "PutItem"), ("TableName", "metered")]
        ),
        Some(10.0)
    );
    assert_eq!(
        get("ConditionalCheckFailedRequests", &[("TableName", "metered")]),
        Some(1.0)
    );
    assert_eq!(get("UserErrors", &[]), Some(1.0), "the missing table");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cairn_cost_prints_the_ledger_and_the_amplified_scan() {
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--in-memory", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "events", None).await;
    for i in 0..30 {
        c.put_item()
            .table_name("events")
            .item("pk", Av::S(format!("e{i}")))
            .item("kind", Av::S(if i == 0 { "rare" } else { "common" }.into()))
            .send()
            .await
            .unwrap();
    }
    c.scan()
        .table_name("events")
        .filter_expression("kind = :k")
        .expression_attribute_values(":k", Av::S("rare".into()))
        .send()
        .await
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "cost",
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--since",
            "1h",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("PutItem                  30"), "{text}");
    assert!(
        text.contains("Scan events with FilterExpression: 1 requests read 30 items to return 1 (30x)"),
        "{text}"
    );
    let json = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["cost", "--endpoint", &format!("http://127.0.0.1:{port}"), "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["tables"][0]["writeUnits"], 30.0);
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Scrapes until `ready` holds of the parsed metrics (the engine publishes some on
/// timers); panics after ten seconds with the last scrape.
fn scrape_until(
    port: u16,
    ready: impl Fn(&BTreeMap<(String, BTreeMap<String, String>), f64>) -> bool,
) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let scraped = parse(&scrape(port));
        if ready(&scraped) {
            return scraped;
        }
        assert!(Instant::now() < deadline, "never ready: {scraped:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ttl_deletions_item_counts_and_returned_items_are_published() {
    let (port, metrics_port) = (free_port(), free_port());
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--in-memory", "--port", &port.to_string()])
        .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
        .args(["--ttl-sweep-interval-ms", "50", "--table-metrics-interval-ms", "50"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "aging", None).await;
    c.update_time_to_live()
        .table_name("aging")
        .time_to_live_specification(
            aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..4 {
        c.put_item()
            .table_name("aging")
            .item("pk", Av::S(format!("k{i}")))
            .send()
            .await
            .unwrap();
    }
    c.put_item()
        .table_name("aging")
        .item("pk", Av::S("old".into()))
        // Expired a minute ago (DynamoDB ignores TTL values over five years old).
        .item(
            "expires",
            Av::N(
                (std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    - 60)
                    .to_string(),
            ),
        )
        .send()
        .await
        .unwrap();
    let scan = c.scan().table_name("aging").limit(3).send().await.unwrap();
    assert_eq!(scan.count(), 3);
    let table = [("TableName", "aging")];
    let scraped = scrape_until(metrics_port, |m| {
        m.get(&("TimeToLiveDeletedItemCount".to_string(), labels(&table))) == Some(&1.0)
            && m.get(&("ItemCount".to_string(), labels(&table))) == Some(&4.0)
    });
    assert!(scraped[&("TableSizeBytes".to_string(), labels(&table))] > 0.0);
    assert_eq!(
        scraped.get(&(
            "ReturnedItemCount".to_string(),
            labels(&[("Operation", "Scan"), ("TableName", "aging")])
        )),
        Some(&3.0)
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn request_log_writes_one_line_per_request_with_its_id() {
    use aws_sdk_dynamodb::operation::RequestId;
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "serve",
            "--in-memory",
            "--port",
            &port.to_string(),
            "--request-log",
            "info",
        ])
        .env("CAIRN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "logged", None).await;
    let out = c
        .put_item()
        .table_name("logged")
        .item("pk", Av::S("a".into()))
        .send()
        .await
        .unwrap();
    let id = out.request_id().unwrap().to_string();
    let missing = c
        .get_item()
        .table_name("nope")
        .key("pk", Av::S("a".into()))
        .send()
        .await;
    assert!(missing.is_err());
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    let line = log
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("no line for {id}: {log}"));
    assert!(line.contains("cairn::requests"), "{line}");
    assert!(line.contains("PutItem"), "{line}");
    assert!(line.contains("logged"), "{line}");
    assert!(line.contains("write_units=1"), "{line}");
    assert!(
        log.lines()
            .any(|l| l.contains("GetItem") && l.contains("ResourceNotFoundException")),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cairn_explain_prints_the_access_path_of_a_query() {
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--in-memory", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "explained", None).await;
    c.put_item()
        .table_name("explained")
        .item("pk", Av::S("p".into()))
        .send()
        .await
        .unwrap();
    let explain = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["explain", "--endpoint", &format!("http://127.0.0.1:{port}")])
            .args(extra)
            .args([
                "Query",
                r#"{"TableName": "explained", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}"#,
            ])
            .output()
            .unwrap()
    };
    let output = explain(&[]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        text.starts_with("Query reads one partition of table explained\n"),
        "{text}"
    );
    assert!(text.contains("  partition keys     p\n"), "{text}");
    assert!(text.contains("  items returned     1\n"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&explain(&["--json"]).stdout).unwrap();
    assert_eq!(json["readUnits"], 0.5);
    // A write is refused, and says why.
    let refused = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["explain", "--endpoint", &format!("http://127.0.0.1:{port}")])
        .args(["PutItem", r#"{"TableName": "explained", "Item": {"pk": {"S": "q"}}}"#])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Only read requests can be explained"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
