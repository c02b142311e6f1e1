//! The web console: its static files under `/console/` (embedded at build time from
//! `crates/cairn-server/console/`, or read from a directory with `--console-dir`
//! while developing it), and the per-table request statistics its charts draw
//! (`GET /_cairn/console/stats?table=T&region=R`). The console itself speaks the
//! DynamoDB API like any SDK.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::Response;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

/// Where the console's files come from.
#[derive(Clone, Debug, Default)]
pub enum Console {
    /// The files built into the binary.
    #[default]
    Embedded,
    /// Read from this directory on each request (`--console-dir`, for working on
    /// the console without rebuilding).
    Directory(PathBuf),
    /// `--no-console`.
    Off,
}

/// Where the console is served.
pub const PREFIX: &str = "/console";
/// The statistics its charts read.
pub const STATS_PATH: &str = "/_cairn/console/stats";

/// What the browser may load and call: this origin only, no inline scripts or
/// styles, no plugins, not framed by other pages.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
form-action 'self'";

/// The answer to a GET under `/console`.
pub enum Asset {
    /// `/console` without its slash: where to go instead.
    Redirect(&'static str),
    File {
        content_type: &'static str,
        body: Vec<u8>,
    },
    Missing,
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// The file a path under `/console` names, if the console is on.
pub fn asset(console: &Console, path: &str) -> Option<Asset> {
    let rest = path.strip_prefix(PREFIX)?;
    if matches!(console, Console::Off) {
        return None;
    }
    if rest.is_empty() {
        return Some(Asset::Redirect("/console/"));
    }
    let name = rest.strip_prefix('/')?;
    let name = if name.is_empty() { "index.html" } else { name };
    // Plain names only: no parent, hidden or empty segments, whatever the source.
    let safe = name
        .split('/')
        .all(|segment| !segment.is_empty() && !segment.starts_with('.') && !segment.contains(['\\', ':', '\0']));
    if !safe {
        return Some(Asset::Missing);
    }
    let body = match console {
        Console::Embedded => ASSETS.iter().find(|(n, _)| *n == name).map(|(_, body)| body.to_vec()),
        Console::Directory(dir) => std::fs::read(dir.join(name)).ok(),
        Console::Off => None,
    };
    Some(match body {
        Some(body) => Asset::File {
            content_type: content_type(name),
            body,
        },
        None => Asset::Missing,
    })
}

/// Whether requests are counted for the console's charts.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// Starts counting requests per table (the server does when the console is on).
pub fn record_requests() {
    RECORDING.store(true, Ordering::Relaxed);
}

/// Seconds of history kept per table.
const SECONDS: usize = 120;
/// Latency buckets: bucket `i` holds latencies below 2^((i + 1) / 2) µs, so
/// each is √2 wide; the last catches the rest (~ 1.2 h).
const BUCKETS: usize = 64;

#[derive(Clone, Copy)]
struct Second {
    at: u64,
    requests: u64,
    errors: u64,
    throttled: u64,
    read_units: f64,
    write_units: f64,
    latency: [u32; BUCKETS],
}

impl Second {
    fn empty(at: u64) -> Self {
        Second {
            at,
            requests: 0,
            errors: 0,
            throttled: 0,
            read_units: 0.0,
            write_units: 0.0,
            latency: [0; BUCKETS],
        }
    }

    /// The latency below which `fraction` of the requests finished, in ms (the
    /// upper bound of that bucket).
    fn percentile(&self, fraction: f64) -> f64 {
        let total: u64 = self.latency.iter().map(|&c| u64::from(c)).sum();
        if total == 0 {
            return 0.0;
        }
        let wanted = ((total as f64) * fraction).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &count) in self.latency.iter().enumerate() {
            seen += u64::from(count);
            if seen >= wanted {
                return 2f64.powf((i + 1) as f64 / 2.0) / 1000.0;
            }
        }
        2f64.powf(BUCKETS as f64 / 2.0) / 1000.0
    }
}

fn bucket(latency: Duration) -> usize {
    let micros = latency.as_secs_f64() * 1e6;
    if micros < 1.0 {
        return 0;
    }
    ((micros.log2() * 2.0).floor() as usize).min(BUCKETS - 1)
}

/// One table's last [`SECONDS`] seconds, a ring indexed by second.
struct Ring {
    seconds: Box<[Second; SECONDS]>,
    last: u64,
}

impl Ring {
    fn new() -> Self {
        Ring {
            seconds: Box::new([Second::empty(0); SECONDS]),
            last: 0,
        }
    }

    fn slot(&mut self, now: u64) -> &mut Second {
        let slot = &mut self.seconds[(now % SECONDS as u64) as usize];
        if slot.at != now {
            *slot = Second::empty(now);
        }
        self.last = now;
        slot
    }
}

/// region -> table -> its ring.
type Rings = HashMap<String, HashMap<String, Ring>>;

static STATS: Mutex<Option<Rings>> = Mutex::new(None);

fn now_second() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What one finished request adds to its table's current second.
pub struct Observation<'a> {
    pub region: &'a str,
    pub table: &'a str,
    pub elapsed: Duration,
    pub failed: bool,
    pub throttled: bool,
    pub read_units: f64,
    pub write_units: f64,
}

pub(crate) fn record(observation: Observation<'_>) {
    if !RECORDING.load(Ordering::Relaxed) || observation.table.is_empty() {
        return;
    }
    let now = now_second();
    let mut stats = STATS.lock().unwrap_or_else(|p| p.into_inner());
    let regions = stats.get_or_insert_with(HashMap::new);
    let tables = match regions.get_mut(observation.region) {
        Some(tables) => tables,
        None => regions.entry(observation.region.to_string()).or_default(),
    };
    let ring = match tables.get_mut(observation.table) {
        Some(ring) => ring,
        None => {
            // Forget tables idle for longer than the history, so names of dropped
            // tables do not pile up.
            tables.retain(|_, ring| ring.last + SECONDS as u64 >= now);
            tables.entry(observation.table.to_string()).or_insert_with(Ring::new)
        }
    };
    let second = ring.slot(now);
    second.requests += 1;
    second.errors += u64::from(observation.failed);
    second.throttled += u64::from(observation.throttled);
    second.read_units += observation.read_units;
    second.write_units += observation.write_units;
    if !observation.failed {
        second.latency[bucket(observation.elapsed)] += 1;
    }
}

/// The last [`SECONDS`] seconds of a table, oldest first, every second present.
pub fn stats_json(region: &str, table: &str) -> Vec<u8> {
    let now = now_second();
    let copy: Option<Vec<Second>> = {
        let stats = STATS.lock().unwrap_or_else(|p| p.into_inner());
        stats
            .as_ref()
            .and_then(|r| r.get(region))
            .and_then(|t| t.get(table))
            .map(|ring| ring.seconds.to_vec())
    };
    let seconds: Vec<serde_json::Value> = (now + 1 - SECONDS as u64..=now)
        .map(|at| {
            let second = copy
                .as_ref()
                .and_then(|c| c.iter().find(|s| s.at == at).copied())
                .unwrap_or(Second::empty(at));
            serde_json::json!({
                "t": at,
                "requests": second.requests,
                "errors": second.errors,
                "throttled": second.throttled,
                "readUnits": second.read_units,
                "writeUnits": second.write_units,
                "p50Ms": second.percentile(0.5),
                "p99Ms": second.percentile(0.99),
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "table": table, "region": region, "seconds": seconds })).unwrap_or_default()
}

/// A console file, with headers that keep the page to this origin.
pub(crate) fn asset_response(content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A query parameter's value with `%XX` escapes and `+` decoded (table names are
/// letters, digits, `_ - .`, but a browser may escape any of them).
pub(crate) fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16);
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_buckets_are_root_two_wide_and_percentiles_their_upper_bounds() {
        assert_eq!(bucket(Duration::from_nanos(500)), 0);
        assert_eq!(bucket(Duration::from_micros(1)), 0);
        assert_eq!(bucket(Duration::from_micros(2)), 2);
        assert_eq!(bucket(Duration::from_micros(3)), 3);
        assert_eq!(bucket(Duration::from_secs(100_000)), BUCKETS - 1);
        let mut second = Second::empty(1);
        for _ in 0..99 {
            second.latency[bucket(Duration::from_micros(100))] += 1;
        }
        second.latency[bucket(Duration::from_millis(50))] += 1;
        // 100 µs falls in [90.5, 128) µs; 50 ms in [46.3, 65.5) ms.
        assert!(
            (second.percentile(0.5) - 0.128).abs() < 0.001,
            "{}",
            second.percentile(0.5)
        );
        assert!((second.percentile(0.99) - 0.128).abs() < 0.001);
        assert!(
            (second.percentile(1.0) - 65.536).abs() < 0.01,
            "{}",
            second.percentile(1.0)
        );
        assert_eq!(Second::empty(1).percentile(0.99), 0.0);
    }

    #[test]
    fn console_paths_outside_its_directory_are_missing() {
        let dir = std::env::temp_dir().join(format!("cairn-console-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(dir.join("sub/a.js"), "1").unwrap();
        let console = Console::Directory(dir.clone());
        assert!(matches!(
            asset(&console, "/console"),
            Some(Asset::Redirect("/console/"))
        ));
        assert!(
            matches!(asset(&console, "/console/"), Some(Asset::File { content_type, .. }) if content_type.starts_with("text/html"))
        );
        assert!(
            matches!(asset(&console, "/console/sub/a.js"), Some(Asset::File { content_type, .. }) if content_type.starts_with("text/javascript"))
        );
        for bad in [
            "/console/../Cargo.toml",
            "/console/sub/../index.html",
            "/console//etc/passwd",
            "/console/.hidden",
            "/console/sub\\..\\x",
            "/console/C:/Windows/win.ini",
        ] {
            assert!(matches!(asset(&console, bad), Some(Asset::Missing)), "{bad}");
        }
        assert!(asset(&console, "/consoles").is_none_or(|a| matches!(a, Asset::Missing)));
        assert!(asset(&Console::Off, "/console/").is_none());
        assert!(asset(&console, "/other").is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
