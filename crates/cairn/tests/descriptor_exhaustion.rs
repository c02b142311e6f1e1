//! When the process runs out of file descriptors, `accept` fails with EMFILE; the
//! server must pause and retry rather than spin a core and flood its log (issue 12:
//! ~90 MB/s of log lines), and must serve again once descriptors free up.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Clock ticks of CPU (user + system) a process has used, from /proc.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn list_tables(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = "{}";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut buffer = [0u8; 512];
    let n = stream.read(&mut buffer).ok()?;
    Some(String::from_utf8_lossy(&buffer[..n]).to_string())
}

#[test]
fn running_out_of_descriptors_neither_spins_nor_floods_the_log() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut server = Command::new("prlimit")
        .args(["--nofile=64:64", "--"])
        .arg(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--in-memory", "--port", &port.to_string()])
        .stderr(Stdio::from(log.reopen().unwrap()))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while list_tables(port).is_none() {
        assert!(Instant::now() < deadline, "server never answered");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Hold more connections than the server has descriptors.
    let held: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(server.id());
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(server.id()) - before;
    let log_bytes = std::fs::metadata(log.path()).unwrap().len();
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(20);
    let answer = loop {
        if let Some(answer) = list_tables(port) {
            break answer;
        }
        assert!(Instant::now() < deadline, "server never recovered");
        std::thread::sleep(Duration::from_millis(50));
    };
    server.kill().unwrap();
    server.wait().unwrap();
    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        text.contains("accept failed"),
        "EMFILE was never hit, so this test proved nothing:\n{text}"
    );
    // A spinning accept loop burns the whole 2 s (about 200 ticks); pausing, it idles.
    assert!(used < 50, "{used} ticks of CPU in 2 s while out of descriptors");
    assert!(log_bytes < 20_000, "{log_bytes} bytes of log in 2 s");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}
