//! SIGTERM stops `cairn serve` even while a client holds a half-sent request open:
//! in-flight requests get the grace period, then the rest are closed (issue 12: one
//! stalled connection kept the process alive forever).

use std::io::Write;
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server's log goes to a file named after its port, which a failure shows.
fn log_path(port: u16) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("cairn-shutdown-test-{port}.log"))
}

fn serve(port: u16, args: &[&str]) -> Child {
    let log = std::fs::File::create(log_path(port)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("serve")
        .args(["--port", &port.to_string()])
        .args(args)
        .stderr(log)
        .spawn()
        .unwrap()
}

/// What the server said and whether it still runs, for a failure's message.
fn server_state(server: &mut Child, port: u16) -> String {
    let log = std::fs::read_to_string(log_path(port)).unwrap_or_default();
    format!("server status: {:?}; its log:\n{log}", server.try_wait())
}

/// A connection once the server listens.
fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => return stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("server never listened: {e}"),
        }
    }
}

/// Sends SIGTERM and requires a successful exit within 20 s.
fn terminate_and_expect_clean_exit(server: &mut Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            return;
        }
        if Instant::now() > deadline {
            server.kill().unwrap();
            panic!("cairn did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_exits_after_the_grace_period_despite_a_stalled_connection() {
    let port = free_port();
    let mut server = serve(port, &["--in-memory", "--shutdown-grace-secs", "1"]);
    let mut stalled = connect(port);
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    terminate_and_expect_clean_exit(&mut server);
    drop(stalled);
}

/// With PostgreSQL as the store, SIGTERM still ends in a clean exit: closing the
/// database connections must not happen on the async runtime's threads (the
/// synchronous client would panic there).
#[test]
fn sigterm_exits_cleanly_with_postgres_as_the_store() {
    let Ok(url) = std::env::var("CAIRN_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CAIRN_REQUIRE_POSTGRES").is_err(),
            "CAIRN_TEST_POSTGRES_URL is not set"
        );
        return;
    };
    let port = free_port();
    let schema = format!("shutdown_{}", std::process::id());
    let mut server = serve(port, &["--postgres", &url, "--postgres-schema", &schema]);
    // A health check answered through the database before stopping.
    let mut stream = connect(port);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    // (One CI run saw this read fail with "connection reset by peer", not seen again
    // in 28 local runs: the message keeps what the server logged.)
    if let Err(e) = std::io::Read::read_to_string(&mut stream, &mut reply) {
        panic!(
            "reading the health check failed: {e}; {}",
            server_state(&mut server, port)
        );
    }
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    terminate_and_expect_clean_exit(&mut server);
}
