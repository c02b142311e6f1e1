//! Request metrics under DynamoDB's CloudWatch names, through the `metrics` facade
//! (the binary installs a Prometheus exporter with `--metrics-addr`). Off unless
//! [`enable`] was called, so a server without metrics pays one atomic load per
//! request.
//!
//! Per request: `SuccessfulRequestLatency` (milliseconds; TableName, Operation),
//! `ConsumedReadCapacityUnits` / `ConsumedWriteCapacityUnits` (TableName, Operation,
//! and GlobalSecondaryIndexName for an index's share), `ThrottledRequests`
//! (TableName, Operation) with `ReadThrottleEvents` / `WriteThrottleEvents`,
//! `UserErrors` (no dimensions, as CloudWatch has it), `SystemErrors` (Operation),
//! `ConditionalCheckFailedRequests` and `TransactionConflict` (TableName),
//! `ReturnedItemCount` (TableName, Operation; items a Query or Scan returned).
//! The engine publishes TTL deletions, index backfill progress and table sizes
//! (`cairn_engine::capacity::table_metrics`).

use cairn_engine::capacity::throttle::{Metered, UsageKind};
use cairn_model::{ApiError, ErrorKind};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Starts recording (the caller installs a recorder).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
    cairn_engine::capacity::table_metrics::enable();
}

/// The level request lines are logged at: 0 off, 1 error ... 5 trace.
static REQUEST_LOG: AtomicU8 = AtomicU8::new(0);

/// Logs one line per request at `level` (error, warn, info, debug, trace), under
/// the tracing target `cairn::requests`.
pub fn log_requests_at(level: &str) {
    let value = match level {
        "error" => 1,
        "warn" => 2,
        "info" => 3,
        "debug" => 4,
        "trace" => 5,
        _ => 0,
    };
    REQUEST_LOG.store(value, Ordering::Relaxed);
}

/// One structured line for a request, if request logging is on.
pub(crate) fn log_request(
    request_id: &str,
    operation: &str,
    metered: &Metered,
    result: Result<(), &ApiError>,
    elapsed: Duration,
) {
    let level = REQUEST_LOG.load(Ordering::Relaxed);
    if level == 0 {
        return;
    }
    let (read, write) = metered.usage.iter().fold((0.0, 0.0), |(r, w), u| {
        let units = u.table_units + u.index_units.iter().map(|(_, x)| x).sum::<f64>();
        match u.kind {
            UsageKind::Read => (r + units, w),
            UsageKind::Write => (r, w + units),
        }
    });
    let table = metered.tables.first().map(String::as_str).unwrap_or("");
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let error = result.err().map(|e| e.kind.name()).unwrap_or("");
    macro_rules! line {
        ($level:expr) => {
            tracing::event!(target: "cairn::requests", $level, request_id, operation, table,
                latency_ms, read_units = read, write_units = write, error, "request")
        };
    }
    match level {
        1 => line!(tracing::Level::ERROR),
        2 => line!(tracing::Level::WARN),
        3 => line!(tracing::Level::INFO),
        4 => line!(tracing::Level::DEBUG),
        _ => line!(tracing::Level::TRACE),
    }
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The table a throttling error names (from its ThrottlingReasons' resource ARN).
fn throttled_table(error: &ApiError) -> Option<(String, bool)> {
    let (_, json) = error
        .extra
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("throttlingReasons"))?;
    let reasons: serde_json::Value = serde_json::from_str(json).ok()?;
    let reason = &reasons[0];
    let resource = reason["resource"].as_str()?;
    let table = resource.split(":table/").nth(1)?.split('/').next()?.to_string();
    let write = reason["reason"].as_str()?.contains("Write");
    Some((table, write))
}

/// The series one (table, operation) pair writes on every request, looked up in the
/// exporter's registry once per thread instead of on each request (building label
/// sets and hashing them cost more than recording). Each is registered on first use,
/// so a PutItem shows no read series.
#[derive(Default)]
struct Series {
    read_units: Option<metrics::Gauge>,
    write_units: Option<metrics::Gauge>,
    latency: Option<metrics::Histogram>,
    returned: Option<metrics::Counter>,
}

/// Per thread: table name -> operation -> its series. Bounded by tables × operations
/// (a dropped table's entries stay until the thread ends; a name reused finds the
/// same series, as CloudWatch would).
type SeriesCache = HashMap<String, HashMap<String, Series>>;

thread_local! {
    static SERIES: RefCell<SeriesCache> = RefCell::new(HashMap::new());
}

fn with_series(table: &str, operation: &str, f: impl FnOnce(&mut Series)) {
    SERIES.with(|cache| {
        let mut cache = cache.borrow_mut();
        let by_operation = match cache.get_mut(table) {
            Some(by_operation) => by_operation,
            None => cache.entry(table.to_string()).or_default(),
        };
        let series = match by_operation.get_mut(operation) {
            Some(series) => series,
            None => by_operation.entry(operation.to_string()).or_default(),
        };
        f(series)
    });
}

/// The labels of a (table, operation) series.
fn labels(table: &str, operation: &str) -> [(&'static str, String); 2] {
    [("TableName", table.to_string()), ("Operation", operation.to_string())]
}

pub(crate) fn record(operation: &str, metered: &Metered, result: Result<(), &ApiError>, elapsed: Duration) {
    if !enabled() || operation.is_empty() {
        return;
    }
    for entry in &metered.usage {
        // Fractional units (eventually consistent reads cost halves): a float that
        // only grows.
        if entry.table_units > 0.0 {
            let (table, units) = (&entry.table, entry.table_units);
            with_series(table, operation, |s| match entry.kind {
                UsageKind::Read => s
                    .read_units
                    .get_or_insert_with(|| metrics::gauge!("ConsumedReadCapacityUnits", &labels(table, operation)))
                    .increment(units),
                UsageKind::Write => s
                    .write_units
                    .get_or_insert_with(|| metrics::gauge!("ConsumedWriteCapacityUnits", &labels(table, operation)))
                    .increment(units),
            });
        }
        let name = match entry.kind {
            UsageKind::Read => "ConsumedReadCapacityUnits",
            UsageKind::Write => "ConsumedWriteCapacityUnits",
        };
        for (index, units) in &entry.index_units {
            metrics::gauge!(name, "TableName" => entry.table.clone(),
                "GlobalSecondaryIndexName" => index.clone(), "Operation" => operation.to_string())
            .increment(*units);
        }
    }
    if let (Some((table, returned)), Ok(())) = (&metered.returned, result) {
        with_series(table, operation, |s| {
            s.returned
                .get_or_insert_with(|| metrics::counter!("ReturnedItemCount", &labels(table, operation)))
                .increment(*returned)
        });
    }
    // Items a batch handed back unprocessed (or a transaction was cancelled for) were
    // throttled though the request was not refused as a whole.
    let refused_whole = matches!(result, Err(e) if matches!(e.kind,
        ErrorKind::ProvisionedThroughputExceeded | ErrorKind::Throttling | ErrorKind::RequestLimitExceeded));
    if let (Some(first), false) = (metered.throttled.first(), refused_whole) {
        metrics::counter!("ThrottledRequests", &labels(&first.table, operation)).increment(1);
        let events = match operation {
            "BatchGetItem" | "TransactGetItems" | "Query" | "Scan" | "GetItem" => "ReadThrottleEvents",
            _ => "WriteThrottleEvents",
        };
        for key in &metered.throttled {
            metrics::counter!(events, "TableName" => key.table.clone()).increment(1);
        }
    }
    let table = metered.tables.first().cloned();
    let e = match (result, &table) {
        (Ok(()), Some(table)) => {
            with_series(table, operation, |s| {
                s.latency
                    .get_or_insert_with(|| metrics::histogram!("SuccessfulRequestLatency", &labels(table, operation)))
                    .record(elapsed.as_secs_f64() * 1000.0)
            });
            return;
        }
        (Ok(()), None) => return,
        (Err(e), _) => e,
    };
    let operation = operation.to_string();
    match e.kind {
        ErrorKind::ProvisionedThroughputExceeded | ErrorKind::Throttling | ErrorKind::RequestLimitExceeded => {
            if let Some((table, write)) = throttled_table(e) {
                metrics::counter!("ThrottledRequests", "TableName" => table.clone(), "Operation" => operation)
                    .increment(1);
                let events = if write {
                    "WriteThrottleEvents"
                } else {
                    "ReadThrottleEvents"
                };
                metrics::counter!(events, "TableName" => table).increment(1);
            }
        }
        ErrorKind::ConditionalCheckFailed => {
            if let Some(table) = table {
                metrics::counter!("ConditionalCheckFailedRequests", "TableName" => table).increment(1);
            }
        }
        ErrorKind::TransactionConflict => {
            if let Some(table) = table {
                metrics::counter!("TransactionConflict", "TableName" => table).increment(1);
            }
        }
        ErrorKind::InternalServerError | ErrorKind::ServiceUnavailable => {
            metrics::counter!("SystemErrors", "Operation" => operation).increment(1);
        }
        _ => metrics::counter!("UserErrors").increment(1),
    }
}
