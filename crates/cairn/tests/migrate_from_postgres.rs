//! The migration story end to end: a 500,000-row PostgreSQL table with a JSONB
//! column is copied into Cairn by `cairn import --from-postgres` while rows keep
//! changing (updates and inserts), then caught up by running the same command again;
//! afterwards every row is an item with the row's latest values.

mod support;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{client, free_port, postgres_url, wait_ready};

const ROWS: i64 = 500_000;

fn import(url: &str, port: u16, state: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "import",
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--table",
            "pets",
        ])
        .args(["--create-key", "PK:S,SK:S", "--from-postgres", url])
        .args([
            "--query",
            "SELECT id, user_id, name, attrs, photo, updated_at FROM pets",
        ])
        .args(["--key-template", "PK=USER#{user_id}", "--key-template", "SK=PET#{id}"])
        .args([
            "--cursor",
            "updated_at,id",
            "--settle-seconds",
            "1",
            "--batch",
            "5000",
            "--quiet",
        ])
        .arg("--state")
        .arg(state)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_postgresql_table_is_copied_and_caught_up() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("migrate_{}", std::process::id());
    let separator = if url.contains('?') { '&' } else { '?' };
    let url_in_schema = format!("{url}{separator}options=-csearch_path%3D{schema}");
    let setup_url = url.clone();
    let schema_name = schema.clone();
    std::thread::spawn(move || {
        let mut pg = postgres::Client::connect(&setup_url, postgres::NoTls).unwrap();
        pg.batch_execute(&format!(
            "CREATE SCHEMA {schema_name};
             SET search_path = {schema_name};
             CREATE TABLE pets (id bigint PRIMARY KEY, user_id int NOT NULL, name text NOT NULL,
                                attrs jsonb, photo bytea, updated_at timestamptz NOT NULL);
             INSERT INTO pets SELECT g, g % 9973, 'pet ' || g,
                 jsonb_build_object('color', CASE WHEN g % 2 = 0 THEN 'black' ELSE 'white' END,
                                    'weight', (g % 40) + 0.5, 'tags', jsonb_build_array('a', g % 7), 'vet', NULL),
                 CASE WHEN g % 1000 = 0 THEN '\\x00ff'::bytea END,
                 now() - interval '1 hour'
             FROM generate_series(1, {ROWS}) AS g;
             CREATE INDEX pets_cursor ON pets (updated_at, id);"
        ))
        .unwrap();
    })
    .join()
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server: Child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--port", &port.to_string(), "--data-dir"])
        .arg(dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let c = client(port);
    wait_ready(&c).await;

    // Rows keep changing while the copy runs: updates of random rows and new rows.
    let stop = Arc::new(AtomicBool::new(false));
    let changes = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, changes, url) = (stop.clone(), changes.clone(), url_in_schema.clone());
        std::thread::spawn(move || {
            let mut pg = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut next_id = ROWS + 1;
            let mut seed = 7u64;
            while !stop.load(Ordering::Relaxed) {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let id = (seed >> 33) as i64 % ROWS + 1;
                pg.execute(
                    "UPDATE pets SET name = name || '+', attrs = jsonb_set(attrs, '{color}', '\"green\"'), updated_at = clock_timestamp() WHERE id = $1",
                    &[&id],
                )
                .unwrap();
                pg.execute(
                    "INSERT INTO pets VALUES ($1, 1, 'new', '{\"color\": \"red\"}', NULL, clock_timestamp())",
                    &[&next_id],
                )
                .unwrap();
                next_id += 1;
                changes.fetch_add(2, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };

    let state = dir.path().join("state.json");
    let first = tokio::task::spawn_blocking({
        let (url, state) = (url_in_schema.clone(), state.clone());
        move || import(&url, port, &state)
    })
    .await
    .unwrap();
    assert!(
        first.status.success(),
        "first pass: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(changes.load(Ordering::Relaxed) > 0, "rows changed during the copy");
    // Past the settle time, the catch-up run copies what changed since.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = tokio::task::spawn_blocking({
        let (url, state) = (url_in_schema.clone(), state.clone());
        move || import(&url, port, &state)
    })
    .await
    .unwrap();
    assert!(
        second.status.success(),
        "catch-up: {}",
        String::from_utf8_lossy(&second.stderr)
    );

    // Every row, with its latest values.
    let expected: HashMap<String, (String, String)> = std::thread::spawn(move || {
        let mut pg = postgres::Client::connect(&url_in_schema, postgres::NoTls).unwrap();
        pg.query("SELECT user_id, id, name, attrs->>'color' FROM pets", &[])
            .unwrap()
            .into_iter()
            .map(|r| {
                let (user, id): (i32, i64) = (r.get(0), r.get(1));
                (format!("USER#{user}|PET#{id}"), (r.get(2), r.get(3)))
            })
            .collect()
    })
    .join()
    .unwrap();
    assert!(expected.len() as i64 > ROWS);
    let mut found = HashMap::new();
    let mut start = None;
    loop {
        let page = c
            .scan()
            .table_name("pets")
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items() {
            let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let color = item
                .get("attrs")
                .and_then(|v| v.as_m().ok())
                .and_then(|m| m.get("color"))
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            found.insert(format!("{}|{}", s("PK"), s("SK")), (s("name"), color));
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    assert_eq!(found.len(), expected.len(), "one item per row");
    let stale: Vec<_> = expected
        .iter()
        .filter(|(k, v)| found.get(*k) != Some(v))
        .take(5)
        .collect();
    assert!(stale.is_empty(), "items differing from their rows: {stale:?}");

    // Column types: numbers, JSONB maps and lists, bytea, NULL left out.
    let item = c
        .get_item()
        .table_name("pets")
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S("USER#273".into()))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S("PET#10246".into()))
        .send()
        .await
        .unwrap();
    let item = item.item().expect("row 10246");
    assert_eq!(item["id"].as_n().unwrap(), "10246");
    let attrs = item["attrs"].as_m().unwrap();
    assert!(attrs["weight"].as_n().is_ok());
    assert_eq!(attrs["tags"].as_l().unwrap().len(), 2);
    assert!(attrs["vet"].as_null().is_ok(), "a JSON null inside a map is NULL");
    assert!(item.get("photo").is_none(), "a NULL column is left out");
    assert!(item["updated_at"].as_s().is_ok());
    server.kill().unwrap();
    server.wait().unwrap();
}
