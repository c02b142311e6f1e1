//! The table catalog: table metadata persisted under the catalog prefix and cached in
//! memory. Table ids come from a persisted counter and are never reused, so a dropped
//! table's items can be purged lazily.

use cairn_model::types::{OnDemandThroughput, SseSpecification, StreamSpecification};
use cairn_model::value::ScalarType;
use cairn_model::{ApiError, ErrorKind};
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
    /// WarmThroughput asked for (read, write units per second), if any.
    #[serde(default)]
    pub warm_throughput: Option<(i64, i64)>,
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
    /// Set on a table restored from a backup (RestoreSummary).
    #[serde(default)]
    pub restore: Option<RestoreState>,
    /// Set while point-in-time recovery is enabled.
    #[serde(default)]
    pub pitr: Option<PitrState>,
    /// Set while ImportTable loads the table (the import's record id): like a
    /// restore, the table is CREATING and refuses item requests until it is done.
    #[serde(default)]
    pub importing: Option<u64>,
    /// Contributor Insights settings of the table (index None) and its GSIs.
    #[serde(default)]
    pub contributor_insights: Vec<crate::capacity::insights::InsightsSetting>,
    /// WarmThroughput asked for (read, write units per second), if any.
    #[serde(default)]
    pub warm_throughput: Option<(i64, i64)>,
    /// Vector indexes (SearchVectors).
    #[serde(default)]
    pub vector_indexes: Vec<crate::vectors::VectorIndexMeta>,
}

/// Where a restored table came from, and how far loading its items has got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreState {
    /// None for a point-in-time restore.
    pub source_backup_arn: Option<String>,
    pub source_table_arn: String,
    pub restore_date_time: f64,
    /// True until every item of the backup is in the table (status CREATING).
    pub in_progress: bool,
    pub backup_id: u64,
    /// The last backup data key loaded, so a restart resumes after it.
    #[serde(default)]
    pub restored_to: Option<Vec<u8>>,
    /// A point-in-time restore: after the base copy, the source table's history
    /// is replayed up to the restore time.
    #[serde(default)]
    pub replay: Option<Replay>,
}

/// The history a point-in-time restore replays over its base copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    pub source_table_id: u64,
    /// History keys after this one (the base copy's instant, then the position
    /// reached) and up to `until_micros` are applied.
    pub after: Vec<u8>,
    pub until_micros: u64,
    /// True once the base copy is loaded and the replay has begun.
    #[serde(default)]
    pub replaying: bool,
}

/// Point-in-time recovery of a table: changes are kept in its history range while
/// this is set (see `crate::pitr`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PitrState {
    pub recovery_period_days: i64,
    pub enabled_at: f64,
    /// The instant of the first base copy: nothing earlier can be restored.
    pub earliest: Option<f64>,
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

    /// Whether the table's items are still being loaded (a restore or an import):
    /// it reports CREATING and refuses item requests and changes.
    pub fn loading(&self) -> bool {
        self.restore.as_ref().is_some_and(|r| r.in_progress) || self.importing.is_some()
    }

    pub fn status(&self, now: f64) -> &'static str {
        if now < self.active_at || self.loading() {
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

/// Changed (to a fresh random value) by every transaction that changes the catalog,
/// so a server sharing the store notices with one read that its cache is stale.
pub(crate) const CATALOG_VERSION_KEY: &[u8] = b"mcatalog_version";

/// One cached table: its metadata, and the exact bytes stored for it, which a
/// transaction on a shared store compares with what it reads to prove the metadata
/// it used is still current.
struct Entry {
    meta: Arc<TableMeta>,
    stored: Vec<u8>,
}

impl Entry {
    fn new(meta: TableMeta, stored: Vec<u8>) -> Entry {
        Entry {
            meta: Arc::new(meta),
            stored,
        }
    }
}

/// Cached view of the persisted catalog. Writers persist first, then update the cache,
/// under the storage transaction that changed the catalog.
///
/// On a shared store (several servers over one database) the cache may lag changes
/// made elsewhere: it is reloaded when the catalog version changes (polled, checked
/// before every catalog change and on every miss), and every write transaction reads
/// its tables' stored metadata and compares it with the cache (`is_current`), so no
/// write is ever applied under stale metadata.
pub(crate) struct Catalog {
    /// Tables by (region, name); region "" holds tables from before regions.
    tables: RwLock<BTreeMap<(String, String), Entry>>,
    /// Serializes catalog changes (create, delete, update of tables, index backfill
    /// completion) within this process.
    write: Mutex<()>,
    /// Whether any table or stream has had a resource-based policy since this
    /// process started; until one has, a caller allowed everything by identity needs
    /// no per-request policy evaluation.
    resource_policies_seen: AtomicBool,
    /// The store, when it is shared with other servers.
    shared: Option<Arc<dyn Storage>>,
    /// The catalog version the cache was loaded at (shared stores only).
    version: Mutex<Option<Vec<u8>>>,
    /// Item writes hold this shared; `fence` takes it exclusively, so once a
    /// catalog change has been cached and fenced, every write either finished
    /// before it or uses the new metadata (one process; shared stores check inside
    /// each write transaction instead).
    writes: RwLock<()>,
}

fn load_entries(storage: &dyn Storage) -> StorageResult<BTreeMap<(String, String), Entry>> {
    let mut tables = BTreeMap::new();
    for (_, value) in storage.scan(&ScanRange::prefix(&[CATALOG_PREFIX]), usize::MAX)? {
        let meta: TableMeta = serde_json::from_slice(&value).map_err(|e| corrupt("table metadata", e))?;
        tables.insert(map_key(&meta), Entry::new(meta, value));
    }
    Ok(tables)
}

impl Catalog {
    pub(crate) fn load(storage: &Arc<dyn Storage>) -> StorageResult<Catalog> {
        let shared = storage.shared().then(|| Arc::clone(storage));
        let version = match &shared {
            Some(s) => s.get(CATALOG_VERSION_KEY)?,
            None => None,
        };
        let tables = load_entries(storage.as_ref())?;
        let policies = tables.values().any(|e| e.meta.has_resource_policy());
        Ok(Catalog {
            tables: RwLock::new(tables),
            write: Mutex::new(()),
            resource_policies_seen: AtomicBool::new(policies),
            shared,
            version: Mutex::new(version),
            writes: RwLock::new(()),
        })
    }

    /// Held by an item write for its duration (see `writes`).
    pub(crate) fn write_guard(&self) -> std::sync::RwLockReadGuard<'_, ()> {
        self.writes.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until every item write begun before now has finished.
    pub(crate) fn fence(&self) {
        drop(self.writes.write().unwrap_or_else(|p| p.into_inner()));
    }

    /// Holds every item write off until dropped (a test snapshot being restored).
    pub(crate) fn exclusive_writes(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.writes.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the whole cache with what `storage` holds now (after the store was
    /// restored from a test snapshot underneath it).
    pub(crate) fn replace_from(&self, storage: &dyn Storage) -> StorageResult<()> {
        let tables = load_entries(storage)?;
        if tables.values().any(|e| e.meta.has_resource_policy()) {
            self.resource_policies_seen.store(true, Ordering::Release);
        }
        *self.tables.write().unwrap_or_else(|p| p.into_inner()) = tables;
        Ok(())
    }

    /// Whether other servers may change the catalog.
    pub(crate) fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// Serializes catalog changes in this process; on a shared store it first brings
    /// the cache up to date, so the change starts from the latest metadata.
    pub(crate) fn lock(&self) -> MutexGuard<'_, ()> {
        let guard = self.write.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = self.refresh() {
            tracing::warn!(error = %e, "reloading the table catalog failed");
        }
        guard
    }

    /// On a shared store: reloads the cache if another server changed the catalog
    /// since it was loaded. Returns whether it reloaded.
    pub(crate) fn refresh(&self) -> StorageResult<bool> {
        let Some(storage) = &self.shared else {
            return Ok(false);
        };
        // One reload at a time, each reading the version and then the tables, so a
        // slow reload can never put an older catalog over a newer one.
        let mut loaded = self.version.lock().unwrap_or_else(|p| p.into_inner());
        let version = storage.get(CATALOG_VERSION_KEY)?;
        if *loaded == version {
            return Ok(false);
        }
        self.reload_at(storage.as_ref(), &mut loaded, version)?;
        Ok(true)
    }

    /// On a shared store: reloads the cache whatever the version says (a transaction
    /// found the stored metadata differs from the cache).
    pub(crate) fn reload(&self) -> StorageResult<()> {
        let Some(storage) = &self.shared else {
            return Ok(());
        };
        let mut loaded = self.version.lock().unwrap_or_else(|p| p.into_inner());
        let version = storage.get(CATALOG_VERSION_KEY)?;
        self.reload_at(storage.as_ref(), &mut loaded, version)
    }

    /// Replaces the cache; `loaded` is the held version lock.
    fn reload_at(
        &self,
        storage: &dyn Storage,
        loaded: &mut Option<Vec<u8>>,
        version: Option<Vec<u8>>,
    ) -> StorageResult<()> {
        // Read the version before the tables: a change landing in between leaves
        // the old version recorded, so the next check reloads again.
        let mut tables = load_entries(storage)?;
        if tables.values().any(|e| e.meta.has_resource_policy()) {
            self.resource_policies_seen.store(true, Ordering::Release);
        }
        let mut cached = self.tables.write().unwrap_or_else(|p| p.into_inner());
        // A table whose stored bytes did not change keeps its cached handle, so
        // writes holding it are not sent back to start by another table's change.
        for (key, entry) in tables.iter_mut() {
            if let Some(old) = cached.get(key).filter(|old| old.stored == entry.stored) {
                entry.meta = Arc::clone(&old.meta);
            }
        }
        *cached = tables;
        *loaded = version;
        Ok(())
    }

    /// Reloads from a background thread every `interval` while the catalog lives
    /// (shared stores only), so changes made through other servers show within it.
    pub(crate) fn start_polling(self: &Arc<Self>, interval: std::time::Duration) {
        if !self.is_shared() {
            return;
        }
        let catalog = Arc::downgrade(self);
        std::thread::spawn(move || loop {
            std::thread::sleep(interval);
            let Some(catalog) = catalog.upgrade() else { return };
            if let Err(e) = catalog.refresh() {
                tracing::debug!(error = %e, "polling the table catalog failed");
            }
        });
    }

    /// Whether `meta` is the cached metadata of its table and `stored` (what a
    /// transaction just read under the table's catalog key) is what the cache was
    /// built from.
    pub(crate) fn is_current(&self, meta: &Arc<TableMeta>, stored: Option<&[u8]>) -> bool {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        match (tables.get(&map_key(meta)), stored) {
            (Some(entry), Some(stored)) => Arc::ptr_eq(&entry.meta, meta) && entry.stored == stored,
            _ => false,
        }
    }

    /// The table `name` as seen from `region`. On a shared store a miss first checks
    /// whether another server created it.
    pub(crate) fn get(&self, region: &str, name: &str) -> Option<Arc<TableMeta>> {
        let found = self.get_cached(region, name);
        if found.is_none() && self.is_shared() {
            // Whether this call or a concurrent one reloaded, look again.
            let _ = self.refresh();
            return self.get_cached(region, name);
        }
        found
    }

    fn get_cached(&self, region: &str, name: &str) -> Option<Arc<TableMeta>> {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        tables
            .get(&(region.to_string(), name.to_string()))
            .or_else(|| tables.get(&(String::new(), name.to_string())))
            .map(|e| e.meta.clone())
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
            .map(|e| e.meta.clone())
            .collect()
    }

    /// The table with id `id`, in whichever region (ids are never reused).
    pub(crate) fn by_id(&self, id: u64) -> Option<Arc<TableMeta>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .find(|e| e.meta.id == id)
            .map(|e| e.meta.clone())
    }

    /// The current metadata of the table `meta` describes (by its region and name).
    pub(crate) fn current(&self, meta: &TableMeta) -> Option<Arc<TableMeta>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&map_key(meta))
            .map(|e| e.meta.clone())
    }

    pub(crate) fn resource_policies_seen(&self) -> bool {
        self.resource_policies_seen.load(Ordering::Acquire)
    }

    pub(crate) fn cache_put(&self, meta: TableMeta) {
        if meta.has_resource_policy() {
            self.resource_policies_seen.store(true, Ordering::Release);
        }
        // The same serialization `persist_meta` stored.
        let stored = serde_json::to_vec(&meta).unwrap_or_default();
        // Not while a reload is in flight, which could put older data over this; and
        // the next poll reloads, in case a newer change from elsewhere was already
        // cached and this (older) one has just replaced it.
        let mut loaded = self.version.lock().unwrap_or_else(|p| p.into_inner());
        *loaded = None;
        self.tables
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(map_key(&meta), Entry::new(meta, stored));
    }

    pub(crate) fn cache_remove(&self, meta: &TableMeta) {
        let _reloads = self.version.lock().unwrap_or_else(|p| p.into_inner());
        self.tables
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&map_key(meta));
    }

    /// On a shared store, proves inside `tx` that the table's stored metadata is what
    /// this server's cache holds (absent for a table being created), so a catalog
    /// change never overwrites one made concurrently through another server.
    pub(crate) fn verify_unchanged(
        &self,
        tx: &mut dyn Transaction,
        base: Option<&Arc<TableMeta>>,
        meta: &TableMeta,
    ) -> Result<(), ApiError> {
        if !self.is_shared() {
            return Ok(());
        }
        let stored = tx.get(&catalog_key(meta)).map_err(crate::storage_error)?;
        let unchanged = match base {
            Some(base) => self.is_current(base, stored.as_deref()),
            None => stored.is_none(),
        };
        if unchanged {
            return Ok(());
        }
        let _ = self.reload();
        Err(ApiError::new(
            ErrorKind::ResourceInUse,
            format!(
                "Attempt to change a resource which is still in use: Table {} was changed concurrently through another server",
                meta.name
            ),
        ))
    }
}

/// Writes table metadata in a storage transaction, and marks the catalog changed.
pub(crate) fn persist_meta(tx: &mut dyn Transaction, meta: &TableMeta) -> StorageResult<()> {
    let bytes = serde_json::to_vec(meta).map_err(|e| StorageError::Other(e.to_string()))?;
    tx.put(&catalog_key(meta), &bytes);
    bump_catalog_version(tx);
    Ok(())
}

/// Marks the catalog changed (other servers reload their caches).
pub(crate) fn bump_catalog_version(tx: &mut dyn Transaction) {
    tx.put(CATALOG_VERSION_KEY, uuid::Uuid::new_v4().as_bytes());
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
