//! `cairn import`, `cairn export` and `cairn backup` as people run them: against a
//! server or a data directory, resumable after being killed.

mod support;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{client, free_port, wait_ready};

fn cairn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn")).args(args).output().unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn serve(data_dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--port", &port.to_string(), "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn json_lines(path: &Path, n: usize) {
    let text: String = (0..n)
        .map(|i| {
            format!(
                "{{\"Item\":{{\"pk\":{{\"S\":\"k{i:06}\"}},\"n\":{{\"N\":\"{i}\"}},\"pad\":{{\"S\":\"{}\"}}}}}}\n",
                "p".repeat(32)
            )
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

async fn count(port: u16, table: &str) -> i32 {
    let c = client(port);
    let mut total = 0;
    let mut start = None;
    loop {
        let page = c
            .scan()
            .table_name(table)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        total += page.count();
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return total;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_then_import_copies_a_table_item_for_item() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(&dir.path().join("data"), port);
    wait_ready(&client(port)).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let input = dir.path().join("in.json");
    json_lines(&input, 3000);
    let state = dir.path().join("state.json");
    let out = ok(cairn(&[
        "import",
        "--endpoint",
        &endpoint,
        "--table",
        "source",
        "--create-key",
        "pk:S",
        "--quiet",
        "--state",
        state.to_str().unwrap(),
        input.to_str().unwrap(),
    ]));
    assert!(
        out.contains("imported 3000 items into source (0 records refused)"),
        "{out}"
    );

    let exported = dir.path().join("export");
    let out = ok(cairn(&[
        "export",
        "--endpoint",
        &endpoint,
        "--table",
        "source",
        "--out",
        exported.to_str().unwrap(),
        "--segments",
        "3",
        "--file-items",
        "500",
        "--quiet",
    ]));
    assert!(out.contains("exported 3000 items"), "{out}");
    assert!(
        !exported.join(".cairn-export-state.json").exists(),
        "the state is removed when done"
    );
    let export_dir = std::fs::read_dir(exported.join("AWSDynamoDB"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(export_dir.join("manifest-summary.json")).unwrap()).unwrap();
    assert_eq!(summary["itemCount"], 3000);

    let state2 = dir.path().join("state2.json");
    let out = ok(cairn(&[
        "import",
        "--endpoint",
        &endpoint,
        "--table",
        "copy",
        "--create-key",
        "pk:S",
        "--quiet",
        "--state",
        state2.to_str().unwrap(),
        export_dir.join("data").to_str().unwrap(),
    ]));
    assert!(out.contains("imported 3000 items into copy"), "{out}");
    let c = client(port);
    let a = c
        .get_item()
        .table_name("source")
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("k001234".into()))
        .send()
        .await
        .unwrap();
    let b = c
        .get_item()
        .table_name("copy")
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("k001234".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(a.item(), b.item());
    assert_eq!(count(port, "copy").await, 3000);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_part_way_resumes_from_its_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(&dir.path().join("data"), port);
    wait_ready(&client(port)).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let input = dir.path().join("big.json");
    json_lines(&input, 200_000);
    let state = dir.path().join("state.json");
    let args = [
        "import",
        "--endpoint",
        &endpoint,
        "--table",
        "big",
        "--create-key",
        "pk:S",
        "--quiet",
        "--batch",
        "1000",
        "--state",
        state.to_str().unwrap(),
        input.to_str().unwrap(),
    ];
    let mut first = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let saved: Option<serde_json::Value> = std::fs::read(&state).ok().and_then(|b| serde_json::from_slice(&b).ok());
        if saved.as_ref().and_then(|s| s["items"].as_u64()).unwrap_or(0) > 0 {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "the import ended before it could be killed"
        );
        assert!(Instant::now() < deadline, "no progress saved");
        std::thread::sleep(Duration::from_millis(5));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let before = saved["items"].as_u64().unwrap();
    assert!(before < 200_000);

    let resumed = cairn(&args);
    let stderr = String::from_utf8_lossy(&resumed.stderr).into_owned();
    let out = ok(resumed);
    assert!(stderr.contains("resuming: file 1 of 1"), "{stderr}");
    assert!(out.contains("imported 200000 items into big"), "counted once: {out}");
    assert_eq!(count(port, "big").await, 200_000);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_records_are_reported_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(&dir.path().join("data"), port);
    wait_ready(&client(port)).await;
    let input = dir.path().join("mixed.csv");
    std::fs::write(&input, "pk,name\na,one\n\"broken,x\nb,two\n").unwrap();
    let state = dir.path().join("s.json");
    let output = cairn(&[
        "import",
        "--endpoint",
        &format!("http://127.0.0.1:{port}"),
        "--table",
        "mixed",
        "--create-key",
        "pk:S",
        "--quiet",
        "--state",
        state.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let out = ok(output);
    assert!(out.contains("imported 1 items into mixed (1 records refused)"), "{out}");
    assert!(
        stderr.contains("mixed.csv record 1: unterminated quoted field"),
        "{stderr}"
    );
    assert_eq!(count(port, "mixed").await, 1);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_are_created_listed_and_restored_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let mut server = serve(&data, port);
    wait_ready(&client(port)).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let input = dir.path().join("in.json");
    json_lines(&input, 500);
    let state = dir.path().join("state.json");
    ok(cairn(&[
        "import",
        "--endpoint",
        &endpoint,
        "--table",
        "pets",
        "--create-key",
        "pk:S",
        "--quiet",
        "--state",
        state.to_str().unwrap(),
        input.to_str().unwrap(),
    ]));
    let out = ok(cairn(&[
        "backup",
        "create",
        "--endpoint",
        &endpoint,
        "--table",
        "pets",
        "--name",
        "nightly",
        "--quiet",
    ]));
    assert!(out.contains("backup nightly AVAILABLE: 500 items"), "{out}");
    let listed = ok(cairn(&["backup", "list", "--endpoint", &endpoint, "--table", "pets"]));
    assert!(listed.contains("nightly") && listed.contains("AVAILABLE"), "{listed}");
    let out = ok(cairn(&[
        "backup",
        "restore",
        "--endpoint",
        &endpoint,
        "--backup",
        "nightly",
        "--to",
        "pets_copy",
        "--quiet",
    ]));
    assert!(out.contains("into pets_copy (500 items)"), "{out}");
    assert_eq!(count(port, "pets_copy").await, 500);
    server.kill().unwrap();
    server.wait().unwrap();

    // The same on the data directory itself, with the server stopped.
    let data_dir = data.to_str().unwrap();
    let out = ok(cairn(&[
        "backup",
        "restore",
        "--data-dir",
        data_dir,
        "--backup",
        "nightly",
        "--to",
        "offline_copy",
        "--quiet",
    ]));
    assert!(out.contains("into offline_copy (500 items)"), "{out}");
    let listed = ok(cairn(&["backup", "list", "--data-dir", data_dir]));
    assert!(listed.contains("nightly"), "{listed}");
    let port = free_port();
    let mut server = serve(&data, port);
    wait_ready(&client(port)).await;
    assert_eq!(count(port, "offline_copy").await, 500);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_key_keeps_its_last_record_and_an_invalid_item_is_refused_alone() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve(&dir.path().join("data"), port);
    wait_ready(&client(port)).await;
    let input = dir.path().join("dups.json");
    std::fs::write(
        &input,
        "{\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}}\n{\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"2\"}}}\n{\"Item\":{\"nokey\":{\"S\":\"x\"}}}\n{\"Item\":{\"pk\":{\"S\":\"b\"}}}\n",
    )
    .unwrap();
    let state = dir.path().join("s.json");
    let output = cairn(&[
        "import",
        "--endpoint",
        &format!("http://127.0.0.1:{port}"),
        "--table",
        "dups",
        "--create-key",
        "pk:S",
        "--quiet",
        "--state",
        state.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let out = ok(output);
    assert!(out.contains("imported 3 items into dups (1 records refused)"), "{out}");
    assert!(stderr.contains("Missing the key pk in the item"), "{stderr}");
    assert_eq!(count(port, "dups").await, 2);
    let a = client(port)
        .get_item()
        .table_name("dups")
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.item().unwrap()["v"],
        aws_sdk_dynamodb::types::AttributeValue::N("2".into())
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
