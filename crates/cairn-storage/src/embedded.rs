//! The embedded durable backend: fjall's optimistic (serializable) transactions over one
//! keyspace in a data directory.
//!
//! Durability: every commit is written to fjall's journal and flushed to the OS before
//! it returns, so it survives a killed process. With [`Durability::Sync`] each commit
//! also waits for an fsync, shared between concurrent commits (group commit).

use crate::group_sync::GroupSync;
use crate::{KeyValue, ScanRange, Snapshot, Storage, StorageError, StorageResult, Transaction};
use fjall::{OptimisticTxDatabase, OptimisticTxKeyspace, OptimisticWriteTx, PersistMode, Readable};
use std::ops::Bound;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Committed to the journal in the OS page cache: survives a killed process.
    #[default]
    Journal,
    /// fsync per commit (grouped): survives power loss.
    Sync,
}

pub struct EmbeddedStorage {
    db: OptimisticTxDatabase,
    data: OptimisticTxKeyspace,
    durability: Durability,
    group: GroupSync,
}

fn io_error(e: fjall::Error) -> StorageError {
    StorageError::Unavailable(e.to_string())
}

/// How the store uses memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedOptions {
    /// The block cache: data, index and filter blocks read from table files. The
    /// store's memory beyond its write buffers is bounded by it.
    pub cache_bytes: u64,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// The block cache when none is configured (the `cairn` binary sizes it from the
/// machine's memory).
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The journals' total size before the oldest memtables are flushed so that their
/// journals can go (fjall's default is 512 MiB, its minimum 64 MiB). A restart
/// replays what the journals hold: on a 100 million item store, 30 s of PutItem
/// then kill -9 left 142-174 MB of journals and a 0.95-1.70 s restart with the
/// default, 15-50 MB and 0.22-0.81 s with this bound
/// (docs/bench/2026-12-07-scale-100m.txt).
const MAX_JOURNALING_BYTES: u64 = 64 * 1024 * 1024;

/// Table options for a new store. Index and filter blocks of the larger levels (2
/// and deeper) are partitioned: a point read loads one small partition through the
/// block cache instead of a table file's whole index or filter block (hundreds of
/// KB at tens of millions of items), and only their small top-level blocks stay in
/// memory. Levels 0 and 1 keep whole blocks, pinned, as fjall's defaults do. fjall
/// records these options when the keyspace is created: an existing store keeps the
/// ones it was created with. (Memtables stay at fjall's 64 MiB: 32 MiB made durable
/// PutItem's p99 26-46 ms against 6 ms in four A/B rounds, docs/bench/2026-12-07-scale-100m.txt.)
fn keyspace_options() -> fjall::KeyspaceCreateOptions {
    use fjall::config::PartitioningPolicy;
    fjall::KeyspaceCreateOptions::default()
        .index_block_partitioning_policy(PartitioningPolicy::new([false, false, true]))
        .filter_block_partitioning_policy(PartitioningPolicy::new([false, false, true]))
}

impl EmbeddedStorage {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path, durability: Durability) -> StorageResult<Self> {
        Self::open_with(dir, durability, EmbeddedOptions::default())
    }

    /// [`open`](Self::open) with a block cache of the given size.
    pub fn open_with(dir: &Path, durability: Durability, options: EmbeddedOptions) -> StorageResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let db = OptimisticTxDatabase::builder(dir)
            .cache_size(options.cache_bytes)
            .max_journaling_size(MAX_JOURNALING_BYTES)
            .open()
            .map_err(io_error)?;
        let data = db.keyspace("data", keyspace_options).map_err(io_error)?;
        Ok(EmbeddedStorage {
            db,
            data,
            durability,
            group: GroupSync::default(),
        })
    }
}

fn collect(iter: impl Iterator<Item = fjall::Guard>, limit: usize) -> StorageResult<Vec<KeyValue>> {
    let mut out = Vec::new();
    for guard in iter.take(limit) {
        let (k, v) = guard.into_inner().map_err(io_error)?;
        out.push((k.to_vec(), v.to_vec()));
    }
    Ok(out)
}

fn scan_readable(
    reader: &impl Readable,
    keyspace: &OptimisticTxKeyspace,
    range: &ScanRange,
    limit: usize,
) -> StorageResult<Vec<KeyValue>> {
    if range.start_after_end() {
        return Ok(Vec::new());
    }
    let bounds: (Bound<&[u8]>, Bound<&[u8]>) = (as_slice(&range.start), as_slice(&range.end));
    let iter = reader.range::<&[u8], _>(keyspace, bounds);
    if range.reverse {
        collect(iter.rev(), limit)
    } else {
        collect(iter, limit)
    }
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl Storage for EmbeddedStorage {
    fn get(&self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        Ok(self.data.get(key).map_err(io_error)?.map(|v| v.to_vec()))
    }

    fn scan(&self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        let snapshot = self.db.read_tx();
        scan_readable(&snapshot, &self.data, range, limit)
    }

    fn snapshot(&self) -> StorageResult<Box<dyn Snapshot>> {
        Ok(Box::new(EmbeddedSnapshot {
            snapshot: self.db.read_tx(),
            data: self.data.clone(),
        }))
    }

    fn begin(&self) -> StorageResult<Box<dyn Transaction + '_>> {
        let tx = self
            .db
            .write_tx()
            .map_err(io_error)?
            .durability(Some(PersistMode::Buffer));
        Ok(Box::new(EmbeddedTransaction { store: self, tx }))
    }
}

/// fjall's MVCC snapshot: reads at one sequence number while writers go on.
struct EmbeddedSnapshot {
    snapshot: fjall::Snapshot,
    data: OptimisticTxKeyspace,
}

impl Snapshot for EmbeddedSnapshot {
    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        scan_readable(&self.snapshot, &self.data, range, limit)
    }
}

struct EmbeddedTransaction<'a> {
    store: &'a EmbeddedStorage,
    tx: OptimisticWriteTx,
}

impl Transaction for EmbeddedTransaction<'_> {
    fn get(&mut self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        Ok(self
            .tx
            .get(&self.store.data, key)
            .map_err(io_error)?
            .map(|v| v.to_vec()))
    }

    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        scan_readable(&self.tx, &self.store.data, range, limit)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.tx.insert(&self.store.data, key, value);
    }

    fn delete(&mut self, key: &[u8]) {
        self.tx.remove(&self.store.data, key);
    }

    fn commit(self: Box<Self>) -> StorageResult<()> {
        let store = self.store;
        match self.tx.commit().map_err(io_error)? {
            Ok(()) => {}
            Err(fjall::Conflict) => return Err(StorageError::Conflict),
        }
        if store.durability == Durability::Sync {
            store
                .group
                .wait_durable(|| store.db.persist(PersistMode::SyncData).map_err(io_error))?;
        }
        Ok(())
    }
}
