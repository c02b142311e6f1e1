// Copyright (c) 2024-present, fjall-rs
// This source code is licensed under both the Apache 2.0 and MIT License
// (found in the LICENSE-* files in the repository)

use crate::key::InternalKey;
use crate::{
    value::{InternalValue, SeqNo, UserKey, UserValue},
    ValueType,
};
use crossbeam_skiplist::SkipMap;
use std::ops::{Bound, RangeBounds};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

/// Cairn patch: the skiplist's key is a user key plus its first 16 bytes as two
/// big-endian words (zero padded). A key compares by those words first, which orders
/// exactly as the bytes do, and only reads the key's bytes (on the heap for keys over
/// 20 bytes: a cache miss each) when the words are equal. Keys sharing a long prefix
/// (Cairn's: a tag and an 8-byte table id) otherwise made every comparison of a
/// skiplist search a `memcmp` of two heap buffers.
#[derive(Clone)]
#[doc(hidden)]
pub struct MemtableKey {
    head: [u64; 2],
    pub user_key: UserKey,
}

impl MemtableKey {
    fn new(user_key: UserKey) -> Self {
        let bytes: &[u8] = &user_key;
        let mut head = [0u8; 16];
        let n = bytes.len().min(16);
        head[..n].copy_from_slice(&bytes[..n]);
        let (high, low) = head.split_at(8);
        Self {
            head: [
                u64::from_be_bytes(high.try_into().unwrap_or_default()),
                u64::from_be_bytes(low.try_into().unwrap_or_default()),
            ],
            user_key,
        }
    }
}

impl PartialEq for MemtableKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for MemtableKey {}

impl PartialOrd for MemtableKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MemtableKey {
    /// The user keys' byte order.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.head.cmp(&other.head).then_with(|| {
            let (a, b): (&[u8], &[u8]) = (&self.user_key, &other.user_key);
            // Equal heads: the first 16 bytes are equal where both keys have them.
            if a.len() >= 16 && b.len() >= 16 {
                a[16..].cmp(&b[16..])
            } else {
                a.cmp(b)
            }
        })
    }
}

/// The skiplist bound, by user key, that holds every entry of `bound`: an entry of
/// the bound's user key may fall on either side of it, depending on its seqno.
fn user_key_bound(bound: Bound<&InternalKey>) -> Bound<MemtableKey> {
    match bound {
        Bound::Included(key) | Bound::Excluded(key) => {
            Bound::Included(MemtableKey::new(key.user_key.clone()))
        }
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Cairn patch: one skiplist entry per user key, holding its versions newest first.
/// Upstream kept one skiplist entry per version: a key updated many times filled the
/// skiplist with its versions, and every search walked a skiplist several times the
/// size of the keys (each node a likely cache miss: the memtable's point reads and
/// inserts were ~15% of a durable 50/50 GetItem/UpdateItem load on 10,000 items,
/// docs/bench/2026-12-07-memtable-versions.txt). A chain is immutable once published;
/// an insert builds a new head (copying the newer part when a version arrives out of
/// order) under the entry's lock, so a reader that took the head reads a consistent
/// chain without it.
#[doc(hidden)]
pub struct Versions(Mutex<Option<Arc<Version>>>);

struct Version {
    seqno: SeqNo,
    value_type: ValueType,
    value: UserValue,
    older: Option<Arc<Version>>,
}

impl Drop for Version {
    /// Iteratively: a chain of a million versions would overflow the stack dropped
    /// recursively.
    fn drop(&mut self) {
        let mut next = self.older.take();
        while let Some(version) = next {
            match Arc::try_unwrap(version) {
                Ok(mut version) => next = version.older.take(),
                Err(_) => break,
            }
        }
    }
}

impl Versions {
    fn head(&self) -> Option<Arc<Version>> {
        #[expect(clippy::expect_used, reason = "lock is expected to not be poisoned")]
        self.0.lock().expect("lock is poisoned").clone()
    }

    /// Adds a version; false if one of the same seqno was there (and is replaced,
    /// as the skiplist replaced an equal key).
    fn add(&self, seqno: SeqNo, value_type: ValueType, value: UserValue) -> bool {
        #[expect(clippy::expect_used, reason = "lock is expected to not be poisoned")]
        let mut head = self.0.lock().expect("lock is poisoned");
        // The versions newer than the new one, newest first, then the rest.
        let mut newer = Vec::new();
        let mut rest = head.clone();
        while let Some(version) = rest.clone().filter(|v| v.seqno > seqno) {
            rest = version.older.clone();
            newer.push(version);
        }
        let replaced = rest.as_ref().is_some_and(|v| v.seqno == seqno);
        if replaced {
            rest = rest.and_then(|v| v.older.clone());
        }
        let mut chain = Arc::new(Version {
            seqno,
            value_type,
            value,
            older: rest,
        });
        for version in newer.into_iter().rev() {
            chain = Arc::new(Version {
                seqno: version.seqno,
                value_type: version.value_type,
                value: version.value.clone(),
                older: Some(chain),
            });
        }
        *head = Some(chain);
        !replaced
    }
}

/// The entries of one user key, newest first, as the skiplist used to list them: read
/// lazily down the chain (a reader that stops at the newest version copies nothing
/// else); listed backwards, the rest of the chain is collected first.
struct KeyEntries {
    user_key: UserKey,
    next: Option<Arc<Version>>,
    collected: Option<VecDeque<Arc<Version>>>,
}

impl KeyEntries {
    fn new(user_key: &UserKey, versions: &Versions) -> Self {
        KeyEntries {
            user_key: user_key.clone(),
            next: versions.head(),
            collected: None,
        }
    }

    /// Only the versions inside `range` (for the user keys of a range's bounds).
    fn within<R: RangeBounds<InternalKey>>(user_key: &UserKey, versions: &Versions, range: &R) -> Self {
        let mut entries = Self::new(user_key, versions);
        let kept = entries
            .rest()
            .into_iter()
            .filter(|v| range.contains(&InternalKey::new(user_key.clone(), v.seqno, v.value_type)))
            .collect();
        entries.collected = Some(kept);
        entries
    }

    fn rest(&mut self) -> VecDeque<Arc<Version>> {
        let mut all = VecDeque::new();
        let mut next = self.next.take();
        while let Some(version) = next {
            next = version.older.clone();
            all.push_back(version);
        }
        all
    }

    fn entry(&self, version: &Version) -> InternalValue {
        InternalValue {
            key: InternalKey::new(self.user_key.clone(), version.seqno, version.value_type),
            value: version.value.clone(),
        }
    }
}

impl Iterator for KeyEntries {
    type Item = InternalValue;

    fn next(&mut self) -> Option<InternalValue> {
        if let Some(collected) = &mut self.collected {
            let version = collected.pop_front()?;
            return Some(self.entry(&version));
        }
        let version = self.next.take()?;
        self.next = version.older.clone();
        Some(self.entry(&version))
    }
}

impl DoubleEndedIterator for KeyEntries {
    fn next_back(&mut self) -> Option<InternalValue> {
        if self.collected.is_none() {
            self.collected = Some(self.rest());
        }
        let version = self.collected.as_mut()?.pop_back()?;
        Some(self.entry(&version))
    }
}

/// Cairn patch: a filter of the user keys a memtable holds, so that a point read of a
/// key it does not hold usually costs one cache line instead of a skiplist search
/// (tens of nodes, each a likely cache miss: 15% of a durable PutItem's CPU, whose
/// write of a new item first reads its old image). A blocked Bloom filter: a key's
/// hash picks one 64-byte block and four bits in it. 256 KiB, allocated at the first
/// insert: ~10 bits per key when a 64 MiB memtable holds ~300-byte entries; more keys
/// only let more absent keys through to the search. Bits are set before the entry
/// is inserted, and a reader only sees an entry after the sequence number that
/// publishes it, so the filter never hides an entry a reader may see.
struct KeyFilter {
    blocks: Box<[FilterBlock]>,
}

#[repr(align(64))]
#[derive(Default)]
struct FilterBlock([AtomicU64; 8]);

const FILTER_BLOCKS: usize = 4096;

impl KeyFilter {
    fn new() -> Self {
        Self {
            blocks: (0..FILTER_BLOCKS).map(|_| FilterBlock::default()).collect(),
        }
    }

    /// The block (the hash's top 12 bits) and four bit positions in it (9 bits each
    /// from the bottom 36).
    fn positions(hash: u64) -> (usize, [u32; 4]) {
        let block = (hash >> 52) as usize % FILTER_BLOCKS;
        let bit = |i: u32| ((hash >> (9 * i)) & 511) as u32;
        (block, [bit(0), bit(1), bit(2), bit(3)])
    }

    fn insert(&self, hash: u64) {
        let (block, bits) = Self::positions(hash);
        let words = &self.blocks[block].0;
        for bit in bits {
            words[(bit / 64) as usize].fetch_or(1 << (bit % 64), Ordering::Release);
        }
    }

    fn may_contain(&self, hash: u64) -> bool {
        let (block, bits) = Self::positions(hash);
        let words = &self.blocks[block].0;
        bits.iter()
            .all(|bit| words[(bit / 64) as usize].load(Ordering::Acquire) & (1 << (bit % 64)) != 0)
    }
}

pub use crate::tree::inner::MemtableId;

/// The memtable serves as an intermediary, ephemeral, sorted storage for new items
///
/// When the Memtable exceeds some size, it should be flushed to a table.
pub struct Memtable {
    #[doc(hidden)]
    pub id: MemtableId,

    /// The actual content, stored in a lock-free skiplist (Cairn patch: one entry per
    /// user key, see `Versions`).
    #[doc(hidden)]
    pub items: SkipMap<MemtableKey, Versions>,

    /// Cairn patch: the number of versions held.
    entries: AtomicU64,

    /// Approximate active memtable size.
    ///
    /// If this grows too large, a flush is triggered.
    pub(crate) approximate_size: AtomicU64,

    /// Highest encountered sequence number.
    ///
    /// This is used so that `get_highest_seqno` has O(1) complexity.
    pub(crate) highest_seqno: AtomicU64,

    pub(crate) requested_rotation: AtomicBool,

    /// Cairn patch: the user keys inserted (see `KeyFilter`).
    filter: OnceLock<KeyFilter>,
}

/// Cairn patch: a memtable holding more than this is freed in the background.
const FREE_IN_BACKGROUND_BYTES: u64 = 1_024 * 1_024;

impl Drop for Memtable {
    /// Cairn patch: a large memtable is freed on the background thread
    /// (`crate::file::in_background`, memory lane): freeing the nodes of a full one took ~130 ms,
    /// spent by whoever dropped the last reference, usually under the tree's version
    /// history lock that every writer needs.
    fn drop(&mut self) {
        if *self.approximate_size.get_mut() > FREE_IN_BACKGROUND_BYTES {
            let items = std::mem::take(&mut self.items);
            crate::file::in_background(crate::file::Lane::Memory, Box::new(move || drop(items)));
        }
    }
}

impl Memtable {
    /// Returns the memtable ID.
    pub fn id(&self) -> MemtableId {
        self.id
    }

    /// Returns `true` if the memtable was already flagged for rotation.
    pub fn is_flagged_for_rotation(&self) -> bool {
        self.requested_rotation
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Flags the memtable as requested for rotation.
    pub fn flag_rotated(&self) {
        self.requested_rotation
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    #[doc(hidden)]
    #[must_use]
    pub fn new(id: MemtableId) -> Self {
        Self {
            id,
            items: SkipMap::default(),
            entries: AtomicU64::default(),
            approximate_size: AtomicU64::default(),
            highest_seqno: AtomicU64::default(),
            requested_rotation: AtomicBool::default(),
            filter: OnceLock::new(),
        }
    }

    /// Creates an iterator over all items.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = InternalValue> + '_ {
        self.items
            .iter()
            .flat_map(|entry| KeyEntries::new(&entry.key().user_key, entry.value()))
    }

    /// Creates an iterator over a range of items.
    pub(crate) fn range<'a, R: RangeBounds<InternalKey> + 'a>(
        &'a self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = InternalValue> + 'a {
        let keys = (
            user_key_bound(range.start_bound()),
            user_key_bound(range.end_bound()),
        );
        let edge = |bound: &Bound<MemtableKey>| match bound {
            Bound::Included(key) => Some(key.clone()),
            _ => None,
        };
        let edges = [edge(&keys.0), edge(&keys.1)];
        self.items.range(keys).flat_map(move |entry| {
            // Only versions of the bounds' own user keys can fall outside the range.
            if edges.iter().flatten().any(|edge| edge == entry.key()) {
                KeyEntries::within(&entry.key().user_key, entry.value(), &range)
            } else {
                KeyEntries::new(&entry.key().user_key, entry.value())
            }
        })
    }

    /// Returns the item by key if it exists.
    ///
    /// The item with the highest seqno will be returned, if `seqno` is None.
    #[doc(hidden)]
    pub fn get(&self, key: &[u8], seqno: SeqNo) -> Option<InternalValue> {
        if seqno == 0 {
            return None;
        }

        // Cairn patch: a key the filter has never seen is not here.
        if let Some(filter) = self.filter.get() {
            if !filter.may_contain(crate::hash::hash64(key)) {
                return None;
            }
        }

        // The newest version below `seqno` (versions are stored newest first).
        let entry = self.items.get(&MemtableKey::new(UserKey::from(key)))?;
        let head = entry.value().head();
        let mut next = head.as_deref();
        while let Some(version) = next {
            if version.seqno < seqno {
                return Some(InternalValue {
                    key: InternalKey::new(entry.key().user_key.clone(), version.seqno, version.value_type),
                    value: version.value.clone(),
                });
            }
            next = version.older.as_deref();
        }
        None
    }

    /// Gets approximate size of memtable in bytes.
    pub fn size(&self) -> u64 {
        self.approximate_size
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Counts the number of items in the memtable.
    pub fn len(&self) -> usize {
        self.entries.load(Ordering::Acquire) as usize
    }

    /// Returns `true` if the memtable is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Inserts an item into the memtable
    #[doc(hidden)]
    pub fn insert(&self, item: InternalValue) -> (u64, u64) {
        #[expect(
            clippy::expect_used,
            reason = "keys are limited to 16-bit length + values are limited to 32-bit length"
        )]
        let item_size =
            (item.key.user_key.len() + item.value.len() + std::mem::size_of::<InternalValue>())
                .try_into()
                .expect("should fit into u64");

        let size_before = self
            .approximate_size
            .fetch_add(item_size, std::sync::atomic::Ordering::AcqRel);

        self.filter
            .get_or_init(KeyFilter::new)
            .insert(crate::hash::hash64(&item.key.user_key));
        let entry = self
            .items
            .get_or_insert_with(MemtableKey::new(item.key.user_key), || {
                Versions(Mutex::new(None))
            });
        if entry.value().add(item.key.seqno, item.key.value_type, item.value) {
            self.entries.fetch_add(1, Ordering::AcqRel);
        }

        self.highest_seqno
            .fetch_max(item.key.seqno, std::sync::atomic::Ordering::AcqRel);

        (item_size, size_before + item_size)
    }

    /// Returns the highest sequence number in the memtable.
    pub fn get_highest_seqno(&self) -> Option<SeqNo> {
        if self.is_empty() {
            None
        } else {
            Some(
                self.highest_seqno
                    .load(std::sync::atomic::Ordering::Acquire),
            )
        }
    }
}

#[cfg(test)]
mod cairn_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValueType;
    use test_log::test;

    #[test]
    #[expect(clippy::unwrap_used)]
    fn memtable_mvcc_point_read() {
        let memtable = Memtable::new(0);

        memtable.insert(InternalValue::from_components(
            *b"hello-key-999991",
            *b"hello-value-999991",
            0,
            ValueType::Value,
        ));

        let item = memtable.get(b"hello-key-99999", SeqNo::MAX);
        assert_eq!(None, item);

        let item = memtable.get(b"hello-key-999991", SeqNo::MAX);
        assert_eq!(*b"hello-value-999991", &*item.unwrap().value);

        memtable.insert(InternalValue::from_components(
            *b"hello-key-999991",
            *b"hello-value-999991-2",
            1,
            ValueType::Value,
        ));

        let item = memtable.get(b"hello-key-99999", SeqNo::MAX);
        assert_eq!(None, item);

        let item = memtable.get(b"hello-key-999991", SeqNo::MAX);
        assert_eq!((*b"hello-value-999991-2"), &*item.unwrap().value);

        let item = memtable.get(b"hello-key-99999", 1);
        assert_eq!(None, item);

        let item = memtable.get(b"hello-key-999991", 1);
        assert_eq!((*b"hello-value-999991"), &*item.unwrap().value);

        let item = memtable.get(b"hello-key-99999", 2);
        assert_eq!(None, item);

        let item = memtable.get(b"hello-key-999991", 2);
        assert_eq!((*b"hello-value-999991-2"), &*item.unwrap().value);
    }

    #[test]
    fn memtable_get() {
        let memtable = Memtable::new(0);

        let value =
            InternalValue::from_components(b"abc".to_vec(), b"abc".to_vec(), 0, ValueType::Value);

        memtable.insert(value.clone());

        assert_eq!(Some(value), memtable.get(b"abc", SeqNo::MAX));
    }

    #[test]
    fn memtable_get_highest_seqno() {
        let memtable = Memtable::new(0);

        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            0,
            ValueType::Value,
        ));
        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            1,
            ValueType::Value,
        ));
        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            2,
            ValueType::Value,
        ));
        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            3,
            ValueType::Value,
        ));
        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            4,
            ValueType::Value,
        ));

        assert_eq!(
            Some(InternalValue::from_components(
                b"abc".to_vec(),
                b"abc".to_vec(),
                4,
                ValueType::Value,
            )),
            memtable.get(b"abc", SeqNo::MAX)
        );
    }

    #[test]
    fn memtable_get_prefix() {
        let memtable = Memtable::new(0);

        memtable.insert(InternalValue::from_components(
            b"abc0".to_vec(),
            b"abc".to_vec(),
            0,
            ValueType::Value,
        ));
        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            255,
            ValueType::Value,
        ));

        assert_eq!(
            Some(InternalValue::from_components(
                b"abc".to_vec(),
                b"abc".to_vec(),
                255,
                ValueType::Value,
            )),
            memtable.get(b"abc", SeqNo::MAX)
        );

        assert_eq!(
            Some(InternalValue::from_components(
                b"abc0".to_vec(),
                b"abc".to_vec(),
                0,
                ValueType::Value,
            )),
            memtable.get(b"abc0", SeqNo::MAX)
        );
    }

    #[test]
    fn memtable_get_old_version() {
        let memtable = Memtable::new(0);

        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            0,
            ValueType::Value,
        ));
        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            99,
            ValueType::Value,
        ));
        memtable.insert(InternalValue::from_components(
            b"abc".to_vec(),
            b"abc".to_vec(),
            255,
            ValueType::Value,
        ));

        assert_eq!(
            Some(InternalValue::from_components(
                b"abc".to_vec(),
                b"abc".to_vec(),
                255,
                ValueType::Value,
            )),
            memtable.get(b"abc", SeqNo::MAX)
        );

        assert_eq!(
            Some(InternalValue::from_components(
                b"abc".to_vec(),
                b"abc".to_vec(),
                99,
                ValueType::Value,
            )),
            memtable.get(b"abc", 100)
        );

        assert_eq!(
            Some(InternalValue::from_components(
                b"abc".to_vec(),
                b"abc".to_vec(),
                0,
                ValueType::Value,
            )),
            memtable.get(b"abc", 50)
        );
    }
}
