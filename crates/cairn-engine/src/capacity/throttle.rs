//! Capacity in use. Each request runs inside [`Engine::metered`], which keeps, on the
//! request's thread, what the request consumed (recorded where ConsumedCapacity is
//! computed, so the two always agree) and, with `--enforce-capacity`, the limiter
//! that throttles as DynamoDB does:
//!
//! - a provisioned table, and each provisioned GSI, has a read and a write token
//!   bucket filled at its capacity units per second and holding up to 300 seconds of
//!   them (DynamoDB's burst capacity);
//! - an on-demand table or GSI with `OnDemandThroughput` maximums has buckets at that
//!   rate holding one second of it;
//! - a request is admitted while its table's (and, for a write, every GSI's) bucket
//!   has tokens left, then charged what it consumed, which may take a bucket below
//!   zero (a request's size is known only once it ran; so does DynamoDB's).
//!
//! Refusals are DynamoDB's: `ProvisionedThroughputExceededException` or, for
//! on-demand maximums, `ThrottlingException`, each with `ThrottlingReasons`
//! (`TableWriteProvisionedThroughputExceeded`, `IndexWriteProvisionedThroughputExceeded`
//! with the index's ARN for GSI back-pressure, `TableReadMaxOnDemandThroughputExceeded`,
//! ...). Time is the engine's clock, so tests move it.

use crate::capacity::{IndexUnits, Kind};
use crate::catalog::{BillingMode, IndexMeta, TableMeta};
use crate::{Clock, Engine};
use cairn_model::{ApiError, ErrorKind};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Seconds of unused provisioned capacity a bucket keeps (DynamoDB: 300).
const BURST_SECONDS: f64 = 300.0;

/// What one request consumed on one table.
#[derive(Debug, Clone)]
pub struct Usage {
    pub table: String,
    pub kind: UsageKind,
    /// Units on the table itself (with its local indexes).
    pub table_units: f64,
    /// Units per global secondary index.
    pub index_units: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageKind {
    Read,
    Write,
}

struct Request {
    kind: Option<Kind>,
    /// A Query or Scan: its read is admitted on the table or index it reads
    /// (`admit_source`), not on the table it names.
    reads_source: bool,
    limiter: Option<Arc<Limiter>>,
    region: String,
    account: String,
    usage: Vec<Usage>,
    /// Tables the request named (looked up for items), first first.
    tables: Vec<String>,
    shape: Option<crate::capacity::ledger::ReadShape>,
}

/// Notes how many items a Query or Scan read against how many it returned.
pub(crate) fn record_read_shape(shape: crate::capacity::ledger::ReadShape) {
    CURRENT.with(|current| {
        if let Some(request) = current.borrow_mut().as_mut() {
            request.shape = Some(shape);
        }
    });
}

/// What one request did: its consumption and the tables it named.
#[derive(Debug, Default, Clone)]
pub struct Metered {
    pub usage: Vec<Usage>,
    pub tables: Vec<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<Request>> = const { RefCell::new(None) };
}

/// Whether an operation reads or writes items (None: neither, or both kinds).
fn kind_of(operation: &str) -> Option<Kind> {
    match operation {
        "GetItem" | "BatchGetItem" | "Query" | "Scan" | "TransactGetItems" => Some(Kind::Read),
        "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" | "TransactWriteItems" => Some(Kind::Write),
        _ => None,
    }
}

/// Records what the current request consumed on `table` (called where its
/// ConsumedCapacity is computed).
pub(crate) fn record(table: &TableMeta, table_units: f64, indexes: &IndexUnits, kind: Kind) {
    CURRENT.with(|current| {
        if let Some(request) = current.borrow_mut().as_mut() {
            let mut usage = Usage {
                table: table.name.clone(),
                kind: match kind {
                    Kind::Read => UsageKind::Read,
                    Kind::Write => UsageKind::Write,
                },
                table_units,
                index_units: Vec::new(),
            };
            for (name, global, units) in indexes {
                if *global {
                    usage.index_units.push((name.clone(), *units));
                } else {
                    // Local indexes share the table's capacity.
                    usage.table_units += units;
                }
            }
            request.usage.push(usage);
        }
    });
}

/// Refuses the current request if `table` (or, for a write, one of its GSIs) has
/// no capacity left. A no-op without `--enforce-capacity`.
pub(crate) fn admit(table: &TableMeta) -> Result<(), ApiError> {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        let Some(request) = current.as_mut() else { return Ok(()) };
        if !request.tables.contains(&table.name) {
            request.tables.push(table.name.clone());
        }
        let (Some(limiter), Some(kind)) = (&request.limiter, request.kind) else {
            return Ok(());
        };
        let arn = || {
            format!(
                "arn:aws:dynamodb:{}:{}:table/{}",
                request.region, request.account, table.name
            )
        };
        let deferred = matches!(kind, Kind::Read) && request.reads_source;
        if let Some(limit) = Limit::of_table(table, kind).filter(|_| !deferred) {
            if !limiter.has_tokens(&Key::new(table.id, None, kind), &limit) {
                return Err(limit.error(kind, false, &arn()));
            }
        }
        if let Kind::Write = kind {
            // A GSI that cannot take its share of the write holds the write back.
            for index in &table.global_secondary_indexes {
                if let Some(limit) = Limit::of_index(table, index, kind) {
                    if !limiter.has_tokens(&Key::new(table.id, Some(&index.name), kind), &limit) {
                        return Err(limit.error(kind, true, &format!("{}/index/{}", arn(), index.name)));
                    }
                }
            }
        }
        Ok(())
    })
}

/// Refuses a Query or Scan whose source has no read capacity left: a GSI's own
/// bucket, or the table's (the table itself and its local indexes).
pub(crate) fn admit_source(table: &TableMeta, index: Option<&IndexMeta>) -> Result<(), ApiError> {
    CURRENT.with(|current| {
        let current = current.borrow();
        let Some(request) = current.as_ref() else { return Ok(()) };
        let Some(limiter) = request.limiter.as_ref().filter(|_| request.reads_source) else {
            return Ok(());
        };
        let arn = format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            request.region, request.account, table.name
        );
        match index.filter(|i| table.global_secondary_indexes.iter().any(|g| g.name == i.name)) {
            Some(index) => match Limit::of_index(table, index, Kind::Read) {
                Some(limit) if !limiter.has_tokens(&Key::new(table.id, Some(&index.name), Kind::Read), &limit) => {
                    Err(limit.error(Kind::Read, true, &format!("{arn}/index/{}", index.name)))
                }
                _ => Ok(()),
            },
            None => match Limit::of_table(table, Kind::Read) {
                Some(limit) if !limiter.has_tokens(&Key::new(table.id, None, Kind::Read), &limit) => {
                    Err(limit.error(Kind::Read, false, &arn))
                }
                _ => Ok(()),
            },
        }
    })
}

/// One token bucket's settings.
struct Limit {
    rate: f64,
    burst: f64,
    on_demand: bool,
}

impl Limit {
    fn from(billing: BillingMode, provisioned: i64, on_demand_max: Option<i64>) -> Option<Limit> {
        match billing {
            BillingMode::Provisioned => Some(Limit {
                rate: provisioned.max(0) as f64,
                burst: provisioned.max(0) as f64 * BURST_SECONDS,
                on_demand: false,
            }),
            BillingMode::PayPerRequest => on_demand_max.filter(|m| *m > 0).map(|m| Limit {
                rate: m as f64,
                burst: m as f64,
                on_demand: true,
            }),
        }
    }

    fn of_table(table: &TableMeta, kind: Kind) -> Option<Limit> {
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

    fn of_index(table: &TableMeta, index: &IndexMeta, kind: Kind) -> Option<Limit> {
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
    fn error(&self, kind: Kind, index: bool, resource: &str) -> ApiError {
        let operation = match kind {
            Kind::Read => "Read",
            Kind::Write => "Write",
        };
        let scope = if index { "Index" } else { "Table" };
        let (error_kind, message, limit, field) = if self.on_demand {
            (
                ErrorKind::Throttling,
                "Throughput exceeds the maximum OnDemandThroughput configured on table or index",
                "MaxOnDemandThroughputExceeded",
                "throttlingReasons",
            )
        } else if index {
            (
                ErrorKind::ProvisionedThroughputExceeded,
                "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API.",
                "ProvisionedThroughputExceeded",
                "ThrottlingReasons",
            )
        } else {
            (
                ErrorKind::ProvisionedThroughputExceeded,
                "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
                "ProvisionedThroughputExceeded",
                "ThrottlingReasons",
            )
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
struct Key {
    table_id: u64,
    index: Option<String>,
    write: bool,
}

impl Key {
    fn new(table_id: u64, index: Option<&str>, kind: Kind) -> Key {
        Key {
            table_id,
            index: index.map(str::to_string),
            write: matches!(kind, Kind::Write),
        }
    }
}

struct Bucket {
    tokens: f64,
    at: f64,
}

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
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: limit.burst,
            at: now,
        });
        let elapsed = (now - bucket.at).max(0.0);
        bucket.tokens = (bucket.tokens + elapsed * limit.rate).min(limit.burst);
        bucket.at = now;
        f(bucket)
    }

    fn has_tokens(&self, key: &Key, limit: &Limit) -> bool {
        self.with_bucket(key, limit, |b| b.tokens > 0.0)
    }

    fn charge(&self, table: &TableMeta, usage: &Usage) {
        let kind = match usage.kind {
            UsageKind::Read => Kind::Read,
            UsageKind::Write => Kind::Write,
        };
        if let Some(limit) = Limit::of_table(table, kind) {
            self.with_bucket(&Key::new(table.id, None, kind), &limit, |b| {
                b.tokens -= usage.table_units
            });
        }
        for (name, units) in &usage.index_units {
            let Some(index) = table.global_secondary_indexes.iter().find(|g| &g.name == name) else {
                continue;
            };
            if let Some(limit) = Limit::of_index(table, index, kind) {
                self.with_bucket(&Key::new(table.id, Some(name), kind), &limit, |b| b.tokens -= units);
            }
        }
    }
}

impl Engine {
    /// Runs one request's operation with its consumption recorded (and, with
    /// `--enforce-capacity`, its tables' capacity enforced); returns its result and
    /// what it consumed.
    pub fn metered<T>(&self, operation: &str, ctx: &crate::RequestContext, run: impl FnOnce() -> T) -> (T, Metered) {
        let request = Request {
            kind: kind_of(operation),
            reads_source: matches!(operation, "Query" | "Scan"),
            limiter: self.limiter.clone(),
            region: ctx.region.clone(),
            account: self.config.account_id.clone(),
            usage: Vec::new(),
            tables: Vec::new(),
            shape: None,
        };
        /// Puts the outer request back even if `run` panics.
        struct Restore(Option<Option<Request>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                if let Some(outer) = self.0.take() {
                    CURRENT.with(|c| *c.borrow_mut() = outer);
                }
            }
        }
        let outer = CURRENT.with(|c| c.borrow_mut().replace(request));
        let mut restore = Restore(Some(outer));
        let result = run();
        let outer = restore.0.take().unwrap_or_default();
        let request = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
        let (metered, shape) = request
            .map(|r| {
                (
                    Metered {
                        usage: r.usage,
                        tables: r.tables,
                    },
                    r.shape,
                )
            })
            .unwrap_or_default();
        self.ledger
            .record(self.clock.now_seconds(), operation, &metered, shape.as_ref());
        if let Some(limiter) = &self.limiter {
            for entry in &metered.usage {
                if let Some(table) = self.catalog.get(&ctx.region, &entry.table) {
                    limiter.charge(&table, entry);
                }
            }
        }
        (result, metered)
    }
}
