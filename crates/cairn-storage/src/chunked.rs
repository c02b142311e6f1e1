//! An ordered map of byte strings whose clones share memory: the in-memory backend's
//! store, so that a snapshot of the whole store (`cairn snapshot save`, backups,
//! exports) costs little whatever its size.
//!
//! Keys are split by range into chunks of at most [`SPLIT`] pairs, each a B-tree
//! behind a reference count. A clone copies the small index of chunks; the first
//! write to a chunk shared with a clone copies that chunk alone. Lookups stay
//! `std`'s B-tree lookups, plus one in the index.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// A chunk splits in halves past this many pairs.
const SPLIT: usize = 1024;

type Chunk = BTreeMap<Vec<u8>, Vec<u8>>;

/// Chunks by the lowest key they may hold: chunk `L` holds the keys from `L` up to
/// (not including) the next chunk's `L`. The first chunk's `L` is empty, so every
/// key has a chunk.
#[derive(Clone)]
pub(crate) struct ChunkedMap {
    chunks: BTreeMap<Vec<u8>, Arc<Chunk>>,
}

impl Default for ChunkedMap {
    fn default() -> Self {
        let mut chunks = BTreeMap::new();
        chunks.insert(Vec::new(), Arc::new(Chunk::new()));
        ChunkedMap { chunks }
    }
}

fn below_or_at(key: &[u8]) -> (Bound<&[u8]>, Bound<&[u8]>) {
    (Bound::Unbounded, Bound::Included(key))
}

impl ChunkedMap {
    /// The lower bound of the chunk `key` belongs in.
    fn chunk_of(&self, key: &[u8]) -> &Vec<u8> {
        self.chunks
            .range::<[u8], _>(below_or_at(key))
            .next_back()
            .map(|(lower, _)| lower)
            .unwrap_or_else(|| unreachable!("the first chunk starts at the empty key"))
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&Vec<u8>> {
        let (_, chunk) = self.chunks.range::<[u8], _>(below_or_at(key)).next_back()?;
        chunk.get(key)
    }

    pub(crate) fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) {
        let Some((_, shared)) = self.chunks.range_mut::<[u8], _>(below_or_at(&key)).next_back() else {
            return; // Unreachable: the first chunk starts at the empty key.
        };
        let chunk = Arc::make_mut(shared);
        chunk.insert(key, value);
        if chunk.len() > SPLIT {
            if let Some(middle) = chunk.keys().nth(chunk.len() / 2).cloned() {
                let upper = chunk.split_off(&middle);
                self.chunks.insert(middle, Arc::new(upper));
            }
        }
    }

    pub(crate) fn remove(&mut self, key: &[u8]) {
        let Some((lower, shared)) = self.chunks.range_mut::<[u8], _>(below_or_at(key)).next_back() else {
            return;
        };
        if !shared.contains_key(key) {
            return;
        }
        let chunk = Arc::make_mut(shared);
        chunk.remove(key);
        // An empty chunk other than the first goes: its range falls to the one before.
        if chunk.is_empty() && !lower.is_empty() {
            let lower = lower.clone();
            self.chunks.remove(&lower);
        }
    }

    /// Up to `limit` pairs within the bounds, in key order or reversed. `start` must
    /// not be after `end`.
    pub(crate) fn range(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        if limit == 0 {
            return out;
        }
        let clone = |(k, v): (&Vec<u8>, &Vec<u8>)| (k.clone(), v.clone());
        if reverse {
            // From the chunk holding the end, backwards.
            let first: Bound<&[u8]> = match end {
                Bound::Included(k) | Bound::Excluded(k) => Bound::Included(self.chunk_of(k).as_slice()),
                Bound::Unbounded => Bound::Unbounded,
            };
            for (_, chunk) in self.chunks.range::<[u8], _>((Bound::Unbounded, first)).rev() {
                out.extend(
                    chunk
                        .range::<[u8], _>((start, end))
                        .rev()
                        .take(limit - out.len())
                        .map(clone),
                );
                if out.len() >= limit || chunk_before(chunk, start) {
                    break;
                }
            }
        } else {
            let first: Bound<&[u8]> = match start {
                Bound::Included(k) | Bound::Excluded(k) => Bound::Included(self.chunk_of(k).as_slice()),
                Bound::Unbounded => Bound::Unbounded,
            };
            for (lower, chunk) in self.chunks.range::<[u8], _>((first, Bound::Unbounded)) {
                if past_end(lower, end) {
                    break;
                }
                out.extend(chunk.range::<[u8], _>((start, end)).take(limit - out.len()).map(clone));
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
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
    match (chunk.keys().next(), start) {
        (Some(first), Bound::Included(s) | Bound::Excluded(s)) => first.as_slice() <= s,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> Vec<u8> {
        i.to_be_bytes().to_vec()
    }

    /// The same operations on a plain B-tree, for comparison.
    fn filled(n: u32) -> (ChunkedMap, Chunk) {
        let (mut map, mut plain) = (ChunkedMap::default(), Chunk::new());
        // A scattered order, so chunks split everywhere.
        for i in 0..n {
            let k = key(i.wrapping_mul(2_654_435_761) % n);
            map.insert(k.clone(), k.clone());
            plain.insert(k.clone(), k);
        }
        (map, plain)
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
                    let expected: Vec<_> = if reverse {
                        plain
                            .range::<[u8], _>((s, e))
                            .rev()
                            .take(limit)
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    } else {
                        plain
                            .range::<[u8], _>((s, e))
                            .take(limit)
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    };
                    assert_eq!(
                        map.range(s, e, reverse, limit),
                        expected,
                        "{start:?}..{end:?} limit {limit} reverse {reverse}"
                    );
                }
            }
        }
        for i in 0..5000 {
            assert_eq!(map.get(&key(i)), plain.get(&key(i)));
        }
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
        assert_eq!(
            saved.range(Bound::Unbounded, Bound::Unbounded, false, usize::MAX),
            expected
        );
        assert_eq!(
            map.range(Bound::Unbounded, Bound::Unbounded, false, usize::MAX),
            vec![(key(7), b"new".to_vec())]
        );
    }

    #[test]
    fn removing_everything_leaves_one_empty_chunk() {
        let (mut map, _) = filled(4000);
        for i in 0..4000 {
            map.remove(&key(i));
        }
        assert!(map
            .range(Bound::Unbounded, Bound::Unbounded, false, usize::MAX)
            .is_empty());
        assert_eq!(map.chunks.len(), 1);
        map.insert(key(1), vec![1]);
        assert_eq!(map.get(&key(1)), Some(&vec![1]));
    }
}
