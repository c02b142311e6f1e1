//! `cairn-engine` implements the DynamoDB API over a [`cairn_storage::Storage`]: one
//! module per operation under `ops/`, the table catalog, the single write path every
//! item change goes through, and capacity accounting.
//!
//! It is not a server: it takes typed inputs and returns typed outputs or an
//! [`ApiError`]; HTTP, JSON framing and authentication live in `cairn-server`. Used as
//! a library it is Cairn's embedded mode.

pub mod access;
mod backfill;
mod backup;
pub mod capacity;
mod catalog;
pub mod check;
mod clock;
mod collections;
mod idempotency;
mod index_keys;
mod indexes;
mod keys;
mod leases;
pub mod ops;
mod pitr;
mod read;
mod request;
pub mod snapshots;
mod streams;
pub mod transfer;
mod ttl;
pub mod vectors;
mod write;

#[cfg(test)]
pub(crate) mod testing {
    use cairn_storage::{KeyValue, MemoryStorage, ScanRange, Storage, StorageResult, Transaction};
    use std::sync::Arc;

    /// An in-memory store that claims to be shared, so the shared-store paths
    /// (leases, stored tokens) run in unit tests.
    struct SharedMemory(MemoryStorage);

    impl Storage for SharedMemory {
        fn get(&self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
            self.0.get(key)
        }
        fn scan(&self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
            self.0.scan(range, limit)
        }
        fn begin(&self) -> StorageResult<Box<dyn Transaction + '_>> {
            self.0.begin()
        }
        fn snapshot(&self) -> StorageResult<Box<dyn cairn_storage::Snapshot>> {
            self.0.snapshot()
        }
        fn shared(&self) -> bool {
            true
        }
    }

    pub(crate) fn shared_memory() -> Arc<dyn Storage> {
        Arc::new(SharedMemory(MemoryStorage::new()))
    }
}

pub use catalog::{KeyAttribute, TableMeta};
pub use clock::{Clock, ManualClock, SystemClock, VirtualClock};
pub use request::RequestContext;
pub use streams::StreamMeta;
pub use vectors::ann::VectorMemory;

use cairn_model::ApiError;
use cairn_storage::{Storage, StorageError};
use catalog::Catalog;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Settings that shape DynamoDB-visible behaviour.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long a new table reports CREATING before ACTIVE. DynamoDB takes seconds;
    /// the default 0 makes a table ACTIVE on the first DescribeTable after creation.
    pub table_creation_delay: Duration,
    /// Account id used in ARNs.
    pub account_id: String,
    /// Stream shards roll over after this long (DynamoDB: about four hours).
    pub stream_shard_interval: Duration,
    /// Stream records are kept this long (DynamoDB: 24 hours; Cairn can keep longer).
    pub stream_retention: Duration,
    /// Largest item collection (items sharing a partition key, with their LSI
    /// entries) in a table with local secondary indexes: 10 GB.
    pub item_collection_limit_bytes: u64,
    /// Tables one account may have in one region (DynamoDB's default quota: 2,500).
    pub max_tables: usize,
    /// On a shared store, how often the catalog version is checked so that tables
    /// created or changed through another server show here (misses and catalog
    /// changes check at once; writes always verify inside their transaction).
    pub catalog_poll_interval: Duration,
    /// Where exports are written and imports and bulk operations read (an S3
    /// stand-in: by default the directory `cairn-s3`, one sub-directory per bucket).
    pub objects: Arc<dyn transfer::objects::ObjectStore>,
    /// Whether this engine's background worker resumes exports, imports and bulk
    /// operations. Off for the command line's engines on a data directory: those
    /// jobs belong to the server and its object store.
    pub run_transfers: bool,
    /// Throttle requests beyond their tables' capacity, as DynamoDB does
    /// (`--enforce-capacity`; off by default so local tests are never throttled).
    pub enforce_capacity: bool,
    /// Prices the cost ledger uses (`--price-sheet FILE`; us-east-1 by default).
    pub price_sheet: capacity::ledger::PriceSheet,
    /// A vector-index partition with at least this many entries is searched through
    /// an in-memory structure built in the background; smaller ones exactly from
    /// storage.
    pub vector_graph_threshold: usize,
    /// Up to this many entries that structure is the partition's quantized vectors,
    /// scanned whole; past it, an HNSW graph.
    pub vector_flat_max: usize,
    /// The memory those in-memory structures may hold together: building one that
    /// does not fit drops the ones searched least recently; a partition whose
    /// structure alone would not fit is searched exactly from storage.
    pub vector_memory_bytes: u64,
}

/// [`EngineConfig::vector_memory_bytes`] by default (the `cairn` binary uses a
/// quarter of the machine's memory).
pub const DEFAULT_VECTOR_MEMORY_BYTES: u64 = 1 << 30;

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            table_creation_delay: Duration::ZERO,
            account_id: "000000000000".to_string(),
            stream_shard_interval: Duration::from_secs(4 * 3600),
            stream_retention: Duration::from_secs(24 * 3600),
            item_collection_limit_bytes: 10 * 1024 * 1024 * 1024,
            max_tables: 2500,
            catalog_poll_interval: Duration::from_millis(50),
            objects: Arc::new(transfer::objects::LocalDirectory::new("cairn-s3")),
            run_transfers: true,
            enforce_capacity: false,
            price_sheet: capacity::ledger::PriceSheet::default(),
            vector_graph_threshold: 10_000,
            vector_flat_max: vectors::flat::FLAT_MAX,
            vector_memory_bytes: DEFAULT_VECTOR_MEMORY_BYTES,
        }
    }
}

/// The DynamoDB engine over one storage backend.
pub struct Engine {
    storage: Arc<dyn Storage>,
    catalog: Arc<Catalog>,
    config: EngineConfig,
    clock: Arc<dyn Clock>,
    tokens: idempotency::Tokens,
    sequencer: streams::Sequencer,
    iterator_key: streams::iterator_key::IteratorKey,
    leases: Arc<leases::Leases>,
    history: pitr::HistoryClock,
    /// Background tasks running in this process (`backfill:ID`, `purge:ID`), so a
    /// periodic resume does not start a second copy.
    running: Arc<Mutex<HashSet<String>>>,
    /// The engine's own handle once it is shared (`attach`): long operations
    /// (bulk writes) run on threads of their own with it.
    me: std::sync::OnceLock<std::sync::Weak<Engine>>,
    /// Token buckets, with `enforce_capacity`.
    limiter: Option<Arc<capacity::limiter::Limiter>>,
    ledger: capacity::ledger::Ledger,
    contributor_insights: capacity::insights::ContributorInsights,
    /// When this engine started (clock seconds): the ledger holds nothing before.
    started_at: f64,
    /// `cairn snapshot save` states, by name.
    test_snapshots: snapshots::TestSnapshots,
    /// Set while a test snapshot is restored: no background task starts.
    tasks_paused: std::sync::atomic::AtomicBool,
    /// Graphs of large vector-index partitions.
    vector_graphs: Arc<vectors::ann::AnnCache>,
}

impl Engine {
    pub fn new(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Engine, ApiError> {
        Self::with_clock(storage, config, Arc::new(SystemClock))
    }

    pub fn with_clock(
        storage: Arc<dyn Storage>,
        config: EngineConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Engine, ApiError> {
        let catalog = Arc::new(Catalog::load(&storage).map_err(storage_error)?);
        catalog.start_polling(config.catalog_poll_interval);
        let sequencer = streams::Sequencer::default();
        sequencer.start_after(streams::highest_sequence(storage.as_ref(), &catalog).map_err(storage_error)?);
        let iterator_key =
            streams::iterator_key::IteratorKey::load_or_create(storage.as_ref()).map_err(storage_error)?;
        let leases = Arc::new(leases::Leases::new(&storage));
        let tokens = idempotency::Tokens::new(&storage);
        Ok(Engine {
            leases,
            history: Default::default(),
            running: Default::default(),
            me: Default::default(),
            ledger: Default::default(),
            contributor_insights: Default::default(),
            started_at: clock.now_seconds(),
            test_snapshots: Default::default(),
            tasks_paused: Default::default(),
            vector_graphs: Default::default(),
            limiter: config
                .enforce_capacity
                .then(|| Arc::new(capacity::limiter::Limiter::new(clock.clone()))),
            iterator_key,
            storage,
            catalog,
            config,
            clock,
            tokens,
            sequencer,
        })
    }
}

impl Engine {
    pub(crate) fn catalog_lock(&self) -> MutexGuard<'_, ()> {
        self.catalog.lock()
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// What the in-memory copies of large vector partitions hold
    /// ([`EngineConfig::vector_memory_bytes`] bounds it).
    pub fn vector_memory(&self) -> VectorMemory {
        self.vector_graphs.memory()
    }

    /// On a shared store, brings the catalog cache up to date (one read of the
    /// catalog version): control-plane reads call it, so a change made through
    /// another server shows on the next such call. Data-plane calls rely on the
    /// poll (reads) and on the check inside every write transaction (writes).
    pub(crate) fn sync_catalog(&self) {
        if let Err(e) = self.catalog.refresh() {
            tracing::warn!(error = %e, "reloading the table catalog failed");
        }
    }

    /// This server's name among the servers sharing one store (random per process).
    pub fn server_id(&self) -> &str {
        self.leases.owner()
    }

    /// Whether the store is shared with other servers (the PostgreSQL backend).
    pub fn shares_storage(&self) -> bool {
        self.catalog.is_shared()
    }

    /// The leases this server holds now: `background` when it is the one running
    /// TTL sweeps, stream trimming, purges and backfills.
    pub fn leases_held(&self) -> Vec<String> {
        self.leases.held()
    }

    /// Gives up this server's leases (on shutdown), so another server takes the
    /// background work over at once.
    pub fn release_leases(&self) {
        self.leases.release_all();
    }

    /// Marks a background task running in this process; None if it already is. The
    /// guard unmarks it.
    /// Lets the engine hand itself to threads of its own (a server's engine is
    /// shared; without this, bulk operations run from the background worker).
    pub fn attach(self: &Arc<Self>) {
        let _ = self.me.set(Arc::downgrade(self));
    }

    /// Whether background task `name` runs in this process.
    pub(crate) fn is_running(&self, name: &str) -> bool {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).contains(name)
    }

    /// Whether a test snapshot's restore holds background tasks off (a task refused
    /// now is resumed from its stored state once the restore ends).
    pub(crate) fn tasks_paused(&self) -> bool {
        self.tasks_paused.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Stops new background tasks and waits (up to `limit`) for the running ones to
    /// finish; Err(names still running) if they do not, with tasks resumed again.
    /// Callers serialize pauses (one restore at a time).
    pub(crate) fn pause_tasks(&self, limit: std::time::Duration) -> Result<(), Vec<String>> {
        {
            let _running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            self.tasks_paused.store(true, std::sync::atomic::Ordering::Release);
        }
        let deadline = std::time::Instant::now() + limit;
        loop {
            let running: Vec<String> = self
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned()
                .collect();
            if running.is_empty() {
                return Ok(());
            }
            if std::time::Instant::now() >= deadline {
                self.resume_tasks();
                return Err(running);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// Lets background tasks start again (after `pause_tasks`).
    pub(crate) fn resume_tasks(&self) {
        self.tasks_paused.store(false, std::sync::atomic::Ordering::Release);
    }

    pub(crate) fn shared_self(&self) -> Option<Arc<Engine>> {
        self.me.get()?.upgrade()
    }

    pub(crate) fn start_task(&self, name: String) -> Option<TaskGuard> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        // While a test snapshot is restored nothing new starts (what it would work
        // on is about to be replaced); the restore resumes what the state it put
        // back has pending.
        if self.tasks_paused.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        running.insert(name.clone()).then(|| TaskGuard {
            running: Arc::clone(&self.running),
            name,
        })
    }
}

/// One background task marked running (see `Engine::start_task`).
pub(crate) struct TaskGuard {
    running: Arc<Mutex<HashSet<String>>>,
    name: String,
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.name);
    }
}

/// Maps storage failures to wire errors. Conflicts that survive the write path's
/// retries are reported as DynamoDB reports contention.
pub(crate) fn storage_error(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict => ApiError::new(
            cairn_model::ErrorKind::TransactionConflict,
            "Transaction is ongoing for the item",
        ),
        // The store cannot be reached (a database connection dropped or timed out):
        // DynamoDB's retryable InternalServerError, with the cause in the log
        // rather than in front of the client.
        StorageError::Unavailable(m) => {
            tracing::warn!(cause = %m, "storage unavailable; answering InternalServerError");
            ApiError::internal("Internal server error")
        }
        StorageError::Corruption(m) | StorageError::Other(m) => ApiError::internal(m),
    }
}
