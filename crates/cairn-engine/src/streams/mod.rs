//! DynamoDB Streams inside the engine: stream metadata, sequence numbers, shards, and
//! the change records written in the same storage transaction as the change they
//! describe (so a record exists exactly when its change does).
//!
//! Record key: `s · stream id · shard index (u32) · sequence number (u64)`.
//! Sequence numbers are global and increasing. Concurrent writers allocate them
//! before they commit, so a reader could otherwise see sequence 7 before an earlier
//! allocated 6 commits; readers therefore only see records below the lowest
//! sequence still in flight (the watermark), which keeps every shard gap-free in
//! the order readers observe it.

pub(crate) mod iterator_key;
pub(crate) mod records;
mod retention;

use crate::catalog::TableMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Mutex;

pub(crate) const STREAM_PREFIX: u8 = b's';

/// One stream of a table. Re-enabling a table's stream creates a new one; old
/// streams stay readable until their records expire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamMeta {
    pub id: u64,
    pub label: String,
    pub view_type: String,
    pub created_at: f64,
    pub disabled_at: Option<f64>,
    /// Region of the request that enabled the stream (records carry it).
    pub region: String,
    /// Shards below this index have passed retention and were deleted.
    #[serde(default)]
    pub trimmed_below: u32,
}

impl StreamMeta {
    pub(crate) fn arn(&self, table: &TableMeta, account: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}/stream/{}",
            self.region, account, table.name, self.label
        )
    }

    /// The shard a record written at `now` belongs to: shards roll over every
    /// `interval` seconds.
    pub(crate) fn shard_at(&self, now: f64, interval: f64) -> u32 {
        (((now - self.created_at) / interval).floor().max(0.0) as u64).min(u64::from(u32::MAX)) as u32
    }

    /// The newest shard: the one being written, or the last one once disabled.
    pub(crate) fn current_shard(&self, now: f64, interval: f64) -> u32 {
        self.shard_at(self.disabled_at.unwrap_or(now), interval)
    }

    pub(crate) fn shard_id(&self, shard: u32) -> String {
        // 37 characters: within the 28..=65 the SDKs validate.
        let start_ms = (self.created_at * 1000.0) as u64;
        format!(
            "shardId-{:020}-{:08x}",
            start_ms + u64::from(shard),
            (self.id as u32) ^ shard.wrapping_mul(0x9E37_79B9)
        )
    }

    pub(crate) fn shard_index(&self, shard_id: &str) -> Option<u32> {
        let start_ms = (self.created_at * 1000.0) as u64;
        let number: u64 = shard_id.strip_prefix("shardId-")?.get(..20)?.parse().ok()?;
        let index = u32::try_from(number.checked_sub(start_ms)?).ok()?;
        (self.shard_id(index) == shard_id).then_some(index)
    }
}

/// Stream label: the creation time, as DynamoDB formats it.
pub(crate) fn label_for(now: f64) -> String {
    let secs = now.floor() as i64;
    let millis = ((now - now.floor()) * 1000.0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

pub(crate) fn stream_prefix(stream_id: u64) -> Vec<u8> {
    let mut key = vec![STREAM_PREFIX];
    key.extend_from_slice(&stream_id.to_be_bytes());
    key
}

pub(crate) fn shard_prefix(stream_id: u64, shard: u32) -> Vec<u8> {
    let mut key = stream_prefix(stream_id);
    key.extend_from_slice(&shard.to_be_bytes());
    key
}

pub(crate) fn record_key(stream_id: u64, shard: u32, sequence: u64) -> Vec<u8> {
    let mut key = shard_prefix(stream_id, shard);
    key.extend_from_slice(&sequence.to_be_bytes());
    key
}

pub(crate) fn sequence_of(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.get(13..21)?.try_into().ok()?))
}

/// DynamoDB's sequence numbers are decimal strings of 21 to 40 digits.
pub(crate) fn sequence_text(sequence: u64) -> String {
    format!("{sequence:021}")
}

/// The highest sequence number stored in any stream (0 if none), so numbering
/// continues after a restart.
pub(crate) fn highest_sequence(
    storage: &dyn cairn_storage::Storage,
    catalog: &crate::catalog::Catalog,
) -> cairn_storage::StorageResult<u64> {
    let mut highest = 0;
    for table in catalog.all() {
        for stream in &table.streams {
            let range = cairn_storage::ScanRange {
                reverse: true,
                ..cairn_storage::ScanRange::prefix(&stream_prefix(stream.id))
            };
            if let Some(seq) = storage.scan(&range, 1)?.first().and_then(|(k, _)| sequence_of(k)) {
                highest = highest.max(seq);
            }
        }
    }
    Ok(highest)
}

/// On a shared store (several servers), each stream's numbering lives in the store:
/// `mseq · stream id` holds the last sequence number and shard used. A write reads
/// and advances it inside its own transaction, so two writers to one stream conflict
/// and one retries: numbers follow commit order, and a reader never sees a number
/// before a smaller one has committed, whichever server wrote them.
pub(crate) fn counter_key(stream_id: u64) -> Vec<u8> {
    let mut key = b"mseq".to_vec();
    key.extend_from_slice(&stream_id.to_be_bytes());
    key
}

/// (last sequence number, last shard) of a stream's counter.
pub(crate) fn decode_counter(bytes: &[u8]) -> Option<(u64, u32)> {
    Some((
        u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?),
        u32::from_be_bytes(bytes.get(8..12)?.try_into().ok()?),
    ))
}

pub(crate) fn encode_counter(sequence: u64, shard: u32) -> Vec<u8> {
    let mut bytes = sequence.to_be_bytes().to_vec();
    bytes.extend_from_slice(&shard.to_be_bytes());
    bytes
}

/// The newest record of a stream as (sequence, shard): where a missing counter
/// starts (a stream whose records predate counters).
pub(crate) fn newest_record(pairs: &[(Vec<u8>, Vec<u8>)]) -> (u64, u32) {
    pairs
        .first()
        .and_then(|(k, _)| {
            let shard = u32::from_be_bytes(k.get(9..13)?.try_into().ok()?);
            Some((sequence_of(k)?, shard))
        })
        .unwrap_or((0, 0))
}

pub(crate) fn newest_record_range(stream_id: u64) -> cairn_storage::ScanRange {
    cairn_storage::ScanRange {
        reverse: true,
        ..cairn_storage::ScanRange::prefix(&stream_prefix(stream_id))
    }
}

/// Hands out sequence numbers and tracks the ones not yet committed.
#[derive(Default)]
pub(crate) struct Sequencer {
    state: Mutex<SequencerState>,
}

#[derive(Default)]
struct SequencerState {
    next: u64,
    in_flight: BTreeSet<u64>,
}

/// A block of sequence numbers held by one write until it commits or fails.
pub(crate) struct Ticket<'a> {
    sequencer: &'a Sequencer,
    pub base: u64,
    pub now: f64,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.sequencer.lock().in_flight.remove(&self.base);
    }
}

impl Sequencer {
    fn lock(&self) -> std::sync::MutexGuard<'_, SequencerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Continues after the highest sequence number already stored.
    pub(crate) fn start_after(&self, highest: u64) {
        let mut state = self.lock();
        state.next = state.next.max(highest + 1).max(1);
    }

    /// Reserves `count` numbers; `now` is read under the same lock, so later
    /// tickets never fall into earlier shards.
    pub(crate) fn allocate(&self, count: u64, clock: &dyn crate::Clock) -> Ticket<'_> {
        let mut state = self.lock();
        state.next = state.next.max(1);
        let base = state.next;
        state.next += count.max(1);
        state.in_flight.insert(base);
        Ticket {
            sequencer: self,
            base,
            now: clock.now_seconds(),
        }
    }

    /// Records with sequence numbers up to this one are committed or will never be.
    pub(crate) fn visible_upto(&self) -> u64 {
        let state = self.lock();
        match state.in_flight.first() {
            Some(first) => first - 1,
            None => state.next.max(1) - 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    #[test]
    fn watermark_stays_below_uncommitted_sequences() {
        let sequencer = Sequencer::default();
        let clock = ManualClock::new(0.0);
        let first = sequencer.allocate(2, &clock);
        let second = sequencer.allocate(1, &clock);
        assert_eq!((first.base, second.base), (1, 3));
        assert_eq!(sequencer.visible_upto(), 0);
        drop(second);
        assert_eq!(sequencer.visible_upto(), 0, "sequence 3 is hidden until 1 and 2 settle");
        drop(first);
        assert_eq!(sequencer.visible_upto(), 3);
    }

    #[test]
    fn labels_and_shard_ids_round_trip() {
        assert_eq!(label_for(1_700_000_000.25), "2023-11-14T22:13:20.250");
        let stream = StreamMeta {
            id: 7,
            label: "x".into(),
            view_type: "KEYS_ONLY".into(),
            created_at: 1_700_000_000.0,
            disabled_at: None,
            region: "us-east-1".into(),
            trimmed_below: 0,
        };
        for shard in [0, 1, 99] {
            let id = stream.shard_id(shard);
            assert_eq!(id.len(), 37);
            assert_eq!(stream.shard_index(&id), Some(shard));
        }
        assert_eq!(stream.shard_index("shardId-garbage"), None);
    }
}
