//! In-memory backend for tests and `--in-memory`: one ordered map under a lock. Write
//! transactions are serialized by one writer lock, so they never conflict.
//!
//! The store is a [`ChunkedMap`]: its copies share every chunk of keys until a write
//! changes one, so a snapshot of the whole store (backups, exports, `cairn snapshot
//! save`) is cheap whatever its size, and restoring one is a swap.

use crate::chunked::ChunkedMap;
use crate::{KeyValue, SavedState, ScanRange, Snapshot, Storage, StorageError, StorageResult, Transaction};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard, RwLock};

type Map = ChunkedMap;

#[derive(Default)]
pub struct MemoryStorage {
    map: RwLock<Map>,
    writer: Mutex<()>,
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> StorageResult<std::sync::RwLockReadGuard<'_, Map>> {
        self.map
            .read()
            .map_err(|_| StorageError::Other("memory store lock poisoned".into()))
    }
}

fn scan_map(map: &Map, range: &ScanRange, limit: usize) -> Vec<KeyValue> {
    if range.start_after_end() {
        return Vec::new();
    }
    map.range(as_slice(&range.start), as_slice(&range.end), range.reverse, limit)
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl ScanRange {
    /// BTreeMap::range panics on an inverted range; an inverted range is simply empty.
    pub(crate) fn start_after_end(&self) -> bool {
        match (&self.start, &self.end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
            _ => false,
        }
    }
}

impl Storage for MemoryStorage {
    fn get(&self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        Ok(self.read()?.get(key).map(<[u8]>::to_vec))
    }

    fn scan(&self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        Ok(scan_map(&*self.read()?, range, limit))
    }

    /// A copy of the map's index of chunks, sharing every chunk until it changes.
    fn snapshot(&self) -> StorageResult<Box<dyn Snapshot>> {
        Ok(Box::new(MemorySnapshot(self.read()?.clone())))
    }

    /// A saved map is swapped in whole; other saved states (an empty one) are merged.
    fn restore(&self, saved: &SavedState) -> StorageResult<()> {
        let saved_map = saved.with(|snapshot| {
            let any: &dyn std::any::Any = snapshot.as_any();
            any.downcast_ref::<MemorySnapshot>().map(|s| s.0.clone())
        });
        let map = match saved_map {
            Some(map) => map,
            None => {
                let mut merged = Map::default();
                for (k, v) in saved.pairs()? {
                    merged.insert(k, v);
                }
                merged
            }
        };
        let _writer = self
            .writer
            .lock()
            .map_err(|_| StorageError::Other("memory writer lock poisoned".into()))?;
        *self
            .map
            .write()
            .map_err(|_| StorageError::Other("memory store lock poisoned".into()))? = map;
        Ok(())
    }

    fn begin(&self) -> StorageResult<Box<dyn Transaction + '_>> {
        let guard = self
            .writer
            .lock()
            .map_err(|_| StorageError::Other("memory writer lock poisoned".into()))?;
        Ok(Box::new(MemoryTransaction {
            store: self,
            _writer: guard,
            writes: BTreeMap::new(),
        }))
    }
}

struct MemorySnapshot(Map);

impl Snapshot for MemorySnapshot {
    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        Ok(scan_map(&self.0, range, limit))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

struct MemoryTransaction<'a> {
    store: &'a MemoryStorage,
    _writer: MutexGuard<'a, ()>,
    /// Pending writes: Some(value) to put, None to delete.
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Transaction for MemoryTransaction<'_> {
    fn get(&mut self, key: &[u8]) -> StorageResult<Option<Vec<u8>>> {
        match self.writes.get(key) {
            Some(pending) => Ok(pending.clone()),
            None => self.store.get(key),
        }
    }

    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>> {
        let store = self.store;
        crate::scan_with_pending(&self.writes, range, limit, |limit| {
            Ok(scan_map(&*store.read()?, range, limit))
        })
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.writes.insert(key.to_vec(), Some(value.to_vec()));
    }

    fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.to_vec(), None);
    }

    fn commit(self: Box<Self>) -> StorageResult<()> {
        let mut map = self
            .store
            .map
            .write()
            .map_err(|_| StorageError::Other("memory store lock poisoned".into()))?;
        for (k, v) in self.writes {
            match v {
                Some(v) => map.insert(k, v),
                None => map.remove(&k),
            }
        }
        Ok(())
    }
}
