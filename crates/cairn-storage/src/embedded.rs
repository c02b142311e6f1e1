//! The embedded durable backend: one fjall keyspace in a data directory. Write
//! transactions run one at a time (a writer lock held from begin to commit, as in the
//! memory backend): each reads the latest committed state, which nobody else changes
//! until it commits, and commits its writes as one atomic batch. They never conflict.
//!
//! (Until December 2026 they were fjall's optimistic transactions, which let writers
//! overlap and made the losers of a race retry. Their read tracking, begin and
//! conflict bookkeeping were ~13% of a durable PutItem's CPU, while the section a
//! writer holds the lock for, from reading the old item to the journal write, is a
//! few microseconds: docs/bench/2026-12-07-writer-lock.txt.)
//!
//! Durability: every commit is written to fjall's journal and flushed to the OS before
//! it returns, so it survives a killed process. With [`Durability::Sync`] each commit
//! also waits for an fsync, shared between concurrent commits (group commit).

use crate::group_sync::GroupSync;
use crate::{KeyValue, ScanRange, Snapshot, Storage, StorageError, StorageResult, Transaction};
use fjall::{OptimisticTxDatabase, OptimisticTxKeyspace, PersistMode, Readable};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::{mpsc, Mutex, MutexGuard};
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
    /// Held by the write transaction in progress, from begin to commit.
    writer: Mutex<()>,
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
            writer: Mutex::new(()),
            _idle_flush: idle_flush,
        })
    }
}

impl EmbeddedStorage {
    /// Under [`Durability::Sync`], waits until everything committed so far is on disk
    /// (one fsync shared by the commits waiting at once).
    fn wait_durable(&self) -> StorageResult<()> {
        if self.durability == Durability::Sync {
            self.group
                .wait_durable(|| self.db.persist(PersistMode::SyncData).map_err(io_error))?;
        }
        Ok(())
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
        // A writer that panicked left nothing behind: its writes were never committed.
        let writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(Box::new(EmbeddedTransaction {
            store: self,
            writer,
            writes: BTreeMap::new(),
        }))
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
    /// No other write transaction runs until this one is committed or dropped.
    writer: MutexGuard<'a, ()>,
    /// Pending writes: Some(value) to put, None to delete.
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Transaction for EmbeddedTransaction<'_> {
    fn get(&mut self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        match self.writes.get(key) {
            Some(pending) => Ok(pending.clone()),
            None => self.store.get(key),
        }
    }

    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        let store = self.store;
        crate::scan_with_pending(&self.writes, range, limit, |limit| store.scan(range, limit))
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.writes.insert(key.to_vec(), Some(value.to_vec()));
    }

    fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }

    fn commit(self: Box<Self>) -> StorageResult<()> {
        let EmbeddedTransaction { store, writer, writes } = *self;
        if writes.is_empty() {
            // Under --sync, a transaction that read state another commit made (a
            // condition check) still returns only once that state is on disk.
            drop(writer);
            return store.wait_durable();
        }
        // One journal entry, applied to the memtable under one sequence number: a
        // reader sees all of it or none, and recovery replays all of it or none.
        let mut batch = store.db.inner().batch().durability(Some(PersistMode::Buffer));
        let keyspace = store.data.inner();
        for (key, value) in writes {
            match value {
                Some(value) => batch.insert(keyspace, key, value),
                None => batch.remove(keyspace, key),
            }
        }
        batch.commit().map_err(io_error)?;
        // The next writer may go on while this one waits for the disk: its fsync
        // then covers both (group commit).
        drop(writer);
        store.wait_durable()
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
    fn a_write_transaction_waits_for_the_one_in_progress_and_sees_its_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap();
        let mut first = store.begin().unwrap();
        first.put(b"k", b"first");
        let (begun, waiting) = mpsc::channel();
        std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                let mut tx = store.begin().unwrap();
                begun.send(()).unwrap();
                let seen = tx.get(b"k").unwrap();
                tx.put(b"k", b"second");
                tx.commit().unwrap();
                seen
            });
            assert!(
                waiting.recv_timeout(Duration::from_millis(300)).is_err(),
                "a second write transaction began while the first was open"
            );
            first.commit().unwrap();
            waiting.recv_timeout(Duration::from_secs(20)).unwrap();
            assert_eq!(second.join().unwrap(), Some(b"first".to_vec()));
        });
        assert_eq!(store.get(b"k").unwrap(), Some(b"second".to_vec()));
    }

    #[test]
    fn a_dropped_write_transaction_writes_nothing_and_lets_the_next_begin() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap();
        let mut tx = store.begin().unwrap();
        tx.put(b"k", b"never");
        drop(tx);
        let mut tx = store.begin().unwrap();
        assert_eq!(tx.get(b"k").unwrap(), None);
        tx.put(b"k", b"kept");
        tx.commit().unwrap();
        assert_eq!(store.get(b"k").unwrap(), Some(b"kept".to_vec()));
    }

    #[test]
    fn readers_see_all_of_a_commit_or_none_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStorage::open(dir.path(), Durability::Journal).unwrap();
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for i in 0u32..3_000 {
                    let mut tx = store.begin().unwrap();
                    tx.put(b"a", &i.to_be_bytes());
                    tx.put(b"b", &i.to_be_bytes());
                    if i % 2 == 0 {
                        tx.delete(b"c");
                    } else {
                        tx.put(b"c", &i.to_be_bytes());
                    }
                    tx.commit().unwrap();
                }
                done.store(true, std::sync::atomic::Ordering::Release);
            });
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Acquire) || reads == 0 {
                let pairs = store.scan(&ScanRange::prefix(b""), 10).unwrap();
                let value = |key: &[u8]| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                let (a, b, c) = (value(b"a"), value(b"b"), value(b"c"));
                assert_eq!(a, b, "a scan saw half a commit");
                if let Some(a) = a {
                    let i = u32::from_be_bytes(a.as_slice().try_into().unwrap());
                    assert_eq!(c.is_some(), i % 2 == 1, "a scan saw half a commit");
                }
                reads += 1;
            }
        });
        assert_eq!(store.get(b"a").unwrap(), Some(2_999u32.to_be_bytes().to_vec()));
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
