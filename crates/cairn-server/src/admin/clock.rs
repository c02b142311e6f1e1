//! `/_cairn/clock` on a server started with `--virtual-clock` (and without
//! `--auth`): `GET` shows the engine's time, `POST /_cairn/clock/advance?by=2h` moves
//! it forward, `POST /_cairn/clock/set?to=2027-01-01T00:00:00Z` sets it. TTL expiry,
//! stream retention and shard rollover, iterator and idempotency-token expiry, PITR
//! windows and backups follow it: they all read the engine's clock.

use cairn_engine::{Clock, VirtualClock};
use cairn_model::ApiError;

pub const PATH: &str = "/_cairn/clock";

/// `2027-01-01T00:00:00Z` for `seconds` since the epoch (whole seconds).
pub fn iso(seconds: f64) -> String {
    // The SigV4 date format, YYYYMMDDTHHMMSSZ, re-punctuated.
    let amz = cairn_auth::time::format_amz_date(seconds.floor() as i64);
    match (
        amz.get(0..4),
        amz.get(4..6),
        amz.get(6..8),
        amz.get(9..11),
        amz.get(11..13),
        amz.get(13..15),
    ) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) => format!("{y}-{mo}-{d}T{h}:{mi}:{s}Z"),
        _ => amz,
    }
}

fn describe(clock: &VirtualClock) -> Vec<u8> {
    let now = clock.now_seconds();
    serde_json::to_vec(&serde_json::json!({
        "now": now,
        "iso": iso(now),
        "offsetSeconds": clock.offset(),
    }))
    .unwrap_or_default()
}

fn param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The admin call `method path?query`, answered as JSON.
pub fn handle(clock: &VirtualClock, method: &str, path: &str, query: Option<&str>) -> Result<Vec<u8>, ApiError> {
    let rest = path.strip_prefix(PATH).unwrap_or_default();
    let moved = match (method, rest) {
        ("GET", "" | "/") => Ok(0.0),
        ("POST", "/advance") => {
            let by = param(query, "by")
                .ok_or_else(|| ApiError::validation("advance needs ?by=DURATION (90s, 15m, 2h, 7d)"))?;
            let seconds = crate::http::parse_duration(by)
                .ok_or_else(|| ApiError::validation(format!("not a duration: {by} (90s, 15m, 2h, 7d)")))?;
            clock.advance(seconds)
        }
        ("POST", "/set") => {
            let to = param(query, "to").ok_or_else(|| ApiError::validation("set needs ?to=2027-01-01T00:00:00Z"))?;
            let to = to
                .replace("%3A", ":")
                .replace("%3a", ":")
                .replace("%2B", "+")
                .replace("%2b", "+");
            let seconds = cairn_auth::time::parse_rfc3339(&to)
                .ok_or_else(|| ApiError::validation(format!("not an RFC 3339 time: {to}")))?;
            clock.set(seconds as f64)
        }
        _ => return Err(ApiError::validation(format!("no such clock call: {method} {path}"))),
    };
    moved.map_err(ApiError::validation)?;
    Ok(describe(clock))
}
