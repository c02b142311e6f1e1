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
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

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
    /// Held for its drop, which stops and joins the idle flusher.
    _idle_flush: IdleFlush,
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
        Self::open_ticking(dir, durability, options, IDLE_TICK)
    }

    fn open_ticking(
        dir: &Path,
        durability: Durability,
        options: EmbeddedOptions,
        idle_tick: Duration,
    ) -> StorageResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Unavailable(e.to_string()))?;
        let db = OptimisticTxDatabase::builder(dir)
            .cache_size(options.cache_bytes)
            .max_journaling_size(MAX_JOURNALING_BYTES)
            .open()
            .map_err(io_error)?;
        let data = db.keyspace("data", keyspace_options).map_err(io_error)?;
        let idle_flush = IdleFlush::start(data.clone(), idle_tick);
        Ok(EmbeddedStorage {
            db,
            data,
            durability,
            group: GroupSync::default(),
            _idle_flush: idle_flush,
        })
    }
}

/// How often the idle flusher looks at the write buffer.
const IDLE_TICK: Duration = Duration::from_secs(1);

/// The smallest write buffer the idle flusher flushes. Replaying a smaller one on a
/// restart is quick, and flushing every small burst of writes would leave many tiny
/// table files for compaction to merge.
const IDLE_FLUSH_MIN_BYTES: u64 = 1024 * 1024;

/// Once writes have stopped for a tick: drops what compaction replaced and no reader
/// can see (see the thread), and flushes the write buffer (fjall's active memtable).
/// fjall flushes a memtable when it reaches 64 MiB (or when the journals pass their
/// bound), so a store that took a burst of writes and then went quiet kept up to 64
/// MiB that a restart after kill -9 replayed from the journal into a fresh memtable
/// (a third of one slow restart's profile: skiplist inserts; deleting replaced table
/// files was most of the rest). After the flush, a restart reads the journal's
/// flushed entries and skips them.
struct IdleFlush {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl IdleFlush {
    fn start(data: OptimisticTxKeyspace, tick: Duration) -> IdleFlush {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("cairn-idle-flush".into())
            .spawn(move || {
                use fjall::AbstractTree;
                let mut last = None;
                // Wakes each tick; a message or the sender's drop ends the loop.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                    let memtable = data.inner().tree.active_memtable();
                    let now = (memtable.id(), memtable.size());
                    if last != Some(now) {
                        // Writes went on during the tick: nothing to do.
                        last = Some(now);
                        continue;
                    }
                    // No write for a tick. Versions no reader can see go, and the
                    // table files compaction replaced with them (fjall does this only
                    // on a memtable rotation: after a bulk load and no more writes,
                    // 10 GB of replaced files beside 3 GB of live ones at 100 M items,
                    // deleted at the next start, which then took 3.5 s). Only when
                    // writes pause: under writes, fjall's own rotations do it, and
                    // with it every second one A/B pair showed durable PutItem's p99
                    // at 27-32 ms against 5 ms (the next pair showed the old binary
                    // itself at 51-61 ms: that p99 is erratic here, so this is the
                    // cautious choice, not a measured cure). An error is retried
                    // next time.
                    if let Err(e) = data.inner().collect_garbage() {
                        eprintln!("cairn: dropping replaced table files failed: {e}");
                    }
                    if now.1 >= IDLE_FLUSH_MIN_BYTES {
                        if let Err(e) = data.inner().rotate_memtable() {
                            eprintln!("cairn: flushing the idle write buffer failed: {e}");
                        }
                        last = None;
                    }
                }
            })
            .ok();
        IdleFlush {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for IdleFlush {
    fn drop(&mut self) {
        // Closing the channel wakes the thread at once; joining it means the store's
        // files are released when the storage is dropped.
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use fjall::AbstractTree;

    const TICK: Duration = Duration::from_millis(50);

    fn write(store: &EmbeddedStorage, items: usize, value_len: usize) {
        let value = vec![7u8; value_len];
        for i in 0..items {
            let mut tx = store.begin().unwrap();
            tx.put(format!("key{i:08}").as_bytes(), &value);
            tx.commit().unwrap();
        }
    }

    fn buffered_bytes(store: &EmbeddedStorage) -> u64 {
        store.data.inner().tree.active_memtable().size()
    }

    #[test]
    fn a_write_buffer_left_quiet_is_flushed_to_a_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open_ticking(dir.path(), Durability::Journal, Default::default(), TICK).unwrap();
        write(&store, 2_000, 1_000);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        // (A stall of a tick while writing may flush part of it early; what is left
        // under the minimum then stays buffered.)
        while store.data.inner().table_count() == 0 || buffered_bytes(&store) >= IDLE_FLUSH_MIN_BYTES {
            assert!(
                std::time::Instant::now() < deadline,
                "the quiet write buffer was never flushed"
            );
            std::thread::sleep(TICK);
        }
        assert_eq!(store.get(b"key00001999").unwrap(), Some(vec![7u8; 1_000]));
    }

    #[test]
    fn a_write_buffer_under_the_minimum_stays_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open_ticking(dir.path(), Durability::Journal, Default::default(), TICK).unwrap();
        write(&store, 10, 1_000);
        let before = buffered_bytes(&store);
        assert!(before > 0 && before < IDLE_FLUSH_MIN_BYTES);
        std::thread::sleep(TICK * 8);
        assert_eq!(buffered_bytes(&store), before);
        assert_eq!(store.data.inner().table_count(), 0);
    }

    fn table_files(store: &EmbeddedStorage) -> usize {
        std::fs::read_dir(store.data.inner().path().join("tables"))
            .unwrap()
            .count()
    }

    #[test]
    fn table_files_replaced_by_compaction_are_deleted_without_further_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open_ticking(dir.path(), Durability::Journal, Default::default(), TICK).unwrap();
        let keyspace = store.data.inner();
        for round in 0..3 {
            write(&store, 500, 100 + round);
            keyspace.rotate_memtable_and_wait().unwrap();
        }
        keyspace.major_compact().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while table_files(&store) != keyspace.table_count() {
            assert!(
                std::time::Instant::now() < deadline,
                "replaced table files stayed on disk: {} files, {} tables",
                table_files(&store),
                keyspace.table_count()
            );
            std::thread::sleep(TICK);
        }
        assert_eq!(keyspace.table_count(), 1);
        assert_eq!(store.get(b"key00000499").unwrap(), Some(vec![7u8; 102]));
    }

    #[test]
    fn dropping_the_store_stops_the_flusher_and_releases_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap();
        write(&store, 10, 100);
        drop(store);
        let again = EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap();
        assert_eq!(again.get(b"key00000009").unwrap(), Some(vec![7u8; 100]));
    }
}
