//! `cairn-storage` is an ordered, transactional key-value store behind one trait, with
//! its backends (`memory`, and `embedded` on fjall) and the contract test kit every
//! backend must pass.
//!
//! It knows nothing of DynamoDB: keys and values are bytes, ordered by unsigned bytes.

mod chunk;
mod chunked;
mod embedded;
mod error;
mod group_sync;
mod memory;
mod packed;
pub mod testkit;

pub use embedded::{Durability, EmbeddedOptions, EmbeddedStorage, DEFAULT_CACHE_BYTES};
pub use error::{StorageError, StorageResult};
pub use memory::MemoryStorage;

use std::ops::Bound;

/// A key-value pair read from storage.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// A range of keys to scan, in forward or reverse key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRange {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
    pub reverse: bool,
}

impl ScanRange {
    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        ScanRange {
            start: Bound::Included(prefix.to_vec()),
            end: prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded),
            reverse: false,
        }
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        let after_start = match &self.start {
            Bound::Included(s) => key >= s.as_slice(),
            Bound::Excluded(s) => key > s.as_slice(),
            Bound::Unbounded => true,
        };
        let before_end = match &self.end {
            Bound::Included(e) => key <= e.as_slice(),
            Bound::Excluded(e) => key < e.as_slice(),
            Bound::Unbounded => true,
        };
        after_start && before_end
    }
}

/// The smallest key greater than every key starting with `prefix`, if there is one.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// A transaction's scan when its writes are held back until commit (`writes`: Some
/// to put, None to delete) over a committed state that nobody else changes meanwhile:
/// `committed(n)` reads up to n committed pairs of `range`; enough of them are read to
/// fill `limit` even if pending deletes remove some.
pub(crate) fn scan_with_pending(
    writes: &std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    range: &ScanRange,
    limit: usize,
    committed: impl FnOnce(usize) -> StorageResult<Vec<KeyValue>>,
) -> StorageResult<Vec<KeyValue>> {
    if range.start_after_end() {
        return Ok(Vec::new());
    }
    // Only the pending writes inside the range (a restore's transaction holds a
    // whole store's difference and scans it a chunk at a time).
    let bounds = (
        range.start.as_ref().map(Vec::as_slice),
        range.end.as_ref().map(Vec::as_slice),
    );
    let pending = || writes.range::<[u8], _>(bounds);
    let mut merged: std::collections::BTreeMap<Vec<u8>, Vec<u8>> = committed(limit.saturating_add(pending().count()))?
        .into_iter()
        .collect();
    for (k, v) in pending() {
        match v {
            Some(v) => merged.insert(k.clone(), v.clone()),
            None => merged.remove(k),
        };
    }
    Ok(if range.reverse {
        merged.into_iter().rev().take(limit).collect()
    } else {
        merged.into_iter().take(limit).collect()
    })
}

/// An ordered key-value store with serializable transactions.
pub trait Storage: Send + Sync + 'static {
    /// Reads the latest committed value of a key.
    fn get(&self, key: &[u8]) -> StorageResult<Option<Vec<u8>>>;

    /// Reads up to `limit` pairs of a range from one consistent snapshot.
    fn scan(&self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>>;

    /// Starts a read-write transaction. Its reads see its own writes; `commit` fails
    /// with [`StorageError::Conflict`] if anything it read changed meanwhile. The
    /// memory and embedded backends run one write transaction at a time (they wait
    /// here for the one in progress and never conflict), so a thread that holds a
    /// transaction must not begin another.
    fn begin(&self) -> StorageResult<Box<dyn Transaction + '_>>;

    /// A read-only view of the whole store as it is now, which later writes do not
    /// change and which never makes a writer wait (backups copy a table from one).
    fn snapshot(&self) -> StorageResult<Box<dyn Snapshot>>;

    /// Whether other processes may change this store while this one runs (several
    /// Cairn servers over one database). The engine then keeps no authoritative state
    /// in memory: it re-checks cached metadata inside its transactions, numbers
    /// stream records from counters in the store, and runs background work under
    /// leases.
    fn shared(&self) -> bool {
        false
    }

    /// Keeps the whole store as it is now, for `restore` (test snapshots: `cairn
    /// snapshot save`). The in-memory backend shares the tree; the embedded one holds
    /// an MVCC snapshot.
    fn save(&self) -> StorageResult<SavedState> {
        Ok(SavedState::new(self.snapshot()?))
    }

    /// Makes the store exactly what `saved` holds, in one transaction: every key
    /// that differs is written or deleted. The current state is read inside the
    /// transaction, so a write committed meanwhile makes it conflict rather than
    /// survive; both states are walked a chunk at a time. Callers stop other writers
    /// first.
    fn restore(&self, saved: &SavedState) -> StorageResult<()> {
        let mut tx = self.begin()?;
        saved.with(|snapshot| merge_into(tx.as_mut(), snapshot))?;
        tx.commit()
    }
}

const CHUNK: usize = 4096;

fn after(last: Option<&Vec<u8>>) -> ScanRange {
    ScanRange {
        start: last.map_or(Bound::Unbounded, |k| Bound::Excluded(k.clone())),
        end: Bound::Unbounded,
        reverse: false,
    }
}

/// Writes into `tx` what turns the store it reads into `saved`'s pairs. Every write
/// is at or before the current position, so reading on past it never sees them.
fn merge_into(tx: &mut dyn Transaction, saved: &mut dyn Snapshot) -> StorageResult<()> {
    let mut wanted: std::collections::VecDeque<KeyValue> = saved.scan(&after(None), CHUNK)?.into();
    let mut wanted_done = wanted.len() < CHUNK;
    let mut wanted_last = wanted.back().map(|(k, _)| k.clone());
    // The next saved pair, fetching another chunk when one runs out.
    let mut next_wanted = |wanted: &mut std::collections::VecDeque<KeyValue>| -> StorageResult<Option<KeyValue>> {
        if wanted.is_empty() && !wanted_done {
            let chunk = saved.scan(&after(wanted_last.as_ref()), CHUNK)?;
            wanted_done = chunk.len() < CHUNK;
            wanted_last = chunk.last().map(|(k, _)| k.clone());
            wanted.extend(chunk);
        }
        Ok(wanted.pop_front())
    };
    let mut pending = next_wanted(&mut wanted)?;
    let mut current_last: Option<Vec<u8>> = None;
    loop {
        let current = tx.scan(&after(current_last.as_ref()), CHUNK)?;
        let done = current.len() < CHUNK;
        for (key, value) in &current {
            // Saved pairs before this key are missing now: put them back.
            while let Some((k, v)) = pending.take() {
                if k < *key {
                    tx.put(&k, &v);
                    pending = next_wanted(&mut wanted)?;
                } else {
                    pending = Some((k, v));
                    break;
                }
            }
            match pending.take() {
                Some((k, v)) if k == *key => {
                    if v != *value {
                        tx.put(key, &v);
                    }
                    pending = next_wanted(&mut wanted)?;
                }
                other => {
                    tx.delete(key);
                    pending = other;
                }
            }
        }
        current_last = current.last().map(|(k, _)| k.clone()).or(current_last);
        if done {
            break;
        }
    }
    while let Some((k, v)) = pending {
        tx.put(&k, &v);
        pending = next_wanted(&mut wanted)?;
    }
    Ok(())
}

/// Every pair of a snapshot, in key order.
fn drain(snapshot: &mut dyn Snapshot) -> StorageResult<Vec<KeyValue>> {
    let mut out: Vec<KeyValue> = Vec::new();
    loop {
        let start = match out.last() {
            Some((k, _)) => Bound::Excluded(k.clone()),
            None => Bound::Unbounded,
        };
        let range = ScanRange {
            start,
            end: Bound::Unbounded,
            reverse: false,
        };
        let chunk = snapshot.scan(&range, CHUNK)?;
        let done = chunk.len() < CHUNK;
        out.extend(chunk);
        if done {
            return Ok(out);
        }
    }
}

/// The whole store at one instant, kept for `Storage::restore` (see `Storage::save`).
pub struct SavedState(std::sync::Mutex<Box<dyn Snapshot>>);

impl SavedState {
    pub fn new(snapshot: Box<dyn Snapshot>) -> Self {
        SavedState(std::sync::Mutex::new(snapshot))
    }

    /// A store with nothing in it (`cairn snapshot reset`).
    pub fn empty() -> Self {
        Self::new(Box::new(EmptySnapshot))
    }

    /// Every pair saved, in key order.
    pub fn pairs(&self) -> StorageResult<Vec<KeyValue>> {
        self.with(drain)
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut dyn Snapshot) -> T) -> T {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(guard.as_mut())
    }
}

struct EmptySnapshot;

impl Snapshot for EmptySnapshot {
    fn scan(&mut self, _range: &ScanRange, _limit: usize) -> StorageResult<Vec<KeyValue>> {
        Ok(Vec::new())
    }
}

/// A consistent read-only view of the store at one instant (see `Storage::snapshot`).
pub trait Snapshot: Send + std::any::Any {
    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>>;

    /// The view as `Any`, so a backend can recognise its own snapshots.
    fn as_any(&self) -> &dyn std::any::Any {
        &()
    }
}

/// A read-write transaction. Dropping it without `commit` rolls it back.
pub trait Transaction {
    fn get(&mut self, key: &[u8]) -> StorageResult<Option<Vec<u8>>>;
    /// Reads several keys at once (one round trip on a networked backend); the
    /// answer is in `keys` order.
    fn get_many(&mut self, keys: &[&[u8]]) -> StorageResult<Vec<Option<Vec<u8>>>> {
        keys.iter().map(|k| self.get(k)).collect()
    }
    fn scan(&mut self, range: &ScanRange, limit: usize) -> StorageResult<Vec<KeyValue>>;
    fn put(&mut self, key: &[u8], value: &[u8]);
    fn delete(&mut self, key: &[u8]);
    /// Makes every write visible atomically and durable per the backend's mode.
    fn commit(self: Box<Self>) -> StorageResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn committed_pairs(keys: &[&str]) -> Vec<KeyValue> {
        keys.iter().map(|k| (k.as_bytes().to_vec(), b"old".to_vec())).collect()
    }

    /// A committed state's scan, as a backend answers it.
    fn scan_of(pairs: &[KeyValue], range: &ScanRange, limit: usize) -> Vec<KeyValue> {
        let inside = pairs.iter().filter(|(k, _)| range.contains(k)).cloned();
        if range.reverse {
            inside.rev().take(limit).collect()
        } else {
            inside.take(limit).collect()
        }
    }

    fn range(start: &str, end: &str, reverse: bool) -> ScanRange {
        ScanRange {
            start: Bound::Included(start.as_bytes().to_vec()),
            end: Bound::Excluded(end.as_bytes().to_vec()),
            reverse,
        }
    }

    fn keys(pairs: &[KeyValue]) -> Vec<String> {
        pairs
            .iter()
            .map(|(k, _)| String::from_utf8(k.clone()).unwrap())
            .collect()
    }

    #[test]
    fn pending_writes_merge_into_a_scan_only_inside_its_range_both_ways() {
        let committed = committed_pairs(&["b", "c", "d", "e", "f"]);
        let mut writes: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        writes.insert(b"a".to_vec(), Some(b"new".to_vec()));
        writes.insert(b"c".to_vec(), None);
        writes.insert(b"cc".to_vec(), Some(b"new".to_vec()));
        writes.insert(b"d".to_vec(), Some(b"new".to_vec()));
        writes.insert(b"z".to_vec(), Some(b"new".to_vec()));
        for (reverse, limit, expected) in [
            (false, 3, vec!["b", "cc", "d"]),
            (true, 3, vec!["e", "d", "cc"]),
            (false, 10, vec!["b", "cc", "d", "e"]),
        ] {
            let r = range("b", "f", reverse);
            let got = scan_with_pending(&writes, &r, limit, |n| Ok(scan_of(&committed, &r, n))).unwrap();
            assert_eq!(keys(&got), expected, "reverse {reverse}, limit {limit}");
            let d = got.iter().find(|(k, _)| k == b"d").unwrap();
            assert_eq!(d.1, b"new".to_vec());
        }
        // An inverted range is empty, whatever is pending.
        let inverted = range("f", "b", false);
        assert!(scan_with_pending(&writes, &inverted, 10, |_| Ok(Vec::new()))
            .unwrap()
            .is_empty());
    }
}
