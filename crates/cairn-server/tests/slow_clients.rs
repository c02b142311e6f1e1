//! Clients that stall cannot hold the server: a request whose headers or body stop
//! arriving is cut off after the request timeout, connections past the cap wait
//! instead of being refused while open ones keep being served, and shutdown closes
//! a stalled connection after the grace period (issue 12: five such connections
//! stayed open past 40 s, and SIGTERM never exited).

mod common;

use cairn_engine::{Engine, EngineConfig};
use cairn_server::ServerConfig;
use cairn_storage::MemoryStorage;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any timeout configured here: a read that takes this long means
/// the server never gave up on the stalled client.
const PATIENCE: Duration = Duration::from_secs(20);

struct Running {
    address: SocketAddr,
    shutdown: tokio::sync::oneshot::Sender<()>,
    stopped: tokio::task::JoinHandle<()>,
}

/// Connections are served on connection threads, as `cairn serve` serves them.
async fn start(mut config: ServerConfig) -> Running {
    if config.connection_threads.is_none() {
        config.connection_threads = Some(cairn_server::ConnectionThreads::start(2, 8 * 1024 * 1024).unwrap());
    }
    let engine = Arc::new(Engine::new(Arc::new(MemoryStorage::new()), EngineConfig::default()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    let stopped = tokio::spawn(async move {
        cairn_server::serve(listener, engine, config, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    Running {
        address,
        shutdown,
        stopped,
    }
}

fn quick(timeout_ms: u64) -> ServerConfig {
    ServerConfig {
        request_timeout: Duration::from_millis(timeout_ms),
        ..ServerConfig::default()
    }
}

const LIST_TABLES: &str = "POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}";

/// Everything the server sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut out))
        .await
        .expect("the server should close a stalled connection")
        .ok();
    String::from_utf8_lossy(&out).to_string()
}

/// One complete request on a new connection; the response's status line.
async fn list_tables(address: SocketAddr) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(LIST_TABLES.as_bytes()).await.unwrap();
    let mut buffer = vec![0; 4096];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buffer[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_and_the_connection_closed() {
    let server = start(quick(300)).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = LIST_TABLES.replace("Content-Length: 2\r\n\r\n{}", "Content-Length: 100\r\n\r\n{\"Lim");
    stream.write_all(head.as_bytes()).await.unwrap();
    let response = read_to_close(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("RequestTimeoutException"), "{response}");
    assert_eq!(list_tables(server.address).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn headers_that_stop_arriving_close_the_connection() {
    let server = start(quick(300)).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    stream.write_all(b"POST / HTTP/1.1\r\nHost: local").await.unwrap();
    let response = read_to_close(&mut stream).await;
    assert!(!response.contains("200 OK"), "{response}");
    assert_eq!(list_tables(server.address).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_a_place_frees_and_are_then_served() {
    let server = start(ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    })
    .await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream.write_all(b"POST / HTTP/1.1\r\n").await.unwrap();
        stalled.push(stream);
    }
    let mut third = TcpStream::connect(server.address).await.unwrap();
    third.write_all(LIST_TABLES.as_bytes()).await.unwrap();
    let mut buffer = vec![0; 4096];
    let waited = tokio::time::timeout(Duration::from_millis(300), third.read(&mut buffer)).await;
    assert!(waited.is_err(), "a third connection was served past a cap of two");
    drop(stalled.pop());
    let n = tokio::time::timeout(PATIENCE, third.read(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn a_request_over_16_mb_is_refused_413_before_its_body_is_read() {
    let server = start(ServerConfig::default()).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = LIST_TABLES.replace("Content-Length: 2\r\n\r\n{}", "Content-Length: 16777217\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let response = read_to_close(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert_eq!(list_tables(server.address).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn a_chunked_body_growing_past_16_mb_is_refused_413() {
    let server = start(ServerConfig::default()).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = LIST_TABLES.replace("Content-Length: 2\r\n\r\n{}", "Transfer-Encoding: chunked\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..17 {
        let header = format!("{:x}\r\n", chunk.len());
        if stream.write_all(header.as_bytes()).await.is_err()
            || stream.write_all(&chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let response = read_to_close(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
}

#[tokio::test]
async fn shutdown_closes_a_stalled_connection_after_the_grace_period() {
    let server = start(ServerConfig {
        shutdown_grace: Duration::from_millis(200),
        ..ServerConfig::default()
    })
    .await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let head = LIST_TABLES.replace("Content-Length: 2\r\n\r\n{}", "Content-Length: 100\r\n\r\n{");
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown.send(()).unwrap();
    tokio::time::timeout(PATIENCE, server.stopped)
        .await
        .expect("serve should return after the grace period")
        .unwrap();
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let server = start(ServerConfig::default()).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    // The body's last byte arrives after shutdown began; the request is still answered.
    let head = LIST_TABLES.replace("Content-Length: 2\r\n\r\n{}", "Content-Length: 2\r\n\r\n{");
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.write_all(b"}").await.unwrap();
    let response = read_to_close(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    tokio::time::timeout(PATIENCE, server.stopped).await.unwrap().unwrap();
}
