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
//! `ConditionalCheckFailedRequests` and `TransactionConflict` (TableName).

use cairn_engine::capacity::throttle::{Metered, UsageKind};
use cairn_model::{ApiError, ErrorKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Starts recording (the caller installs a recorder).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
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

pub(crate) fn record(operation: &str, metered: &Metered, result: Result<(), &ApiError>, elapsed: Duration) {
    if !enabled() || operation.is_empty() {
        return;
    }
    let operation = operation.to_string();
    for entry in &metered.usage {
        let name = match entry.kind {
            UsageKind::Read => "ConsumedReadCapacityUnits",
            UsageKind::Write => "ConsumedWriteCapacityUnits",
        };
        // Fractional units (eventually consistent reads cost halves): a float that
        // only grows.
        if entry.table_units > 0.0 {
            metrics::gauge!(name, "TableName" => entry.table.clone(), "Operation" => operation.clone())
                .increment(entry.table_units);
        }
        for (index, units) in &entry.index_units {
            metrics::gauge!(name, "TableName" => entry.table.clone(),
                "GlobalSecondaryIndexName" => index.clone(), "Operation" => operation.clone())
            .increment(*units);
        }
    }
    let table = metered.tables.first().cloned();
    match result {
        Ok(()) => {
            if let Some(table) = table {
                metrics::histogram!("SuccessfulRequestLatency", "TableName" => table, "Operation" => operation)
                    .record(elapsed.as_secs_f64() * 1000.0);
            }
        }
        Err(e) => match e.kind {
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
        },
    }
}
