//! The cost ledger: what every table and operation consumed, minute by minute, and
//! what it would cost on DynamoDB — on-demand and provisioned side by side — from a
//! price sheet (us-east-1 list prices by default, a JSON file to override), plus
//! storage; and the reads that read far more items than they returned (scan
//! amplification), by request shape. Kept in memory for a week (bounded: at most
//! 10,080 minutes and a bounded number of shapes).

use crate::capacity::throttle::{Metered, UsageKind};
use crate::Engine;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

const KEEP_MINUTES: u64 = 7 * 24 * 60;
/// Request shapes tracked for amplification (the least costly are dropped).
const MAX_SHAPES: usize = 200;
/// A read is amplified when it reads at least this many items per item returned.
pub const AMPLIFICATION_RATIO: f64 = 10.0;
const HOURS_PER_MONTH: f64 = 730.0;

/// Prices, in dollars.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PriceSheet {
    pub region: String,
    /// On-demand: per million read request units.
    pub read_request_units_per_million: f64,
    /// On-demand: per million write request units.
    pub write_request_units_per_million: f64,
    /// Provisioned: per RCU-hour.
    pub read_capacity_unit_hour: f64,
    /// Provisioned: per WCU-hour.
    pub write_capacity_unit_hour: f64,
    /// Storage: per GB-month (Standard table class).
    pub storage_gb_month: f64,
}

impl Default for PriceSheet {
    /// DynamoDB's us-east-1 list prices (Standard table class), December 2026.
    fn default() -> Self {
        PriceSheet {
            region: "us-east-1".to_string(),
            read_request_units_per_million: 0.125,
            write_request_units_per_million: 0.625,
            read_capacity_unit_hour: 0.00013,
            write_capacity_unit_hour: 0.00065,
            storage_gb_month: 0.25,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Entry {
    requests: u64,
    read_units: f64,
    write_units: f64,
}

/// One Query or Scan, as the amplification report groups them.
#[derive(Debug, Clone)]
pub(crate) struct ReadShape {
    pub operation: &'static str,
    pub table: String,
    pub index: Option<String>,
    pub filter: bool,
    pub scanned: u64,
    pub returned: u64,
}

impl ReadShape {
    fn describe(&self) -> String {
        let mut text = format!("{} {}", self.operation, self.table);
        if let Some(index) = &self.index {
            text.push_str(&format!(" index {index}"));
        }
        if self.filter {
            text.push_str(" with FilterExpression");
        }
        text
    }
}

#[derive(Debug, Clone, Default)]
struct ShapeStats {
    requests: u64,
    scanned: u64,
    returned: u64,
    read_units: f64,
    last_seen: f64,
}

#[derive(Default)]
pub(crate) struct Ledger {
    /// Minute (since the epoch) -> (table, operation) -> consumption.
    /// Minute -> table -> operation -> consumption.
    minutes: Mutex<BTreeMap<u64, HashMap<String, HashMap<String, Entry>>>>,
    shapes: Mutex<HashMap<String, ShapeStats>>,
}

impl Ledger {
    pub(crate) fn record(&self, now: f64, operation: &str, metered: &Metered, shape: Option<&ReadShape>) {
        if metered.usage.is_empty() {
            return;
        }
        let minute = (now / 60.0) as u64;
        {
            let mut minutes = self.minutes.lock().unwrap_or_else(|p| p.into_inner());
            let slot = minutes.entry(minute).or_default();
            let mut counted: Vec<&str> = Vec::new();
            for usage in &metered.usage {
                // Looked up by reference: names are copied once per minute, not per request.
                if !slot.contains_key(&usage.table) {
                    slot.insert(usage.table.clone(), HashMap::new());
                }
                let Some(operations) = slot.get_mut(&usage.table) else {
                    continue;
                };
                if !operations.contains_key(operation) {
                    operations.insert(operation.to_string(), Entry::default());
                }
                let Some(entry) = operations.get_mut(operation) else {
                    continue;
                };
                if !counted.contains(&usage.table.as_str()) {
                    entry.requests += 1;
                    counted.push(&usage.table);
                }
                let units = usage.table_units + usage.index_units.iter().map(|(_, u)| u).sum::<f64>();
                match usage.kind {
                    UsageKind::Read => entry.read_units += units,
                    UsageKind::Write => entry.write_units += units,
                }
            }
            while minutes.len() as u64 > KEEP_MINUTES {
                minutes.pop_first();
            }
            if let Some((&first, _)) = minutes.first_key_value() {
                if first + KEEP_MINUTES < minute {
                    minutes.retain(|m, _| m + KEEP_MINUTES >= minute);
                }
            }
        }
        if let Some(shape) = shape {
            if (shape.scanned as f64) >= AMPLIFICATION_RATIO * (shape.returned.max(1) as f64) {
                let units: f64 = metered
                    .usage
                    .iter()
                    .map(|u| u.table_units + u.index_units.iter().map(|(_, x)| x).sum::<f64>())
                    .sum();
                let mut shapes = self.shapes.lock().unwrap_or_else(|p| p.into_inner());
                let stats = shapes.entry(shape.describe()).or_default();
                stats.requests += 1;
                stats.scanned += shape.scanned;
                stats.returned += shape.returned;
                stats.read_units += units;
                stats.last_seen = now;
                if shapes.len() > MAX_SHAPES {
                    // The shape seen longest ago goes.
                    if let Some(oldest) = shapes
                        .iter()
                        .min_by(|a, b| a.1.last_seen.total_cmp(&b.1.last_seen))
                        .map(|(k, _)| k.clone())
                    {
                        shapes.remove(&oldest);
                    }
                }
            }
        }
    }
}

/// One table's line of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableCost {
    pub table: String,
    pub billing_mode: String,
    pub requests: u64,
    pub read_units: f64,
    pub write_units: f64,
    /// What the consumed units cost on demand.
    pub on_demand_cost: f64,
    /// Provisioned: what the table's provisioned capacity cost over the period; on
    /// demand: what capacity provisioned at the period's average rate would cost.
    pub provisioned_cost: f64,
    pub storage_bytes: i64,
    pub storage_cost: f64,
    pub projected_monthly_on_demand: f64,
    pub projected_monthly_provisioned: f64,
    pub operations: Vec<OperationCost>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationCost {
    pub operation: String,
    pub requests: u64,
    pub read_units: f64,
    pub write_units: f64,
    pub on_demand_cost: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmplifiedRead {
    pub shape: String,
    pub requests: u64,
    pub items_read: u64,
    pub items_returned: u64,
    pub ratio: f64,
    pub read_units: f64,
    pub on_demand_cost: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostReport {
    pub since: f64,
    pub until: f64,
    pub hours: f64,
    pub price_sheet: PriceSheet,
    pub tables: Vec<TableCost>,
    pub total_on_demand_cost: f64,
    pub total_provisioned_cost: f64,
    pub scan_amplification: Vec<AmplifiedRead>,
}

impl Engine {
    /// The prices the ledger (and `cairn explain`) use.
    pub fn price_sheet(&self) -> &PriceSheet {
        &self.config.price_sheet
    }

    /// The ledger from `since_seconds` ago until now, priced.
    pub fn cost_report(&self, since_seconds: f64) -> CostReport {
        let prices = &self.config.price_sheet;
        let now = self.clock.now_seconds();
        // Not before this server started, nor past what the ledger keeps.
        let since = (now - since_seconds.max(60.0))
            .max(self.started_at)
            .max(now - KEEP_MINUTES as f64 * 60.0)
            .min(now - 60.0);
        let hours = (now - since) / 3600.0;
        let from_minute = (since / 60.0) as u64;
        // Copied out first: requests recording meanwhile wait only for the copy.
        let slots: Vec<HashMap<String, HashMap<String, Entry>>> = {
            let minutes = self.ledger.minutes.lock().unwrap_or_else(|p| p.into_inner());
            minutes.range(from_minute..).map(|(_, slot)| slot.clone()).collect()
        };
        let mut per_table: BTreeMap<String, BTreeMap<String, Entry>> = BTreeMap::new();
        for slot in slots {
            for (table, operations) in slot {
                for (operation, e) in operations {
                    let t = per_table
                        .entry(table.clone())
                        .or_default()
                        .entry(operation)
                        .or_default();
                    t.requests += e.requests;
                    t.read_units += e.read_units;
                    t.write_units += e.write_units;
                }
            }
        }
        let on_demand = |read: f64, write: f64| {
            read / 1e6 * prices.read_request_units_per_million + write / 1e6 * prices.write_request_units_per_million
        };
        let catalog: BTreeMap<String, std::sync::Arc<crate::catalog::TableMeta>> =
            self.catalog.all().into_iter().map(|t| (t.name.clone(), t)).collect();
        let mut names: Vec<String> = per_table.keys().cloned().collect();
        names.extend(catalog.keys().filter(|n| !per_table.contains_key(*n)).cloned());
        names.sort();
        let mut tables = Vec::new();
        for name in names {
            let operations = per_table.remove(&name).unwrap_or_default();
            let meta = catalog.get(&name).cloned();
            let (read, write, requests) = operations.values().fold((0.0, 0.0, 0), |(r, w, n), e| {
                (r + e.read_units, w + e.write_units, n + e.requests)
            });
            let storage_bytes = meta
                .as_ref()
                .and_then(|m| self.table_statistics(m).ok())
                .map(|(_, size)| size)
                .unwrap_or(0);
            let storage_cost = storage_bytes as f64 / 1e9 * prices.storage_gb_month * hours / HOURS_PER_MONTH;
            let provisioned = meta
                .as_ref()
                .filter(|m| m.billing_mode == crate::catalog::BillingMode::Provisioned);
            let provisioned_cost = match provisioned {
                Some(m) => {
                    let (rcu, wcu) = m
                        .global_secondary_indexes
                        .iter()
                        .fold((m.read_capacity as f64, m.write_capacity as f64), |(r, w), g| {
                            (r + g.read_capacity as f64, w + g.write_capacity as f64)
                        });
                    (rcu * prices.read_capacity_unit_hour + wcu * prices.write_capacity_unit_hour) * hours
                }
                // The average rate over the period, provisioned (a lower bound:
                // peaks need more).
                None => {
                    let seconds = hours * 3600.0;
                    (read / seconds * prices.read_capacity_unit_hour
                        + write / seconds * prices.write_capacity_unit_hour)
                        * hours
                }
            };
            let od = on_demand(read, write);
            let scale = if hours > 0.0 { HOURS_PER_MONTH / hours } else { 0.0 };
            tables.push(TableCost {
                table: name,
                billing_mode: meta
                    .as_ref()
                    .map(|m| m.billing_mode.as_str())
                    .unwrap_or("DELETED")
                    .to_string(),
                requests,
                read_units: read,
                write_units: write,
                on_demand_cost: od,
                provisioned_cost,
                storage_bytes,
                storage_cost,
                projected_monthly_on_demand: (od + storage_cost) * scale,
                projected_monthly_provisioned: (provisioned_cost + storage_cost) * scale,
                operations: operations
                    .into_iter()
                    .map(|(operation, e)| OperationCost {
                        operation,
                        requests: e.requests,
                        read_units: e.read_units,
                        write_units: e.write_units,
                        on_demand_cost: on_demand(e.read_units, e.write_units),
                    })
                    .collect(),
            });
        }
        let mut amplified: Vec<AmplifiedRead> = self
            .ledger
            .shapes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, s)| s.last_seen >= since)
            .map(|(shape, s)| AmplifiedRead {
                shape: shape.clone(),
                requests: s.requests,
                items_read: s.scanned,
                items_returned: s.returned,
                ratio: s.scanned as f64 / s.returned.max(1) as f64,
                read_units: s.read_units,
                on_demand_cost: on_demand(s.read_units, 0.0),
            })
            .collect();
        amplified.sort_by(|a, b| b.read_units.total_cmp(&a.read_units));
        CostReport {
            since,
            until: now,
            hours,
            price_sheet: prices.clone(),
            total_on_demand_cost: tables.iter().map(|t| t.on_demand_cost + t.storage_cost).sum(),
            total_provisioned_cost: tables.iter().map(|t| t.provisioned_cost + t.storage_cost).sum(),
            tables,
            scan_amplification: amplified,
        }
    }
}
