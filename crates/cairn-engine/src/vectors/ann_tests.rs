//! Tests of ann.rs: copies following writes, and the memory budget.
use super::*;
use cairn_storage::MemoryStorage;

fn meta() -> VectorIndexMeta {
    VectorIndexMeta {
        name: "emb".to_string(),
        id: 1,
        attribute: "v".to_string(),
        dimensions: 2,
        distance: Distance::Euclidean,
        hash: None,
        filters: Vec::new(),
        projection_type: "KEYS_ONLY".to_string(),
        non_key_attributes: None,
        ready: true,
        online: false,
    }
}

/// An entry as the index stores it: dimensions, the floats, then the attributes.
fn stored(vector: &[f32]) -> Vec<u8> {
    let mut bytes = (vector.len() as u32).to_le_bytes().to_vec();
    vector.iter().for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()));
    bytes.extend(cairn_model::codec::encode_item(&Item::new()));
    bytes
}

fn upsert(key: &[u8], vector: &[f32]) -> Change {
    Change::Upsert {
        key: key.to_vec(),
        vector: vector.to_vec(),
        filters: Item::new(),
    }
}

fn put(storage: &MemoryStorage, key: &[u8], value: &[u8]) {
    let mut tx = storage.begin().unwrap();
    tx.put(key, value);
    tx.commit().unwrap();
}

/// A partition of `n` two-dimension entries under `prefix`, in storage.
fn fill(storage: &MemoryStorage, prefix: &[u8], n: usize) -> PartitionId {
    for i in 0..n {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!("{i:06}").as_bytes());
        put(storage, &key, &stored(&[i as f32, 1.0]));
    }
    (1, prefix.to_vec())
}

/// Builds the copy of `partition` within `budget` and waits until it is ready
/// (false if it was not built). Waits for this partition only: another build
/// may be left in progress.
fn build(cache: &Arc<AnnCache>, storage: &Arc<MemoryStorage>, partition: &PartitionId, budget: u64) -> bool {
    cache.build(storage.clone(), meta(), partition.clone(), 300, 1_000, budget);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if cache.ready(partition).is_some() {
            return true;
        }
        if !cache.slots.lock().unwrap().contains_key(partition) {
            return false;
        }
        assert!(std::time::Instant::now() < deadline, "the copy was never built");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn estimate_of_300() -> u64 {
    entry_estimate(2, false) * (300 + 300 / 8)
}

#[test]
fn a_copy_larger_than_the_whole_vector_memory_budget_is_not_built() {
    let storage = Arc::new(MemoryStorage::new());
    let a = fill(&storage, b"a", 300);
    let cache = Arc::new(AnnCache::default());
    assert!(!build(&cache, &storage, &a, estimate_of_300() - 1));
    assert_eq!(cache.memory(), VectorMemory::default());
    // The nearest budget that fits builds it.
    assert!(build(&cache, &storage, &a, estimate_of_300()));
    let memory = cache.memory();
    assert_eq!((memory.ready, memory.building), (1, 0));
    assert!(memory.bytes > 0);
}

#[test]
fn a_built_copy_is_charged_what_it_holds() {
    let storage = Arc::new(MemoryStorage::new());
    let a = fill(&storage, b"a", 300);
    let cache = Arc::new(AnnCache::default());
    assert!(build(&cache, &storage, &a, u64::MAX));
    let graph = cache.ready(&a).unwrap();
    assert_eq!(cache.memory().bytes, graph.memory_bytes());
    // Codes, scales and norms, keys (7 bytes, twice) at least.
    assert!(graph.memory_bytes() >= 300 * (2 + 8 + 14));
}

#[test]
fn building_a_copy_that_does_not_fit_drops_the_least_recently_searched_one() {
    let storage = Arc::new(MemoryStorage::new());
    let (a, b, c) = (
        fill(&storage, b"a", 300),
        fill(&storage, b"b", 300),
        fill(&storage, b"c", 300),
    );
    let cache = Arc::new(AnnCache::default());
    assert!(build(&cache, &storage, &a, u64::MAX));
    assert!(build(&cache, &storage, &b, u64::MAX));
    // a is searched after b was built: b is now the least recently used.
    assert!(cache.ready(&a).is_some());
    let held = cache.memory().bytes;
    assert!(build(&cache, &storage, &c, held + estimate_of_300() - 1));
    assert!(cache.ready(&a).is_some());
    assert!(
        cache.ready(&b).is_none(),
        "the least recently searched copy was dropped"
    );
    assert!(cache.ready(&c).is_some());
    assert_eq!(cache.memory().ready, 2);
}

#[test]
fn a_copy_that_cannot_fit_beside_those_being_built_drops_nothing() {
    let storage = Arc::new(MemoryStorage::new());
    let (a, b) = (fill(&storage, b"a", 300), fill(&storage, b"b", 300));
    let cache = Arc::new(AnnCache::default());
    assert!(build(&cache, &storage, &a, u64::MAX));
    // A copy of another partition still being built, charged its estimate.
    let held = cache.memory().bytes;
    cache.slots.lock().unwrap().insert(
        (1, b"z".to_vec()),
        Arc::new(Cell {
            slot: Mutex::new(Slot::Building(Vec::new())),
            used: AtomicU64::new(0),
            bytes: AtomicU64::new(estimate_of_300()),
            ready: AtomicBool::new(false),
        }),
    );
    // Even with a dropped, b and the build in progress would not fit: a stays.
    cache.build(
        storage.clone(),
        meta(),
        b.clone(),
        300,
        1_000,
        2 * estimate_of_300() - 1,
    );
    assert!(cache.ready(&a).is_some());
    assert_eq!(cache.memory().bytes, held + estimate_of_300());
    // The nearest budget that fits once a is dropped builds b.
    assert!(build(&cache, &storage, &b, 2 * estimate_of_300()));
    assert!(cache.ready(&a).is_none());
}

#[test]
fn a_copy_that_fits_beside_the_others_drops_none() {
    let storage = Arc::new(MemoryStorage::new());
    let (a, b) = (fill(&storage, b"a", 300), fill(&storage, b"b", 300));
    let cache = Arc::new(AnnCache::default());
    assert!(build(&cache, &storage, &a, u64::MAX));
    let held = cache.memory().bytes;
    assert!(build(&cache, &storage, &b, held + estimate_of_300()));
    assert!(cache.ready(&a).is_some() && cache.ready(&b).is_some());
}

#[test]
fn a_change_that_arrives_after_a_later_one_still_leaves_what_storage_holds() {
    let storage = MemoryStorage::new();
    let index = meta();
    let graph = Graph::Flat(RwLock::new(Flat::new(2, Distance::Euclidean, 0)));
    let current = |key: &[u8]| current_change(&storage, &index, key);
    // Committed: a at [0, 0], then a at [9, 9]; the later write's change is
    // applied first, the earlier one's last.
    put(&storage, b"a", &stored(&[9.0, 9.0]));
    put(&storage, b"far", &stored(&[0.5, 0.5]));
    for (key, vector) in [(b"a", [9.0, 9.0]), (b"a", [0.0, 0.0])] {
        graph.apply(upsert(key, &vector), &current);
    }
    graph.apply(upsert(b"far", &[0.5, 0.5]), &current);
    // Nearest [0, 0] is "far" (a is at [9, 9] in storage), not the stale a.
    assert_eq!(graph.candidates(&[0.0, 0.0], 1, None), vec![b"far".to_vec()]);
    // A key gone from storage leaves the copy whatever its change says.
    let mut tx = storage.begin().unwrap();
    tx.delete(b"far");
    tx.commit().unwrap();
    graph.apply(upsert(b"far", &[0.5, 0.5]), &current);
    assert_eq!(graph.candidates(&[0.0, 0.0], 5, None), vec![b"a".to_vec()]);
}
