// Cairn's tests of its memtable patches (vendor/README.md), beside upstream's in mod.rs.

use super::*;
use crate::ValueType;
use test_log::test;

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
