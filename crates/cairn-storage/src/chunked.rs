//! An ordered map of byte strings whose clones share memory: the in-memory backend's
//! store, so that a snapshot of the whole store (`cairn snapshot save`, backups,
//! exports) costs little whatever its size.
//!
//! Keys are split by range into chunks of at most [`SPLIT`] pairs, each behind a
//! reference count. A clone copies the small index of chunks; the first write to a
//! chunk shared with a clone copies that chunk alone.
//!
//! A chunk is packed for memory's sake. Held in a B-tree of `Vec`s, a pair cost two
//! heap allocations (each rounded up to an allocator size class) plus 48 bytes of
//! `Vec` headers in nodes about 70% full: the server's resident memory came to 2.12
//! times the data at a million ~186-byte items. So most of a chunk's pairs live in
//! a packed run (`packed.rs`): one allocation holding the pairs back to back, plus
//! a `u32` offset each, about 5 bytes per pair beyond the data itself. A run is
//! immutable; recent writes gather in a small B-tree, the delta (a put, or the
//! removal of a key in the run), which is merged into a fresh run once it grows
//! past a fraction of the run (`chunk.rs`). Reads look in the delta first, then
//! binary-search the run.

use crate::chunk::Chunk;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// A chunk splits in halves past this many pairs. Large enough that a run is a large
/// allocation (hundreds of KB to a few MB at ~200-byte items): the allocator rounds
/// a large allocation up to its 64 KiB granule, which cost about 13% of the data with
/// runs of 512-1,024 pairs (RSS 1.71 times the data at a million ~186-byte items,
/// 1.58 with this size; 32,768 gave 1.60). A merge or a copy-on-write copies one
/// chunk, so its size also bounds those copies (about 2 MB here).
const SPLIT: usize = 8192;

/// A chunk also splits once its run passes this many bytes, so that large items
/// (up to 400 KB each) do not make chunks of gigabytes to copy.
const MAX_CHUNK_BYTES: usize = 4 << 20;

/// Chunks by the lowest key they may hold: chunk `L` holds the keys from `L` up to
/// (not including) the next chunk's `L`. The first chunk's `L` is empty, so every
/// key has a chunk.
#[derive(Clone)]
pub(crate) struct ChunkedMap {
    chunks: BTreeMap<Vec<u8>, Arc<Chunk>>,
    // INVARIANT: no chunk holds more pairs than this ([`SPLIT`] but in tests).
    split: usize,
}

impl Default for ChunkedMap {
    fn default() -> Self {
        ChunkedMap::with_split(SPLIT)
    }
}

fn below_or_at(key: &[u8]) -> (Bound<&[u8]>, Bound<&[u8]>) {
    (Bound::Unbounded, Bound::Included(key))
}

impl ChunkedMap {
    /// A map whose chunks split past `split` pairs (tests use small chunks to cross
    /// many chunk boundaries with few keys).
    fn with_split(split: usize) -> Self {
        let mut chunks = BTreeMap::new();
        chunks.insert(Vec::new(), Arc::new(Chunk::default()));
        ChunkedMap { chunks, split }
    }

    /// The lower bound of the chunk `key` belongs in.
    fn chunk_of(&self, key: &[u8]) -> &[u8] {
        self.chunks
            .range::<[u8], _>(below_or_at(key))
            .next_back()
            .map_or(&[], |(lower, _)| lower.as_slice())
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&[u8]> {
        let (_, chunk) = self.chunks.range::<[u8], _>(below_or_at(key)).next_back()?;
        chunk.get(key)
    }

    pub(crate) fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) {
        let Some((_, shared)) = self.chunks.range_mut::<[u8], _>(below_or_at(&key)).next_back() else {
            return; // Unreachable: the first chunk starts at the empty key.
        };
        let chunk = Arc::make_mut(shared);
        chunk.insert(key, value);
        if chunk.outgrown(self.split, MAX_CHUNK_BYTES) {
            if let Some((middle, upper)) = chunk.split_off_upper() {
                self.chunks.insert(middle, Arc::new(upper));
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &[u8]) {
        let Some((lower, shared)) = self.chunks.range_mut::<[u8], _>(below_or_at(key)).next_back() else {
            return;
        };
        if !shared.contains(key) {
            return; // Nothing to do, so no need to copy a chunk shared with a clone.
        }
        let chunk = Arc::make_mut(shared);
        chunk.remove(key);
        // An empty chunk other than the first goes: its range falls to the one before.
        if chunk.len() == 0 && !lower.is_empty() {
            let lower = lower.clone();
            self.chunks.remove(&lower);
        }
    }

    /// Up to `limit` pairs within the bounds, in key order or reversed. A range whose
    /// start is after its end is empty.
    pub(crate) fn range(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        if limit == 0 || is_inverted(start, end) {
            return out;
        }
        let owned = |(key, value): (&[u8], &[u8])| (key.to_vec(), value.to_vec());
        if reverse {
            // From the chunk holding the end, backwards.
            let first: Bound<&[u8]> = match end {
                Bound::Included(k) | Bound::Excluded(k) => Bound::Included(self.chunk_of(k)),
                Bound::Unbounded => Bound::Unbounded,
            };
            for (_, chunk) in self.chunks.range::<[u8], _>((Bound::Unbounded, first)).rev() {
                out.extend(chunk.range(start, end, true).take(limit - out.len()).map(owned));
                if out.len() >= limit || chunk_before(chunk, start) {
                    break;
                }
            }
        } else {
            let first: Bound<&[u8]> = match start {
                Bound::Included(k) | Bound::Excluded(k) => Bound::Included(self.chunk_of(k)),
                Bound::Unbounded => Bound::Unbounded,
            };
            for (lower, chunk) in self.chunks.range::<[u8], _>((first, Bound::Unbounded)) {
                if past_end(lower, end) {
                    break;
                }
                out.extend(chunk.range(start, end, false).take(limit - out.len()).map(owned));
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }
}

/// Whether no key lies within the bounds because they cross (`BTreeMap::range`
/// panics on those).
fn is_inverted(start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e)) | (Bound::Excluded(s), Bound::Included(e)) => {
            s >= e
        }
        _ => false,
    }
}

/// Whether a chunk starting at `lower` lies wholly after `end`.
fn past_end(lower: &[u8], end: Bound<&[u8]>) -> bool {
    match end {
        Bound::Included(e) => lower > e,
        Bound::Excluded(e) => lower >= e,
        Bound::Unbounded => false,
    }
}

/// Whether `chunk`'s first key is at or before `start` (so earlier chunks hold
/// nothing within the range).
fn chunk_before(chunk: &Chunk, start: Bound<&[u8]>) -> bool {
    match (chunk.first_key(), start) {
        (Some(first), Bound::Included(s) | Bound::Excluded(s)) => first <= s,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::ops::{Range, RangeBounds};

    type Plain = BTreeMap<Vec<u8>, Vec<u8>>;

    /// The chunk size of the maps tested: small, so that a few thousand keys cross
    /// many chunk boundaries (the code is the same at any size).
    const TEST_SPLIT: usize = 1024;
    type Pairs = Vec<(Vec<u8>, Vec<u8>)>;
    type OwnedBounds = (Bound<Vec<u8>>, Bound<Vec<u8>>);

    fn key(i: u32) -> Vec<u8> {
        i.to_be_bytes().to_vec()
    }

    /// The same operations on a plain B-tree, for comparison.
    fn filled(n: u32) -> (ChunkedMap, Plain) {
        let (mut map, mut plain) = (ChunkedMap::with_split(TEST_SPLIT), Plain::new());
        // A scattered order, so chunks split everywhere.
        for i in 0..n {
            let k = key(i.wrapping_mul(2_654_435_761) % n);
            map.insert(k.clone(), k.clone());
            plain.insert(k.clone(), k);
        }
        (map, plain)
    }

    /// What `ChunkedMap::range` should answer, read off a plain B-tree by filtering
    /// (which, unlike `BTreeMap::range`, takes crossed bounds).
    fn expected_range(plain: &Plain, start: Bound<&[u8]>, end: Bound<&[u8]>, reverse: bool, limit: usize) -> Pairs {
        let within = plain.iter().filter(|(k, _)| (start, end).contains(k.as_slice()));
        let owned = |(k, v): (&Vec<u8>, &Vec<u8>)| (k.clone(), v.clone());
        if reverse {
            within.rev().take(limit).map(owned).collect()
        } else {
            within.take(limit).map(owned).collect()
        }
    }

    fn everything(map: &ChunkedMap) -> Pairs {
        map.range(Bound::Unbounded, Bound::Unbounded, false, usize::MAX)
    }

    /// The chunk index's invariants: each chunk's count is its number of pairs, at
    /// most the map's split size; only the first may be empty; each holds keys of its
    /// own span.
    fn assert_chunks_consistent(map: &ChunkedMap) {
        let lowers: Vec<&Vec<u8>> = map.chunks.keys().collect();
        assert_eq!(lowers.first().map(|l| l.as_slice()), Some(&[][..]));
        for (i, (lower, chunk)) in map.chunks.iter().enumerate() {
            chunk.assert_consistent();
            assert!(chunk.len() <= map.split);
            assert!(i == 0 || chunk.len() > 0, "an empty chunk {lower:?} stayed");
            for (k, _) in chunk.range(Bound::Unbounded, Bound::Unbounded, false) {
                assert!(k >= lower.as_slice() && lowers.get(i + 1).is_none_or(|next| k < next.as_slice()));
            }
        }
    }

    #[test]
    fn ranges_match_a_plain_btree_across_chunk_boundaries() {
        let (mut map, mut plain) = filled(5000);
        for i in (0..5000).step_by(3) {
            map.remove(&key(i));
            plain.remove(&key(i));
        }
        assert!(map.chunks.len() > 3, "the test must cross chunks");
        let bounds = [
            (Bound::Unbounded, Bound::Unbounded),
            (Bound::Included(key(10)), Bound::Excluded(key(4000))),
            (Bound::Excluded(key(1500)), Bound::Included(key(1600))),
            (Bound::Included(key(4999)), Bound::Unbounded),
            (Bound::Unbounded, Bound::Excluded(key(1))),
        ];
        for (start, end) in bounds {
            let (s, e) = (start.as_ref().map(|k| k.as_slice()), end.as_ref().map(|k| k.as_slice()));
            for limit in [1, 7, 1000, usize::MAX] {
                for reverse in [false, true] {
                    assert_eq!(
                        map.range(s, e, reverse, limit),
                        expected_range(&plain, s, e, reverse, limit),
                        "{start:?}..{end:?} limit {limit} reverse {reverse}"
                    );
                }
            }
        }
        for i in 0..5000 {
            assert_eq!(map.get(&key(i)), plain.get(&key(i)).map(Vec::as_slice));
        }
        assert_chunks_consistent(&map);
    }

    #[test]
    fn chunks_of_large_values_split_by_their_bytes() {
        let (mut map, mut plain) = (ChunkedMap::with_split(TEST_SPLIT), Plain::new());
        for i in 0..200u32 {
            let k = key(i.wrapping_mul(2_654_435_761) % 200);
            let v = vec![(i % 251) as u8; 64 << 10];
            map.insert(k.clone(), v.clone());
            plain.insert(k, v);
        }
        // 12.5 MiB of values: several chunks, each about 4 MiB at most (a run past
        // the bound, plus a delta of up to 16 pairs waiting to be merged).
        assert!(map.chunks.len() >= 3, "{} chunks", map.chunks.len());
        for chunk in map.chunks.values() {
            assert!(chunk.len() <= 64 + 17 + 16, "a chunk of {} pairs", chunk.len());
        }
        assert_eq!(everything(&map), plain.into_iter().collect::<Pairs>());
        assert_chunks_consistent(&map);
    }

    #[test]
    fn a_clone_keeps_its_contents_while_the_original_changes() {
        let (mut map, plain) = filled(3000);
        let saved = map.clone();
        for i in 0..3000 {
            map.remove(&key(i));
        }
        map.insert(key(7), b"new".to_vec());
        let expected: Vec<_> = plain.into_iter().collect();
        assert_eq!(everything(&saved), expected);
        assert_eq!(everything(&map), vec![(key(7), b"new".to_vec())]);
    }

    #[test]
    fn removing_everything_leaves_one_empty_chunk() {
        let (mut map, _) = filled(4000);
        for i in 0..4000 {
            map.remove(&key(i));
        }
        assert!(everything(&map).is_empty());
        assert_eq!(map.chunks.len(), 1);
        map.insert(key(1), vec![1]);
        assert_eq!(map.get(&key(1)), Some(&[1][..]));
    }

    #[test]
    fn crossed_bounds_make_an_empty_range() {
        let (map, _) = filled(100);
        let (low, high) = (key(10), key(20));
        let crossed = [
            (Bound::Included(&high[..]), Bound::Included(&low[..])),
            (Bound::Excluded(&low[..]), Bound::Excluded(&low[..])),
            (Bound::Included(&low[..]), Bound::Excluded(&low[..])),
        ];
        for (start, end) in crossed {
            for reverse in [false, true] {
                assert!(map.range(start, end, reverse, usize::MAX).is_empty());
            }
        }
    }

    #[derive(Clone, Debug)]
    enum Write {
        Insert(u16, Vec<u8>),
        Remove(u16),
        /// Removes this many keys present in the map, in key order from the given
        /// one on, so that whole chunks empty.
        RemoveMany(u16, u16),
    }

    const KEYS: u16 = 10_000;

    /// Decimal keys: of several lengths, some the prefix of others.
    fn key_of(id: u16) -> Vec<u8> {
        id.to_string().into_bytes()
    }

    /// `count` writes in the given proportions of inserts, removals and removals of
    /// many (of up to `most_removed` keys at once).
    fn writes(count: Range<usize>, weights: [u32; 3], most_removed: u16) -> impl Strategy<Value = Vec<Write>> {
        let [insert, remove, remove_many] = weights;
        let write = prop_oneof![
            insert => (0..KEYS, prop::collection::vec(any::<u8>(), 0..6)).prop_map(|(k, v)| Write::Insert(k, v)),
            remove => (0..KEYS).prop_map(Write::Remove),
            remove_many => (0..KEYS, 0..=most_removed).prop_map(|(k, n)| Write::RemoveMany(k, n)),
        ];
        prop::collection::vec(write, count)
    }

    fn apply(writes: &[Write], map: &mut ChunkedMap, plain: &mut Plain) {
        for write in writes {
            match write {
                Write::Insert(id, value) => {
                    map.insert(key_of(*id), value.clone());
                    plain.insert(key_of(*id), value.clone());
                }
                Write::Remove(id) => {
                    map.remove(&key_of(*id));
                    plain.remove(&key_of(*id));
                }
                Write::RemoveMany(first, count) => {
                    let doomed: Vec<Vec<u8>> = plain
                        .range(key_of(*first)..)
                        .take(usize::from(*count))
                        .map(|(k, _)| k.clone())
                        .collect();
                    for key in doomed {
                        map.remove(&key);
                        plain.remove(&key);
                    }
                    assert_chunks_consistent(map);
                }
            }
        }
    }

    fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
        prop_oneof![
            Just(Bound::Unbounded),
            (0..KEYS + 10).prop_map(|id| Bound::Included(key_of(id))),
            (0..KEYS + 10).prop_map(|id| Bound::Excluded(key_of(id))),
        ]
    }

    fn assert_same(map: &ChunkedMap, plain: &Plain, bounds: &[OwnedBounds]) {
        assert_chunks_consistent(map);
        for id in 0..KEYS + 10 {
            assert_eq!(
                map.get(&key_of(id)),
                plain.get(&key_of(id)).map(Vec::as_slice),
                "key {id}"
            );
        }
        let unbounded = (Bound::Unbounded, Bound::Unbounded);
        for (start, end) in bounds.iter().chain([&unbounded]) {
            let (s, e) = (start.as_ref().map(Vec::as_slice), end.as_ref().map(Vec::as_slice));
            for limit in [0, 1, 5, 200, usize::MAX] {
                for reverse in [false, true] {
                    assert_eq!(
                        map.range(s, e, reverse, limit),
                        expected_range(plain, s, e, reverse, limit),
                        "{start:?}..{end:?} limit {limit} reverse {reverse}"
                    );
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn ranges_match_a_plain_btree_after_random_writes(
            before in writes(2000..8000, [6, 1, 1], 1),
            after in writes(1000..4000, [600, 400, 1], 3000),
            bounds in prop::collection::vec((bound(), bound()), 1..6),
        ) {
            // `before` grows the map to a few chunks (splits and merges of the delta,
            // overwrites, removals of present and absent keys); `after` also removes
            // long stretches, emptying whole chunks, while a clone holds the old state.
            let (mut map, mut plain) = (ChunkedMap::with_split(TEST_SPLIT), Plain::new());
            apply(&before, &mut map, &mut plain);
            let (saved, saved_plain) = (map.clone(), plain.clone());
            apply(&after, &mut map, &mut plain);
            assert_same(&map, &plain, &bounds);
            assert_same(&saved, &saved_plain, &bounds);
        }
    }
}
