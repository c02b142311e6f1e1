//! A large partition's vectors kept in memory as 8-bit codes and scanned whole: every
//! search compares the query with every vector at a quarter of the memory traffic of
//! the stored floats, and the best few hundred are then re-scored exactly from
//! storage (by the caller), so what is returned is exact whenever the true top K is
//! among them.
//!
//! Measured at 1,000,000 random 128-dimension vectors (docs/vector-search.md): this
//! scan found the exact top 10 for every query (recall 1.000) in about 24 ms, where
//! the HNSW graph needed a search expansion of 4,096 and 48 ms for recall 0.976, took
//! 40 minutes to build on two cores (this takes seconds), and held several times the
//! memory. Past `FLAT_MAX` entries a graph is built instead (ann.rs).
//!
//! Each vector `v` is stored as `round(v / max|v| × 127)` with its scale and its exact
//! norm; the query is quantized the same way. The approximate dot product then gives
//! every distance function's ranking: DOT_PRODUCT ranks by it, COSINE by it over the
//! vector's norm, EUCLIDEAN by `2·q·v − |v|²` (the query's own norm is the same for
//! every candidate).

use super::ann::Filter;
use super::Distance;
use cairn_model::Item;
use std::collections::{BinaryHeap, HashMap};

/// Partitions up to this many entries are searched by the quantized scan.
pub(crate) const FLAT_MAX: usize = 2_000_000;

pub(crate) struct Flat {
    dims: usize,
    distance: Distance,
    codes: Vec<i8>,
    /// Per slot: the quantization scale and the exact norm.
    scales: Vec<f32>,
    norms: Vec<f32>,
    keys: Vec<Vec<u8>>,
    filters: Vec<Item>,
    slots: HashMap<Vec<u8>, usize>,
    /// The keys' bytes (each is held twice: in `keys` and in `slots`).
    key_bytes: usize,
}

/// A vector's codes and scale.
fn quantize(vector: &[f32], codes: &mut [i8]) -> f32 {
    let max = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
    if !max.is_finite() || max == 0.0 {
        codes.fill(0);
        return 0.0;
    }
    for (code, x) in codes.iter_mut().zip(vector) {
        *code = (x / max * 127.0).round().clamp(-127.0, 127.0) as i8;
    }
    max / 127.0
}

/// The codes' dot product with the best kernel this CPU has (simsimd picks it at
/// run time: AVX-512 VNNI, AVX2, NEON...); the portable loop otherwise.
fn integer_dot(a: &[i8], b: &[i8]) -> f32 {
    use simsimd::SpatialSimilarity;
    match i8::dot(a, b) {
        Some(dot) => dot as f32,
        None => dot_i8(a, b) as f32,
    }
}

/// Sixteen independent accumulators, so the compiler vectorizes the loop.
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut lanes = [0i32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            lanes[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    let tail: i32 = ra.iter().zip(rb).map(|(x, y)| i32::from(*x) * i32::from(*y)).sum();
    lanes.iter().sum::<i32>() + tail
}

/// A candidate ordered so the heap's top is the worst kept one.
struct Kept(f32, usize);
impl PartialEq for Kept {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}
impl Eq for Kept {}
impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Kept {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.total_cmp(&self.0)
    }
}

impl Flat {
    pub(crate) fn new(dims: usize, distance: Distance, capacity: usize) -> Flat {
        Flat {
            dims,
            distance,
            codes: Vec::with_capacity(capacity * dims),
            scales: Vec::with_capacity(capacity),
            norms: Vec::with_capacity(capacity),
            keys: Vec::with_capacity(capacity),
            filters: Vec::with_capacity(capacity),
            slots: HashMap::with_capacity(capacity),
            key_bytes: 0,
        }
    }

    /// What the copy's buffers and map reserve, roughly (filter values' own heap
    /// aside).
    pub(crate) fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.codes.capacity()
            + (self.scales.capacity() + self.norms.capacity()) * size_of::<f32>()
            + self.keys.capacity() * size_of::<Vec<u8>>()
            + self.filters.capacity() * size_of::<Item>()
            + self.slots.capacity() * (size_of::<Vec<u8>>() + size_of::<usize>() + 1)
            + 2 * self.key_bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Adds or replaces the entry at `key`.
    pub(crate) fn upsert(&mut self, key: Vec<u8>, vector: &[f32], filters: Item) {
        if vector.len() != self.dims {
            self.remove(&key);
            return;
        }
        let slot = match self.slots.get(&key) {
            Some(&slot) => slot,
            None => {
                let slot = self.keys.len();
                self.codes.resize(self.codes.len() + self.dims, 0);
                self.scales.push(0.0);
                self.norms.push(0.0);
                self.keys.push(key.clone());
                self.filters.push(Item::new());
                self.key_bytes += key.len();
                self.slots.insert(key, slot);
                slot
            }
        };
        let codes = &mut self.codes[slot * self.dims..(slot + 1) * self.dims];
        self.scales[slot] = quantize(vector, codes);
        self.norms[slot] = super::dot(vector, vector).sqrt();
        self.filters[slot] = filters;
    }

    /// Removes the entry at `key` (the last slot moves into its place).
    pub(crate) fn remove(&mut self, key: &[u8]) {
        let Some(slot) = self.slots.remove(key) else { return };
        self.key_bytes -= key.len();
        let last = self.keys.len() - 1;
        if slot != last {
            let moved = self.keys[last].clone();
            self.codes
                .copy_within(last * self.dims..(last + 1) * self.dims, slot * self.dims);
            self.scales[slot] = self.scales[last];
            self.norms[slot] = self.norms[last];
            self.keys.swap(slot, last);
            self.filters.swap(slot, last);
            self.slots.insert(moved, slot);
        }
        self.codes.truncate(last * self.dims);
        self.scales.truncate(last);
        self.norms.truncate(last);
        self.keys.truncate(last);
        self.filters.truncate(last);
    }

    /// Storage keys of the `count` entries that rank best against `query` by the
    /// quantized comparison, among those whose filter values pass `filter`.
    pub(crate) fn candidates(&self, query: &[f32], count: usize, filter: Filter<'_>) -> Vec<Vec<u8>> {
        if query.len() != self.dims || count == 0 {
            return Vec::new();
        }
        let mut q = vec![0i8; self.dims];
        let q_scale = quantize(query, &mut q);
        let mut heap: BinaryHeap<Kept> = BinaryHeap::with_capacity(count + 1);
        for (slot, codes) in self.codes.chunks_exact(self.dims).enumerate() {
            if filter.is_some_and(|passes| !passes(&self.filters[slot])) {
                continue;
            }
            let dot = integer_dot(&q, codes) * q_scale * self.scales[slot];
            let norm = self.norms[slot];
            let rank = match self.distance {
                Distance::DotProduct => dot,
                Distance::Cosine if norm == 0.0 => 0.0,
                Distance::Cosine => dot / norm,
                Distance::Euclidean => 2.0 * dot - norm * norm,
            };
            let rank = if rank.is_nan() { f32::NEG_INFINITY } else { rank };
            if heap.len() < count {
                heap.push(Kept(rank, slot));
            } else if heap.peek().is_some_and(|worst| rank.total_cmp(&worst.0).is_gt()) {
                heap.pop();
                heap.push(Kept(rank, slot));
            }
        }
        heap.into_iter().map(|Kept(_, slot)| self.keys[slot].clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (no dependency for a test).
    fn vectors(n: usize, dims: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                (0..dims)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((state >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
                    })
                    .collect()
            })
            .collect()
    }

    fn key(i: usize) -> Vec<u8> {
        (i as u32).to_be_bytes().to_vec()
    }

    fn exact_top(data: &[Vec<f32>], query: &[f32], distance: Distance, k: usize) -> Vec<Vec<u8>> {
        let mut scored: Vec<(f32, usize)> = data.iter().map(|v| (distance.score(query, v), 0)).collect();
        for (i, s) in scored.iter_mut().enumerate() {
            s.1 = i;
        }
        scored.sort_by(|a, b| {
            if distance.closer(a.0, b.0) {
                std::cmp::Ordering::Less
            } else if distance.closer(b.0, a.0) {
                std::cmp::Ordering::Greater
            } else {
                a.1.cmp(&b.1)
            }
        });
        scored.into_iter().take(k).map(|(_, i)| key(i)).collect()
    }

    #[test]
    fn the_exact_top_ten_is_among_the_quantized_candidates_for_every_distance() {
        let data = vectors(3000, 32, 7);
        let queries = vectors(20, 32, 99);
        for distance in [Distance::Cosine, Distance::Euclidean, Distance::DotProduct] {
            let mut flat = Flat::new(32, distance, 0);
            for (i, v) in data.iter().enumerate() {
                flat.upsert(key(i), v, Item::new());
            }
            for q in &queries {
                let candidates = flat.candidates(q, 100, None);
                assert_eq!(candidates.len(), 100);
                for wanted in exact_top(&data, q, distance, 10) {
                    assert!(candidates.contains(&wanted), "{distance:?}: {wanted:?} missing");
                }
            }
        }
    }

    #[test]
    fn the_simd_kernel_agrees_with_the_portable_loop() {
        let a: Vec<i8> = (0..131).map(|i| ((i * 37) % 255 - 127) as i8).collect();
        let b: Vec<i8> = (0..131).map(|i| ((i * 91) % 255 - 127) as i8).collect();
        assert_eq!(integer_dot(&a, &b), dot_i8(&a, &b) as f32);
        assert_eq!(integer_dot(&a[..128], &b[..128]), dot_i8(&a[..128], &b[..128]) as f32);
    }

    #[test]
    fn a_replaced_or_removed_vector_ranks_by_what_it_is_now() {
        let mut flat = Flat::new(4, Distance::Cosine, 0);
        flat.upsert(key(1), &[1.0, 0.0, 0.0, 0.0], Item::new());
        flat.upsert(key(2), &[0.0, 1.0, 0.0, 0.0], Item::new());
        flat.upsert(key(3), &[0.0, 0.0, 1.0, 0.0], Item::new());
        assert_eq!(flat.candidates(&[1.0, 0.1, 0.0, 0.0], 1, None), vec![key(1)]);
        flat.upsert(key(3), &[1.0, 0.0, 0.0, 0.0], Item::new());
        flat.remove(&key(1));
        assert_eq!(flat.len(), 2);
        assert_eq!(flat.candidates(&[1.0, 0.1, 0.0, 0.0], 1, None), vec![key(3)]);
        // The moved slot (3 took 1's place) is still found and removable.
        flat.remove(&key(3));
        assert_eq!(flat.candidates(&[1.0, 0.1, 0.0, 0.0], 5, None), vec![key(2)]);
    }

    #[test]
    fn only_entries_whose_filter_values_pass_are_candidates() {
        use cairn_model::AttributeValue;
        let mut flat = Flat::new(2, Distance::Euclidean, 0);
        let team = |t: &str| Item::from([("team".to_string(), AttributeValue::S(t.to_string()))]);
        flat.upsert(key(1), &[0.0, 0.0], team("a"));
        flat.upsert(key(2), &[5.0, 5.0], team("b"));
        flat.upsert(key(3), &[9.0, 9.0], Item::new());
        let not_a = |filters: &Item| filters.get("team") != Some(&AttributeValue::S("a".to_string()));
        assert_eq!(flat.candidates(&[0.0, 0.0], 1, None), vec![key(1)]);
        assert_eq!(flat.candidates(&[0.0, 0.0], 1, Some(&not_a)), vec![key(2)]);
        let mut both = flat.candidates(&[0.0, 0.0], 5, Some(&not_a));
        both.sort();
        assert_eq!(both, vec![key(2), key(3)]);
    }

    #[test]
    fn zero_and_huge_vectors_neither_panic_nor_rank_as_nan() {
        let mut flat = Flat::new(2, Distance::Cosine, 0);
        flat.upsert(key(1), &[0.0, 0.0], Item::new());
        flat.upsert(key(2), &[3.0e38, -3.0e38], Item::new());
        flat.upsert(key(3), &[1.0, 1.0], Item::new());
        assert_eq!(flat.candidates(&[1.0, 1.0], 1, None), vec![key(3)]);
        assert_eq!(flat.candidates(&[0.0, 0.0], 3, None).len(), 3);
    }
}
