//! Fast search for large vector-index partitions: per partition, in memory, either
//! the quantized vectors scanned whole (flat.rs, up to `FLAT_MAX` entries) or an HNSW
//! graph (usearch) beyond. Either is built in the background from what storage holds
//! the first time a search finds the partition large, kept current by every write
//! after it commits, and rebuilt after a restart or a snapshot restore (nothing of it
//! is persisted: storage stays the one truth, so kill -9 cannot make them disagree).
//!
//! Results are re-read from storage and re-scored exactly, so a candidate deleted or
//! changed since the graph saw it is dropped or ranked by its current vector.

use super::flat::Flat;
use super::{Distance, VectorIndexMeta};
use cairn_model::Item;
use cairn_storage::{ScanRange, Storage};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// One partition of one index: (index id, partition prefix).
type PartitionId = (u64, Vec<u8>);

/// What an entry's filter values (its INLINE_FILTER attributes) must pass to be a
/// candidate: the search condition left once its partition is chosen. None: any.
pub(crate) type Filter<'a> = Option<&'a dyn Fn(&Item) -> bool>;

/// A change the graph must follow: the entry at `key` now holds this vector with
/// these filter values, or is gone.
#[derive(Clone)]
pub(crate) enum Change {
    Upsert {
        key: Vec<u8>,
        vector: Vec<f32>,
        filters: Item,
    },
    Delete {
        key: Vec<u8>,
    },
}

enum Slot {
    /// Being built from storage: changes committed meanwhile wait here.
    Building(Vec<Change>),
    Ready(Arc<Graph>),
}

/// What searches one large partition.
pub(crate) enum Graph {
    Flat(RwLock<Flat>),
    Hnsw(Hnsw),
}

/// What storage holds now at an entry key, as the change that brings a copy to it;
/// `None` when it cannot be read (the change as committed is applied then).
pub(crate) type Current<'a> = &'a dyn Fn(&[u8]) -> Option<Change>;

/// The change that brings a copy to what `storage` holds at `key` now.
pub(crate) fn current_change(storage: &dyn Storage, index: &VectorIndexMeta, key: &[u8]) -> Option<Change> {
    let key_vec = || key.to_vec();
    Some(match storage.get(key).ok()? {
        Some(bytes) => match super::decode_entry(&bytes) {
            Some(entry) => Change::Upsert {
                key: key_vec(),
                filters: filter_values(index, &entry.attributes),
                vector: entry.vector,
            },
            None => Change::Delete { key: key_vec() },
        },
        None => Change::Delete { key: key_vec() },
    })
}

impl Change {
    fn key(&self) -> &[u8] {
        match self {
            Change::Upsert { key, .. } | Change::Delete { key } => key,
        }
    }
}

impl Graph {
    /// Brings the copy's entry for the changed key to what storage holds now, read
    /// while the copy is locked: writes to one key commit in one order but may reach
    /// here in another, and whichever comes last then still leaves the latest state.
    fn apply(&self, change: Change, current: Current<'_>) {
        match self {
            Graph::Flat(flat) => {
                let mut flat = flat.write().unwrap_or_else(|p| p.into_inner());
                match current(change.key()).unwrap_or(change) {
                    Change::Upsert { key, vector, filters } => flat.upsert(key, &vector, filters),
                    Change::Delete { key } => flat.remove(&key),
                }
            }
            Graph::Hnsw(hnsw) => {
                let _order = hnsw.order.lock().unwrap_or_else(|p| p.into_inner());
                hnsw.apply(current(change.key()).unwrap_or(change));
            }
        }
    }

    /// Storage keys of up to `count` entries near `query` whose filter values pass
    /// `filter`, for the caller to re-score exactly.
    pub(crate) fn candidates(&self, query: &[f32], count: usize, filter: Filter<'_>) -> Vec<Vec<u8>> {
        match self {
            Graph::Flat(flat) => flat
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .candidates(query, count, filter),
            Graph::Hnsw(hnsw) => hnsw.candidates(query, count, filter),
        }
    }

    /// Whether `candidates` examines every entry (so fewer than asked for means
    /// every entry that passes the filter).
    pub(crate) fn is_exhaustive(&self) -> bool {
        matches!(self, Graph::Flat(_))
    }

    fn entries(&self) -> usize {
        match self {
            Graph::Flat(flat) => flat.read().map(|f| f.len()).unwrap_or(0),
            Graph::Hnsw(hnsw) => hnsw.ids.lock().map(|ids| ids.entries.len()).unwrap_or(0),
        }
    }

    /// The memory the copy holds, roughly (what its buffers and maps reserve), in
    /// constant time: it is taken after every write the copy follows. (usearch's
    /// own memory_usage visits every node of the graph.)
    fn memory_bytes(&self) -> u64 {
        match self {
            Graph::Flat(flat) => flat.read().map(|f| f.memory_bytes()).unwrap_or(0) as u64,
            Graph::Hnsw(hnsw) => {
                let native = hnsw
                    .index
                    .lock()
                    .map(|i| i.capacity() as u64 * (i.dimensions() as u64 * 4 + GRAPH_LINK_BYTES))
                    .unwrap_or(0);
                let ids = hnsw.ids.lock().map(|ids| ids.memory_bytes()).unwrap_or(0);
                native + ids as u64
            }
        }
    }
}

/// A graph node's level-0 links (connectivity 32, 4-byte slots, twice as many at
/// level 0) and its header.
const GRAPH_LINK_BYTES: u64 = 2 * 32 * 4 + 16;

/// What one entry of a copy of `dimensions` costs besides its key, roughly: the
/// quantized codes, scale and norm and two map slots (the scan), or the floats, the
/// level-0 links of connectivity 32 and the id maps (the graph). Used to refuse or
/// make room for a copy before it is built; a built copy is charged what it holds.
fn entry_estimate(dimensions: usize, graph: bool) -> u64 {
    let per_key = 2 * 64 + 96;
    if graph {
        (dimensions * 4 + per_key) as u64 + GRAPH_LINK_BYTES
    } else {
        (dimensions + 8 + per_key) as u64
    }
}

/// The HNSW graph of one partition and the map between its keys and storage keys.
pub(crate) struct Hnsw {
    index: Mutex<usearch::Index>,
    ids: Mutex<Ids>,
    /// Held while a change is read from storage and applied.
    order: Mutex<()>,
}

#[derive(Default)]
struct Ids {
    by_key: HashMap<Vec<u8>, u64>,
    entries: HashMap<u64, (Vec<u8>, Item)>,
    next: u64,
    key_bytes: usize,
}

impl Ids {
    fn memory_bytes(&self) -> usize {
        let slot = std::mem::size_of::<Vec<u8>>() + std::mem::size_of::<u64>() + 1;
        self.by_key.capacity() * slot
            + self.entries.capacity() * (slot + std::mem::size_of::<Item>())
            + 2 * self.key_bytes
    }
}

/// Every in-memory copy of an engine, within a memory budget: building a copy that
/// would not fit first drops the copies searched least recently; one larger than the
/// whole budget is not built (its partition is searched exactly from storage).
#[derive(Default)]
pub(crate) struct AnnCache {
    slots: Mutex<HashMap<PartitionId, Arc<Cell>>>,
    /// Ticks on each search that uses a copy: a cell's `used` is its last tick.
    clock: AtomicU64,
    /// Partitions refused for being larger than the budget (logged once each).
    refused: Mutex<HashSet<PartitionId>>,
}

/// One partition's copy (or its build), with what the budget charges it.
struct Cell {
    slot: Mutex<Slot>,
    /// The clock when a search last used it.
    used: AtomicU64,
    /// Bytes: the estimate while it is built, then what it holds.
    bytes: AtomicU64,
    /// Whether `slot` is Ready (read without its lock, which a build holds while it
    /// applies the changes that waited).
    ready: AtomicBool,
}

impl Cell {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The copies' memory as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VectorMemory {
    /// Copies ready for searches.
    pub ready: usize,
    /// Copies being built.
    pub building: usize,
    /// What they hold (estimates for those being built).
    pub bytes: u64,
}

fn metric(distance: Distance) -> usearch::MetricKind {
    match distance {
        Distance::Cosine => usearch::MetricKind::Cos,
        Distance::Euclidean => usearch::MetricKind::L2sq,
        Distance::DotProduct => usearch::MetricKind::IP,
    }
}

impl Hnsw {
    fn new(index: &VectorIndexMeta, capacity: usize) -> Result<Hnsw, String> {
        let options = usearch::IndexOptions {
            dimensions: index.dimensions,
            metric: metric(index.distance),
            quantization: usearch::ScalarKind::F32,
            // Measured on 50,000 random 128-dimension vectors (the hard case): 16/128
            // gave recall@10 0.82 at search expansion 256, 32/200 gave 0.97, and 0.99
            // at expansion 512 with 200 candidates re-scored.
            connectivity: 32,
            expansion_add: 200,
            expansion_search: 256,
            multi: false,
        };
        let graph = usearch::Index::new(&options).map_err(|e| e.to_string())?;
        graph
            .reserve_capacity_and_threads(capacity.max(64), threads())
            .map_err(|e| e.to_string())?;
        Ok(Hnsw {
            index: Mutex::new(graph),
            ids: Mutex::new(Ids::default()),
            order: Mutex::new(()),
        })
    }

    fn apply(&self, change: Change) {
        let mut ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        let index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        let key = match &change {
            Change::Upsert { key, .. } | Change::Delete { key } => key.clone(),
        };
        if let Some(old) = ids.by_key.remove(&key) {
            ids.key_bytes -= key.len();
            ids.entries.remove(&old);
            let _ = index.remove(old);
        }
        if let Change::Upsert { key, vector, filters } = change {
            if index.size() + 1 >= index.capacity() {
                let _ = index.reserve((index.capacity() * 2).max(64));
            }
            let id = ids.next;
            ids.next += 1;
            if index.add(id, &vector).is_ok() {
                ids.key_bytes += key.len();
                ids.by_key.insert(key.clone(), id);
                ids.entries.insert(id, (key, filters));
            }
        }
    }

    fn candidates(&self, query: &[f32], count: usize, filter: Filter<'_>) -> Vec<Vec<u8>> {
        let ids = self.ids.lock().unwrap_or_else(|p| p.into_inner());
        let index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        // Random 128-dimension data at 1M entries needed an expansion of about
        // 3,000 for recall@10 0.95 (0.70 at 512): grow it with the partition.
        index.change_expansion_search((count * 2).max(512).max(index.size() / 300));
        let matches = match filter {
            None => index.search(query, count),
            Some(passes) => index.filtered_search(query, count, |id: u64| {
                ids.entries.get(&id).is_some_and(|(_, filters)| passes(filters))
            }),
        };
        matches
            .map(|m| {
                m.keys
                    .iter()
                    .filter_map(|id| ids.entries.get(id).map(|(k, _)| k.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The filter values an entry carries (its INLINE_FILTER attributes).
pub(crate) fn filter_values(index: &VectorIndexMeta, attributes: &Item) -> Item {
    index
        .filters
        .iter()
        .filter_map(|f| attributes.get(&f.name).map(|v| (f.name.clone(), v.clone())))
        .collect()
}

impl AnnCache {
    /// The graph of a partition, when one is ready.
    pub(crate) fn ready(&self, partition: &PartitionId) -> Option<Arc<Graph>> {
        let cell = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(partition)
            .cloned()?;
        cell.used
            .store(self.clock.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
        let guard = cell.lock();
        match &*guard {
            Slot::Ready(graph) => Some(graph.clone()),
            Slot::Building(_) => None,
        }
    }

    /// Whether any partition of these indexes has a graph (or is building one):
    /// when none has, a write has nothing to tell the graphs.
    pub(crate) fn has_graphs(&self, mut index_ids: impl Iterator<Item = u64>) -> bool {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        !slots.is_empty() && index_ids.any(|id| slots.keys().any(|(index, _)| *index == id))
    }

    /// Follows a committed change of a partition that has (or is building) a graph.
    /// A quantized copy grown well past `flat_max` entries is dropped, so the next
    /// search rebuilds the partition as a graph.
    pub(crate) fn follow(&self, partition: &PartitionId, change: Change, flat_max: usize, current: Current<'_>) {
        let Some(cell) = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(partition)
            .cloned()
        else {
            return;
        };
        let graph = {
            let mut guard = cell.lock();
            match &mut *guard {
                Slot::Building(waiting) => {
                    waiting.push(change);
                    return;
                }
                Slot::Ready(graph) => graph.clone(),
            }
        };
        // Outside the slot's lock: a scan in progress holds the copy for its whole
        // pass, and searches must not queue behind this write meanwhile.
        graph.apply(change, current);
        cell.bytes.store(graph.memory_bytes(), Ordering::Relaxed);
        if matches!(&*graph, Graph::Flat(_)) && graph.entries() > flat_max.saturating_add(flat_max / 8) {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            // Only this copy: a newer build of the partition may have replaced it.
            let dropped = match slots.get(partition) {
                Some(c) if Arc::ptr_eq(c, &cell) => slots.remove(partition),
                _ => None,
            };
            drop(slots);
            // Freed outside the map's lock (a large copy takes a while to free).
            drop(dropped);
        }
    }

    /// What the copies hold.
    pub(crate) fn memory(&self) -> VectorMemory {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let mut memory = VectorMemory::default();
        for cell in slots.values() {
            if cell.ready.load(Ordering::Relaxed) {
                memory.ready += 1;
            } else {
                memory.building += 1;
            }
            memory.bytes += cell.bytes.load(Ordering::Relaxed);
        }
        memory
    }

    /// Starts building a partition's graph on a thread of its own, unless one is
    /// there or being built, or it cannot fit in `budget` bytes beside the copies
    /// being built (the copies searched least recently are dropped to make room).
    pub(crate) fn build(
        self: &Arc<Self>,
        storage: Arc<dyn Storage>,
        index: VectorIndexMeta,
        partition: PartitionId,
        size: usize,
        flat_max: usize,
        budget: u64,
    ) {
        let estimate = copy_estimate(index.dimensions, size, flat_max);
        // Copies dropped to make room, freed once the map is unlocked.
        let mut dropped = Vec::new();
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if slots.contains_key(&partition) {
                return;
            }
            if estimate > budget {
                if self
                    .refused
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(partition.clone())
                {
                    tracing::warn!(index = %index.name, entries = size, estimate, budget,
                        "a vector partition's in-memory copy would exceed --vector-memory; it is searched exactly");
                }
                return;
            }
            // Copies being built cannot be dropped: when they and this one would not
            // fit even with every ready copy gone, drop nothing and build nothing (a
            // later search tries again).
            let building: u64 = slots
                .values()
                .filter(|c| !c.ready.load(Ordering::Relaxed))
                .map(|c| c.bytes.load(Ordering::Relaxed))
                .sum();
            if building.saturating_add(estimate) > budget {
                return;
            }
            loop {
                let held: u64 = slots.values().map(|c| c.bytes.load(Ordering::Relaxed)).sum();
                if held.saturating_add(estimate) <= budget {
                    break;
                }
                let victim = slots
                    .iter()
                    .filter(|(_, c)| c.ready.load(Ordering::Relaxed))
                    .min_by_key(|(_, c)| c.used.load(Ordering::Relaxed))
                    .map(|(p, _)| p.clone());
                let Some(victim) = victim else {
                    // Only copies being built hold the memory: try again on a later search.
                    return;
                };
                dropped.extend(slots.remove(&victim));
                tracing::info!(dropped_index_id = victim.0, for_index = %index.name,
                    "dropped the least recently searched vector copy to make room");
            }
            let cell = Arc::new(Cell {
                slot: Mutex::new(Slot::Building(Vec::new())),
                used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed) + 1),
                bytes: AtomicU64::new(estimate),
                ready: AtomicBool::new(false),
            });
            slots.insert(partition.clone(), cell.clone());
            cell
        };
        drop(dropped);
        let cache = Arc::clone(self);
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let built = build_graph(storage.as_ref(), &index, &partition.1, size, flat_max, budget);
            let mut guard = slot.lock();
            match built {
                Ok(graph) => {
                    if let Slot::Building(waiting) = std::mem::replace(&mut *guard, Slot::Building(Vec::new())) {
                        let current = |key: &[u8]| current_change(storage.as_ref(), &index, key);
                        for change in waiting {
                            graph.apply(change, &current);
                        }
                    }
                    let entries = graph.entries();
                    let bytes = graph.memory_bytes();
                    slot.bytes.store(bytes, Ordering::Relaxed);
                    *guard = Slot::Ready(Arc::new(graph));
                    slot.ready.store(true, Ordering::Relaxed);
                    tracing::info!(index = %index.name, entries, bytes, ms = started.elapsed().as_millis() as u64, "vector graph built");
                }
                Err(e) => {
                    drop(guard);
                    let mut slots = cache.slots.lock().unwrap_or_else(|p| p.into_inner());
                    if slots.get(&partition).is_some_and(|c| Arc::ptr_eq(c, &slot)) {
                        slots.remove(&partition);
                    }
                    tracing::warn!(index = %index.name, error = %e, "building a vector graph failed; searches stay exact");
                }
            }
        });
    }

    /// Forgets every graph (a snapshot restore replaced the store under them).
    pub(crate) fn clear(&self) {
        let dropped = std::mem::take(&mut *self.slots.lock().unwrap_or_else(|p| p.into_inner()));
        drop(dropped);
        self.refused.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Forgets the graphs of these indexes (deleted with their table or alone).
    pub(crate) fn forget(&self, index_ids: &[u64]) {
        let dropped: Vec<Arc<Cell>> = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            let gone: Vec<PartitionId> = slots.keys().filter(|(id, _)| index_ids.contains(id)).cloned().collect();
            gone.iter().filter_map(|p| slots.remove(p)).collect()
        };
        drop(dropped);
        self.refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(id, _)| !index_ids.contains(id));
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What a copy of `size` entries is estimated to hold, with the room it reserves to grow.
/// (A graph reserves a quarter more than its entries, the scan an eighth.)
fn copy_estimate(dimensions: usize, size: usize, flat_max: usize) -> u64 {
    let graph = size > flat_max;
    let room = if graph { size / 4 } else { size / 8 };
    entry_estimate(dimensions, graph).saturating_mul((size + room) as u64)
}

fn build_graph(
    storage: &dyn Storage,
    index: &VectorIndexMeta,
    prefix: &[u8],
    size: usize,
    flat_max: usize,
    budget: u64,
) -> Result<Graph, String> {
    // Everything first (storage order), then added to the graph from every core.
    let mut entries: Vec<(Vec<u8>, Vec<f32>, Item)> = Vec::with_capacity(size);
    let mut range = ScanRange::prefix(prefix);
    const CHUNK: usize = 4096;
    loop {
        let chunk = storage.scan(&range, CHUNK).map_err(|e| e.to_string())?;
        for (key, bytes) in &chunk {
            if let Some(entry) = super::decode_entry(bytes) {
                let filters = filter_values(index, &entry.attributes);
                entries.push((key.clone(), entry.vector, filters));
            }
        }
        match chunk.last() {
            Some((key, _)) if chunk.len() == CHUNK => range.start = std::ops::Bound::Excluded(key.clone()),
            _ => break,
        }
    }
    // The partition may have grown since the search that asked for the copy.
    if copy_estimate(index.dimensions, entries.len(), flat_max) > budget {
        return Err(format!("{} entries would exceed --vector-memory", entries.len()));
    }
    if entries.len() <= flat_max {
        let mut flat = Flat::new(index.dimensions, index.distance, entries.len() + entries.len() / 8);
        for (key, vector, filters) in entries {
            flat.upsert(key, &vector, filters);
        }
        return Ok(Graph::Flat(RwLock::new(flat)));
    }
    let graph = Hnsw::new(index, entries.len() + entries.len() / 4)?;
    {
        let native = graph.index.lock().unwrap_or_else(|p| p.into_inner());
        let per_thread = entries.len().div_ceil(threads()).max(1);
        let failed = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            for (part, slice) in entries.chunks(per_thread).enumerate() {
                let (native, failed) = (&*native, &failed);
                scope.spawn(move || {
                    for (offset, (_, vector, _)) in slice.iter().enumerate() {
                        if native.add((part * per_thread + offset) as u64, vector).is_err() {
                            failed.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        if failed.load(std::sync::atomic::Ordering::Relaxed) {
            return Err("adding to the graph failed".to_string());
        }
    }
    {
        let mut ids = graph.ids.lock().unwrap_or_else(|p| p.into_inner());
        for (id, (key, _, filters)) in entries.into_iter().enumerate() {
            ids.key_bytes += key.len();
            ids.by_key.insert(key.clone(), id as u64);
            ids.entries.insert(id as u64, (key, filters));
        }
        ids.next = ids.entries.len() as u64;
    }
    Ok(Graph::Hnsw(graph))
}

#[cfg(test)]
#[path = "ann_tests.rs"]
mod tests;
