//! A packed run: an immutable sorted sequence of key-value pairs in one allocation,
//! the bulk of each chunk of the in-memory store (see `chunked.rs` for why).
//!
//! The pairs lie back to back in `data`, each as the key's length (LEB128), the key,
//! then the value; a value ends where the next pair starts (or at the end of `data`),
//! so its length is not stored. `offsets` holds where each pair starts, which makes
//! a lookup a binary search over `offsets`.

use std::ops::Bound;

#[derive(Clone, Default)]
pub(crate) struct Run {
    data: Box<[u8]>,
    // INVARIANT: ascending, each the start of a pair in `data`, in ascending key order.
    offsets: Box<[u32]>,
}

impl Run {
    /// Packs `pairs`, which must come in ascending key order without repeats, into a
    /// run; `None` when the run would pass 4 GiB, beyond what `u32` offsets reach.
    /// `pairs` is walked twice, once to size the allocations exactly.
    pub(crate) fn build<'a, I>(pairs: I) -> Option<Run>
    where
        I: Iterator<Item = (&'a [u8], &'a [u8])> + Clone,
    {
        let (mut size, mut count) = (0usize, 0usize);
        for (key, value) in pairs.clone() {
            size = size.saturating_add(varint_len(key.len()) + key.len() + value.len());
            count += 1;
        }
        u32::try_from(size).ok()?;
        let mut data = Vec::with_capacity(size);
        let mut offsets = Vec::with_capacity(count);
        for (key, value) in pairs {
            offsets.push(u32::try_from(data.len()).ok()?);
            write_varint(&mut data, key.len());
            data.extend_from_slice(key);
            data.extend_from_slice(value);
        }
        Some(Run {
            data: data.into_boxed_slice(),
            offsets: offsets.into_boxed_slice(),
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.offsets.len()
    }

    /// The bytes the pairs take.
    pub(crate) fn data_len(&self) -> usize {
        self.data.len()
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&[u8]> {
        let index = self.first_index_where(|k| k >= key);
        match self.pair(index)? {
            (found, value) if found == key => Some(value),
            _ => None,
        }
    }

    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The pairs within the bounds, in key order (reversible).
    pub(crate) fn range<'a>(
        &'a self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
    ) -> impl DoubleEndedIterator<Item = (&'a [u8], &'a [u8])> + Clone + 'a {
        let first = match start {
            Bound::Included(s) => self.first_index_where(|k| k >= s),
            Bound::Excluded(s) => self.first_index_where(|k| k > s),
            Bound::Unbounded => 0,
        };
        let past_last = match end {
            Bound::Included(e) => self.first_index_where(|k| k > e),
            Bound::Excluded(e) => self.first_index_where(|k| k >= e),
            Bound::Unbounded => self.len(),
        };
        (first..past_last.max(first)).filter_map(move |index| self.pair(index))
    }

    /// The index of the first pair whose key satisfies `is_past`, which must hold for
    /// every key after one it holds for; the length if none does.
    fn first_index_where(&self, is_past: impl Fn(&[u8]) -> bool) -> usize {
        self.offsets
            .partition_point(|&start| self.key_at(start as usize).is_some_and(|k| !is_past(k)))
    }

    fn key_at(&self, start: usize) -> Option<&[u8]> {
        let rest = self.data.get(start..)?;
        let (key_len, header) = read_varint(rest)?;
        rest.get(header..header.checked_add(key_len)?)
    }

    fn pair(&self, index: usize) -> Option<(&[u8], &[u8])> {
        let start = *self.offsets.get(index)? as usize;
        let end = self
            .offsets
            .get(index + 1)
            .map_or(self.data.len(), |&next| next as usize);
        let bytes = self.data.get(start..end)?;
        let (key_len, header) = read_varint(bytes)?;
        let key_end = header.checked_add(key_len)?;
        Some((bytes.get(header..key_end)?, bytes.get(key_end..)?))
    }
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn write_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The number at the start of `bytes` and how many bytes it took; `None` if
/// `bytes` does not start with one that fits a `usize`.
fn read_varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut n = 0usize;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        let shift = u32::try_from(7 * i).ok()?;
        n |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_read_back_what_was_written() {
        for n in [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 400 * 1024, usize::MAX] {
            let mut bytes = Vec::new();
            write_varint(&mut bytes, n);
            assert_eq!(bytes.len(), varint_len(n));
            assert_eq!(read_varint(&bytes), Some((n, bytes.len())));
        }
        assert_eq!(read_varint(&[0x80]), None, "a truncated number is no number");
    }

    #[test]
    fn a_run_finds_every_key_and_nothing_else() {
        let keys: Vec<Vec<u8>> = (0u16..300)
            .map(|i| (i * 2).to_be_bytes().repeat(i as usize % 70))
            .collect();
        let mut pairs: Vec<(&[u8], &[u8])> = keys.iter().map(|k| (k.as_slice(), &k[k.len() / 2..])).collect();
        pairs.sort();
        pairs.dedup_by(|a, b| a.0 == b.0);
        let Some(run) = Run::build(pairs.iter().copied()) else {
            panic!("a run of a few kilobytes fits");
        };
        assert_eq!(run.len(), pairs.len());
        for &(key, value) in &pairs {
            assert_eq!(run.get(key), Some(value));
            let mut absent = key.to_vec();
            absent.push(1);
            assert_eq!(run.get(&absent), None);
        }
        assert_eq!(run.range(Bound::Unbounded, Bound::Unbounded).collect::<Vec<_>>(), pairs);
    }
}
