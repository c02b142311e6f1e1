//! `cairn snapshot save|restore|list|delete|reset` against a running server: a
//! snapshot restored after writes equals the saved state, `reset` empties the server
//! and loads its `--seed` fixtures again, and a server verifying its callers serves
//! no snapshots.

mod support;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use std::process::{Child, Command, Output, Stdio};
use support::{client, free_port, wait_ready};

fn serve(port: u16, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--port", &port.to_string()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn snapshot(port: u16, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["snapshot", "--endpoint", &format!("http://127.0.0.1:{port}")])
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn items(c: &aws_sdk_dynamodb::Client, table: &str) -> Vec<String> {
    let mut pks: Vec<String> = c
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .map(|i| {
            format!(
                "{}={}",
                i["pk"].as_s().unwrap(),
                i.get("v").and_then(|v| v.as_s().ok()).map_or("", |v| v)
            )
        })
        .collect();
    pks.sort();
    pks
}

async fn put(c: &aws_sdk_dynamodb::Client, table: &str, pk: &str, v: &str) {
    c.put_item()
        .table_name(table)
        .item("pk", Av::S(pk.into()))
        .item("v", Av::S(v.into()))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_restored_through_the_cli_equals_the_saved_state() {
    let port = free_port();
    let mut server = serve(port, &["--in-memory"]);
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "orders", None).await;
    put(&c, "orders", "o1", "new").await;
    put(&c, "orders", "o2", "new").await;
    let saved = ok(snapshot(port, &["save", "fixture"]));
    assert!(saved.starts_with("saved fixture (1 tables) in "), "{saved}");

    put(&c, "orders", "o1", "paid").await;
    put(&c, "orders", "o3", "new").await;
    support::pair::create_table(&c, "later", None).await;
    let restored = ok(snapshot(port, &["restore", "fixture"]));
    assert!(restored.starts_with("restored fixture (1 tables) in "), "{restored}");
    assert_eq!(items(&c, "orders").await, ["o1=new", "o2=new"]);
    let tables = c.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["orders"]);

    let listed = ok(snapshot(port, &["list"]));
    assert!(
        listed.starts_with("fixture\t") && listed.trim_end().ends_with("\t1 tables"),
        "{listed}"
    );
    ok(snapshot(port, &["delete", "fixture"]));
    let missing = snapshot(port, &["restore", "fixture"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("No snapshot named fixture"));
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_empties_the_server_and_loads_the_seed_again() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("users.table.json"),
        r#"{"TableName": "users", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("users.jsonl"),
        "{\"pk\": {\"S\": \"u1\"}, \"v\": {\"S\": \"seeded\"}}\n",
    )
    .unwrap();
    let port = free_port();
    let mut server = serve(port, &["--in-memory", "--seed", dir.path().to_str().unwrap()]);
    let c = client(port);
    wait_ready(&c).await;
    put(&c, "users", "u1", "changed").await;
    put(&c, "users", "u2", "added").await;
    support::pair::create_table(&c, "scratch", None).await;
    let reset = ok(snapshot(port, &["reset"]));
    assert!(reset.starts_with("reset in "), "{reset}");
    assert_eq!(items(&c, "users").await, ["u1=seeded"]);
    assert_eq!(c.list_tables().send().await.unwrap().table_names(), ["users"]);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshots_work_on_the_embedded_backend_and_the_restore_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let args = ["--data-dir", data.path().to_str().unwrap()];
    let mut server = serve(port, &args);
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "orders", None).await;
    put(&c, "orders", "o1", "new").await;
    ok(snapshot(port, &["save", "one"]));
    put(&c, "orders", "o2", "new").await;
    ok(snapshot(port, &["restore", "one"]));
    assert_eq!(items(&c, "orders").await, ["o1=new"]);
    server.kill().unwrap();
    server.wait().unwrap();

    let port = free_port();
    let mut server = serve(port, &args);
    let c = client(port);
    wait_ready(&c).await;
    assert_eq!(items(&c, "orders").await, ["o1=new"]);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_verifying_its_callers_serves_no_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials.json");
    std::fs::write(
        &credentials,
        r#"{"principals": [{"name": "admin", "access_key_id": "AKIAADMIN", "secret_access_key": "s"}]}"#,
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let port = free_port();
    let mut server = serve(
        port,
        &[
            "--in-memory",
            "--auth",
            "sigv4",
            "--credentials",
            credentials.to_str().unwrap(),
        ],
    );
    // Ready once the health check answers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "server never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for args in [&["save", "s"][..], &["reset"][..], &["list"][..]] {
        let out = snapshot(port, args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .contains("no snapshots here (a server with --auth sigv4 does not serve them)"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

fn raw_post(port: u16, path: &str, origin: Option<&str>) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{origin}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_page_of_another_origin_cannot_reset_the_server() {
    let port = free_port();
    let mut server = serve(port, &["--in-memory"]);
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "orders", None).await;
    // A simple cross-site POST needs no preflight: the admin API refuses it.
    let refused = raw_post(port, "/_cairn/reset", Some("http://evil.test"));
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(
        refused.contains("the admin API refuses calls from web pages"),
        "{refused}"
    );
    assert_eq!(c.list_tables().send().await.unwrap().table_names(), ["orders"]);
    // A page of the server's own origin, and a client without Origin, may.
    let own = raw_post(port, "/_cairn/snapshots/s", Some(&format!("http://127.0.0.1:{port}")));
    assert!(own.starts_with("HTTP/1.1 200"), "{own}");
    let plain = raw_post(port, "/_cairn/reset", None);
    assert!(plain.starts_with("HTTP/1.1 200"), "{plain}");
    assert!(c.list_tables().send().await.unwrap().table_names().is_empty());
    server.kill().unwrap();
    server.wait().unwrap();
}
