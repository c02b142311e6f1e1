//! `cairn-engine` implements the DynamoDB API over a [`cairn_storage::Storage`]: one
//! module per operation under `ops/`, the table catalog, the single write path every
//! item change goes through, and capacity accounting.
//!
//! It is not a server: it takes typed inputs and returns typed outputs or an
//! [`ApiError`]; HTTP, JSON framing and authentication live in `cairn-server`. Used as
//! a library it is Cairn's embedded mode.

pub mod access;
mod backfill;
mod capacity;
mod catalog;
pub mod check;
mod clock;
mod collections;
mod idempotency;
mod index_keys;
mod indexes;
mod keys;
pub mod ops;
mod read;
mod request;
mod streams;
mod ttl;
mod write;

pub use catalog::{KeyAttribute, TableMeta};
pub use clock::{Clock, ManualClock, SystemClock};
pub use request::RequestContext;
pub use streams::StreamMeta;

use cairn_model::ApiError;
use cairn_storage::{Storage, StorageError};
use catalog::Catalog;
use std::sync::{Arc, MutexGuard};
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
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            table_creation_delay: Duration::ZERO,
            account_id: "000000000000".to_string(),
            stream_shard_interval: Duration::from_secs(4 * 3600),
            stream_retention: Duration::from_secs(24 * 3600),
            item_collection_limit_bytes: 10 * 1024 * 1024 * 1024,
            max_tables: 2500,
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
        let catalog = Arc::new(Catalog::load(storage.as_ref()).map_err(storage_error)?);
        let sequencer = streams::Sequencer::default();
        sequencer.start_after(streams::highest_sequence(storage.as_ref(), &catalog).map_err(storage_error)?);
        let iterator_key =
            streams::iterator_key::IteratorKey::load_or_create(storage.as_ref()).map_err(storage_error)?;
        Ok(Engine {
            iterator_key,
            storage,
            catalog,
            config,
            clock,
            tokens: Default::default(),
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
}

/// Maps storage failures to wire errors. Conflicts that survive the write path's
/// retries are reported as DynamoDB reports contention.
pub(crate) fn storage_error(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict => ApiError::new(
            cairn_model::ErrorKind::TransactionConflict,
            "Transaction is ongoing for the item",
        ),
        StorageError::Unavailable(m) => ApiError::unavailable(m),
        StorageError::Corruption(m) | StorageError::Other(m) => ApiError::internal(m),
    }
}
