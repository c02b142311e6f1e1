//! SIGTERM stops `cairn serve` even while a client holds a half-sent request open:
//! in-flight requests get the grace period, then the rest are closed (issue 12: one
//! stalled connection kept the process alive forever).

use std::io::Write;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("serve")
        .args(args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
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
    let mut server = serve(&["--in-memory", "--port", &port.to_string(), "--shutdown-grace-secs", "1"]);
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
    let mut server = serve(&[
        "--port",
        &port.to_string(),
        "--postgres",
        &url,
        "--postgres-schema",
        &schema,
    ]);
    // A health check answered through the database before stopping.
    let mut stream = connect(port);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut stream, &mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    terminate_and_expect_clean_exit(&mut server);
}
