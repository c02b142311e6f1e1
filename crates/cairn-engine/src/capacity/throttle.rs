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

use crate::capacity::limiter::{Key, Limit, Limiter};
use crate::capacity::{IndexKind, IndexUnits, Kind};
use crate::catalog::{IndexMeta, TableMeta};
use crate::Engine;
use cairn_model::value::AttributeValue;
use cairn_model::{ApiError, Item};
use std::cell::RefCell;
use std::sync::Arc;

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
    limiter: Option<Arc<Limiter>>,
    region: String,
    account: String,
    usage: Vec<Usage>,
    /// Tables the request named (looked up for items), first first.
    tables: Vec<String>,
    shape: Option<crate::capacity::ledger::ReadShape>,
    /// The key ranges the request used, in order.
    partitions: Vec<PartitionUse>,
    /// The keys it was refused for.
    throttled: Vec<KeyUse>,
    /// Whether every key range used is noted (for the limiter or `cairn explain`);
    /// otherwise only those of tables with Contributor Insights on.
    track_keys: bool,
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
    /// Each key the request used with the units it spent there.
    pub keys: Vec<(KeyUse, f64)>,
    /// The keys it was throttled on.
    pub throttled: Vec<KeyUse>,
    /// A Query or Scan: its table and how many items it returned.
    pub returned: Option<(String, u64)>,
    /// A Query or Scan: how many items it read, and the index it read.
    pub scanned: Option<u64>,
    pub index: Option<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<Request>> = const { RefCell::new(None) };
}

/// Whether an operation reads or writes items, and so is admitted by the limiter.
fn touches_items(operation: &str) -> bool {
    matches!(
        operation,
        "GetItem"
            | "BatchGetItem"
            | "Query"
            | "Scan"
            | "TransactGetItems"
            | "PutItem"
            | "UpdateItem"
            | "DeleteItem"
            | "BatchWriteItem"
            | "TransactWriteItems"
            | "ExecuteStatement"
            | "BatchExecuteStatement"
            | "ExecuteTransaction"
    )
}

/// Records what the current request consumed on `table` (called where its
/// ConsumedCapacity is computed). Units not yet given to the key ranges the request
/// touched on this table are shared among them.
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
            for (name, kind, units) in indexes {
                match kind {
                    IndexKind::Global => usage.index_units.push((name.clone(), *units)),
                    // Local indexes share the table's capacity.
                    IndexKind::Local => usage.table_units += units,
                    // Bytes, not capacity units: not throttled by table capacity.
                    IndexKind::Vector => {}
                }
            }
            // Key ranges of the table get its units; a GSI's, the GSI's.
            let targets = std::iter::once((None, usage.table_units)).chain(
                usage
                    .index_units
                    .iter()
                    .map(|(name, units)| (Some(name.as_str()), *units)),
            );
            for (index, units) in targets {
                let unspent: Vec<usize> = (0..request.partitions.len())
                    .filter(|i| {
                        let p = &request.partitions[*i];
                        p.table_id == table.id && p.kind == kind && p.units.is_none() && p.index.as_deref() == index
                    })
                    .collect();
                for i in &unspent {
                    request.partitions[*i].units = Some(units / unspent.len() as f64);
                }
            }
            request.usage.push(usage);
        }
    });
}

/// Notes a table the current request names (for the metrics and the ledger).
pub(crate) fn note_table(table: &TableMeta) {
    CURRENT.with(|current| {
        if let Some(request) = current.borrow_mut().as_mut() {
            if !request.tables.contains(&table.name) {
                request.tables.push(table.name.clone());
            }
        }
    });
}

/// Admits (or refuses) the current request's access to one item of `table`: the
/// table's bucket (less what this request already spent on it), for a write every
/// GSI's, and the key range of the item's partition key. Used for each item of a
/// batch or transaction too, where a refusal leaves that item unprocessed. Returns
/// the slot of the key range's use, whose units [`spend`] (or [`record`]) fills in.
pub(crate) fn admit_key(table: &TableMeta, key: &Item, kind: Kind) -> Result<Option<usize>, ApiError> {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        let Some(request) = current.as_mut() else {
            return Ok(None);
        };
        let Some(limiter) = request.limiter.clone() else {
            return Ok(request.note_partition(table, None, key, kind));
        };
        let hash = partition_hash(table, None, key);
        let pending = |same: &dyn Fn(&PartitionUse) -> bool| -> f64 {
            request
                .partitions
                .iter()
                .filter(|p| p.table_id == table.id && p.index.is_none() && p.kind == kind && same(p))
                .filter_map(|p| p.units)
                .sum()
        };
        let table_pending = pending(&|_| true);
        let range_pending = pending(&|p| p.hash == hash);
        let refusal = if let Some(limit) = Limit::of_table(table, kind)
            .filter(|limit| !limiter.has_tokens(&Key::new(table.id, None, None, kind), limit, table_pending))
        {
            Some(limit.error(kind, false, &request.arn(table, None)))
        } else if let Some((index, limit)) = write_index_refusal(&limiter, table, kind) {
            Some(limit.error(kind, true, &request.arn(table, Some(&index.name))))
        } else {
            let limit = Limit::key_range(table, kind);
            (!limiter.has_tokens(&Key::new(table.id, None, Some(hash), kind), &limit, range_pending))
                .then(|| limit.error(kind, false, &request.arn(table, None)))
        };
        match refusal {
            Some(error) => {
                request.throttled.push(KeyUse::of(table, None, key));
                Err(error)
            }
            None => Ok(request.note_partition(table, None, key, kind)),
        }
    })
}

/// Closes the key ranges noted so far that no consumption was recorded for (their
/// statement failed): later statements of the same request do not spend on them.
pub(crate) fn settle() {
    CURRENT.with(|current| {
        if let Some(request) = current.borrow_mut().as_mut() {
            for p in request.partitions.iter_mut().filter(|p| p.units.is_none()) {
                p.units = Some(0.0);
            }
        }
    });
}

/// Gives the units one admitted item consumed to its key range.
pub(crate) fn spend(slot: Option<usize>, units: f64) {
    let Some(slot) = slot else { return };
    CURRENT.with(|current| {
        if let Some(use_) = current.borrow_mut().as_mut().and_then(|r| r.partitions.get_mut(slot)) {
            use_.units = Some(units);
        }
    });
}

/// A GSI of `table` that cannot take its share of a write (GSI back-pressure).
fn write_index_refusal<'a>(limiter: &Limiter, table: &'a TableMeta, kind: Kind) -> Option<(&'a IndexMeta, Limit)> {
    if let Kind::Read = kind {
        return None;
    }
    table.global_secondary_indexes.iter().find_map(|index| {
        Limit::of_index(table, index, kind)
            .filter(|limit| !limiter.has_tokens(&Key::new(table.id, Some(&index.name), None, kind), limit, 0.0))
            .map(|limit| (index, limit))
    })
}

/// Refuses a Query or Scan whose source has no read capacity left: a GSI's own
/// bucket, or the table's (the table itself and its local indexes); and a Query
/// whose partition's key range has none.
pub(crate) fn admit_source(
    table: &TableMeta,
    index: Option<&IndexMeta>,
    partition: Option<&AttributeValue>,
) -> Result<(), ApiError> {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        let Some(request) = current.as_mut() else { return Ok(()) };
        let global = index.filter(|i| table.global_secondary_indexes.iter().any(|g| g.name == i.name));
        let index_name = global.map(|i| i.name.as_str());
        let key = partition.map(|value| {
            let mut key = Item::new();
            key.insert(String::new(), value.clone());
            key
        });
        let Some(limiter) = request.limiter.clone() else {
            if let Some(key) = &key {
                request.note_partition(table, index_name, key, Kind::Read);
            }
            return Ok(());
        };
        let limit = match global {
            Some(index) => Limit::of_index(table, index, Kind::Read),
            None => Limit::of_table(table, Kind::Read),
        };
        // What earlier statements of this request already read there (PartiQL
        // batches and transactions read several times in one request).
        let pending: f64 = request
            .usage
            .iter()
            .filter(|u| u.table == table.name && u.kind == UsageKind::Read)
            .map(|u| match index_name {
                None => u.table_units,
                Some(name) => u.index_units.iter().filter(|(n, _)| n == name).map(|(_, x)| x).sum(),
            })
            .sum();
        if let Some(limit) =
            limit.filter(|l| !limiter.has_tokens(&Key::new(table.id, index_name, None, Kind::Read), l, pending))
        {
            if let Some(key) = &key {
                request.throttled.push(KeyUse::of(table, index_name, key));
            }
            return Err(limit.error(Kind::Read, global.is_some(), &request.arn(table, index_name)));
        }
        if let Some(key) = &key {
            let limit = Limit::key_range(table, Kind::Read);
            let hash = partition_hash(table, index_name, key);
            if !limiter.has_tokens(&Key::new(table.id, index_name, Some(hash), Kind::Read), &limit, 0.0) {
                request.throttled.push(KeyUse::of(table, index_name, key));
                return Err(limit.error(Kind::Read, global.is_some(), &request.arn(table, index_name)));
            }
            request.note_partition(table, index_name, key, Kind::Read);
        }
        Ok(())
    })
}

/// The key range an item falls in: its partition key value, hashed.
fn partition_hash(table: &TableMeta, index: Option<&str>, key: &Item) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    table.id.hash(&mut hasher);
    index.hash(&mut hasher);
    if let Some(value) = partition_value(table, index, key) {
        let mut bytes = Vec::new();
        cairn_model::keycodec::encode_key_value(value, &mut bytes);
        bytes.hash(&mut hasher);
    }
    hasher.finish()
}

/// The partition key value of `key` (for a Query: the only value it holds).
fn partition_value<'a>(table: &TableMeta, index: Option<&str>, key: &'a Item) -> Option<&'a AttributeValue> {
    if index.is_none() {
        if let Some(value) = key.get(&table.hash_key.name) {
            return Some(value);
        }
    }
    key.values().next()
}

/// One key a request touched (or was refused), as Contributor Insights counts it.
#[derive(Debug, Clone)]
pub struct KeyUse {
    pub table: String,
    pub index: Option<String>,
    /// The partition key value, shown as DynamoDB's console shows it.
    pub partition: String,
    /// The partition and sort key values, when the table has a sort key.
    pub item: Option<String>,
}

impl KeyUse {
    fn of(table: &TableMeta, index: Option<&str>, key: &Item) -> KeyUse {
        let partition = partition_value(table, index, key).map(show).unwrap_or_default();
        let sort = index
            .is_none()
            .then(|| table.range_key.as_ref().and_then(|r| key.get(&r.name)))
            .flatten();
        KeyUse {
            table: table.name.clone(),
            index: index.map(str::to_string),
            item: sort.map(|s| format!("{partition}|{}", show(s))),
            partition,
        }
    }
}

fn show(value: &AttributeValue) -> String {
    use base64::Engine as _;
    match value {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::N(n) => n.to_string(),
        AttributeValue::B(b) => base64::engine::general_purpose::STANDARD.encode(b),
        other => format!("{other:?}"),
    }
}

/// A key range the request used, with the units it spent there once known.
struct PartitionUse {
    table_id: u64,
    index: Option<String>,
    kind: Kind,
    hash: u64,
    units: Option<f64>,
    key: KeyUse,
}

impl Request {
    fn arn(&self, table: &TableMeta, index: Option<&str>) -> String {
        let table_arn = format!("arn:aws:dynamodb:{}:{}:table/{}", self.region, self.account, table.name);
        match index {
            Some(index) => format!("{table_arn}/index/{index}"),
            None => table_arn,
        }
    }

    fn note_partition(&mut self, table: &TableMeta, index: Option<&str>, key: &Item, kind: Kind) -> Option<usize> {
        // Hashing and showing the key costs: only when something will read it.
        if !self.track_keys && !table.contributor_insights.iter().any(|s| s.enabled) {
            return None;
        }
        self.partitions.push(PartitionUse {
            table_id: table.id,
            index: index.map(str::to_string),
            kind,
            hash: partition_hash(table, index, key),
            units: None,
            key: KeyUse::of(table, index, key),
        });
        Some(self.partitions.len() - 1)
    }
}

impl Engine {
    /// Runs one request's operation with its consumption recorded (and, with
    /// `--enforce-capacity`, its tables' capacity enforced); returns its result and
    /// what it consumed.
    pub fn metered<T>(&self, operation: &str, ctx: &crate::RequestContext, run: impl FnOnce() -> T) -> (T, Metered) {
        self.run_metered(operation, ctx, run, true)
    }

    /// Runs a request for `cairn explain`: what it consumed is measured but never
    /// charged, throttled, priced into the ledger or counted by Contributor Insights.
    pub fn dry_metered<T>(
        &self,
        operation: &str,
        ctx: &crate::RequestContext,
        run: impl FnOnce() -> T,
    ) -> (T, Metered) {
        self.run_metered(operation, ctx, run, false)
    }

    fn run_metered<T>(
        &self,
        operation: &str,
        ctx: &crate::RequestContext,
        run: impl FnOnce() -> T,
        effects: bool,
    ) -> (T, Metered) {
        let request = Request {
            limiter: self.limiter.clone().filter(|_| effects && touches_items(operation)),
            region: ctx.region.clone(),
            account: self.config.account_id.clone(),
            usage: Vec::new(),
            tables: Vec::new(),
            shape: None,
            partitions: Vec::new(),
            throttled: Vec::new(),
            track_keys: !effects || self.limiter.is_some(),
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
        let mut partitions = Vec::new();
        let (metered, shape) = request
            .map(|r| {
                partitions = r
                    .partitions
                    .iter()
                    .map(|p| (p.table_id, p.index.clone(), p.kind, p.hash, p.units.unwrap_or(0.0)))
                    .collect();
                (
                    Metered {
                        usage: r.usage,
                        tables: r.tables,
                        keys: r
                            .partitions
                            .into_iter()
                            .map(|p| (p.key, p.units.unwrap_or(0.0)))
                            .collect(),
                        throttled: r.throttled,
                        returned: r.shape.as_ref().map(|s| (s.table.clone(), s.returned)),
                        scanned: r.shape.as_ref().map(|s| s.scanned),
                        index: r.shape.as_ref().and_then(|s| s.index.clone()),
                    },
                    r.shape,
                )
            })
            .unwrap_or_default();
        if !effects {
            return (result, metered);
        }
        self.ledger
            .record(self.clock.now_seconds(), operation, &metered, shape.as_ref());
        if let Some(limiter) = &self.limiter {
            for entry in &metered.usage {
                if let Some(table) = self.catalog.get(&ctx.region, &entry.table) {
                    limiter.charge(&table, entry);
                }
            }
            for (table_id, index, kind, hash, units) in partitions {
                let table = metered
                    .tables
                    .iter()
                    .find_map(|name| self.catalog.get(&ctx.region, name).filter(|t| t.id == table_id));
                if let Some(table) = table {
                    limiter.charge_key_range(&table, index.as_deref(), hash, kind, units);
                }
            }
        }
        self.record_contributors(&ctx.region, &metered);
        (result, metered)
    }
}
