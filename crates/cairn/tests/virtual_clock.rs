//! `cairn serve --virtual-clock` and `cairn clock`: moving the engine's time forward
//! expires TTL items (with their REMOVE stream records); the clock never goes back;
//! without the flag there is no clock to move.

mod support;

use aws_sdk_dynamodb::types::{AttributeValue as Av, StreamViewType, TimeToLiveSpecification};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{client, free_port, wait_ready};

fn serve(port: u16, virtual_clock: bool) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command
        .args([
            "serve",
            "--in-memory",
            "--port",
            &port.to_string(),
            "--ttl-sweep-interval-ms",
            "50",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if virtual_clock {
        command.arg("--virtual-clock");
    }
    command.spawn().unwrap()
}

fn clock(port: u16, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["clock", "--endpoint", &format!("http://127.0.0.1:{port}")])
        .args(args)
        .output()
        .unwrap()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test(flavor = "multi_thread")]
async fn advancing_the_clock_expires_a_ttl_item_and_streams_its_remove() {
    let port = free_port();
    let mut server = serve(port, true);
    let c = client(port);
    wait_ready(&c).await;
    support::pair::create_table(&c, "sessions", Some(StreamViewType::NewAndOldImages)).await;
    c.update_time_to_live()
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
    // Expires in an hour of real time.
    c.put_item()
        .table_name("sessions")
        .item("pk", Av::S("s1".into()))
        .item("expires", Av::N((now() + 3600).to_string()))
        .send()
        .await
        .unwrap();
    let moved = clock(port, &["advance", "2h"]);
    assert!(moved.status.success(), "{}", String::from_utf8_lossy(&moved.stderr));
    assert!(String::from_utf8_lossy(&moved.stdout).contains("(+7200 s from real time)"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = c
            .get_item()
            .table_name("sessions")
            .key("pk", Av::S("s1".into()))
            .send()
            .await
            .unwrap();
        if got.item().is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "the TTL item never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arn = c
        .describe_table()
        .table_name("sessions")
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .latest_stream_arn()
        .unwrap()
        .to_string();
    let records = support::all_stream_records(port, &arn);
    let remove = records
        .iter()
        .find(|r| r["eventName"] == "REMOVE")
        .unwrap_or_else(|| panic!("no REMOVE record: {records:?}"));
    assert_eq!(remove["userIdentity"]["PrincipalId"], "dynamodb.amazonaws.com");
    assert_eq!(remove["dynamodb"]["Keys"]["pk"]["S"], "s1");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_only_moves_forward() {
    let port = free_port();
    let mut server = serve(port, true);
    wait_ready(&client(port)).await;
    let back = clock(port, &["set", "2020-01-01T00:00:00Z"]);
    assert!(!back.status.success());
    assert!(
        String::from_utf8_lossy(&back.stderr).contains("the clock only moves forward"),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    let forward = clock(port, &["set", "2099-01-01T00:00:00Z"]);
    assert!(forward.status.success(), "{}", String::from_utf8_lossy(&forward.stderr));
    let shown = clock(port, &["show"]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).starts_with("2099-01-01T00:00:0"),
        "{}",
        String::from_utf8_lossy(&shown.stdout)
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_virtual_clock_there_is_no_clock_to_move() {
    let port = free_port();
    let mut server = serve(port, false);
    wait_ready(&client(port)).await;
    let refused = clock(port, &["advance", "1h"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no virtual clock"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn the_virtual_clock_needs_an_in_memory_server() {
    let output = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--virtual-clock", "--port", &free_port().to_string()])
        .arg("--data-dir")
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--virtual-clock needs --in-memory"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
