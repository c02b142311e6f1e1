// Test support: a failed contract check should panic with its location.
#![allow(clippy::unwrap_used)]

//! The storage contract: behaviour every backend must show. Backends' tests call
//! [`run_contract`] with a constructor for a fresh, empty store.

use crate::{ScanRange, Storage, StorageError};
use std::ops::Bound;

type Check = fn(&dyn Storage);

/// Every contract check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("point_reads_see_committed_writes", point_reads_see_committed_writes),
    (
        "uncommitted_writes_are_invisible_and_rolled_back",
        uncommitted_writes_are_invisible_and_rolled_back,
    ),
    (
        "scans_are_ordered_by_unsigned_bytes_both_ways",
        scans_are_ordered_by_unsigned_bytes_both_ways,
    ),
    ("scan_bounds_and_limits", scan_bounds_and_limits),
    ("transactions_read_their_own_writes", transactions_read_their_own_writes),
    (
        "transaction_scans_merge_pending_writes",
        transaction_scans_merge_pending_writes,
    ),
    ("concurrent_increments_are_not_lost", concurrent_increments_are_not_lost),
    (
        "a_transaction_sees_every_write_acknowledged_before_it_began",
        a_transaction_sees_every_write_acknowledged_before_it_began,
    ),
    (
        "get_many_answers_in_key_order_with_pending_writes",
        get_many_answers_in_key_order_with_pending_writes,
    ),
    (
        "a_snapshot_sees_one_instant_while_writers_go_on",
        a_snapshot_sees_one_instant_while_writers_go_on,
    ),
    (
        "restore_puts_back_exactly_the_saved_state",
        restore_puts_back_exactly_the_saved_state,
    ),
    ("restoring_empty_removes_every_key", restoring_empty_removes_every_key),
    (
        "a_large_state_is_restored_across_chunks",
        a_large_state_is_restored_across_chunks,
    ),
    (
        "a_saved_state_survives_restores_and_later_writes",
        a_saved_state_survives_restores_and_later_writes,
    ),
];

/// Runs every check, each on a fresh store from `make`.
pub fn run_contract(make: &dyn Fn() -> Box<dyn Storage>) {
    for (name, check) in CHECKS {
        eprintln!("storage contract: {name}");
        check(make().as_ref());
    }
}

fn put(s: &dyn Storage, k: &[u8], v: &[u8]) {
    let mut tx = s.begin().unwrap();
    tx.put(k, v);
    tx.commit().unwrap();
}

fn keys(pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<Vec<u8>> {
    pairs.into_iter().map(|(k, _)| k).collect()
}

fn all(reverse: bool) -> ScanRange {
    ScanRange {
        start: Bound::Unbounded,
        end: Bound::Unbounded,
        reverse,
    }
}

fn point_reads_see_committed_writes(s: &dyn Storage) {
    assert_eq!(s.get(b"a").unwrap(), None);
    put(s, b"a", b"1");
    assert_eq!(s.get(b"a").unwrap(), Some(b"1".to_vec()));
    put(s, b"a", b"2");
    assert_eq!(s.get(b"a").unwrap(), Some(b"2".to_vec()));
    let mut tx = s.begin().unwrap();
    tx.delete(b"a");
    tx.commit().unwrap();
    assert_eq!(s.get(b"a").unwrap(), None);
}

fn uncommitted_writes_are_invisible_and_rolled_back(s: &dyn Storage) {
    {
        let mut tx = s.begin().unwrap();
        tx.put(b"k", b"v");
        drop(tx);
    }
    assert_eq!(s.get(b"k").unwrap(), None);
    assert!(s.scan(&all(false), 10).unwrap().is_empty());
}

fn scans_are_ordered_by_unsigned_bytes_both_ways(s: &dyn Storage) {
    for k in [&b"b"[..], b"\xff", b"a", b"\x00", b"ab", b"\x7f\x80"] {
        put(s, k, b"x");
    }
    let expected: Vec<Vec<u8>> = vec![
        b"\x00".to_vec(),
        b"a".to_vec(),
        b"ab".to_vec(),
        b"b".to_vec(),
        b"\x7f\x80".to_vec(),
        b"\xff".to_vec(),
    ];
    assert_eq!(keys(s.scan(&all(false), 100).unwrap()), expected);
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(keys(s.scan(&all(true), 100).unwrap()), reversed);
}

fn scan_bounds_and_limits(s: &dyn Storage) {
    for k in [b"p1a", b"p1b", b"p1c", b"p2a", b"p0z"] {
        put(s, k, b"x");
    }
    let p1 = ScanRange::prefix(b"p1");
    assert_eq!(
        keys(s.scan(&p1, 100).unwrap()),
        vec![b"p1a".to_vec(), b"p1b".to_vec(), b"p1c".to_vec()]
    );
    assert_eq!(keys(s.scan(&p1, 2).unwrap()), vec![b"p1a".to_vec(), b"p1b".to_vec()]);
    let back = ScanRange {
        reverse: true,
        ..p1.clone()
    };
    assert_eq!(keys(s.scan(&back, 1).unwrap()), vec![b"p1c".to_vec()]);
    let exclusive = ScanRange {
        start: Bound::Excluded(b"p1a".to_vec()),
        end: Bound::Included(b"p1c".to_vec()),
        reverse: false,
    };
    assert_eq!(
        keys(s.scan(&exclusive, 100).unwrap()),
        vec![b"p1b".to_vec(), b"p1c".to_vec()]
    );
    let inverted = ScanRange {
        start: Bound::Included(b"z".to_vec()),
        end: Bound::Excluded(b"a".to_vec()),
        reverse: false,
    };
    assert!(s.scan(&inverted, 100).unwrap().is_empty());
}

fn transactions_read_their_own_writes(s: &dyn Storage) {
    put(s, b"x", b"old");
    let mut tx = s.begin().unwrap();
    assert_eq!(tx.get(b"x").unwrap(), Some(b"old".to_vec()));
    tx.put(b"x", b"new");
    assert_eq!(tx.get(b"x").unwrap(), Some(b"new".to_vec()));
    tx.delete(b"x");
    assert_eq!(tx.get(b"x").unwrap(), None);
    tx.put(b"y", b"1");
    tx.commit().unwrap();
    assert_eq!(s.get(b"x").unwrap(), None);
    assert_eq!(s.get(b"y").unwrap(), Some(b"1".to_vec()));
}

fn get_many_answers_in_key_order_with_pending_writes(s: &dyn Storage) {
    put(s, b"a", b"1");
    put(s, b"b", b"2");
    put(s, b"c", b"3");
    let mut tx = s.begin().unwrap();
    tx.put(b"b", b"changed");
    tx.delete(b"c");
    tx.put(b"d", b"new");
    let got = tx.get_many(&[b"c", b"a", b"missing", b"b", b"a", b"d"]).unwrap();
    let want: Vec<Option<Vec<u8>>> = vec![
        None,
        Some(b"1".to_vec()),
        None,
        Some(b"changed".to_vec()),
        Some(b"1".to_vec()),
        Some(b"new".to_vec()),
    ];
    assert_eq!(
        got, want,
        "in the order asked, repeated keys answered twice, pending writes seen"
    );
    assert_eq!(tx.get_many(&[]).unwrap(), Vec::<Option<Vec<u8>>>::new());
    drop(tx);
    assert_eq!(
        s.get(b"b").unwrap(),
        Some(b"2".to_vec()),
        "an abandoned transaction changed nothing"
    );
}

fn a_snapshot_sees_one_instant_while_writers_go_on(s: &dyn Storage) {
    for k in [b"a", b"b", b"c"] {
        put(s, k, b"before");
    }
    let mut snapshot = s.snapshot().unwrap();
    // Writers neither wait for the snapshot nor show in it.
    put(s, b"b", b"after");
    put(s, b"d", b"after");
    let mut tx = s.begin().unwrap();
    tx.delete(b"a");
    tx.commit().unwrap();
    let seen = snapshot.scan(&all(false), 100).unwrap();
    assert_eq!(keys(seen.clone()), vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    assert!(seen.iter().all(|(_, v)| v == b"before"), "{seen:?}");
    let page = snapshot
        .scan(
            &ScanRange {
                start: Bound::Excluded(b"a".to_vec()),
                end: Bound::Unbounded,
                reverse: false,
            },
            1,
        )
        .unwrap();
    assert_eq!(
        page,
        vec![(b"b".to_vec(), b"before".to_vec())],
        "later pages come from the same instant"
    );
    drop(snapshot);
    assert_eq!(s.get(b"b").unwrap(), Some(b"after".to_vec()));
    assert_eq!(s.get(b"a").unwrap(), None);
}

fn transaction_scans_merge_pending_writes(s: &dyn Storage) {
    for k in [b"a", b"c", b"e"] {
        put(s, k, b"x");
    }
    let mut tx = s.begin().unwrap();
    tx.put(b"b", b"x");
    tx.delete(b"c");
    assert_eq!(
        keys(tx.scan(&all(false), 100).unwrap()),
        vec![b"a".to_vec(), b"b".to_vec(), b"e".to_vec()]
    );
    assert_eq!(
        keys(tx.scan(&all(true), 2).unwrap()),
        vec![b"e".to_vec(), b"b".to_vec()]
    );
}

/// N threads increment one counter with read-modify-write transactions, retrying on
/// conflict: no increment may be lost.
fn concurrent_increments_are_not_lost(s: &dyn Storage) {
    const THREADS: usize = 8;
    const ROUNDS: usize = 50;
    put(s, b"counter", &0u64.to_be_bytes());
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..ROUNDS {
                    loop {
                        let mut tx = s.begin().unwrap();
                        let current = tx.get(b"counter").unwrap().unwrap();
                        let n = u64::from_be_bytes(current.try_into().unwrap());
                        tx.put(b"counter", &(n + 1).to_be_bytes());
                        match tx.commit() {
                            Ok(()) => break,
                            Err(StorageError::Conflict) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    let value = s.get(b"counter").unwrap().unwrap();
    assert_eq!(u64::from_be_bytes(value.try_into().unwrap()), (THREADS * ROUNDS) as u64);
}

/// While writers commit, a transaction or a snapshot begun after a commit returned
/// reads that commit's value (or a later one), and sees each two-key batch whole. A
/// backend may refuse a read with a conflict (SERIALIZABLE): that pass starts again.
fn a_transaction_sees_every_write_acknowledged_before_it_began(s: &dyn Storage) {
    use std::sync::atomic::{AtomicU64, Ordering};
    const WRITES: u64 = 300;
    let number = |v: Vec<u8>| u64::from_be_bytes(v.try_into().unwrap());
    // Both writers' (a, b) pairs as one transaction, then as one snapshot, reads them.
    let read_both = |s: &dyn Storage| -> Result<[[(u64, u64); 2]; 2], StorageError> {
        let mut tx = s.begin()?;
        let mut in_tx = [(0, 0); 2];
        for (w, pair) in in_tx.iter_mut().enumerate() {
            let a = tx.get(&[b'a', w as u8])?.map_or(0, number);
            let b = tx.get(&[b'b', w as u8])?.map_or(0, number);
            *pair = (a, b);
        }
        drop(tx);
        let mut in_snapshot = [(0, 0); 2];
        for (key, value) in s.snapshot()?.scan(&all(false), usize::MAX)? {
            let pair = &mut in_snapshot[usize::from(key[1])];
            match key[0] {
                b'a' => pair.0 = number(value),
                _ => pair.1 = number(value),
            }
        }
        Ok([in_tx, in_snapshot])
    };
    let acknowledged = [AtomicU64::new(0), AtomicU64::new(0)];
    std::thread::scope(|scope| {
        let writers: Vec<_> = acknowledged
            .iter()
            .enumerate()
            .map(|(writer, done)| {
                scope.spawn(move || {
                    let (a, b) = ([b'a', writer as u8], [b'b', writer as u8]);
                    for n in 1..=WRITES {
                        loop {
                            let mut tx = s.begin().unwrap();
                            tx.put(&a, &n.to_be_bytes());
                            tx.put(&b, &n.to_be_bytes());
                            match tx.commit() {
                                Ok(()) => break,
                                Err(StorageError::Conflict) => continue,
                                Err(e) => panic!("{e}"),
                            }
                        }
                        done.store(n, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        loop {
            // Read after the writers stopped (finished or failed) once more, then stop:
            // a writer that panics fails the test at the end of the scope.
            let stopped = writers.iter().all(|w| w.is_finished());
            let floor = acknowledged.each_ref().map(|n| n.load(Ordering::SeqCst));
            let views = match read_both(s) {
                Ok(views) => views,
                Err(StorageError::Conflict) => continue,
                Err(e) => panic!("{e}"),
            };
            for (view, pairs) in ["transaction", "snapshot"].iter().zip(views) {
                for (writer, (a, b)) in pairs.into_iter().enumerate() {
                    assert!(
                        a >= floor[writer],
                        "write {} was acknowledged; the {view} read {a}",
                        floor[writer]
                    );
                    assert_eq!(a, b, "the {view} saw a batch in part");
                }
            }
            if stopped {
                assert_eq!(floor, [WRITES, WRITES]);
                break;
            }
            // The memory backend's writer lock is not fair: let the writers in.
            std::thread::yield_now();
        }
    });
}

fn restore_puts_back_exactly_the_saved_state(s: &dyn Storage) {
    put(s, b"a", b"1");
    put(s, b"b", b"2");
    put(s, b"d", b"4");
    let saved = s.save().unwrap();
    // Every kind of difference: a changed value, a deleted key, keys added before,
    // between and after the saved ones.
    put(s, b"b", b"changed");
    let mut tx = s.begin().unwrap();
    tx.delete(b"d");
    tx.put(b"0", b"new");
    tx.put(b"c", b"new");
    tx.put(b"z", b"new");
    tx.commit().unwrap();
    s.restore(&saved).unwrap();
    assert_eq!(
        s.scan(&all(false), usize::MAX).unwrap(),
        vec![
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"2".to_vec()),
            (b"d".to_vec(), b"4".to_vec())
        ]
    );
    assert_eq!(s.get(b"b").unwrap(), Some(b"2".to_vec()));
    assert_eq!(s.get(b"z").unwrap(), None);
    // The store still takes writes after a restore.
    put(s, b"e", b"5");
    assert_eq!(s.get(b"e").unwrap(), Some(b"5".to_vec()));
}

fn restoring_empty_removes_every_key(s: &dyn Storage) {
    for i in 0..5000u32 {
        let mut tx = s.begin().unwrap();
        tx.put(&i.to_be_bytes(), b"v");
        tx.commit().unwrap();
    }
    s.restore(&crate::SavedState::empty()).unwrap();
    assert!(s.scan(&all(false), usize::MAX).unwrap().is_empty());
    put(s, b"a", b"1");
    assert_eq!(keys(s.scan(&all(false), usize::MAX).unwrap()), vec![b"a".to_vec()]);
}

fn a_saved_state_survives_restores_and_later_writes(s: &dyn Storage) {
    put(s, b"k", b"saved");
    let saved = s.save().unwrap();
    for round in 0..3u8 {
        put(s, b"k", &[round]);
        put(s, &[b'x', round], b"extra");
        s.restore(&saved).unwrap();
        assert_eq!(
            s.scan(&all(false), usize::MAX).unwrap(),
            vec![(b"k".to_vec(), b"saved".to_vec())],
            "round {round}"
        );
    }
}

fn a_large_state_is_restored_across_chunks(s: &dyn Storage) {
    // More pairs than one chunk of the restore's walk, on both sides.
    let mut tx = s.begin().unwrap();
    for i in 0..9000u32 {
        tx.put(&(i * 2).to_be_bytes(), &i.to_le_bytes());
    }
    tx.commit().unwrap();
    let before = s.scan(&all(false), usize::MAX).unwrap();
    let saved = s.save().unwrap();
    let mut tx = s.begin().unwrap();
    for i in 0..9000u32 {
        match i % 3 {
            0 => tx.delete(&(i * 2).to_be_bytes()),
            1 => tx.put(&(i * 2).to_be_bytes(), b"changed"),
            _ => tx.put(&(i * 2 + 1).to_be_bytes(), b"added"),
        }
    }
    tx.commit().unwrap();
    s.restore(&saved).unwrap();
    assert_eq!(s.scan(&all(false), usize::MAX).unwrap(), before);
}
