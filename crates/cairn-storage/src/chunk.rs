//! A chunk of the in-memory store: a packed run of pairs (`packed.rs`), immutable,
//! plus a small delta of the writes since the run was built, merged into a fresh run
//! once it grows. Why chunks are packed: see `chunked.rs`.

use crate::packed::Run;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;

/// However small the run, the delta takes this many writes before a merge, so that
/// small chunks do not merge at every write.
const MIN_DELTA: usize = 16;

/// The delta is merged once it outgrows `1 / DELTA_SHARE` of the run. A merge copies
/// the whole run, so a write costs about `DELTA_SHARE` pairs of copying, amortised;
/// and at most about one pair in `DELTA_SHARE` waits in the delta's costlier layout
/// (two allocations and B-tree node space per pair), so the delta adds little to
/// the chunk's memory. A proportional threshold keeps both bounds whatever the
/// chunk's size, where a fixed one would trade one against the other.
const DELTA_SHARE: usize = 8;

/// Recent writes over a run: `Some` puts a value, `None` removes a key of the run.
// INVARIANT: a `None` entry's key is in the run.
type Delta = BTreeMap<Box<[u8]>, Option<Box<[u8]>>>;

#[derive(Clone, Default)]
pub(crate) struct Chunk {
    run: Run,
    delta: Delta,
    // INVARIANT: the number of keys in the chunk: in the run and not removed by the
    // delta, or put by the delta and not in the run.
    len: usize,
}

impl Chunk {
    pub(crate) fn get(&self, key: &[u8]) -> Option<&[u8]> {
        match self.delta.get(key) {
            Some(written) => written.as_deref(),
            None => self.run.get(key),
        }
    }

    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    pub(crate) fn insert(&mut self, key: Vec<u8>, value: Vec<u8>) {
        if !self.contains(&key) {
            self.len += 1;
        }
        self.delta
            .insert(key.into_boxed_slice(), Some(value.into_boxed_slice()));
        self.merge_delta_if_grown();
    }

    pub(crate) fn remove(&mut self, key: &[u8]) {
        let in_run = self.run.contains(key);
        match self.delta.get_mut(key) {
            Some(None) => return,
            Some(written) if in_run => *written = None,
            Some(_) => {
                self.delta.remove(key);
            }
            None if in_run => {
                self.delta.insert(key.into(), None);
            }
            None => return,
        }
        self.len -= 1;
        self.merge_delta_if_grown();
    }

    pub(crate) fn first_key(&self) -> Option<&[u8]> {
        self.range(Bound::Unbounded, Bound::Unbounded, false)
            .next()
            .map(|(key, _)| key)
    }

    /// The chunk's pairs within the bounds, in key order or reversed.
    pub(crate) fn range<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
    ) -> Box<dyn Iterator<Item = (&'a [u8], &'a [u8])> + 'a> {
        let run = self.run.range(start, end);
        let delta = self
            .delta
            .range::<[u8], _>((start, end))
            .map(|(key, written)| (&**key, written.as_deref()));
        if reverse {
            Box::new(Merged::new(run.rev(), delta.rev(), Ordering::Greater))
        } else {
            Box::new(Merged::new(run, delta, Ordering::Less))
        }
    }

    fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> + Clone {
        let run = self.run.range(Bound::Unbounded, Bound::Unbounded);
        let delta = self.delta.iter().map(|(key, written)| (&**key, written.as_deref()));
        Merged::new(run, delta, Ordering::Less)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether the chunk is past the size at which it splits: more than `split`
    /// pairs, or a run of more than `max_bytes` (large items) holding two pairs or
    /// more.
    pub(crate) fn outgrown(&self, split: usize, max_bytes: usize) -> bool {
        self.len > split || (self.len >= 2 && self.run.data_len() > max_bytes)
    }

    /// Checks the invariants: the count, and that no merge is overdue.
    #[cfg(test)]
    pub(crate) fn assert_consistent(&self) {
        assert_eq!(self.len, self.pairs().count(), "the count of pairs");
        assert!(!self.delta_is_full(), "a full delta was left unmerged");
        for key in self
            .delta
            .iter()
            .filter(|(_, written)| written.is_none())
            .map(|(key, _)| key)
        {
            assert!(self.run.contains(key), "a removal of a key not in the run");
        }
    }

    fn delta_is_full(&self) -> bool {
        self.delta.len() > MIN_DELTA.max(self.run.len() / DELTA_SHARE)
    }

    fn merge_delta_if_grown(&mut self) {
        // A run past 4 GiB cannot be built; the writes then stay in the delta.
        if self.delta_is_full() {
            if let Some(run) = Run::build(self.pairs()) {
                self.run = run;
                self.delta = Delta::new();
            }
        }
    }

    /// Splits off the upper half of the pairs; the lowest key of that half, and the
    /// half. This is merging the delta and then cutting the run in two, without
    /// building the whole run first.
    pub(crate) fn split_off_upper(&mut self) -> Option<(Vec<u8>, Chunk)> {
        let lower_len = self.len / 2;
        let middle = self.pairs().nth(lower_len)?.0.to_vec();
        let lower = Chunk::from_sorted(self.pairs().take(lower_len));
        let upper = Chunk::from_sorted(self.pairs().skip(lower_len));
        *self = lower;
        Some((middle, upper))
    }

    fn from_sorted<'a>(pairs: impl Iterator<Item = (&'a [u8], &'a [u8])> + Clone) -> Chunk {
        match Run::build(pairs.clone()) {
            Some(run) => Chunk {
                len: run.len(),
                run,
                delta: Delta::new(),
            },
            None => {
                let delta: Delta = pairs.map(|(key, value)| (key.into(), Some(value.into()))).collect();
                Chunk {
                    len: delta.len(),
                    run: Run::default(),
                    delta,
                }
            }
        }
    }
}

/// A run's pairs and its delta's writes, merged in one direction: `before` is the
/// ordering of a key that comes first in that direction. For a key in both, the
/// delta's write wins; a removal yields nothing.
struct Merged<R: Iterator, D: Iterator> {
    run: Peekable<R>,
    delta: Peekable<D>,
    before: Ordering,
}

// By hand: a derived `Clone` would not require the items to be `Clone`, which
// `Peekable` needs.
impl<R, D> Clone for Merged<R, D>
where
    R: Iterator<Item: Clone> + Clone,
    D: Iterator<Item: Clone> + Clone,
{
    fn clone(&self) -> Self {
        Merged {
            run: self.run.clone(),
            delta: self.delta.clone(),
            before: self.before,
        }
    }
}

impl<R: Iterator, D: Iterator> Merged<R, D> {
    fn new(run: R, delta: D, before: Ordering) -> Self {
        Merged {
            run: run.peekable(),
            delta: delta.peekable(),
            before,
        }
    }
}

impl<'a, R, D> Iterator for Merged<R, D>
where
    R: Iterator<Item = (&'a [u8], &'a [u8])>,
    D: Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
{
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let run_first = match (self.run.peek(), self.delta.peek()) {
                (None, None) => return None,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((run_key, _)), Some((delta_key, _))) => {
                    let order = run_key.cmp(delta_key);
                    if order == Ordering::Equal {
                        self.run.next(); // Overridden by the delta.
                        false
                    } else {
                        order == self.before
                    }
                }
            };
            if run_first {
                return self.run.next();
            }
            if let Some((key, Some(value))) = self.delta.next() {
                return Some((key, value));
            }
        }
    }
}
