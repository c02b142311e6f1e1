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

    /// Cairn patch: the skiplist's order is the user keys' byte order, for keys that
    /// share long prefixes, differ within or after the 16-byte head, or are shorter.
    #[test]
    fn memtable_key_orders_as_user_key() {
        let mut keys = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let shared = (next() % 24) as usize;
            let mut bytes = vec![b'i', 0, 0, 0, 0, 0, 0, 0, 7, 0, 0];
            bytes.truncate(shared.min(bytes.len()));
            while bytes.len() < len {
                bytes.push((next() % 3) as u8);
            }
            bytes.truncate(len);
            keys.push(InternalKey::new(bytes, next() % 4, ValueType::Value));
        }
        for pair in keys.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let (ma, mb) = (MemtableKey::new(a.user_key.clone()), MemtableKey::new(b.user_key.clone()));
            assert_eq!(a.user_key.cmp(&b.user_key), ma.cmp(&mb), "{a:?} against {b:?}");
            assert_eq!(std::cmp::Ordering::Equal, ma.cmp(&ma));
        }
        for a in keys.iter().take(300) {
            for b in keys.iter().take(300) {
                let (ma, mb) = (MemtableKey::new(a.user_key.clone()), MemtableKey::new(b.user_key.clone()));
                assert_eq!(a.user_key.cmp(&b.user_key), ma.cmp(&mb), "{a:?} against {b:?}");
            }
        }
    }

    /// Cairn patch: every key inserted (values and tombstones) is found through the
    /// filter, and most absent keys are turned away by it.
    #[test]
    fn memtable_filter_finds_every_key_and_turns_most_absent_keys_away() {
        let memtable = Memtable::new(0);
        assert_eq!(None, memtable.get(b"anything", SeqNo::MAX));
        let key = |i: u32| format!("i\0\0\0\0\0\0\0\x07key-{i:08}").into_bytes();
        for i in 0..100_000u32 {
            let value_type = if i % 10 == 0 { ValueType::Tombstone } else { ValueType::Value };
            memtable.insert(InternalValue::from_components(key(i), *b"v", u64::from(i) + 1, value_type));
        }
        for i in 0..100_000u32 {
            let found = memtable.get(&key(i), SeqNo::MAX).expect("an inserted key is found");
            assert_eq!(i % 10 == 0, found.key.value_type == ValueType::Tombstone);
        }
        let filter = memtable.filter.get().expect("the first insert allocates the filter");
        let mut let_through = 0;
        for i in 100_000..200_000u32 {
            assert_eq!(None, memtable.get(&key(i), SeqNo::MAX));
            let_through += usize::from(filter.may_contain(crate::hash::hash64(&key(i))));
        }
        // 100,000 keys in 4,096 blocks of 512 bits: ~21 bits per key, ~0.1% expected.
        assert!(let_through < 2_000, "{let_through} of 100,000 absent keys passed the filter");
    }

    /// Cairn patch: versions of one key kept in one entry, newest first, whatever the
    /// order they arrive in; an equal seqno replaces the version (as the skiplist
    /// replaced an equal key) without counting twice.
    #[test]
    fn memtable_versions_of_a_key_are_listed_newest_first_in_any_arrival_order() {
        let memtable = Memtable::new(0);
        for (seqno, value) in [(5, "five"), (9, "nine"), (3, "three"), (7, "seven"), (7, "SEVEN")] {
            memtable.insert(InternalValue::from_components(*b"k", value.as_bytes(), seqno, ValueType::Value));
        }
        memtable.insert(InternalValue::from_components(*b"j", *b"other", 4, ValueType::Tombstone));
        let listed: Vec<(Vec<u8>, u64, Vec<u8>)> = memtable
            .iter()
            .map(|v| (v.key.user_key.to_vec(), v.key.seqno, v.value.to_vec()))
            .collect();
        let expected: Vec<(Vec<u8>, u64, Vec<u8>)> = [
            ("j", 4, "other"),
            ("k", 9, "nine"),
            ("k", 7, "SEVEN"),
            ("k", 5, "five"),
            ("k", 3, "three"),
        ]
        .iter()
        .map(|(k, s, v)| (k.as_bytes().to_vec(), *s, v.as_bytes().to_vec()))
        .collect();
        assert_eq!(expected, listed);
        assert_eq!(5, memtable.len());
        let at = |seqno| memtable.get(b"k", seqno).map(|v| v.value.to_vec());
        assert_eq!(Some(b"nine".to_vec()), at(SeqNo::MAX));
        assert_eq!(Some(b"SEVEN".to_vec()), at(9));
        assert_eq!(Some(b"five".to_vec()), at(7));
        assert_eq!(Some(b"three".to_vec()), at(5));
        assert_eq!(None, at(3));
        let back: Vec<u64> = memtable.iter().rev().map(|v| v.key.seqno).collect();
        assert_eq!(vec![3, 5, 7, 9, 4], back);
    }

    /// Cairn patch: a key with hundreds of thousands of versions is freed without
    /// recursing once per version (which overflowed a thread's stack).
    #[test]
    fn memtable_with_a_long_version_chain_drops_without_overflowing_the_stack() {
        let versions = Versions(Mutex::new(None));
        for seqno in 0..300_000u64 {
            assert!(versions.add(seqno, ValueType::Value, UserValue::from(*b"v")));
        }
        assert_eq!(Some(299_999), versions.head().map(|v| v.seqno));
        // A small stack: the recursive drop of this chain needs megabytes.
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || drop(versions))
            .expect("spawn")
            .join()
            .expect("the chain is dropped");
    }

    /// Cairn patch: writers adding versions of shared keys while a reader reads them:
    /// a reader never sees a key's newest version go back, and every version is kept.
    #[test]
    fn memtable_concurrent_versions_are_all_kept_and_never_seen_going_back() {
        use std::sync::atomic::AtomicU64;
        let memtable = Arc::new(Memtable::new(0));
        let seqno = Arc::new(AtomicU64::new(1));
        let writers: Vec<_> = (0..3)
            .map(|_| {
                let (memtable, seqno) = (memtable.clone(), seqno.clone());
                std::thread::spawn(move || {
                    for i in 0..3_000u64 {
                        let key = format!("key-{}", i % 16);
                        let s = seqno.fetch_add(1, Ordering::SeqCst);
                        let value = s.to_be_bytes();
                        let item = InternalValue::from_components(key.as_bytes(), value, s, ValueType::Value);
                        memtable.insert(item);
                    }
                })
            })
            .collect();
        let mut seen = [0u64; 16];
        while !writers.iter().all(std::thread::JoinHandle::is_finished) {
            for (k, last) in seen.iter_mut().enumerate() {
                if let Some(found) = memtable.get(format!("key-{k}").as_bytes(), SeqNo::MAX) {
                    let now = found.key.seqno;
                    assert!(now >= *last, "key-{k} went from {last} back to {now}");
                    *last = found.key.seqno;
                }
            }
        }
        for writer in writers {
            writer.join().expect("writer");
        }
        assert_eq!(9_000, memtable.len());
        let listed: Vec<InternalValue> = memtable.iter().collect();
        assert_eq!(9_000, listed.len());
        assert!(listed.windows(2).all(|w| w[0].key < w[1].key), "listed in internal key order");
    }

    /// Cairn patch: ranges whose bounds fall inside keys with many versions, read with
    /// `next` and `next_back` interleaved, list what a sorted set of internal keys does.
    #[test]
    fn memtable_range_read_from_both_ends_matches_a_sorted_model() {
        use std::collections::BTreeSet;
        let memtable = Memtable::new(0);
        let mut model = BTreeSet::new();
        let mut state = 0x1234_5678_9abc_def1_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let key = |k: u64| format!("i\0\0\0\0\0\0\0\x07partition#key-{k}").into_bytes();
        for seqno in 1..=300u64 {
            let k = next() % 6;
            memtable.insert(InternalValue::from_components(key(k), *b"v", seqno, ValueType::Value));
            model.insert(InternalKey::new(key(k), seqno, ValueType::Value));
        }
        for _ in 0..500 {
            let mut bound = || {
                let k = InternalKey::new(key(next() % 7), next() % 310, ValueType::Value);
                match next() % 3 {
                    0 => Bound::Included(k),
                    1 => Bound::Excluded(k),
                    _ => Bound::Unbounded,
                }
            };
            let range = (bound(), bound());
            let valid = match (&range.0, &range.1) {
                (Bound::Included(a), Bound::Included(b)) => a <= b,
                (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) => a < b,
                _ => true,
            };
            if !valid {
                assert_eq!(0, memtable.range(range.clone()).count(), "{range:?}");
                continue;
            }
            let mut got = memtable.range(range.clone());
            let mut want = model.range(range.clone());
            loop {
                let (a, b) = if next() % 2 == 0 {
                    (got.next().map(|v| v.key), want.next().cloned())
                } else {
                    (got.next_back().map(|v| v.key), want.next_back().cloned())
                };
                assert_eq!(b, a, "{range:?}");
                if a.is_none() {
                    break;
                }
            }
        }
    }

    /// Cairn patch: hand-picked pairs around the 16-byte head (trailing zeros, the
    /// word boundary, bytes >= 0x80, equal heads with different tails or seqnos).
    #[test]
    fn memtable_key_orders_as_user_key_at_the_edges() {
        let long = |tail: &[u8]| {
            let mut key = b"i\0\0\0\0\0\0\0\x07\xff\x80\x00\x01xyzw".to_vec();
            key.extend_from_slice(tail);
            key
        };
        let mut at = |i: usize, byte: u8| {
            let mut key = vec![0x10; 20];
            key[i] = byte;
            key
        };
        let pairs: Vec<(Vec<u8>, u64, Vec<u8>, u64)> = vec![
            (b"".to_vec(), 1, b"\0".to_vec(), 1),
            (b"a".to_vec(), 1, b"a\0".to_vec(), 1),
            (vec![7; 15], 1, [vec![7; 15], vec![0]].concat(), 1),
            (vec![7; 16], 1, [vec![7; 16], vec![0]].concat(), 1),
            (long(b"\x00\x00\x00\x00a"), 1, long(b"\x00\x00\x00\x00b"), 1),
            (long(b"abcdefgh"), 5, long(b"abcdefgh"), 3),
            (long(b"abcdefgh"), 3, long(b"abcdefgh"), 5),
            (at(7, 0x80), 1, at(8, 0x80), 1),
            (at(7, 0xff), 1, at(7, 0x7f), 1),
            (at(15, 0xff), 1, at(15, 0x00), 1),
            (at(16, 0xff), 1, at(16, 0x00), 1),
            (vec![0xff; 16], 1, vec![0xff; 17], 1),
        ];
        for (a, sa, b, sb) in pairs {
            let (a, b) = (
                InternalKey::new(a, sa, ValueType::Value),
                InternalKey::new(b, sb, ValueType::Value),
            );
            let (ma, mb) = (MemtableKey::new(a.user_key.clone()), MemtableKey::new(b.user_key.clone()));
            assert_eq!(a.user_key.cmp(&b.user_key), ma.cmp(&mb), "{a:?} against {b:?}");
            assert_eq!(b.user_key.cmp(&a.user_key), mb.cmp(&ma), "{b:?} against {a:?}");
        }
    }

    /// Cairn patch: a memtable answers iteration, ranges (every bound kind, both
    /// directions) and point reads as a sorted set of `InternalKey`s does, for many
    /// versions of keys that share their 16-byte head.
    #[test]
    fn memtable_matches_a_sorted_model() {
        use std::collections::BTreeMap;
        use std::ops::Bound;
        let memtable = Memtable::new(0);
        let mut model = BTreeMap::new();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = [0x00, 0x01, 0x7f, 0x80, 0xff];
        let mut key_of = |n: u64| {
            let mut key = b"i\0\0\0\0\0\0\0\x07\xff\x80\x00\x01xy".to_vec();
            for i in 0..(n % 12) {
                key.push(alphabet[((n >> (i * 3)) % 5) as usize]);
            }
            key
        };
        let mut keys = Vec::new();
        // Sequence numbers in a shuffled order: versions of a key arrive out of order.
        let mut seqnos: Vec<u64> = (1..=2_000).collect();
        for i in (1..seqnos.len()).rev() {
            seqnos.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        for seqno in seqnos {
            let key = key_of(next());
            let value = seqno.to_be_bytes().to_vec();
            memtable.insert(InternalValue::from_components(
                key.clone(),
                value.clone(),
                seqno,
                ValueType::Value,
            ));
            model.insert(InternalKey::new(key.clone(), seqno, ValueType::Value), value);
            keys.push(key);
        }
        let listed: Vec<_> = memtable.iter().map(|v| (v.key.clone(), v.value.to_vec())).collect();
        let expected: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(expected.len(), listed.len());
        assert!(listed.iter().zip(&expected).all(|(a, b)| a.0 == b.0 && a.1 == b.1));
        let reversed: Vec<_> = memtable.iter().rev().map(|v| v.key).collect();
        assert!(reversed.iter().eq(model.keys().rev()));
        for round in 0..200 {
            let (low, high) = (&keys[(next() % 2_000) as usize], &keys[(next() % 2_000) as usize]);
            let (low, high) = if low <= high { (low, high) } else { (high, low) };
            let mut bound = |key: &Vec<u8>, kind: u64| {
                let key = InternalKey::new(key.clone(), next() % 2_100, ValueType::Value);
                match kind % 3 {
                    0 => Bound::Included(key),
                    1 => Bound::Excluded(key),
                    _ => Bound::Unbounded,
                }
            };
            let range = (bound(low, round), bound(high, round / 3));
            if let (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) =
                &range
            {
                // BTreeMap::range panics on these; the memtable answers nothing.
                let both_included =
                    matches!((&range.0, &range.1), (Bound::Included(_), Bound::Included(_)));
                if a > b || (a == b && !both_included) {
                    assert_eq!(0, memtable.range(range.clone()).count());
                    continue;
                }
            }
            let got: Vec<_> = memtable.range(range.clone()).map(|v| v.key).collect();
            assert!(got.iter().eq(model.range(range.clone()).map(|(k, _)| k)), "{range:?}");
            let got_back: Vec<_> = memtable.range(range.clone()).rev().map(|v| v.key).collect();
            assert!(got_back.iter().eq(model.range(range.clone()).rev().map(|(k, _)| k)));
        }
        for key in keys.iter().take(300) {
            for seqno in [1, 500, 1_000, 2_001] {
                let want = model
                    .range(InternalKey::new(key.clone(), seqno - 1, ValueType::Value)..)
                    .next()
                    .filter(|(k, _)| &*k.user_key == key.as_slice())
                    .map(|(_, v)| v.clone());
                let got = memtable.get(key, seqno).map(|v| v.value.to_vec());
                assert_eq!(want, got, "{key:?} at {seqno}");
            }
        }
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
