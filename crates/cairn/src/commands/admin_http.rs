//! The admin API (`/_cairn/...`) of a running server, over plain HTTP: one request
//! per call, the body read whole (chunked or not).

use serde_json::Value;

/// Sends `METHOD path` with `body` to `endpoint` (`http://host:port`); Ok(status, body).
pub fn request(endpoint: &str, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
    use std::io::{Read, Write};
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or("the endpoint must start with http://")?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let mut stream = std::net::TcpStream::connect(authority).map_err(|e| format!("{endpoint}: {e}"))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).map_err(|e| e.to_string())?;
    let (head, body) = reply.split_once("\r\n\r\n").ok_or("no answer")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no HTTP status in the answer")?;
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            out.push_str(after.get(..n).ok_or("short chunk")?);
            rest = after.get(n + 2..).unwrap_or_default();
        }
        out
    } else {
        body.to_string()
    };
    Ok((status, body))
}

/// [`request`] expecting 200 and a JSON body; `missing` explains a 404.
pub fn json(endpoint: &str, method: &str, path: &str, body: &str, missing: &str) -> Result<Value, String> {
    let (status, body) = request(endpoint, method, path, body)?;
    match status {
        200 => serde_json::from_str(&body).map_err(|e| format!("not JSON: {e}")),
        404 => Err(format!("{endpoint}: {missing}")),
        _ => {
            // A DynamoDB-shaped error: {"__type": "...#ValidationException", "message": "..."}.
            let error: Value = serde_json::from_str(&body).unwrap_or_default();
            Err(error["message"]
                .as_str()
                .or(error["Message"].as_str())
                .map_or_else(|| format!("{endpoint} answered {status}"), str::to_string))
        }
    }
}
