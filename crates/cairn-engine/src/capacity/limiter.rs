//! The token buckets behind `--enforce-capacity`: one per table and GSI (read and
//! write) at its provisioned rate with 300 seconds of burst, or at its on-demand
//! maximum with one second, and one per key range at 3,000 read / 1,000 write units a
//! second; each refilled on the engine's clock, and DynamoDB's refusal for each.

use crate::capacity::throttle::{Usage, UsageKind};
use crate::capacity::Kind;
use crate::catalog::{BillingMode, IndexMeta, TableMeta};
use crate::Clock;
use cairn_model::{ApiError, ErrorKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Seconds of unused provisioned capacity a bucket keeps (DynamoDB: 300).
const BURST_SECONDS: f64 = 300.0;

/// One token bucket's settings.
pub(crate) struct Limit {
    rate: f64,
    burst: f64,
    scope: LimitScope,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LimitScope {
    /// Provisioned capacity of a table or GSI.
    Provisioned,
    /// The OnDemandThroughput maximum of an on-demand table or GSI.
    OnDemandMaximum,
    /// One key range (partition) of a table or GSI; `on_demand` names its table's mode.
    KeyRange { on_demand: bool },
}

/// What one key range (partition) serves per second, whatever the table's capacity.
const KEY_RANGE_READ_UNITS: f64 = 3000.0;
const KEY_RANGE_WRITE_UNITS: f64 = 1000.0;

impl Limit {
    pub(crate) fn from(billing: BillingMode, provisioned: i64, on_demand_max: Option<i64>) -> Option<Limit> {
        match billing {
            BillingMode::Provisioned => Some(Limit {
                rate: provisioned.max(0) as f64,
                burst: provisioned.max(0) as f64 * BURST_SECONDS,
                scope: LimitScope::Provisioned,
            }),
            BillingMode::PayPerRequest => on_demand_max.filter(|m| *m > 0).map(|m| Limit {
                rate: m as f64,
                burst: m as f64,
                scope: LimitScope::OnDemandMaximum,
            }),
        }
    }

    /// A key range holds one second of its rate.
    pub(crate) fn key_range(table: &TableMeta, kind: Kind) -> Limit {
        let rate = match kind {
            Kind::Read => KEY_RANGE_READ_UNITS,
            Kind::Write => KEY_RANGE_WRITE_UNITS,
        };
        Limit {
            rate,
            burst: rate,
            scope: LimitScope::KeyRange {
                on_demand: table.billing_mode == BillingMode::PayPerRequest,
            },
        }
    }

    pub(crate) fn of_table(table: &TableMeta, kind: Kind) -> Option<Limit> {
        let od = table.on_demand_throughput.as_ref();
        match kind {
            Kind::Read => Limit::from(
                table.billing_mode,
                table.read_capacity,
                od.and_then(|o| o.max_read_request_units),
            ),
            Kind::Write => Limit::from(
                table.billing_mode,
                table.write_capacity,
                od.and_then(|o| o.max_write_request_units),
            ),
        }
    }

    pub(crate) fn of_index(table: &TableMeta, index: &IndexMeta, kind: Kind) -> Option<Limit> {
        let od = index.on_demand_throughput.as_ref();
        match kind {
            Kind::Read => Limit::from(
                table.billing_mode,
                index.read_capacity,
                od.and_then(|o| o.max_read_request_units),
            ),
            Kind::Write => Limit::from(
                table.billing_mode,
                index.write_capacity,
                od.and_then(|o| o.max_write_request_units),
            ),
        }
    }

    /// DynamoDB's refusal for this bucket.
    pub(crate) fn error(&self, kind: Kind, index: bool, resource: &str) -> ApiError {
        let operation = match kind {
            Kind::Read => "Read",
            Kind::Write => "Write",
        };
        let scope = if index { "Index" } else { "Table" };
        const PROVISIONED_TABLE: &str = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.";
        const PROVISIONED_INDEX: &str = "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API.";
        const ON_DEMAND: &str = "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html";
        let provisioned = |limit| {
            let message = if index { PROVISIONED_INDEX } else { PROVISIONED_TABLE };
            (
                ErrorKind::ProvisionedThroughputExceeded,
                message,
                limit,
                "ThrottlingReasons",
            )
        };
        let (error_kind, message, limit, field) = match self.scope {
            LimitScope::OnDemandMaximum => (
                ErrorKind::Throttling,
                "Throughput exceeds the maximum OnDemandThroughput configured on table or index",
                "MaxOnDemandThroughputExceeded",
                "throttlingReasons",
            ),
            LimitScope::Provisioned => provisioned("ProvisionedThroughputExceeded"),
            LimitScope::KeyRange { on_demand: false } => provisioned("KeyRangeThroughputExceeded"),
            LimitScope::KeyRange { on_demand: true } => (
                ErrorKind::Throttling,
                ON_DEMAND,
                "KeyRangeThroughputExceeded",
                "throttlingReasons",
            ),
        };
        let reasons = serde_json::json!([{
            "reason": format!("{scope}{operation}{limit}"),
            "resource": resource,
        }]);
        let mut error = ApiError::new(error_kind, message);
        error.extra.push((field, reasons.to_string()));
        error
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    table_id: u64,
    index: Option<String>,
    /// A key range's hash; None for the whole table or index.
    partition: Option<u64>,
    write: bool,
}

impl Key {
    pub(crate) fn new(table_id: u64, index: Option<&str>, partition: Option<u64>, kind: Kind) -> Key {
        Key {
            table_id,
            index: index.map(str::to_string),
            partition,
            write: matches!(kind, Kind::Write),
        }
    }
}

struct Bucket {
    tokens: f64,
    at: f64,
    rate: f64,
    burst: f64,
}

/// Past this many buckets, full ones (idle key ranges, deleted tables) are dropped:
/// a dropped bucket comes back full, so dropping one changes nothing.
const PRUNE_ABOVE: usize = 65_536;

/// The token buckets of every table and index, on the engine's clock.
pub(crate) struct Limiter {
    clock: Arc<dyn Clock>,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

impl Limiter {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Limiter {
        Limiter {
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The bucket refilled to now (a new bucket starts full).
    fn with_bucket<T>(&self, key: &Key, limit: &Limit, f: impl FnOnce(&mut Bucket) -> T) -> T {
        let now = self.clock.now_seconds();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.tokens + (now - b.at).max(0.0) * b.rate < b.burst);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: limit.burst,
            at: now,
            rate: limit.rate,
            burst: limit.burst,
        });
        let elapsed = (now - bucket.at).max(0.0);
        bucket.tokens = (bucket.tokens + elapsed * limit.rate).min(limit.burst);
        bucket.at = now;
        bucket.rate = limit.rate;
        bucket.burst = limit.burst;
        f(bucket)
    }

    /// Whether the bucket has tokens left once `pending` more are taken.
    pub(crate) fn has_tokens(&self, key: &Key, limit: &Limit, pending: f64) -> bool {
        self.with_bucket(key, limit, |b| b.tokens - pending > 0.0)
    }

    pub(crate) fn charge_key_range(&self, table: &TableMeta, index: Option<&str>, hash: u64, kind: Kind, units: f64) {
        let limit = Limit::key_range(table, kind);
        self.with_bucket(&Key::new(table.id, index, Some(hash), kind), &limit, |b| {
            b.tokens -= units
        });
    }

    pub(crate) fn charge(&self, table: &TableMeta, usage: &Usage) {
        let kind = match usage.kind {
            UsageKind::Read => Kind::Read,
            UsageKind::Write => Kind::Write,
        };
        if let Some(limit) = Limit::of_table(table, kind) {
            self.with_bucket(&Key::new(table.id, None, None, kind), &limit, |b| {
                b.tokens -= usage.table_units
            });
        }
        for (name, units) in &usage.index_units {
            let Some(index) = table.global_secondary_indexes.iter().find(|g| &g.name == name) else {
                continue;
            };
            if let Some(limit) = Limit::of_index(table, index, kind) {
                self.with_bucket(&Key::new(table.id, Some(name), None, kind), &limit, |b| {
                    b.tokens -= units
                });
            }
        }
    }
}
