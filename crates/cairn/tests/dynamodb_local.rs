//! Replacing DynamoDB Local: its command line is accepted as is, each access key and
//! region pair has its own tables unless `-sharedDb`, ARNs name region `ddblocal`,
//! `-cors` limits browsers' origins; and the binary's polish — `--version` with the
//! commit, shell completions, a clear message and exit status when the port or the
//! data directory is taken.

mod support;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{free_port, wait_ready};

fn cairn(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    command
}

fn start(args: &[&str]) -> Child {
    cairn(args).spawn().unwrap()
}

fn client_as(port: u16, key: &str, region: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(key, "secret", None, None, "test"))
        .build();
    Client::from_conf(config)
}

async fn tables(c: &Client) -> Vec<String> {
    c.list_tables().send().await.unwrap().table_names().to_vec()
}

fn stop(mut server: Child) {
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_shared_db_each_access_key_and_region_has_its_own_tables() {
    let port = free_port();
    let server = start(&["dynamodb-local", "-inMemory", "-port", &port.to_string()]);
    let alice = client_as(port, "ALICE", "us-east-1");
    wait_ready(&alice).await;
    support::pair::create_table(&alice, "pets", None).await;
    assert_eq!(tables(&alice).await, ["pets"]);
    assert!(tables(&client_as(port, "BOB", "us-east-1")).await.is_empty());
    assert!(tables(&client_as(port, "ALICE", "eu-west-1")).await.is_empty());
    // The same name in another namespace is another table.
    let bob = client_as(port, "BOB", "us-east-1");
    support::pair::create_table(&bob, "pets", None).await;
    support::pair::put(&bob, "pets", "rex", &[]).await;
    let alices = alice.scan().table_name("pets").send().await.unwrap();
    assert_eq!(alices.count(), 0);
    stop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_shared_db_every_client_sees_the_same_tables() {
    let port = free_port();
    let server = start(&["dynamodb-local", "-sharedDb", "-inMemory", "-port", &port.to_string()]);
    let alice = client_as(port, "ALICE", "us-east-1");
    wait_ready(&alice).await;
    support::pair::create_table(&alice, "pets", None).await;
    assert_eq!(tables(&client_as(port, "BOB", "eu-west-1")).await, ["pets"]);
    stop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn arns_name_the_region_ddblocal_as_dynamodb_local_does() {
    let port = free_port();
    let server = start(&["serve", "-sharedDb", "-inMemory", "-port", &port.to_string()]);
    let c = client_as(port, "ALICE", "us-west-2");
    wait_ready(&c).await;
    support::pair::create_table(&c, "pets", None).await;
    let described = c.describe_table().table_name("pets").send().await.unwrap();
    assert_eq!(
        described.table().unwrap().table_arn(),
        Some("arn:aws:dynamodb:ddblocal:000000000000:table/pets")
    );
    stop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn cairns_own_serve_keeps_regions_apart_and_real_arns() {
    let port = free_port();
    let server = start(&["serve", "--in-memory", "--port", &port.to_string()]);
    let alice = client_as(port, "ALICE", "us-west-2");
    wait_ready(&alice).await;
    support::pair::create_table(&alice, "pets", None).await;
    // Other keys share tables; other regions do not.
    assert_eq!(tables(&client_as(port, "BOB", "us-west-2")).await, ["pets"]);
    assert!(tables(&client_as(port, "ALICE", "eu-west-1")).await.is_empty());
    let described = alice.describe_table().table_name("pets").send().await.unwrap();
    assert!(described
        .table()
        .unwrap()
        .table_arn()
        .unwrap()
        .starts_with("arn:aws:dynamodb:us-west-2:"));
    stop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_namespace_survives_a_restart_in_its_db_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_string();
    for round in 0..2 {
        let port = free_port();
        let server = start(&["dynamodb-local", "-dbPath", &path, "-port", &port.to_string()]);
        let alice = client_as(port, "ALICE", "us-east-1");
        wait_ready(&alice).await;
        if round == 0 {
            support::pair::create_table(&alice, "pets", None).await;
        }
        assert_eq!(tables(&alice).await, ["pets"], "round {round}");
        assert!(tables(&client_as(port, "BOB", "us-east-1")).await.is_empty());
        stop(server);
    }
}

fn raw_request(port: u16, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.to_ascii_lowercase()
}

fn preflight(port: u16, origin: &str) -> String {
    raw_request(
        port,
        &format!(
            "OPTIONS / HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_allows_only_the_listed_origins() {
    let port = free_port();
    let server = start(&[
        "dynamodb-local",
        "-inMemory",
        "-cors",
        "http://app.test",
        "-port",
        &port.to_string(),
    ]);
    wait_ready(&client_as(port, "A", "us-east-1")).await;
    let allowed = preflight(port, "http://app.test");
    assert!(
        allowed.contains("access-control-allow-origin: http://app.test"),
        "{allowed}"
    );
    assert!(allowed.contains("access-control-allow-methods: post"), "{allowed}");
    let refused = preflight(port, "http://evil.test");
    assert!(!refused.contains("access-control-allow-origin"), "{refused}");
    stop(server);

    // Without -cors, any origin, as DynamoDB answers.
    let port = free_port();
    let server = start(&["serve", "--in-memory", "--port", &port.to_string()]);
    wait_ready(&client_as(port, "A", "us-east-1")).await;
    assert!(preflight(port, "http://any.test").contains("access-control-allow-origin: *"));
    stop(server);
}

#[test]
fn version_names_the_commit() {
    for args in [&["--version"][..], &["dynamodb-local", "-version"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_cairn")).args(args).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        // `cairn 0.1.0 (commit …)`, or `cairn-serve 0.1.0 (commit …)` after a subcommand.
        assert!(
            text.starts_with("cairn 0.") || text.starts_with("cairn-serve 0."),
            "{text}"
        );
        assert!(text.contains("(commit "), "{text}");
    }
}

#[test]
fn help_is_served_for_dynamodb_locals_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["dynamodb-local", "-help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("--shared-db") && text.contains("--in-memory"), "{text}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for command in ["serve", "snapshot", "completions", "--in-memory"] {
            assert!(text.contains(command), "{shell} completions lack {command}");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_taken_port_is_named_with_exit_status_3() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--in-memory", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(
        text.contains(&format!(
            "cairn: port {port} on 127.0.0.1 is already in use (another Cairn or DynamoDB Local?): stop it, or choose another port with --port"
        )),
        "{text}"
    );
    // The same server on a free port starts.
    let free = free_port();
    let mut server = cairn(&["serve", "--in-memory", "--port", &free.to_string()])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.try_wait().unwrap().is_none(), "the server on a free port exited");
    stop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_directory_in_use_is_named_with_exit_status_4() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let port = free_port();
    let first = start(&["serve", "--data-dir", path, "--port", &port.to_string()]);
    wait_ready(&client_as(port, "A", "us-east-1")).await;
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--data-dir", path, "--port", &free_port().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(
        text.contains(&format!(
            "cairn: data directory {path} is in use by another process (another cairn serve?): stop it, or choose another --data-dir"
        )),
        "{text}"
    );
    stop(first);
    // Once the first has exited, the directory is free again.
    let port = free_port();
    let second = start(&["serve", "--data-dir", path, "--port", &port.to_string()]);
    wait_ready(&client_as(port, "A", "us-east-1")).await;
    stop(second);
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshots_and_reset_cover_every_access_key_and_region() {
    let port = free_port();
    let server = start(&["dynamodb-local", "-inMemory", "-port", &port.to_string()]);
    let (alice, bob) = (
        client_as(port, "ALICE", "us-east-1"),
        client_as(port, "BOB", "us-east-1"),
    );
    wait_ready(&alice).await;
    support::pair::create_table(&alice, "pets", None).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let snapshot = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["snapshot", "--endpoint", &endpoint])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    snapshot(&["save", "one-table"]);
    // BOB's namespace opens after the save: the restore empties it.
    support::pair::create_table(&bob, "toys", None).await;
    support::pair::create_table(&alice, "owners", None).await;
    snapshot(&["restore", "one-table"]);
    assert_eq!(tables(&alice).await, ["pets"]);
    assert!(tables(&bob).await.is_empty());
    snapshot(&["reset"]);
    assert!(tables(&alice).await.is_empty());
    stop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_access_key_of_other_than_letters_and_digits_is_refused_as_dynamodb_local_does() {
    let port = free_port();
    let server = start(&["dynamodb-local", "-inMemory", "-port", &port.to_string()]);
    let good = client_as(port, "AKID", "us-east-1");
    wait_ready(&good).await;
    let refused = client_as(port, "my-key", "us-east-1")
        .list_tables()
        .send()
        .await
        .unwrap_err();
    let service = refused.into_service_error();
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&service),
        Some("UnrecognizedClientException")
    );
    assert_eq!(
        aws_sdk_dynamodb::error::ProvideErrorMetadata::message(&service),
        Some("The Access Key ID or security token is invalid.")
    );
    assert!(tables(&good).await.is_empty());
    stop(server);
}

#[test]
fn a_trigger_needs_shared_db_in_dynamodb_locals_behaviour() {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args([
            "dynamodb-local",
            "-inMemory",
            "-port",
            &free_port().to_string(),
            "--trigger",
            "table=t,exec=true",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "--trigger with DynamoDB Local's behaviour needs -sharedDb (without it each access key and region has tables of its own)"
    ));
}
