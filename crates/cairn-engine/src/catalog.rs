//! The table catalog: table metadata persisted under the catalog prefix and cached in
//! memory. Table ids come from a persisted counter and are never reused, so a dropped
//! table's items can be purged lazily.

use cairn_model::types::{OnDemandThroughput, SseSpecification, StreamSpecification};
use cairn_model::value::ScalarType;
use cairn_storage::{ScanRange, Storage, StorageError, StorageResult, Transaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// Key prefixes of the one ordered keyspace (DESIGN.md section 3).
pub(crate) const CATALOG_PREFIX: u8 = b'c';
pub(crate) const ITEM_PREFIX: u8 = b'i';
/// Engine counters live under `m`.
const NEXT_TABLE_ID_KEY: &[u8] = b"mnext_table_id";
/// Tables dropped whose items are still to be purged: `p` + table id.
pub(crate) const PURGE_PREFIX: u8 = b'p';

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttribute {
    pub name: String,
    pub kind: ScalarType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    pub name: String,
    pub id: u64,
    pub hash_key: KeyAttribute,
    pub range_key: Option<KeyAttribute>,
    pub projection_type: String,
    pub non_key_attributes: Option<Vec<String>>,
    pub read_capacity: i64,
    pub write_capacity: i64,
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// False while a GSI added by UpdateTable is being backfilled.
    #[serde(default = "ready_by_default")]
    pub ready: bool,
    /// While backfilling: the last table storage key already indexed, so a restart
    /// resumes after it.
    #[serde(default)]
    pub backfilled_to: Option<Vec<u8>>,
    /// Items the backfill has indexed so far (reported in logs as progress).
    #[serde(default)]
    pub backfilled_items: u64,
    /// Further partition-key attributes of a multi-attribute GSI key (up to four in all).
    #[serde(default)]
    pub extra_hash_keys: Vec<KeyAttribute>,
    /// Further sort-key attributes of a multi-attribute GSI key (up to four in all).
    #[serde(default)]
    pub extra_range_keys: Vec<KeyAttribute>,
}

impl IndexMeta {
    /// Every partition-key attribute, in key-schema order.
    pub fn hash_keys(&self) -> Vec<&KeyAttribute> {
        std::iter::once(&self.hash_key).chain(&self.extra_hash_keys).collect()
    }

    /// Every sort-key attribute, in key-schema order.
    pub fn range_keys(&self) -> Vec<&KeyAttribute> {
        self.range_key.iter().chain(&self.extra_range_keys).collect()
    }

    /// Every key attribute of the index.
    pub fn key_attributes(&self) -> Vec<&KeyAttribute> {
        let mut all = self.hash_keys();
        all.extend(self.range_keys());
        all
    }
}

fn ready_by_default() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// Everything DynamoDB knows about a table except its items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    pub name: String,
    /// Internal id, the items' key prefix; never reused.
    pub id: u64,
    /// The TableId DynamoDB reports (a UUID).
    pub table_uuid: String,
    pub hash_key: KeyAttribute,
    pub range_key: Option<KeyAttribute>,
    pub attribute_definitions: Vec<KeyAttribute>,
    pub global_secondary_indexes: Vec<IndexMeta>,
    pub local_secondary_indexes: Vec<IndexMeta>,
    pub billing_mode: BillingMode,
    pub read_capacity: i64,
    pub write_capacity: i64,
    pub on_demand_throughput: Option<OnDemandThroughput>,
    pub stream_specification: Option<StreamSpecification>,
    pub sse_specification: Option<SseSpecification>,
    pub tags: Vec<(String, String)>,
    pub table_class: Option<String>,
    pub deletion_protection_enabled: bool,
    pub created_at: f64,
    /// When the table stops reporting CREATING.
    pub active_at: f64,
    pub last_switch_to_pay_per_request_at: Option<f64>,
    /// Index numbers handed out so far (index id = table id << 8 | number); never
    /// reused, so a dropped index's leftover entries stay unreachable.
    #[serde(default)]
    pub indexes_created: u64,
    /// Every stream the table has had that may still hold records; the last one
    /// is current when it is not disabled.
    #[serde(default)]
    pub streams: Vec<crate::streams::StreamMeta>,
    /// The TTL attribute, when TTL is enabled.
    #[serde(default)]
    pub ttl_attribute: Option<String>,
    pub last_increase_at: Option<f64>,
    pub last_decrease_at: Option<f64>,
    pub decreases_today: i64,
    /// The region the table was created in: regions are namespaces, as in DynamoDB,
    /// so `orders` in us-east-1 and `orders` in eu-west-1 are two tables. None for
    /// tables created before regions were namespaces; those stay visible from every
    /// region.
    #[serde(default)]
    pub region: Option<String>,
    /// The table's resource-based policy (PutResourcePolicy).
    #[serde(default)]
    pub resource_policy: Option<StoredPolicy>,
    /// The resource-based policy of the table's stream.
    #[serde(default)]
    pub stream_resource_policy: Option<StoredPolicy>,
}

/// A resource-based policy as given, and the revision that names this version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub document: String,
    pub revision_id: String,
}

impl TableMeta {
    pub fn has_resource_policy(&self) -> bool {
        self.resource_policy.is_some() || self.stream_resource_policy.is_some()
    }

    pub fn key_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash_key).chain(self.range_key.as_ref())
    }

    pub fn status(&self, now: f64) -> &'static str {
        if now < self.active_at {
            "CREATING"
        } else if self.global_secondary_indexes.iter().any(|g| !g.ready) {
            "UPDATING"
        } else {
            "ACTIVE"
        }
    }
}

/// Where a table's metadata is stored: `c · region · 0 · name` (table names and
/// regions never hold a zero byte), or `c · name` for a table without a region.
pub(crate) fn catalog_key(meta: &TableMeta) -> Vec<u8> {
    let mut key = Vec::with_capacity(2 + meta.name.len() + 16);
    key.push(CATALOG_PREFIX);
    if let Some(region) = &meta.region {
        key.extend_from_slice(region.as_bytes());
        key.push(0);
    }
    key.extend_from_slice(meta.name.as_bytes());
    key
}

/// The catalog map's key of a table: (region, or "" for a table without one; name).
fn map_key(meta: &TableMeta) -> (String, String) {
    (meta.region.clone().unwrap_or_default(), meta.name.clone())
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corruption(format!("{what}: {e}"))
}

/// Cached view of the persisted catalog. Writers persist first, then update the cache,
/// under the storage transaction that changed the catalog.
pub(crate) struct Catalog {
    /// Tables by (region, name); region "" holds tables from before regions.
    tables: RwLock<BTreeMap<(String, String), Arc<TableMeta>>>,
    /// Serializes catalog changes (create, delete, update of tables, index backfill
    /// completion).
    write: Mutex<()>,
    /// Whether any table or stream has had a resource-based policy since this
    /// process started; until one has, a caller allowed everything by identity needs
    /// no per-request policy evaluation.
    resource_policies_seen: AtomicBool,
}

impl Catalog {
    pub(crate) fn load(storage: &dyn Storage) -> StorageResult<Catalog> {
        let mut tables = BTreeMap::new();
        let mut policies = false;
        for (_, value) in storage.scan(&ScanRange::prefix(&[CATALOG_PREFIX]), usize::MAX)? {
            let meta: TableMeta = serde_json::from_slice(&value).map_err(|e| corrupt("table metadata", e))?;
            policies |= meta.has_resource_policy();
            tables.insert(map_key(&meta), Arc::new(meta));
        }
        Ok(Catalog {
            tables: RwLock::new(tables),
            write: Mutex::new(()),
            resource_policies_seen: AtomicBool::new(policies),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The table `name` as seen from `region`.
    pub(crate) fn get(&self, region: &str, name: &str) -> Option<Arc<TableMeta>> {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        tables
            .get(&(region.to_string(), name.to_string()))
            .or_else(|| tables.get(&(String::new(), name.to_string())))
            .cloned()
    }

    /// The names of the tables visible from `region`, in order.
    pub(crate) fn names(&self, region: &str) -> Vec<String> {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        let mut names: Vec<String> = tables
            .keys()
            .filter(|(r, _)| r.is_empty() || r == region)
            .map(|(_, name)| name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every table of every region (for background workers).
    pub(crate) fn all(&self) -> Vec<Arc<TableMeta>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The table with id `id`, in whichever region (ids are never reused).
    pub(crate) fn by_id(&self, id: u64) -> Option<Arc<TableMeta>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .find(|t| t.id == id)
            .cloned()
    }

    /// The current metadata of the table `meta` describes (by its region and name).
    pub(crate) fn current(&self, meta: &TableMeta) -> Option<Arc<TableMeta>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&map_key(meta))
            .cloned()
    }

    pub(crate) fn resource_policies_seen(&self) -> bool {
        self.resource_policies_seen.load(Ordering::Acquire)
    }

    pub(crate) fn cache_put(&self, meta: TableMeta) {
        if meta.has_resource_policy() {
            self.resource_policies_seen.store(true, Ordering::Release);
        }
        self.tables
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(map_key(&meta), Arc::new(meta));
    }

    pub(crate) fn cache_remove(&self, meta: &TableMeta) {
        self.tables
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&map_key(meta));
    }
}

/// Writes table metadata in a storage transaction.
pub(crate) fn persist_meta(tx: &mut dyn Transaction, meta: &TableMeta) -> StorageResult<()> {
    let bytes = serde_json::to_vec(meta).map_err(|e| StorageError::Other(e.to_string()))?;
    tx.put(&catalog_key(meta), &bytes);
    Ok(())
}

/// Takes the next table id from the persisted counter, in the caller's transaction.
pub(crate) fn allocate_table_id(tx: &mut dyn Transaction) -> StorageResult<u64> {
    let next = match tx.get(NEXT_TABLE_ID_KEY)? {
        Some(bytes) => u64::from_be_bytes(bytes.try_into().map_err(|_| corrupt("table id counter", "length"))?),
        None => 1,
    };
    tx.put(NEXT_TABLE_ID_KEY, &(next + 1).to_be_bytes());
    Ok(next)
}

impl TableMeta {
    /// The stream new changes go to, if one is enabled.
    pub fn active_stream(&self) -> Option<&crate::streams::StreamMeta> {
        self.streams.last().filter(|s| s.disabled_at.is_none())
    }
}

/// Takes the next stream id from a persisted counter, in the caller's transaction.
pub(crate) fn allocate_stream_id(tx: &mut dyn Transaction) -> StorageResult<u64> {
    const NEXT_STREAM_ID_KEY: &[u8] = b"mnext_stream_id";
    let next = match tx.get(NEXT_STREAM_ID_KEY)? {
        Some(bytes) => u64::from_be_bytes(bytes.try_into().map_err(|_| corrupt("stream id counter", "length"))?),
        None => 1,
    };
    tx.put(NEXT_STREAM_ID_KEY, &(next + 1).to_be_bytes());
    Ok(next)
}

pub(crate) fn purge_key(table_id: u64) -> Vec<u8> {
    let mut key = vec![PURGE_PREFIX];
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

/// The region field of an ARN (`arn:aws:dynamodb:REGION:account:...`).
pub(crate) fn region_of_arn(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}
