//! `POST /_cairn/explain` (and `cairn explain`): runs a read request — GetItem,
//! BatchGetItem, Query, Scan or TransactGetItems, sent exactly as to DynamoDB —
//! without side effects, and answers how it reaches its items: the table or index,
//! the partitions (key ranges) it reads, items read against items returned, the
//! capacity units and what they cost on demand. Nothing is charged, throttled,
//! written to the cost ledger or counted by Contributor Insights.

use crate::router::route;
use cairn_engine::{Engine, RequestContext};
use cairn_model::ApiError;
use serde::Serialize;
use serde_json::Value;
use std::panic::AssertUnwindSafe;

const READS: &[&str] = &["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"];

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub operation: String,
    pub tables: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// How the request reaches its items, in words.
    pub access: String,
    /// The partition key values whose key ranges it reads (empty for a Scan: all).
    pub partitions: Vec<String>,
    pub items_read: u64,
    pub items_returned: u64,
    pub read_units: f64,
    /// What the read units cost on demand, from the price sheet.
    pub on_demand_cost_usd: f64,
    /// The same for a million such requests.
    pub per_million_requests_usd: f64,
    /// Set when the request reads at least ten items per item it returns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Explains the request `body` for `target` (`DynamoDB_20120810.Query`).
pub fn explain(
    engine: &Engine,
    ctx: &RequestContext,
    target: Option<&str>,
    body: &[u8],
) -> Result<Explanation, ApiError> {
    let handler = route(target)?;
    let operation = target.and_then(|t| t.rsplit('.').next()).unwrap_or_default();
    if !READS.contains(&operation) {
        return Err(ApiError::validation(format!(
            "Only read requests can be explained ({}), not {operation}",
            READS.join(", ")
        )));
    }
    let (result, metered) = engine.dry_metered(operation, ctx, || {
        std::panic::catch_unwind(AssertUnwindSafe(|| handler(engine, ctx, body)))
            .unwrap_or_else(|_| Err(ApiError::internal("Internal server error")))
    });
    let output: Value = serde_json::from_slice(&result?).unwrap_or_default();
    let request: Value = serde_json::from_slice(body).unwrap_or_default();
    let read_units: f64 = metered
        .usage
        .iter()
        .map(|u| u.table_units + u.index_units.iter().map(|(_, x)| x).sum::<f64>())
        .sum();
    let mut partitions: Vec<String> = Vec::new();
    for (key, _) in &metered.keys {
        if !partitions.contains(&key.partition) {
            partitions.push(key.partition.clone());
        }
    }
    let keys = metered.keys.len() as u64;
    let (items_read, items_returned, access) = match operation {
        "Query" | "Scan" => {
            let read = metered.scanned.unwrap_or(0);
            let returned = metered.returned.as_ref().map_or(0, |(_, n)| *n);
            let source = match &metered.index {
                Some(index) => format!("index {index} of {}", metered.tables.join(", ")),
                None => format!("table {}", metered.tables.join(", ")),
            };
            let access = if operation == "Query" {
                format!("Query reads one partition of {source}")
            } else {
                let segment = match (request["Segment"].as_u64(), request["TotalSegments"].as_u64()) {
                    (Some(s), Some(n)) => format!(" (segment {s} of {n})"),
                    _ => String::new(),
                };
                format!("Scan reads every partition of {source}{segment}")
            };
            (read, returned, access)
        }
        "GetItem" => (
            keys,
            u64::from(output.get("Item").is_some()),
            format!(
                "GetItem reads one item of table {} by its key",
                metered.tables.join(", ")
            ),
        ),
        "BatchGetItem" => (
            keys,
            output["Responses"].as_object().map_or(0, |r| {
                r.values().filter_map(Value::as_array).map(|a| a.len() as u64).sum()
            }),
            format!(
                "BatchGetItem reads {keys} items of {} by their keys",
                metered.tables.join(", ")
            ),
        ),
        _ => (
            keys,
            output["Responses"]
                .as_array()
                .map_or(0, |r| r.iter().filter(|x| x.get("Item").is_some()).count() as u64),
            format!(
                "TransactGetItems reads {keys} items of {} by their keys, at twice the units of plain reads",
                metered.tables.join(", ")
            ),
        ),
    };
    let price = engine.price_sheet().read_request_units_per_million / 1_000_000.0;
    let warning = (items_read >= 10 * items_returned.max(1)).then(|| {
        format!("reads {items_read} items to return {items_returned}: a key condition or an index that holds only what is asked for would read less")
    });
    Ok(Explanation {
        operation: operation.to_string(),
        tables: metered.tables.clone(),
        index: metered.index.clone(),
        access,
        partitions,
        items_read,
        items_returned,
        read_units,
        on_demand_cost_usd: read_units * price,
        per_million_requests_usd: read_units * price * 1_000_000.0,
        warning,
    })
}
