//! A load generator that signs every request with SigV4, for measuring what
//! verification costs: GetItem of random keys of ../shared/bench's data set over
//! keep-alive connections. The client signs in every run, so runs against
//! `--auth none` and `--auth sigv4` differ only in the server's work.
//!
//! usage: cargo run --release --example signed_load -- URL KEY SECRET CONNECTIONS SECONDS

use cairn_auth::sigv4::{canonical_request, sign, signing_key, string_to_sign, HttpRequest};
use cairn_auth::time::format_amz_date;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Signer {
    host: String,
    key_id: String,
    secret: String,
}

impl Signer {
    fn request(&self, body: &str) -> Vec<u8> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let amz_date = format_amz_date(now);
        let headers = vec![
            ("content-type".to_string(), "application/x-amz-json-1.0".to_string()),
            ("host".to_string(), self.host.clone()),
            ("x-amz-date".to_string(), amz_date.clone()),
            ("x-amz-target".to_string(), "DynamoDB_20120810.GetItem".to_string()),
        ];
        let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        let request = HttpRequest {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            body: body.as_bytes(),
        };
        let scope = format!("{}/us-east-1/dynamodb/aws4_request", &amz_date[..8]);
        let to_sign = string_to_sign(&amz_date, &scope, &canonical_request(&request, &signed));
        let signature = sign(
            &signing_key(&self.secret, &amz_date[..8], "us-east-1", "dynamodb"),
            &to_sign,
        );
        let mut out = String::from("POST / HTTP/1.1\r\n");
        for (name, value) in &headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "authorization: AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}\r\ncontent-length: {}\r\n\r\n{body}",
            self.key_id,
            signed.join(";"),
            body.len()
        ));
        out.into_bytes()
    }
}

/// Reads one response; returns its status.
async fn read_response(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<u16> {
    buffer.clear();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            return Ok(status);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: signed_load URL KEY SECRET CONNECTIONS SECONDS");
        std::process::exit(2);
    }
    let host = args[1].trim_start_matches("http://").trim_end_matches('/').to_string();
    let connections: usize = args[4].parse().unwrap_or(32);
    let duration = Duration::from_secs(args[5].parse().unwrap_or(10));
    let signer = std::sync::Arc::new(Signer {
        host: host.clone(),
        key_id: args[2].clone(),
        secret: args[3].clone(),
    });
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for worker in 0..connections {
        let signer = signer.clone();
        let host = host.clone();
        tasks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connect");
            stream.set_nodelay(true).ok();
            let (mut ok, mut failed, mut latencies) = (0u64, 0u64, Vec::new());
            let mut buffer = Vec::with_capacity(16 * 1024);
            let mut n = worker as u64 * 7919;
            while Instant::now() < deadline {
                n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let body = format!(
                    r#"{{"TableName":"bench","Key":{{"pk":{{"S":"p{:05}"}},"sk":{{"S":"s{:03}"}}}}}}"#,
                    (n >> 33) % 500,
                    (n >> 20) % 20
                );
                let started = Instant::now();
                stream.write_all(&signer.request(&body)).await.expect("write");
                match read_response(&mut stream, &mut buffer).await {
                    Ok(200) => ok += 1,
                    Ok(_) => failed += 1,
                    Err(e) => panic!("connection failed: {e}"),
                }
                latencies.push(started.elapsed().as_micros() as u64);
            }
            (ok, failed, latencies)
        }));
    }
    let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
    for task in tasks {
        let (o, f, l) = task.await.expect("worker");
        ok += o;
        failed += f;
        latencies.extend(l);
    }
    latencies.sort_unstable();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    println!(
        "requests_per_second\t{:.0}\tok\t{ok}\tfailed\t{failed}\tp50_ms\t{:.2}\tp99_ms\t{:.2}",
        ok as f64 / duration.as_secs_f64(),
        pick(0.5),
        pick(0.99)
    );
}
