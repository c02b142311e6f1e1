//! The web console's files and statistics as the server serves them: the embedded
//! page with its security headers, the redirect to `/console/`, no path outside the
//! console's directory, `--no-console`, and the per-table statistics the charts
//! read (not on a server that verifies signatures). The console's behaviour in a
//! browser is tested by tests/console/run.sh.

mod common;

use cairn_server::console::Console;
use cairn_server::ServerConfig;
use cairn_storage::MemoryStorage;
use common::TestServer;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A GET on a new connection: the status code, the headers (lower-case names) and the body.
async fn get(server: &TestServer, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    get_from(server, path, None).await
}

/// [`get`] as a page of `origin` sends it.
async fn get_from(server: &TestServer, path: &str, origin: Option<&str>) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let address = server.url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{origin}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

async fn server_with(console: Console) -> TestServer {
    let config = ServerConfig {
        console,
        ..ServerConfig::default()
    };
    TestServer::start_configured(Arc::new(MemoryStorage::new()), config).await
}

/// A console directory with a page and a script in a sub-directory.
fn console_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::create_dir(dir.path().join("views")).unwrap();
    std::fs::write(dir.path().join("views/items.js"), "export const x = 1;").unwrap();
    dir
}

#[tokio::test]
async fn the_built_in_console_page_is_served_with_a_policy_forbidding_scripts_from_elsewhere() {
    let server = server_with(Console::Embedded).await;
    let (status, headers, body) = get(&server, "/console/").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/html; charset=utf-8"));
    let policy = header(&headers, "content-security-policy").expect("a CSP header");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    let page = String::from_utf8(body).unwrap();
    assert!(page.to_lowercase().contains("<!doctype html>"), "{page}");
    // Every script the page loads comes from the console itself: no inline code.
    assert!(!page.contains("<script>"), "inline script in {page}");
}

#[tokio::test]
async fn the_console_without_its_slash_redirects_to_it() {
    let server = server_with(Console::Embedded).await;
    let (status, headers, _) = get(&server, "/console").await;
    assert_eq!(status, 308);
    assert_eq!(header(&headers, "location"), Some("/console/"));
    // The nearest valid request: the page itself.
    assert_eq!(get(&server, "/console/").await.0, 200);
}

#[tokio::test]
async fn console_files_in_sub_directories_are_served_with_their_content_type() {
    let dir = console_dir();
    let server = server_with(Console::Directory(dir.path().to_path_buf())).await;
    let (status, headers, body) = get(&server, "/console/views/items.js").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(body, b"export const x = 1;");
    assert_eq!(get(&server, "/console/views/missing.js").await.0, 404);
}

#[tokio::test]
async fn no_console_path_reaches_outside_the_console_directory() {
    let dir = console_dir();
    std::fs::write(dir.path().join(".secret"), "hidden").unwrap();
    let server = server_with(Console::Directory(dir.path().join("views"))).await;
    for path in [
        "/console/../index.html",
        "/console/%2e%2e/index.html",
        "/console/..%2findex.html",
        "/console//etc/passwd",
        "/console/.secret",
        "/console/../.secret",
    ] {
        let (status, _, body) = get(&server, path).await;
        assert_eq!(status, 404, "{path}: {}", String::from_utf8_lossy(&body));
    }
    assert_eq!(get(&server, "/console/items.js").await.0, 200);
}

#[tokio::test]
async fn no_console_answers_not_found_and_the_api_still_answers() {
    let server = server_with(Console::Off).await;
    assert_eq!(get(&server, "/console/").await.0, 404);
    assert_eq!(get(&server, "/_cairn/console/stats?table=t").await.0, 404);
    let tables = server.client().list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty());
}

#[tokio::test]
async fn console_statistics_count_each_tables_requests_units_and_latency() {
    cairn_server::console::record_requests();
    let server = server_with(Console::Embedded).await;
    let client = server.client();
    common::create_table(&client, "console_stats", None).await;
    for i in 0..3 {
        client
            .put_item()
            .table_name("console_stats")
            .item("pk", common::s(&format!("k{i}")))
            .send()
            .await
            .unwrap();
    }
    client
        .get_item()
        .table_name("console_stats")
        .key("pk", common::s("k0"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    // A refused request counts as an error, not in the latency.
    let refused = client
        .get_item()
        .table_name("console_stats")
        .key("nope", common::s("k0"))
        .send()
        .await;
    assert!(refused.is_err());
    let (status, _, body) = get(&server, "/_cairn/console/stats?table=console_stats&region=us-east-1").await;
    assert_eq!(status, 200);
    let stats: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(stats["table"], "console_stats");
    let seconds = stats["seconds"].as_array().unwrap();
    assert_eq!(seconds.len(), 120);
    let at: Vec<u64> = seconds.iter().map(|s| s["t"].as_u64().unwrap()).collect();
    assert!(at.windows(2).all(|w| w[1] == w[0] + 1), "every second, oldest first");
    let sum = |field: &str| seconds.iter().map(|s| s[field].as_f64().unwrap()).sum::<f64>();
    // 3 puts, a get, the refused get (control-plane calls are not item traffic).
    assert_eq!(sum("requests"), 5.0);
    assert_eq!(sum("errors"), 1.0);
    assert_eq!(sum("writeUnits"), 3.0);
    assert_eq!(sum("readUnits"), 1.0);
    assert!(seconds.iter().any(|s| s["p99Ms"].as_f64().unwrap() > 0.0));
    // Another region's table of that name has seen nothing.
    let (_, _, body) = get(&server, "/_cairn/console/stats?table=console_stats&region=eu-west-1").await;
    let other: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(other["seconds"].as_array().unwrap().iter().all(|s| s["requests"] == 0));
}

#[tokio::test]
async fn console_statistics_are_not_served_by_a_server_that_verifies_signatures() {
    let secured = TestServer::start_secured(serde_json::json!({
        "principals": [{"name": "admin", "access_key_id": "AKIDADMIN", "secret_access_key": "secret"}]
    }))
    .await;
    assert_eq!(get(&secured, "/_cairn/console/stats?table=t").await.0, 404);
    // The page itself is served: the console signs its API calls with the user's key.
    assert_eq!(get(&secured, "/console/").await.0, 200);
}

#[tokio::test]
async fn pages_of_other_sites_are_not_allowed_to_read_console_statistics_or_costs() {
    let server = server_with(Console::Embedded).await;
    for path in ["/_cairn/console/stats?table=t", "/_cairn/cost"] {
        let (status, headers, _) = get_from(&server, path, Some("https://evil.example")).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&headers, "access-control-allow-origin"), None, "{path}");
    }
    // The API itself still answers browsers of any origin, as DynamoDB does.
    let (_, headers, _) = get_from(&server, "/", Some("https://evil.example")).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
}
